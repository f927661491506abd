import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer } from "effect"
import * as Modules from "./Modules.ts"
import { ValidationConfig } from "./ValidationConfig.ts"

const read = (env: Record<string, string>) =>
  Effect.gen(function* () {
    return yield* ValidationConfig
  }).pipe(
    Effect.provide(ValidationConfig.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
  )

describe("ValidationConfig from the environment", () => {
  it.effect("defaults: every module, no kubemon, 8 s deadline", () =>
    Effect.gen(function* () {
      const config = yield* read({})
      expect(config.modules).toEqual(Modules.all)
      expect(config.kubemonOperand).toBe(false)
      expect(Duration.toMillis(config.deadline)).toBe(8000)
    })
  )

  it.effect("reads the env var named modules.json and the kubemon switch", () =>
    Effect.gen(function* () {
      const config = yield* read({
        "modules.json": JSON.stringify({ ...Modules.all, kspm: false }),
        EXPERIMENTAL_ENABLE_KUBEMON_OPERAND: "True"
      })
      expect(config.modules).toEqual({ ...Modules.all, kspm: false })
      expect(config.kubemonOperand).toBe(true)
    })
  )
})
