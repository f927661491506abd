/**
 * The Kubernetes entity / settings reconciler (spec §2.2.10): the cluster's monitored-entity id (MEID) and name
 * from the tenant's `builtin:cloud.kubernetes` settings object, in `status.kubernetesClusterMEID` /
 * `status.kubernetesClusterName`, and the registration of the cluster when it is asked for.
 *
 * 1. Without `settings.read` on the API token ⇒ condition `MonitoredEntity=False` (reason `ScopeMissing`), nothing
 *    else. A 403 from any settings call counts the same.
 * 2. The MEID is refreshed only when it is stale: the `MonitoredEntity` condition is missing, `False` (unless
 *    `ScopeMissing`), or its `lastTransitionTime` is older than `dynatraceApiRequestThreshold` (spec §2.2.7). A
 *    refresh looks the cluster up by the kube-system UID; the first item's `scope` is the MEID, `value.label` the name;
 *    no item clears both (a setting deleted on the tenant is respected).
 * 3. Registration is enabled by the ActiveGate `kubernetes-monitoring` capability with the feature flag
 *    `automatic-kubernetes-api-monitoring` (default true), or by `spec.kubernetesMonitoring.registration`. With
 *    `settings.write` and no MEID, the cluster is registered (`builtin:cloud.kubernetes`, schema 3.0.0, falling back
 *    to 1.0.27 on 404 inside the client), then the MEID is polled a few times so later phases (log monitoring, KSPM,
 *    enrichment) see it in this very reconcile. An empty MEID with registration possible forces a look-up, so a
 *    cluster is never registered twice on the strength of an old answer.
 * 4. With the (deprecated) feature flag `k8s-app-enabled`, after a refresh, `builtin:app-transition.kubernetes` is
 *    created for the MEID when it has none (a tenant without the schema answers 404: skipped).
 *
 * A refresh marks the condition `StatusOutdated` first and `StatusUpdated` on success, so `lastTransitionTime` is
 * the time of the last successful look-up. Deviation from the original: a look-up that finds no entity also counts as
 * up to date (the original keeps the condition `False` and asks the tenant on every reconcile); it is repeated after
 * the threshold, and at once when registration is possible.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option } from "effect"
import type { DynaKubeSpec } from "../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApi } from "../../../services/DynatraceApi.ts"
import type * as SettingsApi from "../../../services/dynatrace/Settings.ts"
import * as SettingsSchemas from "../../../services/dynatrace/Settings.ts"
import type { DynatraceApiError } from "../../../services/DynatraceApiError.ts"
import type { Condition } from "../runtime/Conditions.ts"
import * as Controller from "../runtime/Controller.ts"
import type { FeatureFlags } from "./FeatureFlags.ts"
import { type Features, hasCapability } from "./Features.ts"
import {
  ComponentError,
  condition,
  isOutdated,
  type Phase,
  type ReconcileScope,
  setCondition,
  thresholdMillis,
  updateStatus
} from "./ReconcileScope.ts"

export const conditionType = "MonitoredEntity"

export const reasons = {
  statusUpdated: "StatusUpdated",
  statusOutdated: "StatusOutdated",
  scopeMissing: "ScopeMissing"
} as const

export const messages = {
  readScopeMissing: "The apiToken lacks the optional scope settings.read; the cluster's monitored entity is unknown.",
  writeScopeMissing:
    "The tenant refused to write settings (settings.write missing); the cluster could not be registered.",
  outdated: "kubernetesClusterMEID is outdated in the status.",
  found: (meid: string) => `kubernetesClusterMEID is up to date (${meid}).`,
  notFound: "The tenant knows no Kubernetes cluster entity for this cluster (kube-system UID).",
  lookupFailed: (error: string) => `Could not look up the Kubernetes cluster entity: ${error}`,
  notYetAvailable: "The cluster was registered but its monitored entity is not available yet."
} as const

/** How often, and how far apart, the MEID is polled after a registration. */
export const pollAttempts = 5
export const pollSpacingMillis = 200

// ---------------------------------------------------------------------------------------------------------------------
// Decisions (pure)
// ---------------------------------------------------------------------------------------------------------------------

/** True when the cached MEID must be looked up again (spec §2.2.7, condition-timestamp throttling). */
export { isOutdated }

/** Registration asked for: AG `kubernetes-monitoring` + feature flag, or `spec.kubernetesMonitoring.registration`. */
export const registrationEnabled = (spec: DynaKubeSpec, features: Features, flags: FeatureFlags): boolean =>
  (spec.kubernetesMonitoring?.registration !== undefined && spec.kubernetesMonitoring.registration !== null) ||
  (hasCapability(features, "kubernetes-monitoring") && flags.automaticKubernetesApiMonitoring)

/** The label a registration uses: kubemon `registration.clusterName`, the feature flag, else the DynaKube's name. */
export const registrationClusterName = (spec: DynaKubeSpec, flags: FeatureFlags, dynakube: string): string => {
  const fromSpec = spec.kubernetesMonitoring?.registration?.clusterName ?? ""
  if (fromSpec !== "") return fromSpec
  if (flags.automaticKubernetesApiMonitoringClusterName !== "") return flags.automaticKubernetesApiMonitoringClusterName
  return dynakube
}

/** What the reconciler knows before it decides. */
export interface DecisionInput {
  readonly settingsRead: boolean
  readonly settingsWrite: boolean
  readonly condition: Condition | undefined
  readonly meid: string
  readonly registration: boolean
  readonly k8sAppEnabled: boolean
  readonly now: number
  readonly thresholdMs: number
}

/** What this reconcile does. */
export type Plan =
  | { readonly _tag: "ScopeMissing" }
  | { readonly _tag: "Cached" }
  | {
      readonly _tag: "Refresh"
      /** Register the cluster when the look-up finds no entity. */
      readonly register: boolean
      /** Ensure the app-transition setting for the MEID. */
      readonly appTransition: boolean
    }

/** The plan of one reconcile. */
export const decide = (input: DecisionInput): Plan => {
  if (!input.settingsRead) return { _tag: "ScopeMissing" }
  const register = input.registration && input.settingsWrite
  const scopeMissing = input.condition?.reason === reasons.scopeMissing && input.condition.status === "False"
  // Before registering, look again: another operator (or a person) may have registered the cluster meanwhile.
  const mustLook = register && input.meid === "" && !scopeMissing
  if (!mustLook && !isOutdated(input.condition, input.now, input.thresholdMs)) return { _tag: "Cached" }
  return { _tag: "Refresh", register, appTransition: register && input.k8sAppEnabled }
}

// ---------------------------------------------------------------------------------------------------------------------
// The phase
// ---------------------------------------------------------------------------------------------------------------------

const isForbidden = (error: DynatraceApiError) => error.reason._tag === "MissingScopes"

const scopeMissing = (scope: ReconcileScope, message: string) =>
  setCondition(scope, { type: conditionType, status: "False", reason: reasons.scopeMissing, message })

const applyEntity = (scope: ReconcileScope, entity: Option.Option<SettingsApi.KubernetesClusterEntity>) => {
  if (Option.isSome(entity)) {
    updateStatus(scope, { kubernetesClusterMEID: entity.value.meid, kubernetesClusterName: entity.value.label })
  } else {
    updateStatus(scope, { kubernetesClusterMEID: undefined, kubernetesClusterName: undefined })
  }
  setCondition(scope, {
    type: conditionType,
    status: "True",
    reason: reasons.statusUpdated,
    message: Option.isSome(entity) ? messages.found(entity.value.meid) : messages.notFound
  })
}

/** Polls the MEID after a registration (the entity appears shortly after the settings object). */
const pollEntity = (api: DynatraceApi["Service"], kubeSystemUUID: string) =>
  Effect.gen(function* () {
    for (let attempt = 1; attempt <= pollAttempts; attempt++) {
      const entity = yield* api.kubernetesClusterEntity(kubeSystemUUID)
      if (Option.isSome(entity)) return entity
      if (attempt < pollAttempts) yield* Effect.sleep(Duration.millis(pollSpacingMillis))
    }
    return Option.none<SettingsApi.KubernetesClusterEntity>()
  })

/** Creates the app-transition setting for `meid` unless it has one; a tenant without the schema is skipped. */
const ensureAppTransition = (api: DynatraceApi["Service"], meid: string) =>
  Effect.gen(function* () {
    const existing = yield* api.settingsObjects(SettingsSchemas.AppTransitionSchemaId, meid).pipe(
      Effect.map(Option.some),
      Effect.catchIf(
        (error) => error.reason._tag === "NotFound",
        () =>
          Effect.logInfo("The tenant has no app-transition schema; skipped.").pipe(
            Effect.as(Option.none<{ readonly totalCount: number }>())
          )
      )
    )
    if (Option.isNone(existing) || existing.value.totalCount > 0) return
    const objectId = yield* api.createSettingsObject(SettingsSchemas.appTransitionObject(meid))
    yield* Effect.logInfo("Created the Kubernetes app-transition setting.").pipe(
      Effect.annotateLogs({ kubernetesClusterMEID: meid, objectId })
    )
  })

const refresh = (
  scope: ReconcileScope,
  api: DynatraceApi["Service"],
  kubeSystemUUID: string,
  plan: Extract<Plan, { _tag: "Refresh" }>
) =>
  Effect.gen(function* () {
    setCondition(scope, {
      type: conditionType,
      status: "False",
      reason: reasons.statusOutdated,
      message: messages.outdated
    })
    const looked = yield* Effect.result(api.kubernetesClusterEntity(kubeSystemUUID))
    if (looked._tag === "Failure") {
      if (isForbidden(looked.failure)) return scopeMissing(scope, messages.readScopeMissing)
      setCondition(scope, {
        type: conditionType,
        status: "False",
        reason: reasons.statusOutdated,
        message: messages.lookupFailed(looked.failure.message)
      })
      return yield* looked.failure
    }
    applyEntity(scope, looked.success)
    if (Option.isSome(looked.success)) {
      yield* Effect.logDebug("Looked up the Kubernetes cluster entity.").pipe(
        Effect.annotateLogs({ kubernetesClusterMEID: looked.success.value.meid })
      )
    }

    if (plan.register && Option.isNone(looked.success)) {
      const clusterName = registrationClusterName(scope.dk.spec, scope.flags, scope.name)
      const created = yield* Effect.result(api.createKubernetesClusterSettings(clusterName, kubeSystemUUID))
      if (created._tag === "Failure") {
        if (isForbidden(created.failure)) return scopeMissing(scope, messages.writeScopeMissing)
        return yield* created.failure
      }
      yield* Effect.logInfo("Registered the Kubernetes cluster in the tenant.").pipe(
        Effect.annotateLogs({ kubernetesClusterName: clusterName, objectId: created.success })
      )
      const entity = yield* pollEntity(api, kubeSystemUUID)
      if (Option.isNone(entity)) {
        setCondition(scope, {
          type: conditionType,
          status: "False",
          reason: reasons.statusOutdated,
          message: messages.notYetAvailable
        })
        return yield* new ComponentError({ component: "kubernetes-entity", message: messages.notYetAvailable })
      }
      applyEntity(scope, entity)
    }

    const meid = scope.status.kubernetesClusterMEID ?? ""
    if (plan.appTransition && meid !== "") yield* ensureAppTransition(api, meid)
  })

/** The phase: runs before the components, which read `status.kubernetesClusterMEID` (spec §2.2.1 step 6). */
export const phase: Phase<never> = {
  name: "kubernetes-entity",
  run: (scope) =>
    Effect.gen(function* () {
      const tenant = scope.tenant
      if (tenant === undefined) return Controller.done
      const previous = condition(scope, conditionType)
      const plan = decide({
        settingsRead: tenant.settingsRead,
        settingsWrite: tenant.settingsWrite,
        condition: previous,
        meid: scope.status.kubernetesClusterMEID ?? "",
        registration: registrationEnabled(scope.dk.spec, scope.features, scope.flags),
        k8sAppEnabled: scope.flags.k8sAppEnabled,
        now: scope.now,
        thresholdMs: thresholdMillis(scope)
      })
      switch (plan._tag) {
        case "ScopeMissing":
          scopeMissing(scope, messages.readScopeMissing)
          return Controller.done
        case "Cached":
          // Same content: only observedGeneration follows the DynaKube.
          if (previous !== undefined) setCondition(scope, previous)
          return Controller.done
        case "Refresh": {
          const kubeSystemUUID = scope.kubeSystemUUID ?? ""
          if (kubeSystemUUID === "") {
            return yield* new ComponentError({
              component: "kubernetes-entity",
              message: "the kube-system namespace UID is unknown"
            })
          }
          yield* refresh(scope, tenant.api, kubeSystemUUID, plan)
          return Controller.done
        }
      }
    }).pipe(Effect.withSpan("MonitoredEntity.reconcile"))
}
