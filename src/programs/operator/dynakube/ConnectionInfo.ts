/**
 * OneAgent and ActiveGate connection info (spec §2.2.4 step 2, §2.2.5 steps 1–2, §2.2.3): what agents need to reach
 * the tenant, fetched from it and handed to components as objects.
 *
 * OneAgent (when host agents, app injection or log monitoring are on):
 * - `status.oneAgent.connectionInfoStatus` {tenantUUID, endpoints, tenantTokenHash, lastRequest};
 * - Secret `<dk>-oneagent-tenant-secret` (`tenant-token`); ConfigMap `<dk>-oneagent-connection-info`
 *   (`tenant-uuid`, `communication-endpoints`) only with host agents;
 * - no endpoints ⇒ `OneAgentConnectionInfo=False` (`EmptyCommunicationHosts`), and with a network zone and a routing
 *   ActiveGate whose Service IPs are not among the endpoints ⇒ `StaleNetworkZoneEndpoints`: both are "postponed"
 *   (host agents and injection wait, the reconcile looks again in a minute);
 * - nothing needs it ⇒ secret and ConfigMap deleted, condition and status cleared.
 *
 * ActiveGate (when an ActiveGate is enabled): `status.activeGate.connectionInfoStatus`, Secret
 * `<dk>-activegate-tenant-secret`, ConfigMap `<dk>-activegate-connection-info`; disabled ⇒ deleted and cleared.
 *
 * `lastRequest` moves only when the answer changed or the previous one is older than the request threshold, so
 * a steady-state reconcile (served from the response cache) leaves the status untouched.
 *
 * @since 0.1.0
 */
import { Effect, Redacted } from "effect"
import { createHash } from "node:crypto"
import type { ConnectionInfo as StatusConnectionInfo } from "../../../schemas/Shared.ts"
import type { ConnectionInfo } from "../../../services/DynatraceApi.ts"
import type { DynatraceApiError } from "../../../services/DynatraceApiError.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import type { KubeClient } from "../../../services/KubeClient.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import { hasCapability } from "./Features.ts"
import * as Names from "./Names.ts"
import {
  activeGateStatus,
  isStale,
  nowTime,
  type Phase,
  type ReconcileScope,
  removeCondition,
  setCondition,
  shortRequeue,
  updateStatus
} from "./ReconcileScope.ts"

export const conditionTypes = {
  oneAgent: "OneAgentConnectionInfo",
  activeGate: "ActiveGateConnectionInfo"
} as const

export const reasons = {
  emptyCommunicationHosts: "EmptyCommunicationHosts",
  staleNetworkZoneEndpoints: "StaleNetworkZoneEndpoints",
  secretCreated: "SecretCreated",
  dynatraceApiError: "DynatraceApiError"
} as const

/** Keys of the connection-info ConfigMaps and tenant secrets. */
export const keys = {
  tenantUUID: "tenant-uuid",
  endpoints: "communication-endpoints",
  tenantToken: "tenant-token"
} as const

/** A hash of the tenant token (components restart when it changes; the token itself never leaves the secret). */
export const tokenHash = (token: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(token)).digest("hex").slice(0, 16)

/** The new connection-info status; `lastRequest` kept when nothing changed and the old one is fresh. */
export const nextStatus = (
  scope: ReconcileScope,
  previous: StatusConnectionInfo | undefined,
  info: ConnectionInfo
): StatusConnectionInfo => {
  const next = { tenantUUID: info.tenantUUID, endpoints: info.endpoints, tenantTokenHash: tokenHash(info.tenantToken) }
  const same =
    previous !== undefined &&
    previous.tenantUUID === next.tenantUUID &&
    previous.endpoints === next.endpoints &&
    previous.tenantTokenHash === next.tenantTokenHash
  return {
    ...next,
    lastRequest:
      same && !isStale(scope, previous.lastRequest) && previous.lastRequest !== undefined
        ? previous.lastRequest
        : nowTime(scope)
  }
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

/** The head of a core object owned by the DynaKube, labelled for `component`. */
const ownedHead = (scope: ReconcileScope, kind: "Secret" | "ConfigMap", name: string, component: Names.Component) => ({
  apiVersion: "v1",
  kind,
  metadata: Names.ownedMetadata(
    scope.owner,
    name,
    Names.commonLabels(scope.name, component, scope.config.operatorVersion)
  )
})

/** A tenant secret (`tenant-token`). */
export const tenantSecret = (
  scope: ReconcileScope,
  name: string,
  component: Names.Component,
  info: ConnectionInfo
): KubeObject =>
  ({
    ...ownedHead(scope, "Secret", name, component),
    type: "Opaque",
    data: { [keys.tenantToken]: base64(Redacted.value(info.tenantToken)) }
  }) as KubeObject

/** A connection-info ConfigMap (`tenant-uuid`, `communication-endpoints`). */
export const connectionInfoConfigMap = (
  scope: ReconcileScope,
  name: string,
  component: Names.Component,
  info: ConnectionInfo
): KubeObject =>
  ({
    ...ownedHead(scope, "ConfigMap", name, component),
    data: { [keys.tenantUUID]: info.tenantUUID, [keys.endpoints]: info.endpoints }
  }) as KubeObject

/** A failed tenant call, as the condition says it (429/503 leave the status untouched anyway). */
const apiErrorCondition = (scope: ReconcileScope, type: string, error: DynatraceApiError) =>
  setCondition(scope, {
    type,
    status: "False",
    reason: reasons.dynatraceApiError,
    message: `Could not get the connection info: ${error.message}`
  })

/** Hosts of `;`-separated endpoint URLs (`https://10.0.0.1:443/communication` → `10.0.0.1`). */
export const endpointHosts = (endpoints: string): ReadonlyArray<string> =>
  endpoints
    .split(";")
    .map((e) => e.trim())
    .filter((e) => e !== "")
    .map((e) => (URL.canParse(e) ? new URL(e).hostname.replace(/^\[|\]$/g, "") : e))

/** Why OneAgent connection info cannot be used yet, if it cannot. */
export const postponeReason = (
  scope: ReconcileScope,
  info: ConnectionInfo
): { readonly reason: string; readonly message: string } | undefined => {
  if (info.communicationEndpoints.length === 0) {
    return {
      reason: reasons.emptyCommunicationHosts,
      message: "The tenant returned no communication endpoints for the OneAgents; waiting for them."
    }
  }
  const zone = scope.dk.spec.networkZone
  if (zone !== undefined && zone !== "" && hasCapability(scope.features, "routing")) {
    const serviceIPs = activeGateStatus(scope).serviceIPs ?? []
    const hosts = new Set(endpointHosts(info.endpoints))
    if (serviceIPs.length === 0 || !serviceIPs.some((ip) => hosts.has(ip))) {
      return {
        reason: reasons.staleNetworkZoneEndpoints,
        message: `The communication endpoints of network zone ${zone} do not yet include the ActiveGate; waiting for them.`
      }
    }
  }
  return undefined
}

/** Why ActiveGate connection info cannot be used yet, if it cannot. */
export const activeGatePostponeReason = (
  info: ConnectionInfo
): { readonly reason: string; readonly message: string } | undefined =>
  info.tenantUUID === "" || Redacted.value(info.tenantToken) === ""
    ? {
        reason: reasons.emptyCommunicationHosts,
        message: "The tenant returned no connection info for the ActiveGate; waiting for it."
      }
    : undefined

/** The status block that carries a `connectionInfoStatus`. */
type StatusBlock = "oneAgent" | "activeGate"

/** Sets (or, with `undefined`, clears) `status.<block>.connectionInfoStatus` in the draft. */
const setConnectionInfoStatus = (
  scope: ReconcileScope,
  block: StatusBlock,
  value: StatusConnectionInfo | undefined
): void => {
  const current = block === "oneAgent" ? scope.status.oneAgent : scope.status.activeGate
  if (value === undefined) {
    if (current === undefined) return
    const { connectionInfoStatus: _cleared, ...rest } = current
    updateStatus(scope, { [block]: rest })
  } else {
    updateStatus(scope, { [block]: { ...current, connectionInfoStatus: value } })
  }
}

/** What differs between the OneAgent and the ActiveGate connection info; the phase itself is one. */
interface Target {
  readonly phase: string
  /** Component name in log messages. */
  readonly label: string
  readonly conditionType: string
  readonly component: Names.Component
  readonly statusBlock: StatusBlock
  readonly secretName: (n: ReturnType<typeof Names.names>) => string
  readonly configMapName: (n: ReturnType<typeof Names.names>) => string
  readonly needed: (scope: ReconcileScope) => boolean
  readonly fetch: (
    api: NonNullable<ReconcileScope["tenant"]>["api"]
  ) => Effect.Effect<ConnectionInfo, DynatraceApiError>
  /** Hands the fetched info (with the token) to later phases of this reconcile. */
  readonly keep: (scope: ReconcileScope, info: ConnectionInfo) => void
  readonly postponeReason: (
    scope: ReconcileScope,
    info: ConnectionInfo
  ) => { readonly reason: string; readonly message: string } | undefined
  readonly markPostponed: (scope: ReconcileScope) => void
  /** Whether the connection-info ConfigMap is wanted (otherwise it is removed). */
  readonly wantsConfigMap: (scope: ReconcileScope) => boolean
}

const connectionInfoPhase = (target: Target): Phase<OperatorCaches | KubeClient> => ({
  name: target.phase,
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const n = Names.names(scope.name)
      const secretName = target.secretName(n)
      const configMapName = target.configMapName(n)
      if (!target.needed(scope) || scope.tenant === undefined) {
        yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, secretName, { read: caches.read })
        yield* ObjectSync.ensureAbsent(Resources.ConfigMap, scope.namespace, configMapName, { read: caches.read })
        removeCondition(scope, target.conditionType)
        setConnectionInfoStatus(scope, target.statusBlock, undefined)
        return Controller.done
      }
      const info = yield* target
        .fetch(scope.tenant.api)
        .pipe(Effect.tapError((error) => Effect.sync(() => apiErrorCondition(scope, target.conditionType, error))))
      target.keep(scope, info)
      setConnectionInfoStatus(
        scope,
        target.statusBlock,
        nextStatus(scope, scope.oldStatus[target.statusBlock]?.connectionInfoStatus, info)
      )
      const postpone = target.postponeReason(scope, info)
      if (postpone !== undefined) {
        target.markPostponed(scope)
        setCondition(scope, { type: target.conditionType, status: "False", ...postpone })
        yield* Effect.logInfo(`${target.label} connection info is not usable yet; postponed.`).pipe(
          Effect.annotateLogs({ dynakube: scope.key, reason: postpone.reason })
        )
        return shortRequeue
      }
      yield* ObjectSync.ensure(Resources.Secret, tenantSecret(scope, secretName, target.component, info), {
        read: caches.read
      })
      if (target.wantsConfigMap(scope)) {
        yield* ObjectSync.ensure(
          Resources.ConfigMap,
          connectionInfoConfigMap(scope, configMapName, target.component, info),
          { read: caches.read }
        )
      } else {
        yield* ObjectSync.ensureAbsent(Resources.ConfigMap, scope.namespace, configMapName, { read: caches.read })
      }
      setCondition(scope, {
        type: target.conditionType,
        status: "True",
        reason: reasons.secretCreated,
        message: `${secretName} created`
      })
      return Controller.done
    })
})

export const oneAgentPhase: Phase<OperatorCaches | KubeClient> = connectionInfoPhase({
  phase: "oneagent-connection-info",
  label: "OneAgent",
  conditionType: conditionTypes.oneAgent,
  component: "oneagent",
  statusBlock: "oneAgent",
  secretName: (n) => n.oneAgentTenantSecret,
  configMapName: (n) => n.oneAgentConnectionInfo,
  needed: (scope) => scope.features.hostAgent || scope.features.appInjection || scope.features.logMonitoring,
  fetch: (api) => api.oneAgentConnectionInfo,
  keep: (scope, info) => {
    scope.oneAgentConnectionInfo = info
  },
  postponeReason,
  markPostponed: (scope) => {
    scope.oneAgentConnectionInfoPostponed = true
  },
  // Only host agents read the ConfigMap; injection takes the tenant secret.
  wantsConfigMap: (scope) => scope.features.hostAgent
})

export const activeGatePhase: Phase<OperatorCaches | KubeClient> = connectionInfoPhase({
  phase: "activegate-connection-info",
  label: "ActiveGate",
  conditionType: conditionTypes.activeGate,
  component: "activegate",
  statusBlock: "activeGate",
  secretName: (n) => n.activeGateTenantSecret,
  configMapName: (n) => n.activeGateConnectionInfo,
  needed: (scope) => scope.features.activeGate,
  fetch: (api) => api.activeGateConnectionInfo,
  keep: (scope, info) => {
    scope.activeGateConnectionInfo = info
  },
  postponeReason: (_scope, info) => activeGatePostponeReason(info),
  markPostponed: (scope) => {
    scope.activeGateConnectionInfoPostponed = true
  },
  wantsConfigMap: () => true
})
