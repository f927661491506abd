/**
 * The pod mutator behind `/inject` (spec §3.2): a total admission handler.
 *
 * `handle(request)` never fails and never rejects a pod:
 * 1. not a Pod `CREATE`, or a pod that does not decode ⇒ allowed unchanged, with a message;
 * 2. looks up the namespace and the DynaKube its label names, runs the decision (`InjectionPolicy.ts`), looks up
 *    what the plan needs (bootstrapper/OTLP Secrets copied into the namespace, the pod's workload), plans
 *    (`InjectionPlan.ts`), and answers with the JSON patch from the raw request object to the planned pod, so
 *    fields our schema does not know are never touched;
 * 3. any failure (a lookup error, a defect) or running past the internal deadline (default 3 s, well under the
 *    webhook's `timeoutSeconds: 10`) ⇒ fail-open: the original pod plus only `dynakube.dynatrace.com/injected:
 *    "false"` and a `dynakube.dynatrace.com/reason` (`InternalError` / `Timeout`), never a partial mutation.
 *
 * Every outcome is counted by reason code (`WebhookMetrics.ts`) and logged with the namespace and the pod's name;
 * Events are recorded in the background (not for dry runs).
 *
 * @since 0.1.0
 */
import { Cause, Context, Duration, Effect, JsonPatch, Layer, Option, Result, type Schema } from "effect"
import * as AdmissionReview from "../../../schemas/AdmissionReview.ts"
import type { Pod } from "../../../schemas/Pod.ts"
import { decodePod } from "../../../schemas/Pod.ts"
import * as DynaKubeInjection from "../DynaKubeInjection.ts"
import { InjectionContext, type LookupError } from "../InjectionContext.ts"
import * as Keys from "../Keys.ts"
import * as WebhookMetrics from "../WebhookMetrics.ts"
import * as Explanation from "./Explanation.ts"
import * as InjectionPlan from "./InjectionPlan.ts"
import * as InjectionPolicy from "./InjectionPolicy.ts"

const { Reason } = Keys

/** Configuration of the mutator. @category models @since 0.1.0 */
export interface PodMutatorOptions {
  readonly settings: InjectionPolicy.Settings
  /** internal deadline of one review (default 3 s) */
  readonly deadline?: Duration.Input | undefined
}

/** What an admission comes to. @category models @since 0.1.0 */
export interface Answer {
  /** `Injected`, `Updated`, `Unchanged`, or the reason code why not */
  readonly reason: string
  readonly message: string
  /** from the pod as given to the pod as admitted */
  readonly patch: JsonPatch.JsonPatch
  /** the pod as admitted */
  readonly pod: Pod
  /** Events the admission records on the pod */
  readonly events: ReadonlyArray<InjectionPlan.PodEvent>
}

/** An admission previewed: its answer, the decision and the decision's trace. @category models @since 0.1.0 */
export interface Preview extends Answer {
  readonly decision: InjectionPolicy.Decision
  readonly explanation: Explanation.Explanation
}

/** The pod mutator. @category services @since 0.1.0 */
export class PodMutator extends Context.Service<
  PodMutator,
  {
    /** What admitting `pod` into `namespace` would do, with the decision's trace; reads, never writes. */
    readonly preview: (pod: Pod, namespace: string) => Effect.Effect<Preview, LookupError>
    /** The admission answer for a request; total. */
    readonly handle: (request: AdmissionReview.AdmissionRequest) => Effect.Effect<AdmissionReview.AdmissionResponse>
  }
>()("dynatrace-operator/webhook/PodMutator") {}

/**
 * The patch that records a failure on the raw pod (only the two `dynakube.dynatrace.com/*` annotations), or none
 * when the object has no metadata to annotate.
 * @category failOpen
 * @since 0.1.0
 */
export const failurePatch = (raw: unknown, reason: string): JsonPatch.JsonPatch => {
  if (typeof raw !== "object" || raw === null) return []
  const metadata = (raw as Record<string, unknown>)["metadata"]
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return []
  const annotations = (metadata as Record<string, unknown>)["annotations"]
  if (
    annotations !== undefined &&
    (typeof annotations !== "object" || annotations === null || Array.isArray(annotations))
  ) {
    return []
  }
  const next = {
    ...(raw as Record<string, unknown>),
    metadata: {
      ...metadata,
      annotations: {
        ...(annotations as Record<string, unknown> | undefined),
        [Keys.output.dynakube.injected]: "false",
        [Keys.output.dynakube.reason]: reason
      }
    }
  }
  return JsonPatch.get(raw as Schema.Json, next as Schema.Json)
}

const failOpen = (request: AdmissionReview.AdmissionRequest, reason: string, message: string) =>
  WebhookMetrics.recordOutcome("pod", reason).pipe(
    Effect.as(AdmissionReview.patched(request.uid, failurePatch(request.object, reason), `${reason}: ${message}`))
  )

const podLabel = (pod: Pod) => pod.metadata.name ?? pod.metadata.generateName ?? ""

/** Builds the mutator over an InjectionContext. @category constructors @since 0.1.0 */
export const make = (options: PodMutatorOptions) =>
  Effect.gen(function* () {
    const context = yield* InjectionContext
    const settings = options.settings
    const deadline = Duration.fromInputUnsafe(options.deadline ?? "3 seconds")

    const facts = Effect.fnUntraced(function* (pod: Pod, namespace: string) {
      const ns = yield* context.namespace(namespace)
      const name = Option.getOrUndefined(ns)?.metadata.labels?.[Keys.instanceLabel]
      const dynakube = name === undefined || name === "" ? Option.none() : yield* context.dynakube(name)
      return { settings, pod, namespace: ns, dynakube } satisfies InjectionPolicy.PodFacts
    })

    const source = (name: string) => ({ namespace: settings.operatorNamespace, name })

    const resources = Effect.fnUntraced(function* (
      d: Extract<InjectionPolicy.Decision, { _tag: "Evaluate" }>,
      namespace: string,
      dryRun: boolean
    ) {
      const dk = d.admitted.dynakube
      const dkName = DynaKubeInjection.nameOf(dk)
      const injects = DynaKubeInjection.oneAgentInjectionEnabled(dk) || DynaKubeInjection.metadataEnrichmentEnabled(dk)
      const otlpOn = InjectionPolicy.isOn(d.otlp)
      const needWorkload = (InjectionPolicy.isOn(d.metadata) && !InjectionPolicy.isInjected(d.admitted.pod)) || otlpOn
      const opts = { dryRun }
      const [bootstrapperConfig, , workload, otlpConfig, otlpCerts] = yield* Effect.all(
        [
          injects
            ? context.ensureSecret(
                namespace,
                Keys.names.bootstrapperConfigSecret,
                source(Keys.sourceSecret.bootstrapperConfig(dkName)),
                opts
              )
            : Effect.succeed(false),
          injects && DynaKubeInjection.needsCertsInput(dk)
            ? context.ensureSecret(
                namespace,
                Keys.names.bootstrapperCertsSecret,
                source(Keys.sourceSecret.bootstrapperCerts(dkName)),
                opts
              )
            : Effect.succeed(false),
          needWorkload ? Effect.result(context.workload(d.admitted.pod, namespace)) : Effect.succeed(undefined),
          otlpOn
            ? context.ensureSecret(
                namespace,
                Keys.names.otlpConfigSecret,
                source(Keys.sourceSecret.otlpConfig(dkName)),
                opts
              )
            : Effect.succeed(false),
          otlpOn
            ? context.ensureSecret(
                namespace,
                Keys.names.otlpCertsSecret,
                source(Keys.sourceSecret.otlpCerts(dkName)),
                opts
              )
            : Effect.succeed(false)
        ]
        // Sequential: these are cache hits nearly always (Secrets seen in the last minute, owners by uid), and
        // forking fibers for them costs more than it saves on the rare miss.
      )
      if (workload !== undefined && Result.isFailure(workload)) {
        yield* Effect.logWarning("Could not resolve the pod's owner").pipe(
          Effect.annotateLogs({ error: workload.failure.message })
        )
      }
      return {
        bootstrapperConfig,
        workload: workload !== undefined && Result.isSuccess(workload) ? workload.success : undefined,
        ownerLookupFailed: workload !== undefined && Result.isFailure(workload),
        otlpConfig,
        otlpCerts
      } satisfies InjectionPlan.Resources
    })

    // What the admission of `pod` comes to: the answer's reason and message, the patch and the Events. Shared by
    // the handler and `preview`, so a preview is exactly what an admission would do.
    const answer = Effect.fnUntraced(function* (
      decision: InjectionPolicy.Decision,
      pod: Pod,
      namespace: string,
      dryRun: boolean
    ) {
      if (decision._tag === "Skip") {
        const events: ReadonlyArray<InjectionPlan.PodEvent> =
          decision.reason === Reason.DynaKubeNotFound
            ? [{ type: "Warning", reason: "MissingDynakube", message: decision.message }]
            : []
        return { reason: decision.reason, message: decision.message, patch: [], pod, events } satisfies Answer
      }
      const planned = InjectionPlan.plan(decision, yield* resources(decision, namespace, dryRun))
      // The decoded pod equals the request object (decoding keeps every field) and shares every unchanged subtree
      // with the planned pod, so the diff skips them by reference; the patch applies to the request object as is.
      const patch = JsonPatch.get(pod as unknown as Schema.Json, planned.pod as unknown as Schema.Json)
      return { ...planned.outcome, patch, pod: planned.pod } satisfies Answer
    })

    const mutate = Effect.fnUntraced(function* (
      request: AdmissionReview.AdmissionRequest,
      pod: Pod,
      namespace: string
    ) {
      const decision = InjectionPolicy.decide(yield* facts(pod, namespace))
      const dryRun = request.dryRun === true
      const result = yield* answer(decision, pod, namespace, dryRun)
      yield* WebhookMetrics.recordOutcome("pod", result.reason)
      if (decision._tag === "Skip") {
        yield* Effect.logDebug("Left the pod unchanged").pipe(
          Effect.annotateLogs({ reason: decision.reason, rule: decision.rule })
        )
      } else {
        yield* Effect.logInfo("Admitted the pod").pipe(
          Effect.annotateLogs({ reason: result.reason, dynakube: DynaKubeInjection.nameOf(decision.admitted.dynakube) })
        )
      }
      if (!dryRun) {
        for (const event of result.events) yield* context.recordEvent(pod, namespace, event)
      }
      const message = `${result.reason}: ${result.message}`
      return decision._tag === "Skip"
        ? AdmissionReview.allow(request.uid, message)
        : AdmissionReview.patched(request.uid, result.patch, message)
    })

    const preview = Effect.fn("PodMutator.preview")(function* (pod: Pod, namespace: string) {
      const podFacts = yield* facts(pod, namespace)
      const decision = InjectionPolicy.decide(podFacts)
      const result = yield* answer(decision, pod, namespace, true)
      return { ...result, decision, explanation: Explanation.explain(podFacts) } satisfies Preview
    })

    // Untraced although a service method: this runs once per admission, and a span (stack capture, span ids,
    // span events for the log lines inside) cost ~20 µs of the ~140 µs the handler takes (bench/webhook.bench.ts,
    // docs/webhook.md §Benchmark) while no tracer is installed in the webhook to receive it.
    const handle = Effect.fnUntraced(function* (request: AdmissionReview.AdmissionRequest) {
      if (request.kind.kind !== "Pod" || request.kind.group !== "") {
        yield* WebhookMetrics.recordOutcome("pod", Reason.NotAPod)
        return AdmissionReview.allow(
          request.uid,
          `${Reason.NotAPod}: this endpoint mutates pods, not ${request.kind.kind}.`
        )
      }
      if (request.operation !== "CREATE") {
        yield* WebhookMetrics.recordOutcome("pod", Reason.NotCreate)
        return AdmissionReview.allow(request.uid, `${Reason.NotCreate}: only pod creation is mutated.`)
      }
      const decoded = decodePod(request.object)
      if (Result.isFailure(decoded)) {
        yield* WebhookMetrics.recordOutcome("pod", Reason.InvalidPod)
        return AdmissionReview.allow(request.uid, `${Reason.InvalidPod}: ${decoded.failure.message}`)
      }
      const pod = decoded.success
      const namespace = request.namespace ?? pod.metadata.namespace ?? ""
      return yield* mutate(request, pod, namespace).pipe(
        Effect.annotateLogs({ namespace, pod: podLabel(pod) }),
        Effect.timeoutOption(deadline),
        Effect.flatMap(
          Option.match({
            onSome: Effect.succeed,
            onNone: () =>
              Effect.logWarning("Admitted the pod without injection: the deadline passed").pipe(
                Effect.annotateLogs({ namespace, pod: podLabel(pod), deadline: Duration.format(deadline) }),
                Effect.andThen(failOpen(request, Reason.Timeout, `no answer within ${Duration.format(deadline)}`))
              )
          })
        ),
        Effect.catchCause((cause) =>
          Effect.logError("Admitted the pod without injection: the mutation failed").pipe(
            Effect.annotateLogs({ namespace, pod: podLabel(pod), error: Cause.pretty(cause).split("\n")[0] ?? "" }),
            Effect.andThen(
              failOpen(
                request,
                Reason.InternalError,
                Cause.squash(cause) instanceof Error ? (Cause.squash(cause) as Error).message : "internal error"
              )
            )
          )
        )
      )
    })

    return PodMutator.of({ preview, handle })
  })

/** The mutator layer. @category layers @since 0.1.0 */
export const layer = (options: PodMutatorOptions): Layer.Layer<PodMutator, never, InjectionContext> =>
  Layer.effect(PodMutator, make(options))
