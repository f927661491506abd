/**
 * The tenant settings object of log monitoring (spec §2.2.11, §6 #16/#17): `builtin:logmonitoring.log-storage-settings`
 * (schema version 1.0.16) in the scope of the cluster's monitored entity (`status.kubernetesClusterMEID`), created
 * once when the tenant has none there. Its value: `config-item-title` = the cluster name, one `MATCHES` matcher per
 * `spec.logMonitoring.ingestRuleMatchers` entry, `enabled` and `send-to-storage` true.
 *
 * When to look (the original's `IsOutdated`): without a `LogMonitoringSettings` condition, with a `False` one other
 * than `ScopeMissing` (skipped or failed: try again), or when the condition is older than the
 * `dynatraceApiRequestThreshold`. A positive answer is re-checked once per threshold, so a steady DynaKube makes
 * no tenant call.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { SettingsObjectCreate } from "../../../../services/DynatraceApi.ts"
import type { ConditionUpdate } from "../../runtime/Conditions.ts"

/** @category constants @since 0.1.0 */
export const schemaId = "builtin:logmonitoring.log-storage-settings"
/** @category constants @since 0.1.0 */
export const schemaVersion = "1.0.16"
/** @category constants @since 0.1.0 */
export const conditionType = "LogMonitoringSettings"

/** @category constants @since 0.1.0 */
export const reasons = {
  exists: "Exists",
  skipped: "Skipped",
  error: "Error",
  scopeMissing: "ScopeMissing"
} as const

/**
 * One matcher as the tenant takes it (empty attribute or values are left out, as the original's `omitempty`).
 * @category models
 * @since 0.1.0
 */
export interface Matcher {
  readonly attribute?: string
  readonly operator: "MATCHES"
  readonly values?: ReadonlyArray<string>
}

/**
 * The value of the settings object.
 * @category models
 * @since 0.1.0
 */
export interface LogStorageSettingsValue {
  readonly "config-item-title": string
  readonly matchers: ReadonlyArray<Matcher>
  readonly enabled: true
  readonly "send-to-storage": true
}

/**
 * The matchers of `spec.logMonitoring.ingestRuleMatchers`, each with operator `MATCHES`.
 * @category constructors
 * @since 0.1.0
 */
export const matchers = (dk: DynaKube): Array<Matcher> =>
  (dk.spec.logMonitoring?.ingestRuleMatchers ?? []).map((m) => ({
    ...(m.attribute === undefined || m.attribute === "" ? {} : { attribute: m.attribute }),
    operator: "MATCHES" as const,
    ...(m.values === undefined || m.values.length === 0 ? {} : { values: m.values })
  }))

/**
 * The object to create for `meid` (the caller checked it is not empty).
 * @category constructors
 * @since 0.1.0
 */
export const settingsObject = (
  dk: DynaKube,
  meid: string
): SettingsObjectCreate & { value: LogStorageSettingsValue } => ({
  schemaId,
  schemaVersion,
  scope: meid,
  value: {
    "config-item-title": dk.status?.kubernetesClusterName ?? "",
    matchers: matchers(dk),
    enabled: true,
    "send-to-storage": true
  }
})

/** Whether the tenant is to be asked again (spec §2.2.7). @category policies @since 0.1.0 */
export { isOutdated } from "../ReconcileScope.ts"

/** @category conditions @since 0.1.0 */
export const existsCondition: ConditionUpdate = {
  type: conditionType,
  status: "True",
  reason: reasons.exists,
  message: "LogMonitoring settings exist."
}

/** @category conditions @since 0.1.0 */
export const errorCondition: ConditionUpdate = {
  type: conditionType,
  status: "False",
  reason: reasons.error,
  message: "LogMonitoring settings creation has encountered an error"
}

/** The message while the cluster's MEID is not known. @category conditions @since 0.1.0 */
export const meidMissingMessage =
  "kubernetesClusterMEID is not available, which is needed for logmonitoring settings creation, will skip it for now"

/** @category conditions @since 0.1.0 */
export const skippedCondition = (message: string): ConditionUpdate => ({
  type: conditionType,
  status: "False",
  reason: reasons.skipped,
  message: `LogMonitoring settings creation was skipped: ${message}`
})

/**
 * The token lacks `settings.read` and/or `settings.write` (`missing` in that order).
 * @category conditions
 * @since 0.1.0
 */
export const scopeMissingCondition = (missing: ReadonlyArray<string>): ConditionUpdate => ({
  type: conditionType,
  status: "False",
  reason: reasons.scopeMissing,
  message: `${missing.join(", ")} scope(s) missing: cannot query existing log monitoring setting and/or safely create new one.`
})

/** The tenant answered 403: the token may not manage settings. @category conditions @since 0.1.0 */
export const forbiddenCondition: ConditionUpdate = {
  type: conditionType,
  status: "False",
  reason: reasons.scopeMissing,
  message: "provided token cannot manage log monitoring settings due to missing scopes"
}
