/**
 * The KSPM settings object (spec §2.2.11, §6.2 #16/#17): `builtin:kubernetes.security-posture-management`
 * (schemaVersion `1`) in the scope of the cluster's monitored entity (`status.kubernetesClusterMEID`), value
 * `{"configurationDatasetPipelineEnabled": <spec.kspm present>}`, created once when the tenant has none.
 *
 * As in the original, this runs whenever Kubernetes monitoring is on (the ActiveGate's `kubernetes-monitoring`
 * capability or the kubemon operand), with or without `spec.kspm`. Whether to ask the tenant is a pure decision
 * ({@link settingsStep}) over the `KSPMSettings` condition: its `lastTransitionTime` records the last look, so the
 * tenant is asked at most once per `dynatraceApiRequestThreshold` while the object exists.
 *
 * @since 0.1.0
 */
import type { SettingsObjectCreate } from "../../../../services/dynatrace/Settings.ts"
import type { Condition } from "../../runtime/Conditions.ts"
import { isOutdated } from "../ReconcileScope.ts"

/** @category constants @since 0.1.0 */
export const schemaId = "builtin:kubernetes.security-posture-management"
/** @category constants @since 0.1.0 */
export const schemaVersion = "1"

/** The condition and its reasons, as the original names them. @category conditions @since 0.1.0 */
export const conditionType = "KSPMSettings"
/** @category conditions @since 0.1.0 */
export const reasons = {
  exists: "Exists",
  skipped: "Skipped",
  error: "Error",
  scopeMissing: "ScopeMissing"
} as const

/** @category conditions @since 0.1.0 */
export const messages = {
  exists: "KSPM settings exist.",
  error: "KSPM settings creation encountered an error",
  meidMissing:
    "KSPM settings creation was skipped: kubernetesClusterMEID is not available, which is needed for kspm settings creation, will skip it for now",
  forbidden: "cannot manage KSPM settings due to missing token scopes or tenant configuration",
  scopesMissing: (missing: ReadonlyArray<string>) =>
    `${missing.join(", ")} scope(s) missing: cannot query existing kspm monitoring setting and/or safely create new one.`
} as const

/**
 * The object to create.
 * @category constructors
 * @since 0.1.0
 */
export const settingsObject = (meid: string, datasetPipelineEnabled: boolean): SettingsObjectCreate => ({
  schemaId,
  schemaVersion,
  scope: meid,
  value: { configurationDatasetPipelineEnabled: datasetPipelineEnabled }
})

/**
 * What the settings part of a reconcile does.
 * @category models
 * @since 0.1.0
 */
export type SettingsStep =
  /** No Kubernetes monitoring: the condition goes, nothing is asked. */
  | { readonly _tag: "Remove" }
  /** The last look is recent enough: nothing changes. */
  | { readonly _tag: "Keep" }
  /** The token lacks settings.read/settings.write: condition `ScopeMissing`, nothing is asked. */
  | { readonly _tag: "ScopeMissing"; readonly message: string }
  /** The MEID is not known yet: condition `Skipped`, nothing is asked. */
  | { readonly _tag: "Skipped"; readonly message: string }
  /** Ask the tenant whether an object exists in the MEID's scope, and create one if not. */
  | { readonly _tag: "Check"; readonly meid: string }

/**
 * Inputs of {@link settingsStep}.
 * @category models
 * @since 0.1.0
 */
export interface SettingsStepInput {
  readonly kubernetesMonitoring: boolean
  /** The `KSPMSettings` condition as the status holds it. */
  readonly condition: Condition | undefined
  readonly now: number
  /** `dynatraceApiRequestThreshold` in milliseconds. */
  readonly thresholdMillis: number
  readonly settingsRead: boolean
  readonly settingsWrite: boolean
  readonly meid: string | undefined
}

/** The original's `IsOutdated` (spec §2.2.7). @category predicates @since 0.1.0 */
export { isOutdated }

/**
 * The settings decision, in the original's order: Kubernetes monitoring, freshness, token scopes, MEID.
 * @category policies
 * @since 0.1.0
 */
export const settingsStep = (input: SettingsStepInput): SettingsStep => {
  if (!input.kubernetesMonitoring) return { _tag: "Remove" }
  if (!isOutdated(input.condition, input.now, input.thresholdMillis)) return { _tag: "Keep" }
  const missing = [...(input.settingsRead ? [] : ["settings.read"]), ...(input.settingsWrite ? [] : ["settings.write"])]
  if (missing.length > 0) return { _tag: "ScopeMissing", message: messages.scopesMissing(missing) }
  if (input.meid === undefined || input.meid === "") return { _tag: "Skipped", message: messages.meidMissing }
  return { _tag: "Check", meid: input.meid }
}
