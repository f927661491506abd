/**
 * OTLP exporter injection (spec §3.5, last part): env vars that point the application's OpenTelemetry SDK at
 * Dynatrace, per container that is not excluded and (unless `overrideEnvVars`) does not configure an OTLP exporter
 * itself.
 *
 * - `DT_API_TOKEN` from Secret `dynatrace-otlp-exporter-config` key `dataIngestToken` (never a literal value)
 * - per enabled signal: `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT=<base>/v1/<signal>`, `…_PROTOCOL=http/protobuf`,
 *   `…_HEADERS=authorization=Api-Token $(DT_API_TOKEN)`, for metrics also
 *   `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta`
 * - base = the in-cluster ActiveGate (`https://<dk>-activegate.<ns>/e/<tenant>/api/v2/otlp`) when there is one,
 *   else `<apiUrl>/v2/otlp`
 * - with a CA to trust: volume `otlp-dynatrace-certs` at `/etc/dynatrace/ssl` and
 *   `…_CERTIFICATE=/etc/dynatrace/ssl/activegate-tls.crt`
 * - `NO_PROXY` gains the ActiveGate service host (feature flag `otlp-exporter-configuration-set-no-proxy`)
 * - `OTEL_RESOURCE_ATTRIBUTES` gains the pod's attributes (values percent-encoded; keys the application set win);
 *   pod name, uid and node come from `K8S_PODNAME`, `K8S_PODUID`, `K8S_NODE_NAME` (downward API), added when absent.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { Container, EnvVar, Volume } from "../../../schemas/Pod.ts"
import { isApiUrl, parseApiUrl } from "../../../services/dynatrace/ApiUrl.ts"
import * as DynaKubeInjection from "../DynaKubeInjection.ts"
import * as FeatureFlags from "../FeatureFlags.ts"
import * as Keys from "../Keys.ts"
import type * as Attributes from "./Attributes.ts"

/** The signals. @category models @since 0.1.0 */
export type Signal = "traces" | "metrics" | "logs"

/** What to inject, the same for every container. @category models @since 0.1.0 */
export interface OtlpSettings {
  readonly base: string
  readonly signals: ReadonlyArray<Signal>
  readonly override: boolean
  readonly certificates: boolean
  readonly noProxyHost: string | undefined
  readonly attributes: Attributes.Attributes
}

/** The data-ingest token key in the OTLP config Secret. @category constants @since 0.1.0 */
export const tokenKey = "dataIngestToken"
/** The certificate file in the OTLP certs Secret. @category constants @since 0.1.0 */
export const certificateFile = "activegate-tls.crt"

const activeGateHost = (dk: DynaKube) => `${dk.metadata?.name ?? ""}-activegate.${dk.metadata?.namespace ?? ""}`

const activeGateTenant = (dk: DynaKube): string =>
  dk.status?.activeGate?.connectionInfoStatus?.tenantUUID ?? dk.status?.oneAgent?.connectionInfoStatus?.tenantUUID ?? ""

/** The ActiveGate receives the data (enabled and its tenant known). @category settings @since 0.1.0 */
export const viaActiveGate = (dk: DynaKube): boolean =>
  DynaKubeInjection.activeGateEnabled(dk) && activeGateTenant(dk) !== ""

/** The OTLP base URL. @category settings @since 0.1.0 */
export const baseUrl = (dk: DynaKube): string => {
  if (viaActiveGate(dk)) return `https://${activeGateHost(dk)}/e/${activeGateTenant(dk)}/api/v2/otlp`
  const url = parseApiUrl(dk.spec.apiUrl)
  return `${isApiUrl(url) ? url.base : dk.spec.apiUrl.replace(/\/+$/, "")}/v2/otlp`
}

/** A CA must be trusted (the ActiveGate's certificate, or `trustedCAs`). @category settings @since 0.1.0 */
export const needsCertificates = (dk: DynaKube): boolean =>
  (viaActiveGate(dk) && DynaKubeInjection.activeGateHasCaCert(dk)) || dk.spec.trustedCAs !== undefined

/** The settings for a DynaKube (`certificates` only when the certs Secret is available). @category settings @since 0.1.0 */
export const settings = (dk: DynaKube, attributes: Attributes.Attributes, certsAvailable: boolean): OtlpSettings => ({
  base: baseUrl(dk),
  signals: DynaKubeInjection.otlpSignals(dk),
  override: dk.spec.otlpExporterConfiguration?.overrideEnvVars === true,
  certificates: certsAvailable && needsCertificates(dk),
  noProxyHost:
    viaActiveGate(dk) && FeatureFlags.otlpExporterSetNoProxy(dk.metadata?.annotations) ? activeGateHost(dk) : undefined,
  attributes
})

const exporterVar = /^OTEL_EXPORTER_OTLP_(?:(?:TRACES|METRICS|LOGS)_)?(?:ENDPOINT|HEADERS|PROTOCOL|CERTIFICATE)$/

/** The container configures an OTLP exporter itself. @category predicates @since 0.1.0 */
export const configuresExporter = (container: Container): boolean =>
  (container.env ?? []).some((e) => exporterVar.test(e.name))

/** The certs volume. @category volumes @since 0.1.0 */
export const certsVolume = (): Volume => ({
  name: Keys.names.otlpCertsVolume,
  secret: { secretName: Keys.names.otlpCertsSecret }
})

const set = (env: ReadonlyArray<EnvVar>, name: string, value: string, override: boolean): ReadonlyArray<EnvVar> => {
  const index = env.findIndex((e) => e.name === name)
  if (index < 0) return [...env, { name, value }]
  const current = env[index]
  if (!override || (current?.value === value && current.valueFrom === undefined)) return env
  return env.map((e, i) => {
    if (i !== index) return e
    const { valueFrom: _replaced, ...rest } = e
    return { ...rest, value }
  })
}

const addIfAbsent = (env: ReadonlyArray<EnvVar>, variable: EnvVar): ReadonlyArray<EnvVar> =>
  env.some((e) => e.name === variable.name) ? env : [...env, variable]

const isReference = (value: string) => /^\$\([A-Z_][A-Z0-9_]*\)$/.test(value)

const encodeAttributes = (attributes: ReadonlyArray<readonly [string, string]>): string =>
  attributes.map(([k, v]) => `${k}=${isReference(v) ? v : encodeURIComponent(v)}`).join(",")

const existingKeys = (value: string): ReadonlySet<string> =>
  new Set(
    value
      .split(",")
      .map((pair) => pair.split("=")[0]?.trim() ?? "")
      .filter((k) => k !== "")
  )

const withResourceAttributes = (
  env: ReadonlyArray<EnvVar>,
  attributes: Attributes.Attributes
): ReadonlyArray<EnvVar> => {
  const index = env.findIndex((e) => e.name === Keys.env.resourceAttributes)
  const current = index < 0 ? undefined : env[index]
  if (current?.valueFrom !== undefined) return env
  // `$(VAR)` expands only for variables defined before it: an existing entry keeps its place (no reordering, so the
  // patch stays a set of appends and in-place values) and gets only the references it can resolve.
  const defined = new Set(env.slice(0, index < 0 ? env.length : index).map((e) => e.name))
  const value = current?.value ?? ""
  const have = existingKeys(value)
  const missing = [...attributes].filter(([k, v]) => {
    if (have.has(k)) return false
    const reference = /^\$\(([A-Z_][A-Z0-9_]*)\)$/.exec(v)
    return reference === null || defined.has(reference[1] ?? "")
  })
  if (missing.length === 0) return env
  const merged = [value, encodeAttributes(missing)].filter((p) => p !== "").join(",")
  if (current === undefined) return [...env, { name: Keys.env.resourceAttributes, value: merged }]
  return env.map((e, i) => (i === index ? { ...e, value: merged } : e))
}

const withNoProxy = (env: ReadonlyArray<EnvVar>, host: string): ReadonlyArray<EnvVar> => {
  const index = env.findIndex((e) => e.name === Keys.env.noProxy)
  if (index < 0) return [...env, { name: Keys.env.noProxy, value: host }]
  const current = env[index]
  if (current === undefined || current.valueFrom !== undefined) return env
  const value = current.value ?? ""
  if (
    value
      .split(",")
      .map((s) => s.trim())
      .includes(host)
  )
    return env
  return env.map((e, i) => (i === index ? { ...e, value: value === "" ? host : `${value},${host}` } : e))
}

const downwardApi: ReadonlyArray<readonly [string, string]> = [
  [Keys.env.podName, "metadata.name"],
  [Keys.env.podUid, "metadata.uid"],
  [Keys.env.nodeName, "spec.nodeName"]
]

/** Injects into one container (unchanged when it configures an exporter and overriding is off). @category mutation @since 0.1.0 */
export const inject = (container: Container, s: OtlpSettings): Container => {
  if (!s.override && configuresExporter(container)) return container
  const env0 = container.env ?? []
  let env = addIfAbsent(env0, {
    name: Keys.env.apiToken,
    valueFrom: { secretKeyRef: { name: Keys.names.otlpConfigSecret, key: tokenKey } }
  })
  for (const signal of s.signals) {
    const prefix = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}`
    env = set(env, `${prefix}_ENDPOINT`, `${s.base}/v1/${signal}`, s.override)
    env = set(env, `${prefix}_PROTOCOL`, "http/protobuf", s.override)
    env = set(env, `${prefix}_HEADERS`, `authorization=Api-Token $(${Keys.env.apiToken})`, s.override)
    if (signal === "metrics") env = set(env, `${prefix}_TEMPORALITY_PREFERENCE`, "delta", s.override)
    if (s.certificates)
      env = set(env, `${prefix}_CERTIFICATE`, `${Keys.paths.otlpCerts}/${certificateFile}`, s.override)
  }
  if (s.noProxyHost !== undefined) env = withNoProxy(env, s.noProxyHost)
  for (const [name, fieldPath] of downwardApi) env = addIfAbsent(env, { name, valueFrom: { fieldRef: { fieldPath } } })
  env = withResourceAttributes(env, s.attributes)

  const mounts0 = container.volumeMounts ?? []
  const mounts =
    s.certificates && !mounts0.some((m) => m.mountPath === Keys.paths.otlpCerts)
      ? [...mounts0, { name: Keys.names.otlpCertsVolume, mountPath: Keys.paths.otlpCerts, readOnly: true }]
      : mounts0
  if (env === env0 && mounts === mounts0) return container
  return {
    ...container,
    ...(env === env0 ? {} : { env }),
    ...(mounts === mounts0 ? {} : { volumeMounts: mounts })
  }
}
