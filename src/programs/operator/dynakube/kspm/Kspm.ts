/**
 * The KSPM phases of a DynaKube reconcile (spec §2.2.11, issue #4): Kubernetes security posture management.
 *
 * - `kspm-token` (runs before the ActiveGate, so its pods get the token hash in the same reconcile): the Secret
 *   `<dk>-kspm-token` is created once with a random token and kept; `status.kspm.tokenSecretHash` follows the
 *   Secret; condition `KSPMTokenSecret`. Without `spec.kspm` the Secret, the hash and the condition go.
 * - `kspm` (after the ActiveGate, the original's component order): the settings object (`KspmSettings.ts`,
 *   condition `KSPMSettings`), then the DaemonSet `<dk>-node-config-collector` (`KspmDaemonSet.ts`, condition
 *   `NodeConfigCollectorDaemonSet`), deleted when `spec.kspm` is removed.
 *
 * Reads come from the operator's caches and writes go through `ObjectSync`, so an unchanged DynaKube costs no
 * write; the tenant is asked at most once per `dynatraceApiRequestThreshold` (see `KspmSettings.settingsStep`).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { KubeClient } from "../../../../services/KubeClient.ts"
import { type KubeObject, keyOf } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import { EventRecorder } from "../../EventRecorder.ts"
import { OperatorCaches } from "../../OperatorCaches.ts"
import * as Controller from "../../runtime/Controller.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import { hasCapability } from "../Features.ts"
import {
  ComponentError,
  condition,
  type Phase,
  type ReconcileScope,
  removeCondition,
  setCondition,
  thresholdMillis,
  updateStatus
} from "../ReconcileScope.ts"
import { currentDynaKube, rawSecretData, recordKubeApiError, ensureWorkload } from "../workload/ComponentPhase.ts"
import * as KspmDaemonSet from "./KspmDaemonSet.ts"
import * as KspmSettings from "./KspmSettings.ts"
import * as KspmToken from "./KspmToken.ts"

/** Condition types, as the original names them. @category conditions @since 0.1.0 */
export const conditionTypes = {
  tokenSecret: "KSPMTokenSecret",
  settings: KspmSettings.conditionType,
  daemonSet: "NodeConfigCollectorDaemonSet"
} as const

const kubeApiErrorMessage = "A problem occurred when using the Kubernetes API"

/** A failed Kubernetes call shows on `type` with the original's fixed message. */
const kubeFailure = (scope: ReconcileScope, type: string) => recordKubeApiError(scope, type, kubeApiErrorMessage)

/** Sets `status.kspm.tokenSecretHash` (or removes the block) when it differs. */
const setTokenHash = (scope: ReconcileScope, hash: string | undefined): void => {
  if (scope.status.kspm?.tokenSecretHash === hash) return
  updateStatus(scope, { kspm: hash === undefined ? undefined : { ...scope.status.kspm, tokenSecretHash: hash } })
}

// ---------------------------------------------------------------------------------------------------------------------
// Token

/** The token Secret: created when missing (or when it lost its key), otherwise left alone. */
const ensureTokenSecret = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const kube = yield* KubeClient
    const name = KspmToken.tokenSecretName(scope.name)
    const existing = yield* caches.secrets.get(keyOf(scope.namespace, name))
    if (Option.isSome(existing) && (rawSecretData(existing.value)[KspmToken.tokenKey] ?? "") !== "") {
      return rawSecretData(existing.value)
    }
    if (Option.isSome(existing)) {
      yield* kube
        .delete(Resources.Secret, name, { namespace: scope.namespace })
        .pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void))
    }
    const secret = KspmToken.buildTokenSecret({
      dynakube: currentDynaKube(scope),
      operator: scope.operator,
      token: yield* Effect.sync(() => KspmToken.newToken())
    })
    const created = yield* kube.create(Resources.Secret, ObjectSync.withTemplateHash(secret)).pipe(
      // The cache had not seen a Secret that exists: keep that one (its token may already be in use).
      Effect.catchReason("KubeApiError", "AlreadyExists", () =>
        kube.get<KubeObject>(Resources.Secret, name, { namespace: scope.namespace })
      )
    )
    yield* Effect.logInfo("Created the KSPM token Secret.").pipe(Effect.annotateLogs({ secret: name }))
    return rawSecretData(created)
  })

/** Phase `kspm-token`: the token Secret and `status.kspm.tokenSecretHash`. */
export const tokenPhase: Phase<OperatorCaches | KubeClient> = {
  name: "kspm-token",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const name = KspmToken.tokenSecretName(scope.name)
      if (!scope.features.kspm) {
        yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, name, { read: caches.read })
        setTokenHash(scope, undefined)
        removeCondition(scope, conditionTypes.tokenSecret)
        return Controller.done
      }
      const data = yield* ensureTokenSecret(scope).pipe(kubeFailure(scope, conditionTypes.tokenSecret))
      setTokenHash(scope, KspmToken.tokenSecretHash(data))
      setCondition(scope, {
        type: conditionTypes.tokenSecret,
        status: "True",
        reason: "SecretCreated",
        message: `${name} created`
      })
      return Controller.done
    })
}

// ---------------------------------------------------------------------------------------------------------------------
// Settings

/** The settings part of the `kspm` phase: looked up and created at most once per threshold (a tenant call). */
export const reconcileSettings = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const tenant = scope.tenant
    if (tenant === undefined) return
    const step = KspmSettings.settingsStep({
      kubernetesMonitoring: scope.features.kubemon || hasCapability(scope.features, "kubernetes-monitoring"),
      condition: condition(scope, conditionTypes.settings),
      now: scope.now,
      thresholdMillis: thresholdMillis(scope),
      settingsRead: tenant.settingsRead,
      settingsWrite: tenant.settingsWrite,
      meid: scope.status.kubernetesClusterMEID
    })
    const set = (status: "True" | "False", reason: string, message: string) =>
      setCondition(scope, { type: conditionTypes.settings, status, reason, message })
    switch (step._tag) {
      case "Remove":
        return removeCondition(scope, conditionTypes.settings)
      case "Keep":
        return
      case "ScopeMissing":
        return set("False", KspmSettings.reasons.scopeMissing, step.message)
      case "Skipped":
        return set("False", KspmSettings.reasons.skipped, step.message)
      case "Check":
        break
    }
    const found = yield* tenant.api.settingsObjects(KspmSettings.schemaId, step.meid).pipe(
      Effect.flatMap((existing) =>
        existing.totalCount > 0
          ? Effect.succeed("existed" as const)
          : tenant.api
              .createSettingsObject(KspmSettings.settingsObject(step.meid, scope.features.kspm))
              .pipe(Effect.as("created" as const))
      ),
      Effect.map(Option.some),
      // A 403 means the token or the tenant does not allow it: recorded, and asked again after the threshold.
      Effect.catchIf(
        (error) => error.reason._tag === "MissingScopes",
        () => Effect.succeed(Option.none<"existed" | "created">())
      ),
      Effect.tapError(() => Effect.sync(() => set("False", KspmSettings.reasons.error, KspmSettings.messages.error)))
    )
    // Removed first so that lastTransitionTime records this look (the next one is due a threshold later).
    removeCondition(scope, conditionTypes.settings)
    if (Option.isNone(found)) {
      yield* Effect.logInfo("The KSPM settings cannot be managed with this token or tenant.")
      return set("False", KspmSettings.reasons.scopeMissing, KspmSettings.messages.forbidden)
    }
    if (found.value === "created") {
      yield* Effect.logInfo("Created the KSPM settings object.").pipe(
        Effect.annotateLogs({ configurationDatasetPipelineEnabled: scope.features.kspm })
      )
    }
    return set("True", KspmSettings.reasons.exists, KspmSettings.messages.exists)
  })

// ---------------------------------------------------------------------------------------------------------------------
// DaemonSet

/** The tenant UUID, from the OneAgent or the ActiveGate connection info (the original's `TenantUUID`). */
const tenantUUID = (scope: ReconcileScope): string | undefined => {
  const fromOneAgent = scope.status.oneAgent?.connectionInfoStatus?.tenantUUID ?? ""
  if (fromOneAgent !== "") return fromOneAgent
  const fromActiveGate = scope.status.activeGate?.connectionInfoStatus?.tenantUUID ?? ""
  return fromActiveGate === "" ? undefined : fromActiveGate
}

const reconcileDaemonSet = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const name = KspmDaemonSet.daemonSetName(scope.name)
    if (!scope.features.kspm) {
      yield* ObjectSync.ensureAbsent(Resources.DaemonSet, scope.namespace, name, { read: caches.read })
      removeCondition(scope, conditionTypes.daemonSet)
      return
    }
    const uuid = tenantUUID(scope)
    if (uuid === undefined) {
      return yield* new ComponentError({
        component: "kspm",
        message: "the tenant UUID is not known yet (no OneAgent or ActiveGate connection info)"
      })
    }
    const ds = KspmDaemonSet.buildKspmDaemonSet({
      dynakube: currentDynaKube(scope),
      operator: scope.operator,
      tenantUUID: uuid,
      kubemon: scope.features.kubemon
    })
    yield* ensureWorkload(scope, {
      type: conditionTypes.daemonSet,
      kind: "DaemonSet",
      object: ds,
      recreate: KspmDaemonSet.recreateKspmDaemonSet,
      whenUnchanged: "keep",
      kubeApiErrorMessage
    })
  })

/** Phase `kspm`: the settings object, then the node-config collector DaemonSet. */
export const phase: Phase<OperatorCaches | KubeClient | EventRecorder> = {
  name: "kspm",
  run: (scope) =>
    Effect.gen(function* () {
      yield* reconcileSettings(scope)
      yield* reconcileDaemonSet(scope)
      return Controller.done
    })
}
