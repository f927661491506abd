/**
 * What the ActiveGate of a DynaKube does (spec §1.2, §2.2.5): whether it is enabled, the `DT_CAPABILITIES` it runs
 * with, its TLS certificate, and how OneAgents and ActiveGates address its Service.
 *
 * - Enabled: `spec.activeGate.capabilities` is not empty, or extensions are enabled (Prometheus or databases).
 * - `DT_CAPABILITIES`: the known capabilities in spec order, mapped to their ActiveGate names (unknown values are
 *   skipped), plus `extension_controller` with extensions and `log_analytics_collector,generic_ingest,otlp_ingest`
 *   with telemetry ingest or an OTLP exporter configuration. The StatefulSet and Service exist only when this is
 *   not empty.
 *
 * @since 0.1.0
 */
import { Capabilities, type Capability, type DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { isIPv6Address } from "../oneagent/GoCompat.ts"
import { hasProxy, nameOf, namespaceOf } from "../oneagent/WorkloadParts.ts"
import type { WorkloadFlags } from "../oneagent/WorkloadFlags.ts"

/** HTTPS port of the ActiveGate Service. @category constants @since 0.1.0 */
export const httpsServicePort = 443
/** HTTP port of the ActiveGate Service. @category constants @since 0.1.0 */
export const httpServicePort = 80
/** HTTPS port of the ActiveGate container. @category constants @since 0.1.0 */
export const httpsContainerPort = 9999
/** HTTP port of the ActiveGate container. @category constants @since 0.1.0 */
export const httpContainerPort = 9998

/**
 * Names of the ActiveGate objects of a DynaKube.
 * @category names
 * @since 0.1.0
 */
export const activeGateNames = (dk: string) => ({
  statefulSet: `${dk}-activegate`,
  service: `${dk}-activegate`,
  tenantSecret: `${dk}-activegate-tenant-secret`,
  authTokenSecret: `${dk}-activegate-authtoken-secret`,
  autoTlsSecret: `${dk}-activegate-tls-secret`,
  connectionInfo: `${dk}-activegate-connection-info`,
  deploymentProperties: `${dk}-activegate-deployment-properties`,
  extensionsToken: `${dk}-extensions-token`,
  kspmToken: `${dk}-kspm-token`
})

/** @category predicates @since 0.1.0 */
export const capabilities = (dk: DynaKube): ReadonlyArray<string> => dk.spec.activeGate?.capabilities ?? []

/** The ActiveGate has `capability`. @category predicates @since 0.1.0 */
export const hasCapability = (dk: DynaKube, capability: Capability): boolean => capabilities(dk).includes(capability)

/** Prometheus extensions or SQL databases are configured. @category predicates @since 0.1.0 */
export const extensionsEnabled = (dk: DynaKube): boolean =>
  dk.spec.extensions?.prometheus !== undefined || (dk.spec.extensions?.databases?.length ?? 0) > 0

/** `spec.telemetryIngest` is present. @category predicates @since 0.1.0 */
export const telemetryIngestEnabled = (dk: DynaKube): boolean => dk.spec.telemetryIngest !== undefined

/** At least one OTLP exporter signal is present (even `{}`). @category predicates @since 0.1.0 */
export const otlpExporterEnabled = (dk: DynaKube): boolean => {
  const signals = dk.spec.otlpExporterConfiguration?.signals
  return signals?.metrics !== undefined || signals?.traces !== undefined || signals?.logs !== undefined
}

/** `spec.kspm` is present. @category predicates @since 0.1.0 */
export const kspmEnabled = (dk: DynaKube): boolean => dk.spec.kspm !== undefined

/**
 * The ActiveGate is enabled: capabilities are configured or extensions need it.
 * @category predicates
 * @since 0.1.0
 */
export const isActiveGateEnabled = (dk: DynaKube): boolean => capabilities(dk).length > 0 || extensionsEnabled(dk)

/**
 * The `DT_CAPABILITIES` value: `""` when the ActiveGate is disabled or has nothing to do.
 * @category capabilities
 * @since 0.1.0
 */
export const activeGateCapabilities = (dk: DynaKube): string => {
  if (!isActiveGateEnabled(dk)) return ""
  const names: Array<string> = capabilities(dk).flatMap((c) =>
    Object.hasOwn(Capabilities, c) ? [Capabilities[c as Capability]] : []
  )
  if (extensionsEnabled(dk)) names.push("extension_controller")
  if (telemetryIngestEnabled(dk) || otlpExporterEnabled(dk)) {
    names.push("log_analytics_collector", "generic_ingest", "otlp_ingest")
  }
  return names.join(",")
}

/**
 * The StatefulSet, Service, custom properties and TLS secret are needed (`DT_CAPABILITIES` is not empty).
 * @category predicates
 * @since 0.1.0
 */
export const needsActiveGateStatefulSet = (dk: DynaKube): boolean => activeGateCapabilities(dk) !== ""

/**
 * The name of the Secret with the ActiveGate's certificate: `spec.activeGate.tlsSecretName`, else the automatic
 * `<dk>-activegate-tls-secret` when the `automatic-tls-certificate` flag is on (default), else none.
 * @category tls
 * @since 0.1.0
 */
export const tlsSecretName = (dk: DynaKube, flags: WorkloadFlags): string | undefined => {
  const custom = dk.spec.activeGate?.tlsSecretName ?? ""
  if (custom !== "") return custom
  return flags.automaticTlsCertificate ? activeGateNames(nameOf(dk)).autoTlsSecret : undefined
}

/**
 * The ActiveGate is enabled and has a certificate agents must trust (`HasCaCert`).
 * @category tls
 * @since 0.1.0
 */
export const hasActiveGateCaCert = (dk: DynaKube, flags: WorkloadFlags): boolean =>
  isActiveGateEnabled(dk) && tlsSecretName(dk, flags) !== undefined

/**
 * The automatic self-signed TLS Secret is wanted: ActiveGate enabled, flag on, no user secret.
 * @category tls
 * @since 0.1.0
 */
export const needsAutomaticTlsSecret = (dk: DynaKube, flags: WorkloadFlags): boolean =>
  isActiveGateEnabled(dk) && flags.automaticTlsCertificate && (dk.spec.activeGate?.tlsSecretName ?? "") === ""

/**
 * The ActiveGate uses the proxy (deprecated flag `activegate-ignore-proxy` off).
 * @category proxy
 * @since 0.1.0
 */
export const needsActiveGateProxy = (dk: DynaKube, flags: WorkloadFlags): boolean =>
  !flags.activeGateIgnoreProxy && hasProxy(dk) && isActiveGateEnabled(dk)

/** `<dk>-activegate.<namespace>`. @category addressing @since 0.1.0 */
export const serviceHostname = (dk: DynaKube): string => `${activeGateNames(nameOf(dk)).service}.${namespaceOf(dk)}`

const serviceIPs = (dk: DynaKube): ReadonlyArray<string> =>
  (dk.status?.activeGate?.serviceIPs ?? []).map((ip) => (isIPv6Address(ip) ? `[${ip}]` : ip))

/**
 * The ActiveGate's hosts for no-proxy lists: its Service IPs (IPv6 in brackets) and, with `routing`, the Service
 * host name.
 * @category addressing
 * @since 0.1.0
 */
export const activeGateHostEntries = (dk: DynaKube): string =>
  [...serviceIPs(dk), ...(hasCapability(dk, "routing") ? [serviceHostname(dk)] : [])].join(",")

/**
 * `DT_DNS_ENTRY_POINT`: `https://<ip>:443/communication` per Service IP and, with `routing`, the Service host name.
 * @category addressing
 * @since 0.1.0
 */
export const dnsEntryPoint = (dk: DynaKube): string =>
  [...serviceIPs(dk), ...(hasCapability(dk, "routing") ? [serviceHostname(dk)] : [])]
    .map((host) => `https://${host}:${httpsServicePort}/communication`)
    .join(",")
