/**
 * The namespace mutator behind `/label-ns` (spec §3.8, §2.6): labels a namespace that is being created or updated
 * with `dynakube.internal.dynatrace.com/instance=<dk>` when exactly one DynaKube with injection features selects it,
 * so pods created right after their namespace are already injected (the operator's own mapping may run later).
 *
 * - Requests for the webhook's own namespace, from the operator's service account
 *   (`system:serviceaccount:<ns>:dynatrace-operator`, which maps from its side), and for terminating namespaces are
 *   admitted unchanged.
 * - A namespace selected by two DynaKubes is refused (HTTP 400) with a message naming both.
 * - A namespace whose label names a DynaKube that no longer selects it loses the label; a label naming a DynaKube
 *   this webhook does not know is left alone (the operator cleans up after deleted DynaKubes).
 * - The answer carries a patch only when the label changes. Lookups that fail admit the namespace unchanged.
 *
 * @since 0.1.0
 */
import { Cause, Context, Effect, JsonPatch, Layer, Result, type Schema } from "effect"
import * as AdmissionReview from "../../../schemas/AdmissionReview.ts"
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { Namespace } from "../../../schemas/Pod.ts"
import { decodeNamespace } from "../../../schemas/Pod.ts"
import * as DynaKubeInjection from "../DynaKubeInjection.ts"
import { InjectionContext } from "../InjectionContext.ts"
import * as Keys from "../Keys.ts"
import * as WebhookMetrics from "../WebhookMetrics.ts"

/** What the label of a namespace should become. @category models @since 0.1.0 */
export type LabelDecision =
  | { readonly _tag: "Keep"; readonly reason: string }
  | { readonly _tag: "Set"; readonly dynakube: string }
  | { readonly _tag: "Remove"; readonly previous: string }
  | { readonly _tag: "Conflict"; readonly dynakubes: ReadonlyArray<string> }

/**
 * The label decision for one namespace, given the DynaKubes of the operator namespace (pure).
 * @category decisions
 * @since 0.1.0
 */
export const decide = (
  namespace: Namespace,
  dynakubes: ReadonlyArray<DynaKube>,
  operatorNamespace: string
): LabelDecision => {
  const name = namespace.metadata.name ?? ""
  const view = { name, labels: namespace.metadata.labels }
  const matching = dynakubes
    .filter(
      (dk) => DynaKubeInjection.mapsNamespaces(dk) && DynaKubeInjection.matchesNamespace(dk, operatorNamespace, view)
    )
    .map(DynaKubeInjection.nameOf)
    .toSorted()
  const current = namespace.metadata.labels?.[Keys.instanceLabel]
  if (matching.length > 1) return { _tag: "Conflict", dynakubes: matching }
  const only = matching[0]
  if (only !== undefined) {
    return only === current ? { _tag: "Keep", reason: "labelled already" } : { _tag: "Set", dynakube: only }
  }
  if (current !== undefined && dynakubes.some((dk) => DynaKubeInjection.nameOf(dk) === current)) {
    return { _tag: "Remove", previous: current }
  }
  return { _tag: "Keep", reason: current === undefined ? "no DynaKube selects it" : "its DynaKube is unknown here" }
}

/** The namespace with its label set or removed. @category decisions @since 0.1.0 */
export const applyDecision = (namespace: Namespace, decision: LabelDecision): Namespace => {
  if (decision._tag !== "Set" && decision._tag !== "Remove") return namespace
  const labels: Record<string, string> = { ...namespace.metadata.labels }
  if (decision._tag === "Set") labels[Keys.instanceLabel] = decision.dynakube
  else delete labels[Keys.instanceLabel]
  return { ...namespace, metadata: { ...namespace.metadata, labels } }
}

/** The namespace mutator. @category services @since 0.1.0 */
export class NamespaceMutator extends Context.Service<
  NamespaceMutator,
  {
    /** The admission answer for a request; total. */
    readonly handle: (request: AdmissionReview.AdmissionRequest) => Effect.Effect<AdmissionReview.AdmissionResponse>
  }
>()("dynatrace-operator/webhook/NamespaceMutator") {}

const outcome = (reason: string) => WebhookMetrics.recordOutcome("namespace", reason)

/** Builds the mutator. @category constructors @since 0.1.0 */
export const make = (options: { readonly operatorNamespace: string }) =>
  Effect.gen(function* () {
    const context = yield* InjectionContext
    const operatorAccount = `system:serviceaccount:${options.operatorNamespace}:dynatrace-operator`

    const handle = Effect.fn("NamespaceMutator.handle")(function* (request: AdmissionReview.AdmissionRequest) {
      if (request.kind.kind !== "Namespace" || request.kind.group !== "") {
        yield* outcome("NotANamespace")
        return AdmissionReview.allow(
          request.uid,
          `NotANamespace: this endpoint labels namespaces, not ${request.kind.kind}.`
        )
      }
      if (request.operation !== "CREATE" && request.operation !== "UPDATE") {
        return AdmissionReview.allow(request.uid)
      }
      const decoded = decodeNamespace(request.object)
      if (Result.isFailure(decoded)) {
        yield* outcome("InvalidNamespace")
        return AdmissionReview.allow(request.uid, `InvalidNamespace: ${decoded.failure.message}`)
      }
      const namespace = decoded.success
      const name = namespace.metadata.name ?? request.name ?? ""
      if (name === options.operatorNamespace || request.userInfo?.username === operatorAccount) {
        yield* outcome("Ignored")
        return AdmissionReview.allow(request.uid)
      }
      const phase = (namespace as { readonly status?: { readonly phase?: unknown } }).status?.phase
      if (phase === "Terminating") {
        yield* outcome("Terminating")
        return AdmissionReview.allow(request.uid)
      }
      const dynakubes = yield* context.dynakubes
      const decision = decide(namespace, dynakubes, options.operatorNamespace)
      yield* outcome(decision._tag)
      if (decision._tag === "Conflict") {
        const message = `Namespace ${name} is selected by more than one DynaKube with injection features (${decision.dynakubes.join(", ")}); fix their namespaceSelectors.`
        yield* Effect.logWarning("Refused a namespace selected by several DynaKubes").pipe(
          Effect.annotateLogs({ namespace: name, dynakubes: decision.dynakubes.join(",") })
        )
        return AdmissionReview.deny(request.uid, 400, message, "BadRequest")
      }
      if (decision._tag === "Keep") return AdmissionReview.allow(request.uid)
      const patch = JsonPatch.get(
        request.object as Schema.Json,
        applyDecision(namespace, decision) as unknown as Schema.Json
      )
      yield* Effect.logInfo(decision._tag === "Set" ? "Labelled the namespace" : "Removed the namespace's label").pipe(
        Effect.annotateLogs({
          namespace: name,
          dynakube: decision._tag === "Set" ? decision.dynakube : decision.previous
        })
      )
      return AdmissionReview.patched(request.uid, patch)
    })

    return NamespaceMutator.of({
      handle: (request) =>
        handle(request).pipe(
          Effect.catchCause((cause) =>
            Effect.logError("Admitted the namespace unchanged: the lookup failed").pipe(
              Effect.annotateLogs({ error: Cause.pretty(cause).split("\n")[0] ?? "" }),
              Effect.andThen(outcome("InternalError")),
              Effect.as(AdmissionReview.allow(request.uid, "InternalError: the DynaKubes could not be read."))
            )
          )
        )
    })
  })

/** The mutator layer. @category layers @since 0.1.0 */
export const layer = (options: {
  readonly operatorNamespace: string
}): Layer.Layer<NamespaceMutator, never, InjectionContext> => Layer.effect(NamespaceMutator, make(options))
