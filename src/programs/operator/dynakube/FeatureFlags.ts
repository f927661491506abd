/**
 * DynaKube feature flags: annotations under `feature.dynatrace.com/` (spec §1.4) as the operator's controllers use
 * them. The wire-level parsing (Go's `strconv.ParseBool` spellings, `ignored-namespaces` JSON, the default ignored
 * namespaces) is the shared one in src/schemas/FeatureFlags.ts, so the operator and the webhook read a flag the same
 * way; only the flags the controllers read, with their defaults, are here.
 *
 * @since 0.1.0
 */
import * as Shared from "../../../schemas/FeatureFlags.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"

export const prefix = Shared.prefix

/** Annotation keys. */
export const keys = {
  automaticInjection: `${prefix}automatic-injection`,
  ignoredNamespaces: Shared.ignoredNamespacesKey,
  oneAgentInitialConnectRetry: `${prefix}oneagent-initial-connect-retry-ms`,
  oneAgentIgnoreProxy: `${prefix}oneagent-ignore-proxy`,
  activeGateIgnoreProxy: `${prefix}activegate-ignore-proxy`,
  activeGateUpdates: `${prefix}activegate-updates`,
  disableActiveGateUpdates: `${prefix}disable-activegate-updates`,
  usePublicRegistry: `${prefix}use-public-registry`,
  noProxy: `${prefix}no-proxy`,
  automaticKubernetesApiMonitoring: `${prefix}automatic-kubernetes-api-monitoring`,
  automaticKubernetesApiMonitoringClusterName: `${prefix}automatic-kubernetes-api-monitoring-cluster-name`,
  k8sAppEnabled: `${prefix}k8s-app-enabled`,
  oneAgentMaxUnavailable: `${prefix}oneagent-max-unavailable`
} as const

/** Go's `strconv.ParseBool`; `undefined` when the text is not a boolean. */
export const parseBool = Shared.parseBool

/** The feature flags of one DynaKube as the controllers use them. */
export interface FeatureFlags {
  readonly automaticInjection: boolean
  /** Regexes of namespaces that are never mapped. */
  readonly ignoredNamespaces: ReadonlyArray<string>
  readonly oneAgentIgnoreProxy: boolean
  readonly activeGateIgnoreProxy: boolean
  /** ActiveGate auto-update (on unless one of the two flags turns it off). */
  readonly activeGateUpdates: boolean
  /** Resolve images from the public registry (forced on with a platform token by the caller). */
  readonly usePublicRegistry: boolean
  readonly noProxy: string
  readonly automaticKubernetesApiMonitoring: boolean
  /** The label the cluster is registered under (empty: the DynaKube's name). */
  readonly automaticKubernetesApiMonitoringClusterName: string
  /** Deprecated: also create the `builtin:app-transition.kubernetes` setting. */
  readonly k8sAppEnabled: boolean
}

/** The default ignored namespaces for an operator in `operatorNamespace`. */
export const defaultIgnoredNamespaces = Shared.defaultIgnoredNamespaces

/** Reads the flags of a DynaKube. */
export const read = (dk: KubeObject, operatorNamespace: string): FeatureFlags => {
  const a = dk.metadata?.annotations ?? {}
  const bool = (key: string, fallback: boolean) => Shared.bool(a, key, fallback)
  const disableUpdates = parseBool(a[keys.disableActiveGateUpdates])
  return {
    automaticInjection: bool(keys.automaticInjection, true),
    ignoredNamespaces: Shared.ignoredNamespacePatterns(a, operatorNamespace),
    oneAgentIgnoreProxy: bool(keys.oneAgentIgnoreProxy, false),
    activeGateIgnoreProxy: bool(keys.activeGateIgnoreProxy, false),
    activeGateUpdates: disableUpdates === true ? false : bool(keys.activeGateUpdates, true),
    usePublicRegistry: bool(keys.usePublicRegistry, false),
    noProxy: a[keys.noProxy] ?? "",
    automaticKubernetesApiMonitoring: bool(keys.automaticKubernetesApiMonitoring, true),
    automaticKubernetesApiMonitoringClusterName: a[keys.automaticKubernetesApiMonitoringClusterName] ?? "",
    k8sAppEnabled: bool(keys.k8sAppEnabled, false)
  }
}
