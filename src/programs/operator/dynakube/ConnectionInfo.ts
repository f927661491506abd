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
  oneAgentStatus,
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

/** A tenant secret (`tenant-token`). */
export const tenantSecret = (
  scope: ReconcileScope,
  name: string,
  component: Names.Component,
  info: ConnectionInfo
): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: Names.ownedMetadata(
      scope.owner,
      name,
      Names.commonLabels(scope.name, component, scope.config.operatorVersion)
    ),
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
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: Names.ownedMetadata(
      scope.owner,
      name,
      Names.commonLabels(scope.name, component, scope.config.operatorVersion)
    ),
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

export const oneAgentPhase: Phase<OperatorCaches | KubeClient> = {
  name: "oneagent-connection-info",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const n = Names.names(scope.name)
      const needed = scope.features.hostAgent || scope.features.appInjection || scope.features.logMonitoring
      if (!needed || scope.tenant === undefined) {
        yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, n.oneAgentTenantSecret, { read: caches.read })
        yield* ObjectSync.ensureAbsent(Resources.ConfigMap, scope.namespace, n.oneAgentConnectionInfo, {
          read: caches.read
        })
        removeCondition(scope, conditionTypes.oneAgent)
        if (scope.status.oneAgent !== undefined) {
          const { connectionInfoStatus: _cleared, ...rest } = oneAgentStatus(scope)
          updateStatus(scope, { oneAgent: rest })
        }
        return Controller.done
      }
      const info = yield* scope.tenant.api.oneAgentConnectionInfo.pipe(
        Effect.tapError((error) => Effect.sync(() => apiErrorCondition(scope, conditionTypes.oneAgent, error)))
      )
      scope.oneAgentConnectionInfo = info
      updateStatus(scope, {
        oneAgent: {
          ...oneAgentStatus(scope),
          connectionInfoStatus: nextStatus(scope, scope.oldStatus.oneAgent?.connectionInfoStatus, info)
        }
      })
      const postpone = postponeReason(scope, info)
      if (postpone !== undefined) {
        scope.oneAgentConnectionInfoPostponed = true
        setCondition(scope, { type: conditionTypes.oneAgent, status: "False", ...postpone })
        yield* Effect.logInfo("OneAgent connection info is not usable yet; postponed.").pipe(
          Effect.annotateLogs({ dynakube: scope.key, reason: postpone.reason })
        )
        return shortRequeue
      }
      yield* ObjectSync.ensure(Resources.Secret, tenantSecret(scope, n.oneAgentTenantSecret, "oneagent", info), {
        read: caches.read
      })
      if (scope.features.hostAgent) {
        yield* ObjectSync.ensure(
          Resources.ConfigMap,
          connectionInfoConfigMap(scope, n.oneAgentConnectionInfo, "oneagent", info),
          { read: caches.read }
        )
      } else {
        yield* ObjectSync.ensureAbsent(Resources.ConfigMap, scope.namespace, n.oneAgentConnectionInfo, {
          read: caches.read
        })
      }
      setCondition(scope, {
        type: conditionTypes.oneAgent,
        status: "True",
        reason: reasons.secretCreated,
        message: `${n.oneAgentTenantSecret} created`
      })
      return Controller.done
    })
}

export const activeGatePhase: Phase<OperatorCaches | KubeClient> = {
  name: "activegate-connection-info",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const n = Names.names(scope.name)
      if (!scope.features.activeGate || scope.tenant === undefined) {
        yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, n.activeGateTenantSecret, {
          read: caches.read
        })
        yield* ObjectSync.ensureAbsent(Resources.ConfigMap, scope.namespace, n.activeGateConnectionInfo, {
          read: caches.read
        })
        removeCondition(scope, conditionTypes.activeGate)
        if (scope.status.activeGate !== undefined) {
          const { connectionInfoStatus: _cleared, ...rest } = activeGateStatus(scope)
          updateStatus(scope, { activeGate: rest })
        }
        return Controller.done
      }
      const info = yield* scope.tenant.api.activeGateConnectionInfo.pipe(
        Effect.tapError((error) => Effect.sync(() => apiErrorCondition(scope, conditionTypes.activeGate, error)))
      )
      scope.activeGateConnectionInfo = info
      updateStatus(scope, {
        activeGate: {
          ...activeGateStatus(scope),
          connectionInfoStatus: nextStatus(scope, scope.oldStatus.activeGate?.connectionInfoStatus, info)
        }
      })
      if (info.tenantUUID === "" || Redacted.value(info.tenantToken) === "") {
        scope.activeGateConnectionInfoPostponed = true
        setCondition(scope, {
          type: conditionTypes.activeGate,
          status: "False",
          reason: reasons.emptyCommunicationHosts,
          message: "The tenant returned no connection info for the ActiveGate; waiting for it."
        })
        return shortRequeue
      }
      yield* ObjectSync.ensure(Resources.Secret, tenantSecret(scope, n.activeGateTenantSecret, "activegate", info), {
        read: caches.read
      })
      yield* ObjectSync.ensure(
        Resources.ConfigMap,
        connectionInfoConfigMap(scope, n.activeGateConnectionInfo, "activegate", info),
        { read: caches.read }
      )
      setCondition(scope, {
        type: conditionTypes.activeGate,
        status: "True",
        reason: reasons.secretCreated,
        message: `${n.activeGateTenantSecret} created`
      })
      return Controller.done
    })
}
