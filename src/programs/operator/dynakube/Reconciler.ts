/**
 * The DynaKube reconcile (spec §2.2.1): snapshot → scope → ordered phases → status, written in one place.
 *
 * 1. Fetch the DynaKube with a GET (the cache may lag our own status writes). NotFound: unmap its namespaces and
 *    delete its replicas (`injection/Injection.ts` `cleanupInjection`, the one clean-up path), forget its tenant
 *    client, done.
 * 2. CRD version check: the CRD's `app.kubernetes.io/version` label differs from the operator version ⇒ a Warning
 *    Event `CRDVersionMismatch` (deduplicated), and on.
 * 3. Run the phases in order on a scope holding the snapshot and a status draft. Errors are collected, not
 *    short-circuited, except by phases marked `abortOnError` (tokens, kube-system).
 * 4. Result:
 *    - a tenant answer of 429 or 503 anywhere ⇒ log, status and phase untouched, look again in 1 minute;
 *    - other errors ⇒ phase `Error`, status written, the error returned (retried with backoff);
 *    - otherwise the phase is computed (§2.2.6) and the status written;
 *    - the status is written only when it differs from the one read (then `updatedTimestamp` = now), through the
 *      status subresource with the read resourceVersion; a Conflict is left to the next reconcile (the newer
 *      object triggers one);
 *    - the next look: the soonest interval any phase asked for, at most `DT_DEFAULT_REQUEUE_AFTER`.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Option, Schema } from "effect"
import { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import * as DynaKubeV1beta6 from "../../../schemas/DynaKubeV1beta6.ts"
import { DynatraceApiError, isUnreachable } from "../../../services/DynatraceApiError.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { parseKey } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import { EventRecorder, type Regarding, regardingObject } from "../EventRecorder.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import type { OperatorConfig } from "../OperatorConfig.ts"
import * as Conditions from "../runtime/Conditions.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import { TenantClients } from "../TenantClients.ts"
import * as Injection from "./injection/Injection.ts"
import * as Istio from "./istio/Istio.ts"
import * as Replicas from "./injection/Replicas.ts"
import * as Components from "./Components.ts"
import * as ConnectionInfo from "./ConnectionInfo.ts"
import * as DeploymentMetadata from "./DeploymentMetadata.ts"
import * as DeploymentPhase from "./DeploymentPhase.ts"
import * as ExtensionsPhase from "./extensions/ExtensionsPhase.ts"
import * as FeatureFlags from "./FeatureFlags.ts"
import * as Features from "./Features.ts"
import * as Kspm from "./kspm/Kspm.ts"
import * as KubeSystem from "./KubeSystem.ts"
import * as LogMonitoring from "./logmonitoring/LogMonitoring.ts"
import * as MonitoredEntity from "./MonitoredEntity.ts"
import * as Names from "./Names.ts"
import * as OtelCollectorPhase from "./otelc/OtelCollectorPhase.ts"
import type { OperatorContext } from "./oneagent/WorkloadParts.ts"
import * as Proxy from "./Proxy.ts"
import * as PullSecret from "./PullSecret.ts"
import {
  DynaKubeReconcileError,
  type Phase,
  type PhaseError,
  type ReconcileScope,
  shortRequeue,
  withoutUndefined
} from "./ReconcileScope.ts"
import * as Tokens from "./Tokens.ts"
import * as VersionResolution from "./VersionResolution.ts"

/** What the phases need. */
export type Services = OperatorCaches | KubeClient | TenantClients | EventRecorder

const decodeOption = Schema.decodeUnknownOption(DynaKube)

/** The phases in the original's order. */
export const phases: ReadonlyArray<Phase<Services>> = [
  Istio.operatorPhase,
  Tokens.phase,
  KubeSystem.phase,
  DeploymentMetadata.phase,
  Proxy.phase,
  ConnectionInfo.activeGatePhase,
  ConnectionInfo.oneAgentPhase,
  VersionResolution.phase,
  PullSecret.phase,
  MonitoredEntity.phase,
  Istio.activeGatePhase,
  Kspm.tokenPhase,
  Components.activeGate,
  ExtensionsPhase.phase,
  OtelCollectorPhase.phase,
  Istio.oneAgentPhase,
  Kspm.phase,
  LogMonitoring.phase,
  Components.makeInjection((raw) => decodeOption(raw)),
  Components.oneAgent
]

export const eventReasons = {
  crdVersionMismatch: "CRDVersionMismatch",
  reconcileError: "ReconcileError"
} as const

/** One failed phase. */
export interface PhaseFailure {
  readonly phase: string
  readonly error: PhaseError
}

/** The failures that make the whole reconcile wait a minute with the status untouched (429/503 from the tenant). */
export const unreachable = (failures: ReadonlyArray<PhaseFailure>): boolean =>
  failures.some((f) => f.error instanceof DynatraceApiError && isUnreachable(f.error))

/** Whether two statuses differ (canonical JSON, key order ignored). */
export const statusChanged = (before: unknown, after: unknown): boolean =>
  ObjectSync.canonicalJson(before ?? {}) !== ObjectSync.canonicalJson(after ?? {})

const decodeDynaKube = Schema.decodeUnknownEffect(DynaKube)

/** The CRD version label, cached for a few minutes per process (a CRD changes on upgrades only). */
const crdVersionCache = { value: undefined as string | undefined, readAt: 0 }
const crdVersionLabel = Effect.gen(function* () {
  const now = yield* Clock.currentTimeMillis
  if (now - crdVersionCache.readAt < 5 * 60_000) return crdVersionCache.value
  const kube = yield* KubeClient
  const crd = yield* kube.get<KubeObject>(Resources.CustomResourceDefinition, "dynakubes.dynatrace.com").pipe(
    Effect.map(Option.some),
    Effect.catch((error) =>
      Effect.logDebug("Could not read the DynaKube CRD for the version check.").pipe(
        Effect.annotateLogs({ error: error.message }),
        Effect.as(Option.none<KubeObject>())
      )
    )
  )
  if (Option.isNone(crd)) return undefined
  crdVersionCache.value = crd.value.metadata?.labels?.[Names.labelKeys.version] ?? ""
  crdVersionCache.readAt = now
  return crdVersionCache.value
})

const regardingOf = (raw: KubeObject): Regarding => regardingObject(DynaKubeV1beta6, raw)

/** Writes the status if it changed; true when written. A Conflict is swallowed (a newer object is on its way). */
const writeStatus = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    if (!statusChanged(scope.oldStatus, scope.status)) return false
    const kube = yield* KubeClient
    const status = withoutUndefined({ ...scope.status, updatedTimestamp: Conditions.formatTime(scope.now) })
    return yield* kube.updateStatus(Resources.DynaKube, { ...scope.raw, status } as KubeObject).pipe(
      Effect.as(true),
      Effect.catchReason("KubeApiError", "Conflict", () =>
        Effect.logDebug("The DynaKube changed meanwhile; its status is written by the next reconcile.").pipe(
          Effect.as(false)
        )
      ),
      Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(false))
    )
  })

/** The DynaKube is gone: unmap its namespaces and forget what was kept for it. */
const onNotFound = (key: string, name: string) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const cleanup = yield* Injection.cleanupInjection({
      dynakube: name,
      namespaces: yield* caches.namespaces.list(),
      replicas: Replicas.fromInformer(caches.replicas)
    })
    yield* (yield* TenantClients).drop(key)
    Components.forget(key)
    if (cleanup.errors.length > 0) {
      return yield* new DynaKubeReconcileError({
        message: `cleanup of a deleted DynaKube: ${cleanup.errors.map((e) => e.message).join("; ")}`
      })
    }
    return Controller.done
  })

/** Builds the reconcile function of the DynaKube controller. */
export const make = (config: OperatorConfig, operator: OperatorContext) => {
  const defaultResult = Controller.requeueAfter(config.defaultRequeueAfter)

  const reconcile = (key: string) =>
    Effect.gen(function* () {
      const { namespace = "", name } = parseKey(key)
      const kube = yield* KubeClient
      const events = yield* EventRecorder
      const fetched = yield* kube.get<KubeObject>(Resources.DynaKube, name, { namespace }).pipe(
        Effect.map(Option.some),
        Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<KubeObject>()))
      )
      if (Option.isNone(fetched)) return yield* onNotFound(key, name)
      const raw = fetched.value
      // Owned objects go with the garbage collector; namespaces are unmapped once the object is gone.
      if (raw.metadata?.deletionTimestamp !== undefined) return Controller.done
      const dk = yield* decodeDynaKube(raw).pipe(
        Effect.mapError((e) => new Controller.TerminalError({ message: `the DynaKube cannot be read: ${e.message}` }))
      )
      const regarding = regardingOf(raw)

      const crdVersion = yield* crdVersionLabel
      if (crdVersion !== undefined && crdVersion !== config.operatorVersion) {
        yield* events.event(
          regarding,
          "Warning",
          eventReasons.crdVersionMismatch,
          `The DynaKube CRD has version "${crdVersion}" but the operator is ${config.operatorVersion}; upgrade the CRD together with the operator.`
        )
      }

      const now = yield* Clock.currentTimeMillis
      const oldStatus = dk.status ?? {}
      const scope: ReconcileScope = {
        key,
        name,
        namespace,
        generation: raw.metadata?.generation,
        raw,
        dk,
        owner: { ...regarding, namespace },
        config,
        operator,
        features: Features.of(dk.spec, { kubemonOperand: config.kubemonOperand }),
        flags: FeatureFlags.read(raw, config.namespace),
        now,
        oldStatus,
        status: oldStatus,
        tenant: undefined,
        kubeSystemUUID: undefined,
        oneAgentConnectionInfo: undefined,
        activeGateConnectionInfo: undefined,
        oneAgentConnectionInfoPostponed: false,
        activeGateConnectionInfoPostponed: false
      }

      const failures: Array<PhaseFailure> = []
      let result = defaultResult
      for (const phase of phases) {
        const exit = yield* Effect.result(phase.run(scope))
        if (exit._tag === "Success") {
          result = Controller.soonest(result, exit.success)
          continue
        }
        failures.push({ phase: phase.name, error: exit.failure })
        if (phase.abortOnError === true) break
      }

      if (unreachable(failures)) {
        yield* Effect.logInfo("The Dynatrace API is rate limited or unavailable; looking again in a minute.").pipe(
          Effect.annotateLogs({ phases: failures.map((f) => f.phase).join(",") })
        )
        return shortRequeue
      }

      scope.status = {
        ...scope.status,
        phase: failures.length > 0 ? "Error" : yield* DeploymentPhase.compute(scope, Components.deployed)
      }
      yield* writeStatus(scope)

      if (failures.length > 0) {
        const message = failures.map((f) => `${f.phase}: ${f.error.message}`).join("; ")
        yield* events.event(regarding, "Warning", eventReasons.reconcileError, message)
        return yield* new DynaKubeReconcileError({ message })
      }
      return result
    }).pipe(
      Effect.catchTag("KubeApiError", (error) => Effect.fail(new DynaKubeReconcileError({ message: error.message }))),
      Effect.annotateLogs({ dynakube: key }),
      Effect.withSpan("DynaKubeReconciler.reconcile")
    )

  return reconcile
}

/** The requeue interval for "looked again too soon" cases, exported for tests. */
export const shortRequeueMillis = Duration.toMillis(Duration.minutes(1))
