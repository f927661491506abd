/**
 * The component phases of a DynaKube reconcile (spec §2.2.1 step 6): ActiveGate, app injection, OneAgent — in that
 * order, each error collected. The objects are built by the pure builders in `activegate/` and `oneagent/`, and the
 * injection work by `injection/Injection.ts`; this file feeds them the reconcile's snapshot, applies what they
 * build through `ObjectSync` (cache reads, template-hash gated writes), and does the controller's parts: cleanup
 * when a component is switched off, "postponed" connection info, the ActiveGate auth token (a tenant call),
 * `status.activeGate.serviceIPs`, `status.oneAgent.instances` and `healthcheck`, conditions and Events.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Option, Redacted } from "effect"
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApiError } from "../../../services/DynatraceApiError.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import { type KubeObject, keyOf } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import { EventRecorder } from "../EventRecorder.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import * as ActiveGateSecrets from "./activegate/ActiveGateSecrets.ts"
import * as ActiveGateService from "./activegate/ActiveGateService.ts"
import * as ActiveGateStatefulSet from "./activegate/ActiveGateStatefulSet.ts"
import * as ActiveGateTls from "./activegate/ActiveGateTls.ts"
import * as Capabilities from "./activegate/Capabilities.ts"
import type { Deployed } from "./DeploymentPhase.ts"
import * as Injection from "./injection/Injection.ts"
import * as Replicas from "./injection/Replicas.ts"
import * as Names from "./Names.ts"
import * as Healthcheck from "./oneagent/Healthcheck.ts"
import * as OneAgentDaemonSet from "./oneagent/OneAgentDaemonSet.ts"
import { readWorkloadFlags } from "./oneagent/WorkloadFlags.ts"
import {
  activeGateStatus,
  ComponentError,
  condition,
  nowTime,
  oneAgentStatus,
  type Phase,
  type ReconcileScope,
  removeCondition,
  setCondition,
  shortRequeue,
  updateStatus
} from "./ReconcileScope.ts"
import { secretData } from "./Tokens.ts"
import { currentDynaKube, regarding } from "./workload/ComponentPhase.ts"

/** Which workloads this build deploys (the phase computation waits only for these). */
export const deployed: Deployed = { activeGateStatefulSet: true, oneAgentDaemonSet: true }

export const conditionTypes = {
  oneAgentDaemonSet: "OneAgentDaemonSet",
  activeGateStatefulSet: "ActiveGateStatefulSet",
  activeGateAuthTokenSecret: "ActiveGateAuthTokenSecret"
} as const

/**
 * Records the outcome of a workload write: a condition and an Event when something changed. Unlike the newer
 * components' `workloadWritten`, the condition names an update (`<Kind>Updated`, `<name> updated`).
 */
const workloadWritten = (
  scope: ReconcileScope,
  type: string,
  kind: "DaemonSet" | "StatefulSet",
  name: string,
  action: ObjectSync.SyncAction
) =>
  Effect.gen(function* () {
    if (action === "unchanged" && condition(scope, type)?.status === "True") return
    const reason = action === "updated" || action === "recreated" ? `${kind}Updated` : `${kind}Created`
    setCondition(scope, {
      type,
      status: "True",
      reason,
      message: `${name} ${action === "unchanged" ? "created" : action}`
    })
    if (action !== "unchanged") {
      yield* (yield* EventRecorder).event(regarding(scope), "Normal", reason, `${kind} ${name} ${action}.`)
    }
  })

const decodeText = (obj: Option.Option<KubeObject>, key: string): string | undefined =>
  Option.isNone(obj) ? undefined : secretData(obj.value)[key]

// ---------------------------------------------------------------------------------------------------------------------
// ActiveGate (spec §2.2.5)

/** The auth-token secret: created when missing, replaced when older than 29 days (a tenant call). */
const ensureAuthToken = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const kube = yield* KubeClient
    const name = Capabilities.activeGateNames(scope.name).authTokenSecret
    const existing = yield* caches.secrets.get(keyOf(scope.namespace, name))
    const now = yield* Clock.currentTimeMillis
    const created = Option.match(existing, {
      onNone: () => undefined,
      onSome: (s) => Date.parse(s.metadata?.creationTimestamp ?? "")
    })
    const token = decodeText(existing, ActiveGateSecrets.authTokenKey)
    if (
      created !== undefined &&
      token !== undefined &&
      token !== "" &&
      !ActiveGateSecrets.authTokenRotationDue(created, now)
    ) {
      setCondition(scope, {
        type: conditionTypes.activeGateAuthTokenSecret,
        status: "True",
        reason: "SecretCreated",
        message: ActiveGateSecrets.authTokenConditionMessage(created, now, Redacted.make(token))
      })
      return Redacted.make(token)
    }
    const fresh = yield* scope.tenant!.api.createActiveGateToken(scope.name)
    if (Option.isSome(existing)) {
      // Deleted and created again, so creationTimestamp (the rotation clock) starts over.
      yield* kube
        .delete(Resources.Secret, name, { namespace: scope.namespace })
        .pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void))
    }
    yield* kube.create(
      Resources.Secret,
      ObjectSync.withTemplateHash(
        ActiveGateSecrets.buildAuthTokenSecret({
          dynakube: currentDynaKube(scope),
          operator: scope.operator,
          token: fresh.token
        })
      )
    )
    setCondition(scope, {
      type: conditionTypes.activeGateAuthTokenSecret,
      status: "True",
      reason: "SecretCreated",
      message: ActiveGateSecrets.authTokenConditionMessage(now, now, fresh.token)
    })
    return fresh.token
  })

/** The user's custom properties text (inline or from their Secret). */
const customPropertiesText = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const source = ActiveGateSecrets.customPropertiesSource(scope.dk)
    if (source === undefined) return ""
    if ("value" in source) return source.value
    const caches = yield* OperatorCaches
    const secret = yield* caches.secrets.get(keyOf(scope.namespace, source.secretName))
    const text = decodeText(secret, ActiveGateSecrets.customPropertiesKey)
    if (text === undefined) {
      return yield* new ComponentError({
        component: "activegate",
        message: `custom properties secret ${scope.namespace}:${source.secretName} not found or without key customProperties`
      })
    }
    return text
  })

const reconcileActiveGateWorkload = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const read = { read: caches.read }
    const names = Capabilities.activeGateNames(scope.name)
    const flags = readWorkloadFlags(currentDynaKube(scope))
    yield* ObjectSync.ensure(
      Resources.ConfigMap,
      ActiveGateSecrets.buildDeploymentPropertiesConfigMap({
        dynakube: currentDynaKube(scope),
        operator: scope.operator
      }),
      read
    )
    const authToken = yield* ensureAuthToken(scope)
    if (!Capabilities.needsActiveGateStatefulSet(currentDynaKube(scope))) {
      yield* ObjectSync.ensureAbsent(Resources.StatefulSet, scope.namespace, names.statefulSet, read)
      yield* ObjectSync.ensureAbsent(Resources.Service, scope.namespace, names.service, read)
      removeCondition(scope, conditionTypes.activeGateStatefulSet)
      return Controller.done
    }
    const userText = yield* customPropertiesText(scope)
    const customProperties = ActiveGateSecrets.buildCustomPropertiesSecret({
      dynakube: currentDynaKube(scope),
      operator: scope.operator,
      flags,
      userText
    })
    const customName = ActiveGateSecrets.customPropertiesSecretName(currentDynaKube(scope))
    if (customProperties === undefined) {
      yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, customName, read)
    } else {
      yield* ObjectSync.ensure(Resources.Secret, customProperties, read)
    }

    const service = yield* ObjectSync.ensure(
      Resources.Service,
      ActiveGateService.buildActiveGateService({ dynakube: currentDynaKube(scope), operator: scope.operator }),
      read
    )
    const spec = (service.object as KubeObject & { spec?: { clusterIPs?: ReadonlyArray<string>; clusterIP?: string } })
      .spec
    const ips = spec?.clusterIPs ?? (spec?.clusterIP === undefined ? [] : [spec.clusterIP])
    const serviceIPs = ips.filter((ip) => ip !== "" && ip !== "None")
    if (serviceIPs.length === 0) return shortRequeue
    if ((activeGateStatus(scope).serviceIPs ?? []).join(",") !== serviceIPs.join(",")) {
      updateStatus(scope, { activeGate: { ...activeGateStatus(scope), serviceIPs } })
    }

    if (Capabilities.needsAutomaticTlsSecret(currentDynaKube(scope), flags)) {
      const existing = yield* caches.secrets.get(keyOf(scope.namespace, names.autoTlsSecret))
      // Created once (no rotation, as the original); generating an RSA 4096 key takes a moment.
      if (Option.isNone(existing)) {
        const tls = yield* ActiveGateTls.buildActiveGateTlsSecret({
          dynakube: currentDynaKube(scope),
          operator: scope.operator
        }).pipe(Effect.mapError((e) => new ComponentError({ component: "activegate", message: e.message })))
        yield* ObjectSync.ensure(Resources.Secret, tls, read)
      }
    } else {
      yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, names.autoTlsSecret, read)
    }

    const live = yield* caches.statefulSets.get(keyOf(scope.namespace, names.statefulSet))
    const currentReplicas = Option.match(live, {
      onNone: () => undefined,
      onSome: (sts) => (sts as KubeObject & { spec?: { replicas?: number } }).spec?.replicas
    })
    const sts = ActiveGateStatefulSet.buildActiveGateStatefulSet({
      dynakube: currentDynaKube(scope),
      operator: scope.operator,
      configurationHash: ActiveGateSecrets.activeGateConfigurationHash({
        customProperties: userText,
        authToken,
        resourceAttributes: scope.dk.spec.resourceAttributes
      }),
      currentReplicas
    })
    const written = yield* ObjectSync.ensure(Resources.StatefulSet, sts, {
      read: caches.read,
      recreate: ActiveGateStatefulSet.recreateActiveGateStatefulSet
    })
    yield* workloadWritten(
      scope,
      conditionTypes.activeGateStatefulSet,
      "StatefulSet",
      names.statefulSet,
      written.action
    )
    return Controller.done
  })

export const activeGate: Phase<OperatorCaches | KubeClient | EventRecorder> = {
  name: "activegate",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const read = { read: caches.read }
      const names = Capabilities.activeGateNames(scope.name)
      if (!scope.features.activeGate || scope.tenant === undefined) {
        yield* ObjectSync.ensureAbsent(Resources.StatefulSet, scope.namespace, names.statefulSet, read)
        yield* ObjectSync.ensureAbsent(Resources.Service, scope.namespace, names.service, read)
        yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, names.authTokenSecret, read)
        yield* ObjectSync.ensureAbsent(Resources.ConfigMap, scope.namespace, names.deploymentProperties, read)
        removeCondition(scope, conditionTypes.activeGateStatefulSet)
        removeCondition(scope, conditionTypes.activeGateAuthTokenSecret)
        if (scope.status.activeGate?.serviceIPs !== undefined) {
          const { serviceIPs: _ips, ...rest } = activeGateStatus(scope)
          updateStatus(scope, { activeGate: Object.keys(rest).length === 0 ? undefined : rest })
        }
        return Controller.done
      }
      // Without usable connection info (postponed, or its call failed) the workload waits.
      if (scope.activeGateConnectionInfoPostponed || scope.activeGateConnectionInfo === undefined) {
        return Controller.done
      }
      return yield* reconcileActiveGateWorkload(scope)
    })
}

// ---------------------------------------------------------------------------------------------------------------------
// App injection (spec §2.2.9)

/** The DynaKubes of the operator namespace, decoded (those that cannot be read are skipped). */
const allDynaKubes = (scope: ReconcileScope, decode: (raw: KubeObject) => Option.Option<DynaKube>) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const raws = yield* caches.dynakubes.list({ namespace: scope.namespace })
    return raws.flatMap((raw) => Option.toArray(decode(raw)))
  })

export const makeInjection = (
  decode: (raw: KubeObject) => Option.Option<DynaKube>
): Phase<OperatorCaches | KubeClient> => ({
  name: "injection",
  run: (scope) =>
    Effect.gen(function* () {
      const waiting = scope.oneAgentConnectionInfoPostponed || scope.oneAgentConnectionInfo === undefined
      if (waiting && scope.features.appInjection) return Controller.done
      if (scope.tenant === undefined) return Controller.done
      const caches = yield* OperatorCaches
      const info = scope.oneAgentConnectionInfo
      const result = yield* Injection.reconcileInjection({
        dynakube: currentDynaKube(scope),
        allDynaKubes: yield* allDynaKubes(scope, decode),
        namespaces: yield* caches.namespaces.list(),
        operatorNamespace: scope.config.namespace,
        operatorVersion: scope.config.operatorVersion,
        tenant: scope.tenant.api,
        tokens: { apiToken: scope.tenant.tokens.apiToken, dataIngestToken: scope.tenant.tokens.dataIngestToken },
        connectionInfo: {
          tenantUUID: info?.tenantUUID ?? "",
          tenantToken: info?.tenantToken ?? Redacted.make(""),
          endpoints: info?.endpoints ?? ""
        },
        kubeSystemUUID: scope.kubeSystemUUID ?? "",
        kubernetesClusterMEID: scope.status.kubernetesClusterMEID,
        csiDriver: scope.config.modules.csiDriver,
        settingsRead: scope.tenant.settingsRead,
        proxy: scope.tenant.proxy,
        trustedCAs: scope.tenant.trustedCAs,
        read: caches.read,
        replicas: Replicas.fromInformer(caches.replicas),
        conditions: scope.status.conditions,
        now: scope.now
      })
      scope.status = {
        ...scope.status,
        conditions: Injection.applyConditions(scope.status.conditions ?? [], result, {
          now: scope.now,
          generation: scope.generation
        })
      }
      if (result.metadataEnrichmentRules === null) updateStatus(scope, { metadataEnrichment: undefined })
      else if (result.metadataEnrichmentRules !== undefined) {
        updateStatus(scope, { metadataEnrichment: { rules: result.metadataEnrichmentRules } })
      }
      if (result.errors.length > 0) {
        const unreachable = result.errors.find(
          (e) => e.reason._tag === "DynatraceApi" && Injection.isUnreachable({ errors: [e] })
        )
        if (unreachable !== undefined && unreachable.reason._tag === "DynatraceApi") {
          return yield* Effect.fail(unreachable.reason.error as DynatraceApiError)
        }
        return yield* new ComponentError({
          component: "injection",
          message: result.errors.map((e) => e.message).join("; ")
        })
      }
      return Controller.done
    })
})

// ---------------------------------------------------------------------------------------------------------------------
// OneAgent (spec §2.2.4)

interface Pod extends KubeObject {
  readonly spec?: { readonly nodeName?: string | undefined } | undefined
  readonly status?: { readonly hostIP?: string | undefined } | undefined
}

/** Last refresh of `status.oneAgent.instances` per DynaKube (in memory, so a refresh writes only on change). */
const instancesCheckedAt = new Map<string, number>()

/** Forgets the per-DynaKube memory of a deleted DynaKube. */
export const forget = (key: string): void => void instancesCheckedAt.delete(key)

/**
 * `status.oneAgent.instances`: the DaemonSet's pods by node, refreshed at most every ONEAGENT_OPERATOR_UPDATE_INTERVAL.
 * A reconcile that comes too soon (say, the DaemonSet's pod just became ready) asks for a look once the interval is
 * over, so a change is never left waiting for the default requeue.
 */
const refreshInstances = (scope: ReconcileScope, daemonSetUid: string | undefined) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const last = instancesCheckedAt.get(scope.key)
    const interval = Duration.toMillis(scope.config.oneAgentUpdateInterval)
    if (last !== undefined && now - last < interval) return Controller.requeueAfter(interval - (now - last))
    if (daemonSetUid === undefined) return Controller.done
    instancesCheckedAt.set(scope.key, now)
    const kube = yield* KubeClient
    const pods = yield* kube.listAll<Pod>(Resources.Pod, {
      namespace: scope.namespace,
      labelSelector: `${Names.labelKeys.createdBy}=${scope.name},${Names.labelKeys.name}=${OneAgentDaemonSet.oneAgentComponent}`
    })
    const instances: Record<string, { podName: string; ipAddress: string }> = {}
    for (const pod of pods.items) {
      if (!(pod.metadata?.ownerReferences ?? []).some((r) => r.uid === daemonSetUid)) continue
      const node = pod.spec?.nodeName
      if (node === undefined || node === "") continue
      instances[node] = { podName: pod.metadata?.name ?? "", ipAddress: pod.status?.hostIP ?? "" }
    }
    const previous = scope.oldStatus.oneAgent?.instances ?? {}
    if (ObjectSync.canonicalJson(previous) !== ObjectSync.canonicalJson(instances)) {
      updateStatus(scope, {
        oneAgent: { ...oneAgentStatus(scope), instances, lastInstanceStatusUpdate: nowTime(scope) }
      })
    }
    return Controller.done
  })

/** The process-grouping config hash of `<dk>-bootstrapper-config` (`declarative.cbor`), if there is one. */
const processGroupingConfigHash = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const source = yield* caches.secrets.get(keyOf(scope.namespace, Names.names(scope.name).bootstrapperConfig))
    if (Option.isNone(source)) return undefined
    const data = (source.value as KubeObject & { data?: Readonly<Record<string, string>> }).data?.["declarative.cbor"]
    return data === undefined ? undefined : OneAgentDaemonSet.processGroupingConfigHash(Buffer.from(data, "base64"))
  })

export const oneAgent: Phase<OperatorCaches | KubeClient | EventRecorder> = {
  name: "oneagent",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const n = Names.names(scope.name)
      yield* ObjectSync.ensureAbsent(Resources.DaemonSet, scope.namespace, n.classicDaemonSet, { read: caches.read })
      if (!scope.features.hostAgent || scope.tenant === undefined) {
        yield* ObjectSync.ensureAbsent(Resources.DaemonSet, scope.namespace, n.oneAgentDaemonSet, { read: caches.read })
        removeCondition(scope, conditionTypes.oneAgentDaemonSet)
        if (scope.status.oneAgent?.instances !== undefined || scope.status.oneAgent?.healthcheck !== undefined) {
          const { instances: _i, lastInstanceStatusUpdate: _l, healthcheck: _h, ...rest } = oneAgentStatus(scope)
          updateStatus(scope, { oneAgent: Object.keys(rest).length === 0 ? undefined : rest })
        }
        forget(scope.key)
        return Controller.done
      }
      if (scope.oneAgentConnectionInfoPostponed || scope.oneAgentConnectionInfo === undefined) return Controller.done
      const healthcheck = Healthcheck.oneAgentHealthcheck(scope.status.oneAgent?.version)
      if (healthcheck !== undefined) {
        updateStatus(scope, { oneAgent: { ...oneAgentStatus(scope), healthcheck } })
      }
      const ds = OneAgentDaemonSet.buildOneAgentDaemonSet({
        dynakube: currentDynaKube(scope),
        operator: scope.operator,
        processGroupingConfigHash: yield* processGroupingConfigHash(scope)
      })
      if (ds === undefined) return Controller.done
      const written = yield* ObjectSync.ensure(Resources.DaemonSet, ds, {
        read: caches.read,
        recreate: OneAgentDaemonSet.recreateOneAgentDaemonSet
      })
      yield* workloadWritten(scope, conditionTypes.oneAgentDaemonSet, "DaemonSet", n.oneAgentDaemonSet, written.action)
      return yield* refreshInstances(scope, written.object.metadata?.uid)
    })
}
