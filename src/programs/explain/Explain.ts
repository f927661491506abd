/**
 * `explain`: what the pod webhook would do with a pod or a workload's pods, and why, without changing anything.
 *
 * 1. the settings the installed webhook decides with (`WebhookSettings.ts`);
 * 2. the target: a manifest (a file, not necessarily applied yet) or `<kind>/<name>` read from the cluster, turned
 *    into the pod its controller would create (`Target.ts`);
 * 3. the pod mutator itself (`PodMutator.preview`) over a read-only context: the same decision, plan and patch as
 *    an admission, plus the decision's trace. Nothing is written: no Secret copied, no Event recorded.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Option, Result, Schema } from "effect"
import * as KubeApiError from "../../services/KubeApiError.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import { decodePod } from "../../schemas/Pod.ts"
import * as InjectionContext from "../webhook/InjectionContext.ts"
import * as PodMutator from "../webhook/pod/PodMutator.ts"
import * as Target from "./Target.ts"
import * as WebhookSettings from "./WebhookSettings.ts"

/** Why nothing could be explained. @category errors @since 0.1.0 */
export class ExplainError extends Schema.TaggedError<ExplainError>()("ExplainError", {
  reason: Schema.Literals(["Settings", "Target", "Lookup"]),
  message: Schema.String
}) {}

/** What to explain. @category models @since 0.1.0 */
export interface Options {
  /** where the operator, its webhook and the DynaKubes live */
  readonly operatorNamespace: string
  /** the namespace of the target (a manifest's own namespace wins) */
  readonly namespace: string
  /** `<kind>/<name>` in the cluster, or a parsed manifest */
  readonly target:
    | { readonly _tag: "Reference"; readonly reference: Target.Reference }
    | { readonly _tag: "Manifest"; readonly manifest: unknown }
  /** the binary's version (`script_version` when APP_VERSION is not set) */
  readonly version: string
}

/** The result. @category models @since 0.1.0 */
export interface Report {
  /** `Deployment/shop` */
  readonly target: string
  readonly namespace: string
  /** where the webhook settings came from */
  readonly settingsSource: string
  readonly csiDriver: boolean
  /** the preview, or why the webhook would not even decode the pod */
  readonly preview:
    | { readonly _tag: "Preview"; readonly value: PodMutator.Preview }
    | { readonly _tag: "InvalidPod"; readonly message: string }
}

const targetError = (message: string) => new ExplainError({ reason: "Target", message })

const readTarget = Effect.fnUntraced(function* (reference: Target.Reference, namespace: string) {
  const client = yield* KubeClient
  const label = `${reference.kind.kind.toLowerCase()}/${reference.name}`
  return yield* client.get<KubeObject>(reference.kind.resource, reference.name, { namespace }).pipe(
    Effect.mapError((e) =>
      KubeApiError.isNotFound(e)
        ? targetError(`${label} not found in namespace ${namespace}`)
        : new ExplainError({ reason: "Lookup", message: `cannot read ${label}: ${e.message}` })
    ),
    // `podOf` dispatches on the kind; the reference already says what it is.
    Effect.map((object) => ({ kind: reference.kind.kind, ...object }))
  )
})

/**
 * A read-only context whose owner lookup falls back to the target itself: a manifest that is not applied yet has no
 * owner to find in the cluster.
 */
const contextFor = (operatorNamespace: string, workload: Target.PodToAdmit["workload"]) =>
  Layer.effect(
    InjectionContext.InjectionContext,
    Effect.gen(function* () {
      const context = yield* InjectionContext.InjectionContext
      return InjectionContext.InjectionContext.of({
        ...context,
        workload: (pod, namespace) => context.workload(pod, namespace).pipe(Effect.orElseSucceed(() => workload))
      })
    })
  ).pipe(Layer.provide(InjectionContext.layerReadOnly({ operatorNamespace })))

/** Explains one target. @category running @since 0.1.0 */
export const run = Effect.fn("Explain.run")(function* (options: Options) {
  const found = yield* WebhookSettings.load(options.operatorNamespace, options.version).pipe(
    Effect.mapError((e) => new ExplainError({ reason: "Settings", message: e.message }))
  )
  const object =
    options.target._tag === "Manifest"
      ? options.target.manifest
      : yield* readTarget(options.target.reference, options.namespace)
  const toAdmit = yield* Result.match(Target.podOf(object, options.namespace), {
    onFailure: (e) => Effect.fail(targetError(e.message)),
    onSuccess: Effect.succeed
  })
  const report = (preview: Report["preview"]): Report => ({
    target: toAdmit.describe,
    namespace: toAdmit.namespace,
    settingsSource: found.source,
    csiDriver: found.settings.csiDriver,
    preview
  })
  const decoded = decodePod(toAdmit.pod)
  if (Result.isFailure(decoded)) return report({ _tag: "InvalidPod", message: decoded.failure.message })
  const preview = yield* PodMutator.PodMutator.use((mutator) =>
    mutator.preview(decoded.success, toAdmit.namespace)
  ).pipe(
    Effect.provide(
      PodMutator.layer({ settings: found.settings }).pipe(
        Layer.provide(contextFor(found.settings.operatorNamespace, toAdmit.workload))
      )
    ),
    Effect.mapError((e) => new ExplainError({ reason: "Lookup", message: `${e.operation}: ${e.message}` }))
  )
  return report({ _tag: "Preview", value: preview })
})

/** A `<kind>/<name>` from the command line, or an error saying what is accepted. @category parsing @since 0.1.0 */
export const parseTarget = (text: string): Result.Result<Target.Reference, ExplainError> =>
  Option.match(Target.parseReference(text), {
    onNone: () =>
      Result.fail(targetError(`"${text}" is not <kind>/<name> with a kind of ${Target.kindNames.join(", ")}`)),
    onSome: Result.succeed
  })
