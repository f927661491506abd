/**
 * The status conditions the injection phase sets (spec §1.3, §2.2.9): types, reasons and messages exactly as the
 * original writes them, built as `ConditionUpdate`s for `runtime/Conditions.set`.
 *
 * @since 0.1.0
 */
import type { ConditionUpdate } from "../../runtime/Conditions.ts"
import * as ReconcileScope from "../ReconcileScope.ts"

/** Condition types. @category constants @since 0.1.0 */
export const types = {
  oneAgentNamespacesMonitored: "OneAgentNamespacesMonitored",
  metadataEnrichmentNamespacesMonitored: "MetadataEnrichmentNamespacesMonitored",
  otlpNamespacesMonitored: "OTLPExporterConfigurationNamespacesMonitored",
  codeModulesInjection: "CodeModulesInjection",
  metadataEnrichment: "MetadataEnrichment",
  otlpExporterConfiguration: "OTLPExporterConfiguration",
  bootstrapperConfig: "BootstrapperConfig",
  bootstrapperCerts: "BootstrapperCertsConfig",
  otlpConfigSecret: "OTLPExporterConfigSecret",
  otlpCertsSecret: "OTLPExporterCertsConfig",
  metadataEnrichmentRules: "MetadataEnrichmentRules"
} as const

/** Reasons. @category constants @since 0.1.0 */
export const reasons = {
  matchesFound: "MatchesFound",
  noMatches: "NoMatches",
  secretsCreated: "SecretsCreated",
  secretCreatedOrUpdated: "SecretCreatedOrUpdated",
  secretOutdated: "SecretOutdated",
  secretGenerationFailed: "SecretGenerationFailed",
  kubeApiError: "KubeApiError",
  dynatraceApiError: "DynatraceApiError",
  statusUpdated: "StatusUpdated",
  statusOutdated: "StatusOutdated",
  scopeMissing: "ScopeMissing"
} as const

/** At most this many namespace names appear in a `*NamespacesMonitored` message. @category constants @since 0.1.0 */
export const maxNamesInMessage = 10

/** "3 namespaces match: a, b, c" (at most ten names). @category messages @since 0.1.0 */
export const matchMessage = (names: ReadonlyArray<string>): string => {
  if (names.length === 0) return "no namespaces match"
  if (names.length > maxNamesInMessage) {
    return `${names.length} namespaces match: ${names.slice(0, maxNamesInMessage).join(", ")} (at most ${maxNamesInMessage} are displayed)`
  }
  return `${names.length} namespaces match: ${names.join(", ")}`
}

/** A `*NamespacesMonitored` condition for the (sorted) names of the mapped namespaces. @category builders @since 0.1.0 */
export const namespacesMonitored = (type: string, names: ReadonlyArray<string>): ConditionUpdate =>
  names.length === 0
    ? { type, status: "False", reason: reasons.noMatches, message: "0 namespaces match" }
    : { type, status: "True", reason: reasons.matchesFound, message: matchMessage(names) }

/** `CodeModulesInjection` / `MetadataEnrichment` / `OTLPExporterConfiguration` done. @category builders @since 0.1.0 */
export const secretsCreated = (type: string): ConditionUpdate => ({
  type,
  status: "True",
  reason: reasons.secretsCreated,
  message: "Namespaces mapped and secrets created"
})

/** `<name> created/updated`. @category builders @since 0.1.0 */
export const secretCreatedOrUpdated = (type: string, name: string): ConditionUpdate => ({
  type,
  status: "True",
  reason: reasons.secretCreatedOrUpdated,
  message: `${name} created/updated`
})

/** The cached tenant data is being refreshed. @category builders @since 0.1.0 */
export const secretOutdated = (type: string): ConditionUpdate => ({
  type,
  status: "False",
  reason: reasons.secretOutdated,
  message: "secret is outdated, update in progress"
})

/** @category builders @since 0.1.0 */
export const secretGenerationFailed = (type: string): ConditionUpdate => ({
  type,
  status: "False",
  reason: reasons.secretGenerationFailed,
  message: "Failed to generate secret"
})

/** @category builders @since 0.1.0 */
export const kubeApiError = (type: string): ConditionUpdate => ({
  type,
  status: "False",
  reason: reasons.kubeApiError,
  message: "A problem occurred when using the Kubernetes API"
})

/** @category builders @since 0.1.0 */
export const dynatraceApiError = (type: string): ConditionUpdate => ({
  type,
  status: "False",
  reason: reasons.dynatraceApiError,
  message: "A problem occurred when using the Dynatrace API"
})

/** @category builders @since 0.1.0 */
export const statusUpdated = (type: string, message: string): ConditionUpdate => ({
  type,
  status: "True",
  reason: reasons.statusUpdated,
  message
})

/** @category builders @since 0.1.0 */
export const statusOutdated = (type: string, message: string): ConditionUpdate => ({
  type,
  status: "False",
  reason: reasons.statusOutdated,
  message
})

/** @category builders @since 0.1.0 */
export const scopeMissing = (type: string, message: string): ConditionUpdate => ({
  type,
  status: "False",
  reason: reasons.scopeMissing,
  message
})

/**
 * True when tenant data cached under the condition `type` must be fetched again (spec §2.2.7): the condition is
 * missing, `False` for a reason other than `ScopeMissing`, or older than the request threshold.
 * @category predicates
 * @since 0.1.0
 */
export const isOutdated = (
  condition: Parameters<typeof ReconcileScope.isOutdated>[0],
  options: { readonly now: number; readonly thresholdMinutes: number }
): boolean => ReconcileScope.isOutdated(condition, options.now, options.thresholdMinutes * 60_000)
