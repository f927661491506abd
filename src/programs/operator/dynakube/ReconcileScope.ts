/**
 * What one DynaKube reconcile knows and builds: the snapshot it works on (the DynaKube as read, its features and
 * feature flags, the operator's settings, the time), what earlier phases found out (the tenant client and token
 * facts, the kube-system UID, whether OneAgent connection info is postponed), and the status being computed.
 *
 * Phases read the scope and write only the status draft and the few facts later phases need; the reconciler
 * writes the status once, at the end (convention 6). Conditions always go through `setCondition` /
 * `removeCondition`, which stamp `observedGeneration` and move `lastTransitionTime` only when `status` changes.
 *
 * @since 0.1.0
 */
import { Duration, type Effect, type Redacted, Schema } from "effect"
import type { DynaKube, DynaKubeStatus } from "../../../schemas/DynaKubeV1beta6.ts"
import type { ConnectionInfo, DynatraceApi } from "../../../services/DynatraceApi.ts"
import type { DynatraceApiError } from "../../../services/DynatraceApiError.ts"
import type { KubeApiError } from "../../../services/KubeApiError.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import type { OperatorConfig } from "../OperatorConfig.ts"
import * as Conditions from "../runtime/Conditions.ts"
import * as Controller from "../runtime/Controller.ts"
import type * as FeatureFlags from "./FeatureFlags.ts"
import type { Features } from "./Features.ts"
import type * as Names from "./Names.ts"
import type { OperatorContext } from "./oneagent/WorkloadParts.ts"

/** The DynaKube asks for something that cannot work (a token secret without apiToken, a proxy secret without key). */
export class InvalidDynaKube extends Schema.TaggedError<InvalidDynaKube>()("InvalidDynaKube", {
  message: Schema.String
}) {}

/** A component (ActiveGate, injection, …) failed; `message` says what, never a secret. */
export class ComponentError extends Schema.TaggedError<ComponentError>()("ComponentError", {
  component: Schema.String,
  message: Schema.String
}) {}

/** What a phase can fail with: the tenant, the apiserver, the DynaKube itself, or a component. */
export type PhaseError = DynatraceApiError | KubeApiError | InvalidDynaKube | ComponentError

/** The reconcile failed; `message` lists the failed phases and why. Retried with backoff. */
export class DynaKubeReconcileError extends Schema.TaggedError<DynaKubeReconcileError>()("DynaKubeReconcileError", {
  message: Schema.String
}) {}

/** The tokens found in the token secret, as the client and the scope checks need them. */
export interface TenantContext {
  readonly api: DynatraceApi["Service"]
  readonly tokens: {
    readonly apiToken: Redacted.Redacted<string>
    readonly paasToken: Redacted.Redacted<string> | undefined
    readonly dataIngestToken: Redacted.Redacted<string> | undefined
  }
  /** `spec.proxy` resolved to a URL. */
  readonly proxy: Redacted.Redacted<string> | undefined
  /** The PEM bundle of the trustedCAs ConfigMap. */
  readonly trustedCAs: string | undefined
  /** The apiToken is a platform token (`dt0s16…`). */
  readonly platformToken: boolean
  readonly hasPaasToken: boolean
  readonly hasDataIngestToken: boolean
  /** The token the pull secret authenticates with (paasToken unless platform token, else apiToken). */
  readonly registryPassword: string
  /** settings.read available (always with a platform token). */
  readonly settingsRead: boolean
  readonly settingsWrite: boolean
  /** Images are resolved from the public registry (feature flag or platform token). */
  readonly publicRegistry: boolean
}

/** A mutable per-reconcile record: the snapshot plus what phases found. */
export interface ReconcileScope {
  readonly key: string
  readonly name: string
  readonly namespace: string
  readonly generation: number | undefined
  /** The DynaKube as read from the apiserver (JSON; its resourceVersion guards the status write). */
  readonly raw: KubeObject
  readonly dk: DynaKube
  readonly owner: Names.Owner & { readonly namespace: string }
  readonly config: OperatorConfig
  readonly features: Features
  readonly flags: FeatureFlags.FeatureFlags
  /** When this reconcile started (ms since epoch). */
  readonly now: number
  /** The status as read; `status` starts as a copy. */
  readonly oldStatus: DynaKubeStatus
  status: DynaKubeStatus
  /** What the workload builders need to know about the operator and the cluster. */
  readonly operator: OperatorContext
  tenant: TenantContext | undefined
  kubeSystemUUID: string | undefined
  /** The OneAgent connection info of this reconcile (with the tenant token); absent when not fetched or failed. */
  oneAgentConnectionInfo: ConnectionInfo | undefined
  /** The ActiveGate connection info of this reconcile; absent when not fetched or failed. */
  activeGateConnectionInfo: ConnectionInfo | undefined
  /** OneAgent connection info is not usable yet: host agents and injection wait (requeue in 1 minute). */
  oneAgentConnectionInfoPostponed: boolean
  /** ActiveGate connection info is not usable yet: the ActiveGate waits. */
  activeGateConnectionInfoPostponed: boolean
}

/** A reconcile phase: reads the scope, writes objects and the status draft, and may ask for an earlier look. */
export interface Phase<R> {
  readonly name: string
  /** A failure stops the reconcile (later phases would only fail the same way); otherwise errors are collected. */
  readonly abortOnError?: boolean
  readonly run: (scope: ReconcileScope) => Effect.Effect<Controller.Result, PhaseError, R>
}

/** "Look again in a minute": postponed connection info, transient states (spec §2.2.1). */
export const shortRequeue: Controller.Result = Controller.requeueAfter(Duration.minutes(1))

/** Replaces part of the status draft; a field given as `undefined` is removed. */
export const updateStatus = (
  scope: ReconcileScope,
  patch: { readonly [K in keyof DynaKubeStatus]?: DynaKubeStatus[K] | undefined }
): void => {
  scope.status = withoutUndefined({ ...scope.status, ...patch }) as DynaKubeStatus
}

/** A copy without the keys whose value is `undefined` (the JSON we write never has them). */
export const withoutUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T

/** Sets a condition (observedGeneration = the DynaKube's generation; transition time only on status change). */
export const setCondition = (scope: ReconcileScope, update: Conditions.ConditionUpdate): void => {
  scope.status = {
    ...scope.status,
    conditions: Conditions.set(scope.status.conditions ?? [], update, { now: scope.now, generation: scope.generation })
  }
}

/** Removes a condition if present. */
export const removeCondition = (scope: ReconcileScope, type: string): void => {
  const conditions = scope.status.conditions
  if (conditions === undefined) return
  const next = Conditions.remove(conditions, type)
  if (next !== conditions) scope.status = { ...scope.status, conditions: next }
}

/** The condition of `type` in the status draft. */
export const condition = (scope: ReconcileScope, type: string) => Conditions.find(scope.status.conditions, type)

/** The OneAgent status block, never undefined. */
export const oneAgentStatus = (scope: ReconcileScope): NonNullable<DynaKubeStatus["oneAgent"]> =>
  scope.status.oneAgent ?? {}

/** The ActiveGate status block, never undefined. */
export const activeGateStatus = (scope: ReconcileScope): NonNullable<DynaKubeStatus["activeGate"]> =>
  scope.status.activeGate ?? {}

/** The dynatraceApiRequestThreshold in milliseconds (default 15 minutes). */
export const thresholdMillis = (scope: ReconcileScope): number =>
  Duration.toMillis(Duration.minutes(scope.dk.spec.dynatraceApiRequestThreshold ?? 15))

/** True when `timestamp` (RFC 3339) is missing or older than the API request threshold. */
export const isStale = (scope: ReconcileScope, timestamp: string | undefined): boolean => {
  if (timestamp === undefined) return true
  const at = Date.parse(timestamp)
  return Number.isNaN(at) || scope.now - at >= thresholdMillis(scope)
}

/**
 * Condition-timestamp throttling (spec §2.2.7): tenant data kept under a condition (the MEID, enrichment rules, the
 * settings objects of KSPM and log monitoring, …) is fetched again when the condition is missing, `False` for a
 * reason other than `ScopeMissing`, or at least `thresholdMillis` old (or its time is unreadable).
 */
export const isOutdated = (
  cached: { readonly status: string; readonly reason: string; readonly lastTransitionTime: string } | undefined,
  now: number,
  thresholdMs: number
): boolean => {
  if (cached === undefined) return true
  if (cached.status === "False" && cached.reason !== "ScopeMissing") return true
  const at = Date.parse(cached.lastTransitionTime)
  return Number.isNaN(at) || now - at >= thresholdMs
}

/** The current time in the status' format. */
export const nowTime = (scope: ReconcileScope): string => Conditions.formatTime(scope.now)
