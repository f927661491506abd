/**
 * Derived facts about a DynaKube (hub version) that the validation rules ask: which OneAgent mode is set, whether
 * the ActiveGate, extensions, KSPM, log monitoring, … are on, the effective node selector, arguments and
 * environment of the host agent, and so on. Each answer follows the original's accessor of the same meaning,
 * including the order in which it looks at the OneAgent modes (which only matters for objects that set several
 * modes, and those are refused anyway).
 *
 * `null` counts as absent everywhere, as a nil pointer does.
 *
 * @since 0.1.0
 */
import type * as V6 from "../../../../schemas/DynaKubeV1beta6.ts"
import type { EnvVar, LabelSelector } from "../../../../schemas/Kubernetes.ts"
import type { ImageRef } from "../../../../schemas/Shared.ts"
import * as Flags from "./Flags.ts"

type Spec = V6.DynaKubeSpec
type OneAgent = NonNullable<Spec["oneAgent"]>
type HostSpec = V6.HostInjectSpec | V6.CloudNativeFullStackSpec

/** @category models @since 0.1.0 */
export type Mode = "classicFullStack" | "cloudNativeFullStack" | "applicationMonitoring" | "hostMonitoring"

const present = <A>(value: A | null | undefined): value is A => value !== undefined && value !== null

const oa = (spec: Spec): OneAgent => spec.oneAgent ?? {}

/** The modes that are set. @category oneAgent @since 0.1.0 */
export const modes = (spec: Spec): ReadonlyArray<Mode> =>
  (["classicFullStack", "cloudNativeFullStack", "applicationMonitoring", "hostMonitoring"] as const).filter((m) =>
    present(oa(spec)[m])
  )

/** @category oneAgent @since 0.1.0 */
export const isMode = (spec: Spec, mode: Mode): boolean => present(oa(spec)[mode])

/** classicFullStack, cloudNativeFullStack or hostMonitoring: a host agent DaemonSet. @category oneAgent @since 0.1.0 */
export const isDaemonSetRequired = (spec: Spec): boolean =>
  isMode(spec, "classicFullStack") || isMode(spec, "cloudNativeFullStack") || isMode(spec, "hostMonitoring")

/** cloudNativeFullStack or hostMonitoring. @category oneAgent @since 0.1.0 */
export const isReadOnlyFs = (spec: Spec): boolean =>
  isMode(spec, "cloudNativeFullStack") || isMode(spec, "hostMonitoring")

/** cloudNativeFullStack or applicationMonitoring: code modules injected by the webhook. @category oneAgent @since 0.1.0 */
export const isAppInjection = (spec: Spec): boolean =>
  isMode(spec, "cloudNativeFullStack") || isMode(spec, "applicationMonitoring")

const first = <A>(candidates: ReadonlyArray<readonly [boolean, () => A]>, fallback: A): A => {
  for (const [condition, value] of candidates) if (condition) return value()
  return fallback
}

const classic = (spec: Spec) => oa(spec).classicFullStack ?? undefined
const cloudNative = (spec: Spec) => oa(spec).cloudNativeFullStack ?? undefined
const appMon = (spec: Spec) => oa(spec).applicationMonitoring ?? undefined
const hostMon = (spec: Spec) => oa(spec).hostMonitoring ?? undefined

/** The deprecated custom `version` of the mode (classic, cloudNative, appMon, hostMon order). @category oneAgent @since 0.1.0 */
export const customVersion = (spec: Spec): string =>
  first<string | undefined>(
    [
      [classic(spec) !== undefined, () => classic(spec)?.version],
      [cloudNative(spec) !== undefined, () => cloudNative(spec)?.version],
      [appMon(spec) !== undefined, () => appMon(spec)?.version],
      [hostMon(spec) !== undefined, () => hostMon(spec)?.version]
    ],
    undefined
  ) ?? ""

const hostSpec = (spec: Spec, order: ReadonlyArray<"classic" | "cloudNative" | "hostMon">): HostSpec | undefined => {
  for (const name of order) {
    const s = name === "classic" ? classic(spec) : name === "cloudNative" ? cloudNative(spec) : hostMon(spec)
    if (s !== undefined) return s
  }
  return undefined
}

/** Custom OneAgent image of a host mode. @category oneAgent @since 0.1.0 */
export const customImage = (spec: Spec): string => hostSpec(spec, ["classic", "hostMon", "cloudNative"])?.image ?? ""

/**
 * `GetNodeSelector(fallback)`: the host mode's node selector (which may be absent) or, without a host mode, the
 * fallback.
 * @category oneAgent
 * @since 0.1.0
 */
export const nodeSelector = (
  spec: Spec,
  fallback: Readonly<Record<string, string>> | undefined
): Readonly<Record<string, string>> | undefined => {
  const host = hostSpec(spec, ["classic", "hostMon", "cloudNative"])
  return host === undefined ? fallback : host.nodeSelector
}

/** Installer arguments of the host mode (cloudNative, classic, hostMon order). @category oneAgent @since 0.1.0 */
export const args = (spec: Spec): ReadonlyArray<string> =>
  hostSpec(spec, ["cloudNative", "classic", "hostMon"])?.args ?? []

/** An argument split at its first `=` into key and value. @category oneAgent @since 0.1.0 */
export const splitArg = (arg: string): readonly [string, string] => {
  const eq = arg.indexOf("=")
  return eq < 0 ? [arg, ""] : [arg.slice(0, eq), arg.slice(eq + 1)]
}

/** Arguments grouped by key, in first-seen order. @category oneAgent @since 0.1.0 */
export const argsByKey = (spec: Spec): ReadonlyMap<string, ReadonlyArray<string>> => {
  const map = new Map<string, Array<string>>()
  for (const arg of args(spec)) {
    const [key, value] = splitArg(arg)
    const values = map.get(key)
    if (values === undefined) map.set(key, [value])
    else values.push(value)
  }
  return map
}

/** The value of the first `--set-host-group` argument. @category oneAgent @since 0.1.0 */
export const hostGroupAsParam = (spec: Spec): string => {
  for (const arg of args(spec)) {
    const [key, value] = splitArg(arg)
    if (key === "--set-host-group") return value
  }
  return ""
}

/** Environment of the host agent (cloudNative, classic, hostMon order). @category oneAgent @since 0.1.0 */
export const env = (spec: Spec): ReadonlyArray<EnvVar> =>
  hostSpec(spec, ["cloudNative", "classic", "hostMon"])?.env ?? []

/** The first env var with that name. @category oneAgent @since 0.1.0 */
export const findEnv = (spec: Spec, name: string): EnvVar | undefined => env(spec).find((e) => e.name === name)

/** The namespace selector of the app-injection mode, `undefined` without one. @category oneAgent @since 0.1.0 */
export const oneAgentNamespaceSelector = (
  spec: Spec
): { readonly mode: Mode; readonly selector: LabelSelector } | undefined => {
  const cn = cloudNative(spec)
  if (cn !== undefined) return { mode: "cloudNativeFullStack", selector: cn.namespaceSelector ?? {} }
  const am = appMon(spec)
  if (am !== undefined) return { mode: "applicationMonitoring", selector: am.namespaceSelector ?? {} }
  return undefined
}

/** The custom code-modules image. @category oneAgent @since 0.1.0 */
export const codeModulesImage = (spec: Spec): string =>
  first<string | undefined>(
    [
      [cloudNative(spec) !== undefined, () => cloudNative(spec)?.codeModulesImage],
      [appMon(spec) !== undefined, () => appMon(spec)?.codeModulesImage]
    ],
    undefined
  ) ?? ""

/** Whether any host mode that is set has a rolling-update setting. @category oneAgent @since 0.1.0 */
export const hasHostModeRollingUpdate = (spec: Spec): boolean =>
  present(classic(spec)?.rollingUpdate) ||
  present(cloudNative(spec)?.rollingUpdate) ||
  present(hostMon(spec)?.rollingUpdate)

/** The mode's own `additionalResourceAttributes`. @category oneAgent @since 0.1.0 */
export const oneAgentAdditionalResourceAttributes = (spec: Spec): Readonly<Record<string, string>> | undefined =>
  first<Readonly<Record<string, string>> | undefined>(
    [
      [cloudNative(spec) !== undefined, () => cloudNative(spec)?.additionalResourceAttributes],
      [appMon(spec) !== undefined, () => appMon(spec)?.additionalResourceAttributes],
      [hostMon(spec) !== undefined, () => hostMon(spec)?.additionalResourceAttributes],
      [classic(spec) !== undefined, () => classic(spec)?.additionalResourceAttributes]
    ],
    undefined
  )

/** `resourceattributes.Merge`: `override` wins. @category attributes @since 0.1.0 */
export const mergeAttributes = (
  base: Readonly<Record<string, string>> | undefined,
  override: Readonly<Record<string, string>> | undefined
): Readonly<Record<string, string>> => ({ ...base, ...override })

// ---------------------------------------------------------------------------------------------------------------
// ActiveGate, extensions, other features

/** Prometheus or database extensions. @category features @since 0.1.0 */
export const isPrometheusEnabled = (spec: Spec): boolean => present(spec.extensions?.prometheus)
/** @category features @since 0.1.0 */
export const isDatabasesEnabled = (spec: Spec): boolean => (spec.extensions?.databases ?? []).length > 0
/** @category features @since 0.1.0 */
export const isExtensionsEnabled = (spec: Spec): boolean => isPrometheusEnabled(spec) || isDatabasesEnabled(spec)

/** Capabilities set, or extensions enabled. @category activeGate @since 0.1.0 */
export const isActiveGateEnabled = (spec: Spec): boolean =>
  (spec.activeGate?.capabilities ?? []).length > 0 || isExtensionsEnabled(spec)

/** The `kubernetes-monitoring` capability is set. @category activeGate @since 0.1.0 */
export const isActiveGateKubernetesMonitoring = (spec: Spec): boolean =>
  (spec.activeGate?.capabilities ?? []).includes("kubernetes-monitoring")

/** @category activeGate @since 0.1.0 */
export const activeGateReplicas = (spec: Spec): number => spec.activeGate?.replicas ?? 1

/** The experimental kubemon StatefulSet: needs the operator switch and `spec.kubernetesMonitoring`. @category features @since 0.1.0 */
export const isKubemonEnabled = (spec: Spec, kubemonOperand: boolean): boolean =>
  kubemonOperand && present(spec.kubernetesMonitoring)

/** Automatic registration of the cluster in the tenant. @category features @since 0.1.0 */
export const isKubernetesMonitoringRegistration = (
  spec: Spec,
  annotations: Flags.Annotations,
  kubemonOperand: boolean
): boolean =>
  (isKubemonEnabled(spec, kubemonOperand) && present(spec.kubernetesMonitoring?.registration)) ||
  (isActiveGateKubernetesMonitoring(spec) && Flags.isAutomaticK8sApiMonitoring(annotations))

/** @category features @since 0.1.0 */
export const isKspmEnabled = (spec: Spec): boolean => present(spec.kspm)

/** Sorted, de-duplicated `kspm.mappedHostPaths`. @category features @since 0.1.0 */
export const uniqueMappedHostPaths = (spec: Spec): ReadonlyArray<string> =>
  [...new Set(spec.kspm?.mappedHostPaths ?? [])].toSorted()

/** @category features @since 0.1.0 */
export const isLogMonitoringEnabled = (spec: Spec): boolean => present(spec.logMonitoring)

/** Log monitoring without host agents (its own DaemonSet). @category features @since 0.1.0 */
export const isLogMonitoringStandalone = (spec: Spec): boolean =>
  isLogMonitoringEnabled(spec) && !isDaemonSetRequired(spec)

/** The standalone log-monitoring DaemonSet's node selector. @category features @since 0.1.0 */
export const logMonitoringNodeSelector = (spec: Spec): Readonly<Record<string, string>> | undefined =>
  isLogMonitoringStandalone(spec) ? spec.templates?.logMonitoring?.nodeSelector : undefined

/** @category features @since 0.1.0 */
export const isTelemetryIngestEnabled = (spec: Spec): boolean => present(spec.telemetryIngest)

/** Protocols in effect: an absent or empty list means all of them. @category features @since 0.1.0 */
export const telemetryIngestProtocols = (spec: Spec): ReadonlyArray<string> => {
  if (!isTelemetryIngestEnabled(spec)) return []
  const protocols = spec.telemetryIngest?.protocols ?? []
  return protocols.length === 0 ? ["otlp", "jaeger", "statsd", "zipkin"] : protocols
}

/** The Service name of the collector: custom, or `<dk>-telemetry-ingest`. @category features @since 0.1.0 */
export const telemetryIngestServiceName = (spec: Spec, name: string): string => {
  const custom = spec.telemetryIngest?.serviceName ?? ""
  return custom === "" ? `${name}-telemetry-ingest` : custom
}

/** Any OTLP exporter signal present. @category features @since 0.1.0 */
export const isOtlpExporterEnabled = (spec: Spec): boolean => {
  const signals = spec.otlpExporterConfiguration?.signals
  return present(signals?.metrics) || present(signals?.traces) || present(signals?.logs)
}

/** `metadataEnrichment.enabled` is true. @category features @since 0.1.0 */
export const isMetadataEnrichmentEnabled = (spec: Spec): boolean => spec.metadataEnrichment?.enabled === true

/** `image.Ref.HasImage`: a repository plus a tag or digest. @category images @since 0.1.0 */
export const hasImage = (ref: ImageRef | undefined): boolean =>
  ref !== undefined && (ref.repository ?? "") !== "" && ((ref.tag ?? "") !== "" || (ref.digest ?? "") !== "")

/** Any field of an image reference set. @category images @since 0.1.0 */
export const isImageRefSet = (ref: ImageRef | undefined): boolean =>
  ref !== undefined &&
  ((ref.repository ?? "") !== "" ||
    (ref.tag ?? "") !== "" ||
    (ref.digest ?? "") !== "" ||
    (ref.pullPolicy ?? "") !== "")
