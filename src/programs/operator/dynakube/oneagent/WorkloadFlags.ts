/**
 * The feature flags (DynaKube annotations under `feature.dynatrace.com/`, spec §1.4) that shape the OneAgent
 * DaemonSet and the ActiveGate StatefulSet, read with the original's rules: booleans parse like Go's
 * `strconv.ParseBool`, integers like `strconv.Atoi`, and an absent or unparsable value means the default.
 *
 * The controller's general reader (`../FeatureFlags.ts`) covers the flags the reconcile itself needs; these are the
 * ones only the workload builders read.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { parseBool } from "../../../../schemas/FeatureFlags.ts"
import { atoi } from "./GoCompat.ts"

const prefix = "feature.dynatrace.com/"

/**
 * Annotation keys.
 * @category constants
 * @since 0.1.0
 */
export const FlagKeys = {
  oneAgentPrivileged: `${prefix}oneagent-privileged`,
  oneAgentSkipLivenessProbe: `${prefix}oneagent-skip-liveness-probe`,
  oneAgentClassicNonRoot: `${prefix}oneagent-classic-nonroot`,
  oneAgentMaxUnavailable: `${prefix}oneagent-max-unavailable`,
  oneAgentIgnoreProxy: `${prefix}oneagent-ignore-proxy`,
  activeGateIgnoreProxy: `${prefix}activegate-ignore-proxy`,
  activeGateAppArmor: `${prefix}activegate-apparmor`,
  automaticTlsCertificate: `${prefix}automatic-tls-certificate`,
  usePublicRegistry: `${prefix}use-public-registry`,
  noProxy: `${prefix}no-proxy`
} as const

/**
 * The flags as the builders use them.
 * @category models
 * @since 0.1.0
 */
export interface WorkloadFlags {
  /** The OneAgent container runs privileged instead of with a capability list. */
  readonly oneAgentPrivileged: boolean
  readonly oneAgentSkipLivenessProbe: boolean
  /** classicFullStack runs as uid/gid 1000. */
  readonly oneAgentClassicNonRoot: boolean
  /** Deprecated: the DaemonSet's `maxUnavailable` when the spec has no `rollingUpdate`. */
  readonly oneAgentMaxUnavailable: number
  /** Deprecated: OneAgents ignore the DynaKube proxy. */
  readonly oneAgentIgnoreProxy: boolean
  /** Deprecated: the ActiveGate ignores the DynaKube proxy. */
  readonly activeGateIgnoreProxy: boolean
  /** The ActiveGate container gets the AppArmor profile `runtime/default`. */
  readonly activeGateAppArmor: boolean
  /** A self-signed ActiveGate certificate (`<dk>-activegate-tls-secret`) when no `tlsSecretName` is given. */
  readonly automaticTlsCertificate: boolean
  /** Images come from the public registry (always with a platform token), so no tenant pull secret is used. */
  readonly publicRegistry: boolean
  /** Hosts the components reach without the proxy (raw text; only used when a proxy is set). */
  readonly noProxy: string
}

/**
 * Reads the workload flags of a DynaKube. A platform token (`status.apiToken.platform`) forces the public registry.
 * @category constructors
 * @since 0.1.0
 */
export const readWorkloadFlags = (dk: DynaKube): WorkloadFlags => {
  const annotations = dk.metadata?.annotations ?? {}
  const bool = (key: string, fallback: boolean): boolean => parseBool(annotations[key]) ?? fallback
  return {
    oneAgentPrivileged: bool(FlagKeys.oneAgentPrivileged, false),
    oneAgentSkipLivenessProbe: bool(FlagKeys.oneAgentSkipLivenessProbe, false),
    oneAgentClassicNonRoot: bool(FlagKeys.oneAgentClassicNonRoot, false),
    oneAgentMaxUnavailable: atoi(annotations[FlagKeys.oneAgentMaxUnavailable]) ?? 1,
    oneAgentIgnoreProxy: bool(FlagKeys.oneAgentIgnoreProxy, false),
    activeGateIgnoreProxy: bool(FlagKeys.activeGateIgnoreProxy, false),
    activeGateAppArmor: bool(FlagKeys.activeGateAppArmor, false),
    automaticTlsCertificate: bool(FlagKeys.automaticTlsCertificate, true),
    publicRegistry: dk.status?.apiToken?.platform === true || bool(FlagKeys.usePublicRegistry, false),
    noProxy: annotations[FlagKeys.noProxy] ?? ""
  }
}
