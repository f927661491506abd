/**
 * The contents of the secrets the injected init container reads (spec §2.2.9 steps 4–5, §4.1), as pure functions:
 * the caller gathers tokens, connection info and tenant answers, these functions turn them into the exact bytes.
 *
 * `<dk>-bootstrapper-config` / `dynatrace-bootstrapper-config`:
 * - `dtclient.config` (code-module injection without CSI and without a code-modules image): JSON
 *   `{"apiToken","proxy","noProxy","networkZone","hostGroup","skipCertCheck"}`, in that order.
 * - `ruxitagentproc.json` (code-module injection): the tenant's process-module config, de-duplicated by key, with the
 *   `general` section amended (`hostGroup`, `tenant`, `tenantToken`, `serverAddress` = `{<endpoints>}`, `proxy`,
 *   and `noProxy` = ActiveGate hosts plus the `no-proxy` flag while a proxy is used), sorted by key:
 *   `{"properties":[{"section","key","value"}],"revision":n}`. A property amended with an empty value is removed.
 * - `initial-connect-retry` (code-module injection, flag value > -1; 6000 by default with Istio): milliseconds.
 * - `declarative.cbor` (code-module injection or host monitoring, needs the cluster's MEID): the process-grouping
 *   config; above 900 KiB it is left out, above 800 KiB a warning is due.
 * - `endpoint.properties` (code-module injection or enrichment):
 *   `DT_METRICS_INGEST_URL=<url>\nDT_METRICS_INGEST_API_TOKEN=<dataIngestToken>\n`.
 *
 * `<dk>-bootstrapper-certs` / `dynatrace-bootstrapper-certs`: `activegate.pem`, `trusted.pem` (each only when
 * non-empty). `<dk>-otlp-exporter-config`: `dataIngestToken`; `<dk>-otlp-exporter-certs`: `activegate-tls.crt`.
 *
 * JSON is written as Go's `encoding/json` writes it (HTML characters escaped), so the bytes equal the original's.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import * as FeatureFlags from "../FeatureFlags.ts"
import * as Features from "../Features.ts"
import * as Names from "../Names.ts"

/** Keys (file names) of the bootstrapper secrets. @category constants @since 0.1.0 */
export const keys = {
  clientConfig: "dtclient.config",
  processModuleConfig: "ruxitagentproc.json",
  initialConnectRetry: "initial-connect-retry",
  declarative: "declarative.cbor",
  endpointProperties: "endpoint.properties",
  activeGatePem: "activegate.pem",
  trustedPem: "trusted.pem",
  /** OTLP exporter config secret. */
  dataIngestToken: "dataIngestToken",
  /** OTLP exporter certs secret. */
  activeGateTlsCrt: "activegate-tls.crt"
} as const

/** The annotation on `<dk>-bootstrapper-config` holding the ETag of `declarative.cbor`. @category constants @since 0.1.0 */
export const pgcEtagAnnotation = "internal.operator.dynatrace.com/pgc-etag"

/** Size limits of `declarative.cbor`. @category constants @since 0.1.0 */
export const declarativeWarnBytes = 800 * 1024
/** @category constants @since 0.1.0 */
export const declarativeMaxBytes = 900 * 1024

/** Default `initial-connect-retry` with Istio when the flag is not set. @category constants @since 0.1.0 */
export const istioInitialConnectRetryMs = 6000

/** Secret data before base64: text or bytes per key. @category models @since 0.1.0 */
export type SecretData = Readonly<Record<string, string | Uint8Array>>

// ---------------------------------------------------------------------------------------------------------------------
// Go-compatible JSON

/** `JSON.stringify` with Go's `encoding/json` escaping of `<`, `>`, `&`, U+2028 and U+2029. @category encoding @since 0.1.0 */
export const goJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** Byte-wise string order (Go's `strings.Compare` on UTF-8). @category encoding @since 0.1.0 */
export const compareStrings = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

// ---------------------------------------------------------------------------------------------------------------------
// dtclient.config

/** @category models @since 0.1.0 */
export interface ClientConfig {
  readonly apiToken: string
  readonly proxy: string
  readonly noProxy: string
  readonly networkZone: string
  readonly hostGroup: string
  readonly skipCertCheck: boolean
}

/** `dtclient.config`. @category builders @since 0.1.0 */
export const clientConfig = (config: ClientConfig): string =>
  goJson({
    apiToken: config.apiToken,
    proxy: config.proxy,
    noProxy: config.noProxy,
    networkZone: config.networkZone,
    hostGroup: config.hostGroup,
    skipCertCheck: config.skipCertCheck
  })

// ---------------------------------------------------------------------------------------------------------------------
// ruxitagentproc.json

/** @category models @since 0.1.0 */
export interface ProcessModuleProperty {
  readonly section: string
  readonly key: string
  readonly value: string
}

/** @category models @since 0.1.0 */
export interface ProcessModuleConfig {
  readonly properties: ReadonlyArray<ProcessModuleProperty>
  readonly revision: number
}

/** What the `general` section is amended with. @category models @since 0.1.0 */
export interface ProcessModuleAmendment {
  readonly hostGroup: string
  readonly tenantUUID: string
  readonly tenantToken: string
  /** Communication endpoints joined with `;`. */
  readonly endpoints: string
  /** The proxy URL when OneAgents use a proxy (undefined: none, and `proxy`/`noProxy` are removed). */
  readonly proxy?: string | undefined
  /** `noProxy` while a proxy is used: ActiveGate hosts, then `,` and the `no-proxy` flag when it is set. */
  readonly noProxy?: string | undefined
}

/**
 * Sets (or, for an empty value, removes) the property with `key` in whatever section it is; a new property goes to
 * `section`. Keys are unique afterwards (a cache written by old operators could repeat them; the last one wins).
 * @category builders
 * @since 0.1.0
 */
export const setProperty = (
  properties: ReadonlyArray<ProcessModuleProperty>,
  section: string,
  key: string,
  value: string
): ReadonlyArray<ProcessModuleProperty> => {
  const unique = new Map<string, ProcessModuleProperty>()
  for (const property of properties) unique.set(property.key, property)
  if (value === "") unique.delete(key)
  else unique.set(key, { section, key, value })
  return [...unique.values()]
}

/**
 * Amends a process-module config (from the tenant, or the amended one cached in the source secret: amending is
 * idempotent) and sorts its properties by key.
 * @category builders
 * @since 0.1.0
 */
export const amendProcessModuleConfig = (
  base: ProcessModuleConfig,
  amendment: ProcessModuleAmendment
): ProcessModuleConfig => {
  const general = "general"
  let properties = setProperty(base.properties, general, "hostGroup", amendment.hostGroup)
  properties = setProperty(properties, general, "tenant", amendment.tenantUUID)
  properties = setProperty(properties, general, "tenantToken", amendment.tenantToken)
  properties = setProperty(properties, general, "serverAddress", `{${amendment.endpoints}}`)
  properties = setProperty(properties, general, "proxy", amendment.proxy ?? "")
  properties = setProperty(
    properties,
    general,
    "noProxy",
    amendment.proxy === undefined ? "" : (amendment.noProxy ?? "")
  )
  return {
    properties: properties.toSorted((a, b) => compareStrings(a.key, b.key)),
    revision: base.revision
  }
}

/** `ruxitagentproc.json`. @category builders @since 0.1.0 */
export const processModuleConfigJson = (config: ProcessModuleConfig): string =>
  goJson({
    properties: config.properties.map((p) => ({ section: p.section, key: p.key, value: p.value })),
    revision: config.revision
  })

/** Reads a cached `ruxitagentproc.json`; undefined when it is not one (or has no properties). @category builders @since 0.1.0 */
export const parseProcessModuleConfig = (text: string): ProcessModuleConfig | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof parsed !== "object" || parsed === null) return undefined
  const { properties, revision } = parsed as { properties?: unknown; revision?: unknown }
  if (!Array.isArray(properties) || properties.length === 0) return undefined
  const valid = properties.every(
    (p: unknown) =>
      typeof p === "object" &&
      p !== null &&
      typeof (p as ProcessModuleProperty).section === "string" &&
      typeof (p as ProcessModuleProperty).key === "string" &&
      typeof (p as ProcessModuleProperty).value === "string"
  )
  if (!valid) return undefined
  return {
    properties: (properties as ReadonlyArray<ProcessModuleProperty>).map((p) => ({
      section: p.section,
      key: p.key,
      value: p.value
    })),
    revision: typeof revision === "number" && Number.isInteger(revision) && revision >= 0 ? revision : 0
  }
}

/**
 * `noProxy` of `ruxitagentproc.json`: the ActiveGate's service IPs (IPv6 in brackets) and, with the `routing`
 * capability, its service host `<dk>-activegate.<ns>`, comma-separated; then `,<no-proxy flag>` when the flag is set.
 * @category builders
 * @since 0.1.0
 */
export const oneAgentNoProxy = (input: {
  readonly serviceIPs: ReadonlyArray<string>
  readonly routing: boolean
  readonly serviceHost: string
  readonly noProxyFlag: string
}): string => {
  const entries = input.serviceIPs.map((ip) => (ip.includes(":") ? `[${ip}]` : ip))
  if (input.routing) entries.push(input.serviceHost)
  const hosts = entries.join(",")
  return input.noProxyFlag === "" ? hosts : `${hosts},${input.noProxyFlag}`
}

// ---------------------------------------------------------------------------------------------------------------------
// initial-connect-retry, endpoint.properties, declarative.cbor

/** Go's `strconv.Atoi` on the flag text; undefined when it is not an integer. */
const parseGoInt = (text: string | undefined): number | undefined =>
  text !== undefined && /^[+-]?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined

/**
 * The `oneagent-initial-connect-retry-ms` flag: its integer value, else -1, except 6000 with Istio when unset.
 * @category builders
 * @since 0.1.0
 */
export const initialConnectRetryMs = (dk: DynaKube): number => {
  const value = parseGoInt(dk.metadata?.annotations?.[FeatureFlags.keys.oneAgentInitialConnectRetry]) ?? -1
  return value === -1 && dk.spec.enableIstio === true ? istioInitialConnectRetryMs : value
}

/**
 * The metrics ingest URL: the in-cluster ActiveGate (`metrics-ingest` capability) or the tenant.
 * @category builders
 * @since 0.1.0
 */
export const metricsIngestUrl = (input: {
  readonly dynakube: string
  readonly namespace: string
  readonly apiUrl: string
  readonly metricsIngestCapability: boolean
  readonly tenantUUID: string
}): string =>
  input.metricsIngestCapability
    ? `http://${input.dynakube}-activegate.${input.namespace}/e/${input.tenantUUID}/api/v2/metrics/ingest`
    : `${input.apiUrl}/v2/metrics/ingest`

/** `endpoint.properties`. @category builders @since 0.1.0 */
export const endpointProperties = (url: string, dataIngestToken: string | undefined): string =>
  `DT_METRICS_INGEST_URL=${url}\nDT_METRICS_INGEST_API_TOKEN=${dataIngestToken ?? ""}\n`

/** What to do with a process-grouping config of `size` bytes. @category builders @since 0.1.0 */
export const declarativeVerdict = (size: number): "keep" | "warn" | "skip" =>
  size > declarativeMaxBytes ? "skip" : size > declarativeWarnBytes ? "warn" : "keep"

// ---------------------------------------------------------------------------------------------------------------------
// What the DynaKube needs

/** Which parts of the bootstrapper config a DynaKube needs. @category models @since 0.1.0 */
export interface Needs {
  /** Code-module injection (cloudNativeFullStack or applicationMonitoring). */
  readonly appInjection: boolean
  readonly metadataEnrichment: boolean
  readonly hostMonitoring: boolean
  /** `dtclient.config`: injection that downloads the zip (no CSI driver, no code-modules image). */
  readonly downloadConfig: boolean
  /** `declarative.cbor`: injection or host monitoring. */
  readonly processGroupingConfig: boolean
  /** The bootstrapper config secret at all (injection, host monitoring or enrichment). */
  readonly bootstrapperConfig: boolean
  readonly otlp: boolean
}

/** @category getters @since 0.1.0 */
export const needs = (dk: DynaKube, options: { readonly csiDriver: boolean }): Needs => {
  const features = Features.of(dk.spec)
  const hostMonitoring = features.oneAgentMode === "hostMonitoring"
  return {
    appInjection: features.appInjection,
    metadataEnrichment: features.metadataEnrichment,
    hostMonitoring,
    downloadConfig: features.appInjection && !options.csiDriver && features.codeModulesImage === undefined,
    processGroupingConfig: features.appInjection || hostMonitoring,
    bootstrapperConfig: features.appInjection || hostMonitoring || features.metadataEnrichment,
    otlp: features.otlpExporter
  }
}

/** The OneAgent host group: `spec.oneAgent.hostGroup`, else a `--set-host-group=` installer argument. @category getters @since 0.1.0 */
export const hostGroup = (dk: DynaKube): string => {
  const oneAgent = dk.spec.oneAgent
  if (oneAgent?.hostGroup !== undefined && oneAgent.hostGroup !== "") return oneAgent.hostGroup
  const hostSpec = oneAgent?.cloudNativeFullStack ?? oneAgent?.classicFullStack ?? oneAgent?.hostMonitoring
  for (const arg of hostSpec?.args ?? []) {
    const eq = arg.indexOf("=")
    if ((eq === -1 ? arg : arg.slice(0, eq)) === "--set-host-group") return eq === -1 ? "" : arg.slice(eq + 1)
  }
  return ""
}

/** The automatic ActiveGate TLS flag (`automatic-tls-certificate`, default true). */
const automaticTlsKey = `${FeatureFlags.prefix}automatic-tls-certificate`

/**
 * The Secret holding the ActiveGate's certificate for agents (`tlsSecretName`, else the automatic
 * `<dk>-activegate-tls-secret`), when an ActiveGate is enabled and has one.
 * @category getters
 * @since 0.1.0
 */
export const activeGateTlsSecret = (dk: DynaKube): string | undefined => {
  if (!Features.of(dk.spec).activeGate) return undefined
  const configured = dk.spec.activeGate?.tlsSecretName
  if (configured !== undefined && configured !== "") return configured
  const automatic = FeatureFlags.parseBool(dk.metadata?.annotations?.[automaticTlsKey]) ?? true
  return automatic ? `${dk.metadata?.name ?? ""}-activegate-tls-secret` : undefined
}

/** The certificate of an ActiveGate TLS secret's (decoded) data: `tls.crt`, else `server.crt`. @category getters @since 0.1.0 */
export const activeGateCertificate = (data: Readonly<Record<string, string>>): string | undefined =>
  data["tls.crt"] ?? data["server.crt"]

/** `<dk>-bootstrapper-certs` data. @category builders @since 0.1.0 */
export const certsData = (input: {
  readonly activeGateCert?: string | undefined
  readonly trustedCAs?: string | undefined
}): SecretData => ({
  ...(input.activeGateCert === undefined || input.activeGateCert === ""
    ? {}
    : { [keys.activeGatePem]: input.activeGateCert }),
  ...(input.trustedCAs === undefined || input.trustedCAs === "" ? {} : { [keys.trustedPem]: input.trustedCAs })
})

/** Names of the source secrets of a DynaKube (in its namespace). @category getters @since 0.1.0 */
export const sourceNames = (dk: string) => ({
  bootstrapperConfig: `${dk}-bootstrapper-config`,
  bootstrapperCerts: `${dk}-bootstrapper-certs`,
  otlpConfig: `${dk}-otlp-exporter-config`,
  otlpCerts: `${dk}-otlp-exporter-certs`
})

/** Names of the replicas in mapped namespaces (spec Appendix A). @category constants @since 0.1.0 */
export const replicaNames = {
  bootstrapperConfig: Names.replicatedSecrets[0],
  bootstrapperCerts: Names.replicatedSecrets[1],
  otlpConfig: Names.replicatedSecrets[2],
  otlpCerts: Names.replicatedSecrets[3]
} as const
