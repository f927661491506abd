/**
 * The log monitoring phase of a DynaKube reconcile (spec §2.2.11, first bullet), after KSPM and before app
 * injection in the original's order.
 *
 * With `spec.logMonitoring` present and the OneAgent connection info usable:
 * 1. standalone (no host agent mode, whose OneAgents collect logs themselves): the Secret
 *    `<dk>-logmonitoring-config` (condition `LogMonitoringConfig`) and the DaemonSet `<dk>-logmonitoring`
 *    (condition `LogMonitoringDaemonSet`, an Event when written), its image from `templates.logMonitoring.imageRef`
 *    or else the tenant's public `logmodule` image (a cached tenant answer);
 * 2. the settings object `builtin:logmonitoring.log-storage-settings` in the cluster's MEID scope, created once
 *    when none exists (condition `LogMonitoringSettings`; skipped while the MEID is not known, or without the
 *    settings scopes), asked at most once per `dynatraceApiRequestThreshold` when it exists.
 *
 * Not standalone ⇒ Secret and DaemonSet deleted, their conditions removed; `logMonitoring` removed ⇒ the settings
 * condition goes too (the settings object stays in the tenant, as with the original). Postponed connection info ⇒
 * nothing happens this round (the connection-info phase already asked for an early look).
 *
 * Objects are read from the operator's caches and written only on change, so a steady DynaKube writes nothing.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as Resources from "../../../../services/kube/Resources.ts"
import type { KubeClient } from "../../../../services/KubeClient.ts"
import { EventRecorder } from "../../EventRecorder.ts"
import { OperatorCaches } from "../../OperatorCaches.ts"
import * as Controller from "../../runtime/Controller.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import {
  condition,
  type Phase,
  type ReconcileScope,
  removeCondition,
  setCondition,
  thresholdMillis
} from "../ReconcileScope.ts"
import { currentDynaKube, publicImage, recordKubeApiError, ensureWorkload } from "../workload/ComponentPhase.ts"
import * as Config from "./LogMonitoringConfig.ts"
import * as DaemonSet from "./LogMonitoringDaemonSet.ts"
import * as Settings from "./LogMonitoringSettings.ts"

/** The conditions this phase owns. @category constants @since 0.1.0 */
export const conditionTypes = {
  config: "LogMonitoringConfig",
  daemonSet: "LogMonitoringDaemonSet",
  settings: Settings.conditionType
} as const

/** @category constants @since 0.1.0 */
export const reasons = {
  secretCreated: "SecretCreated",
  daemonSetCreated: "DaemonSetCreated",
  daemonSetUpdated: "DaemonSetUpdated",
  kubeApiError: "KubeApiError"
} as const

/** The public image type of the log module. @category constants @since 0.1.0 */
export const publicImageType = "logmodule"

/** Deletes the standalone objects (if there) and forgets their conditions. */
const removeStandalone = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const read = { read: caches.read }
    yield* ObjectSync.ensureAbsent(Resources.DaemonSet, scope.namespace, DaemonSet.daemonSetName(scope.name), read)
    yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, Config.configSecretName(scope.name), read)
    removeCondition(scope, conditionTypes.daemonSet)
    removeCondition(scope, conditionTypes.config)
  })

/** The log module image: the template's, or the tenant's public `logmodule` image (served from the response cache). */
const resolveImage = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const fromTemplate = DaemonSet.templateImage(scope.dk)
    if (fromTemplate !== undefined) return fromTemplate
    return yield* publicImage(scope, "logmonitoring", [publicImageType])
  })

const reconcileStandalone = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const info = scope.oneAgentConnectionInfo
    if (info === undefined || scope.tenant === undefined) return
    const secretName = Config.configSecretName(scope.name)
    yield* ObjectSync.ensure(
      Resources.Secret,
      Config.buildConfigSecret({
        dynakube: currentDynaKube(scope),
        operatorVersion: scope.config.operatorVersion,
        tenantToken: info.tenantToken,
        proxy: scope.tenant.proxy
      }),
      { read: caches.read }
    ).pipe(recordKubeApiError(scope, conditionTypes.config))
    setCondition(scope, {
      type: conditionTypes.config,
      status: "True",
      reason: reasons.secretCreated,
      message: `${secretName} created`
    })

    const ds = DaemonSet.buildLogMonitoringDaemonSet({
      dynakube: currentDynaKube(scope),
      operator: scope.operator,
      image: yield* resolveImage(scope)
    })
    yield* ensureWorkload(scope, {
      type: conditionTypes.daemonSet,
      kind: "DaemonSet",
      object: ds,
      recreate: DaemonSet.recreateLogMonitoringDaemonSet,
      whenUnchanged: "keep"
    })
  })

/** The settings object: looked for (and created when missing) only when the condition says it is time. */
const reconcileSettings = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const tenant = scope.tenant
    if (tenant === undefined) return
    const previous = condition(scope, conditionTypes.settings)
    if (!Settings.isOutdated(previous, scope.now, thresholdMillis(scope))) return
    // A confirmed answer that aged out is dropped first, so confirming it again moves its transition time.
    if (previous?.status === "True") removeCondition(scope, conditionTypes.settings)

    const missing = [
      ...(tenant.settingsRead ? [] : ["settings.read"]),
      ...(tenant.settingsWrite ? [] : ["settings.write"])
    ]
    if (missing.length > 0) {
      setCondition(scope, Settings.scopeMissingCondition(missing))
      return
    }
    const meid = scope.status.kubernetesClusterMEID ?? ""
    if (meid === "") {
      setCondition(scope, Settings.skippedCondition(Settings.meidMissingMessage))
      return
    }
    const created = yield* Effect.gen(function* () {
      const existing = yield* tenant.api.settingsObjects(Settings.schemaId, meid)
      if (existing.totalCount > 0) return undefined
      return yield* tenant.api.createSettingsObject(Settings.settingsObject(currentDynaKube(scope), meid))
    }).pipe(
      Effect.map((objectId) => ({ ok: true as const, objectId })),
      Effect.catchReason("DynatraceApiError", "MissingScopes", () =>
        Effect.succeed({ ok: false as const, objectId: undefined })
      ),
      Effect.tapError(() => Effect.sync(() => setCondition(scope, Settings.errorCondition)))
    )
    if (!created.ok) {
      // Deviation: the original sets this only for platform tokens and otherwise asks again on every reconcile;
      // here a 403 waits for the request threshold like a missing scope.
      yield* Effect.logInfo("The token cannot manage log monitoring settings; skipped.")
      setCondition(scope, Settings.forbiddenCondition)
      return
    }
    setCondition(scope, Settings.existsCondition)
    if (created.objectId !== undefined) {
      yield* Effect.logInfo("Created the log monitoring settings object.").pipe(
        Effect.annotateLogs({ objectId: created.objectId })
      )
    }
  })

/**
 * The phase.
 * @category phases
 * @since 0.1.0
 */
export const phase: Phase<OperatorCaches | KubeClient | EventRecorder> = {
  name: "logmonitoring",
  run: (scope) =>
    Effect.gen(function* () {
      const enabled = scope.features.logMonitoring
      if (!enabled || scope.features.hostAgent) yield* removeStandalone(scope)
      if (!enabled) {
        removeCondition(scope, conditionTypes.settings)
        return Controller.done
      }
      if (scope.tenant === undefined) return Controller.done
      // Postponed or failed connection info: wait (the connection-info phase asked for an early look or failed).
      if (scope.oneAgentConnectionInfoPostponed || scope.oneAgentConnectionInfo === undefined) return Controller.done
      if (!scope.features.hostAgent) yield* reconcileStandalone(scope)
      yield* reconcileSettings(scope)
      return Controller.done
    })
}
