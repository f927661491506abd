/**
 * Settings of the validation webhook: the installed modules (env `modules.json`), the kubemon switch (env
 * `EXPERIMENTAL_ENABLE_KUBEMON_OPERAND`) and the deadline of one review, well under the webhook's 10 s
 * `timeoutSeconds` so that a slow cluster read ends in our own clear denial instead of the apiserver's timeout.
 *
 * @since 0.1.0
 */
import { Config, Context, Duration, Effect, Layer } from "effect"
import * as Modules from "./Modules.ts"

/** @category services @since 0.1.0 */
export class ValidationConfig extends Context.Service<
  ValidationConfig,
  {
    readonly modules: Modules.Modules
    readonly kubemonOperand: boolean
    readonly deadline: Duration.Duration
  }
>()("dynatrace-operator/webhook/validation/ValidationConfig") {
  /** From the environment. */
  static readonly layer = Layer.effect(
    ValidationConfig,
    Effect.gen(function* () {
      const modules = yield* Config.String(Modules.envName).pipe(Config.option)
      const kubemon = yield* Config.String("EXPERIMENTAL_ENABLE_KUBEMON_OPERAND").pipe(Config.withDefault("false"))
      return ValidationConfig.of({
        modules: Modules.parse(modules._tag === "Some" ? modules.value : undefined),
        kubemonOperand: kubemon.toLowerCase() === "true",
        deadline: Duration.seconds(8)
      })
    })
  )

  /** Fixed settings (tests, other entry points). */
  static readonly layerWith = (settings: {
    readonly modules?: Modules.Modules
    readonly kubemonOperand?: boolean
    readonly deadline?: Duration.Input
  }) =>
    Layer.succeed(
      ValidationConfig,
      ValidationConfig.of({
        modules: settings.modules ?? Modules.all,
        kubemonOperand: settings.kubemonOperand ?? false,
        deadline: Duration.fromInputUnsafe(settings.deadline ?? "8 seconds")
      })
    )
}
