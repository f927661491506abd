/**
 * What a DynaKube asks of the webhook: its injection features and their namespace selectors, read from the hub
 * version (`v1beta6`). Pure functions over the decoded object, shared by the pod mutator and the namespace
 * mutator.
 *
 * - OneAgent app injection: mode `cloudNativeFullStack` or `applicationMonitoring` (a mode is set when its key holds
 *   an object; `null` means unset, like a nil pointer).
 * - Metadata enrichment: `spec.metadataEnrichment.enabled` (default false in v1beta6).
 * - OTLP exporter configuration: at least one signal present (even `{}`).
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../schemas/DynaKubeV1beta6.ts"
import type { LabelSelector } from "../../schemas/Kubernetes.ts"
import * as FeatureFlags from "./FeatureFlags.ts"
import * as Selector from "./LabelSelector.ts"

/** The OneAgent modes with app injection. @category models @since 0.1.0 */
export type AppInjectionMode = "cloudNativeFullStack" | "applicationMonitoring"

type Spec = DynaKube["spec"]
type OneAgent = NonNullable<Spec["oneAgent"]>
type CloudNative = NonNullable<OneAgent["cloudNativeFullStack"]>
type AppMon = NonNullable<OneAgent["applicationMonitoring"]>

const isSet = <A>(value: A | null | undefined): value is A => value !== undefined && value !== null

/** The app-injection mode, if the DynaKube has one. @category features @since 0.1.0 */
export const appInjectionMode = (dk: DynaKube): AppInjectionMode | undefined => {
  const oneAgent = dk.spec.oneAgent
  if (isSet(oneAgent?.cloudNativeFullStack)) return "cloudNativeFullStack"
  if (isSet(oneAgent?.applicationMonitoring)) return "applicationMonitoring"
  return undefined
}

/** The spec of the app-injection mode (initResources, codeModulesImage, namespaceSelector, ...). @category features @since 0.1.0 */
export const appInjectionSpec = (dk: DynaKube): CloudNative | AppMon | undefined => {
  const oneAgent = dk.spec.oneAgent
  if (isSet(oneAgent?.cloudNativeFullStack)) return oneAgent.cloudNativeFullStack
  if (isSet(oneAgent?.applicationMonitoring)) return oneAgent.applicationMonitoring
  return undefined
}

/** Whether the classic full-stack mode is set (it forces split mounts). @category features @since 0.1.0 */
export const isClassicFullStack = (dk: DynaKube): boolean => isSet(dk.spec.oneAgent?.classicFullStack)

/** @category features @since 0.1.0 */
export const oneAgentInjectionEnabled = (dk: DynaKube): boolean => appInjectionMode(dk) !== undefined

/** @category features @since 0.1.0 */
export const metadataEnrichmentEnabled = (dk: DynaKube): boolean => dk.spec.metadataEnrichment?.enabled === true

/** The OTLP signals present in the spec. @category features @since 0.1.0 */
export const otlpSignals = (dk: DynaKube): ReadonlyArray<"traces" | "metrics" | "logs"> => {
  const signals = dk.spec.otlpExporterConfiguration?.signals
  if (signals === undefined) return []
  return (["traces", "metrics", "logs"] as const).filter((s) => signals[s] !== undefined)
}

/** @category features @since 0.1.0 */
export const otlpEnabled = (dk: DynaKube): boolean => otlpSignals(dk).length > 0

/** Whether the DynaKube has any feature that maps namespaces (injection, enrichment, OTLP). @category features @since 0.1.0 */
export const mapsNamespaces = (dk: DynaKube): boolean =>
  oneAgentInjectionEnabled(dk) || metadataEnrichmentEnabled(dk) || otlpEnabled(dk)

/** The namespace selectors of the enabled features. @category selectors @since 0.1.0 */
export const enabledSelectors = (dk: DynaKube): ReadonlyArray<LabelSelector | undefined> => {
  const selectors: Array<LabelSelector | undefined> = []
  if (oneAgentInjectionEnabled(dk)) selectors.push(appInjectionSpec(dk)?.namespaceSelector)
  if (metadataEnrichmentEnabled(dk)) selectors.push(dk.spec.metadataEnrichment?.namespaceSelector)
  if (otlpEnabled(dk)) selectors.push(dk.spec.otlpExporterConfiguration?.namespaceSelector)
  return selectors
}

/** The ActiveGate is enabled: capabilities set, or extensions on. @category activeGate @since 0.1.0 */
export const activeGateEnabled = (dk: DynaKube): boolean =>
  (dk.spec.activeGate?.capabilities ?? []).length > 0 ||
  dk.spec.extensions?.prometheus !== undefined ||
  (dk.spec.extensions?.databases ?? []).length > 0

/** The ActiveGate serves a TLS certificate the agents must trust (user secret or the automatic one). @category activeGate @since 0.1.0 */
export const activeGateHasCaCert = (dk: DynaKube): boolean =>
  activeGateEnabled(dk) &&
  (dk.spec.activeGate?.tlsSecretName !== undefined || FeatureFlags.automaticTlsCertificate(dk.metadata?.annotations))

/** Pods need the certs input (`dynatrace-bootstrapper-certs`). @category activeGate @since 0.1.0 */
export const needsCertsInput = (dk: DynaKube): boolean => activeGateHasCaCert(dk) || dk.spec.trustedCAs !== undefined

/**
 * Whether a namespace is mapped to this DynaKube (spec §2.2.9): not ignored, and matched by the selector of at least
 * one enabled feature.
 * @category selectors
 * @since 0.1.0
 */
export const matchesNamespace = (
  dk: DynaKube,
  operatorNamespace: string,
  namespace: { readonly name: string; readonly labels?: Readonly<Record<string, string>> | undefined }
): boolean =>
  !FeatureFlags.isIgnoredNamespace(dk.metadata?.annotations, operatorNamespace, namespace.name) &&
  enabledSelectors(dk).some((selector) => Selector.matches(selector, namespace.labels))

/** The DynaKube's name (`metadata.name`, `""` if absent). @category metadata @since 0.1.0 */
export const nameOf = (dk: DynaKube): string => dk.metadata?.name ?? ""
