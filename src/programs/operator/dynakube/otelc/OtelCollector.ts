/**
 * The OpenTelemetry collector's configuration objects (spec §2.2.11), built purely from the DynaKube:
 *
 * - Service `<dk>-telemetry-ingest` (or `spec.telemetryIngest.serviceName`): ClusterIP in front of the collector
 *   pods, one port per receiver of the enabled protocols (otlp-grpc 4317, otlp-http 4318, jaeger-grpc 14250,
 *   jaeger-thrift-binary 6832/UDP, jaeger-thrift-compact 6831/UDP, jaeger-thrift-http 14268, statsd 8125/UDP,
 *   zipkin 9411).
 * - ConfigMap `dynatrace-otlp-api-endpoint` (key `DT_ENDPOINT`): `<apiUrl>/v2/otlp`, or through the ActiveGate
 *   `https://<dk>-activegate.<ns>/e/<tenantUUID>/api/v2/otlp` when one is deployed. The name has no DynaKube prefix,
 *   as in the original.
 * - ConfigMap `<dk>-telemetry-collector-config` (key `telemetry.yaml`): the collector configuration.
 *
 * The collector runs when telemetryIngest is set or Prometheus extensions are enabled; these three objects exist
 * only with telemetryIngest (with Prometheus alone the Extension Execution Controller serves the configuration).
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { isApiUrl, parseApiUrl } from "../../../../services/dynatrace/ApiUrl.ts"
import { hasActiveGateCaCert, isActiveGateEnabled, serviceHostname } from "../activegate/Capabilities.ts"
import type { WorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import {
  appMatchLabels,
  coreLabels,
  nameOf,
  nonEmptyList,
  type OperatorContext,
  ownedMeta,
  prune
} from "../oneagent/WorkloadParts.ts"
import type { BuiltMeta, ConfigMap, StringMap } from "../oneagent/WorkloadTypes.ts"
import { allProtocols, collectorConfig, configKey, type Protocol, ports } from "./CollectorConfig.ts"

/** `app.kubernetes.io/component` (and pod `name`) of everything belonging to the collector. @category constants @since 0.1.0 */
export const otelCollectorComponent = "dynatrace-otel-collector"

/** The endpoint ConfigMap's name (shared by every DynaKube of the namespace, as in the original). @category constants @since 0.1.0 */
export const endpointConfigMapName = "dynatrace-otlp-api-endpoint"

/** Key of the endpoint in {@link endpointConfigMapName}; also the collector's env var. @category constants @since 0.1.0 */
export const endpointKey = "DT_ENDPOINT"

/** Env var holding the data-ingest token in the collector container. @category constants @since 0.1.0 */
export const dataIngestTokenEnv = "DT_DATA_INGEST_TOKEN"

/** Mount paths the configuration refers to. @category constants @since 0.1.0 */
export const paths = {
  customTls: "/tls/custom/telemetry",
  trustedCAsDir: "/tls/custom/cacerts",
  trustedCAsFile: "rootca.pem",
  activeGateCertDir: "/tls/custom/activegate",
  activeGateCertFile: "cert.pem",
  config: "/config"
} as const

/**
 * Names of the collector's objects for the DynaKube `dk`.
 * @category names
 * @since 0.1.0
 */
export const otelcNames = (dk: string) => ({
  statefulSet: `${dk}-otel-collector`,
  configConfigMap: `${dk}-telemetry-collector-config`,
  defaultService: `${dk}-telemetry-ingest`,
  endpointConfigMap: endpointConfigMapName
})

/** telemetryIngest is set. @category predicates @since 0.1.0 */
export const telemetryIngestEnabled = (dk: DynaKube): boolean =>
  dk.spec.telemetryIngest !== undefined && dk.spec.telemetryIngest !== null

/** Prometheus extensions are enabled. @category predicates @since 0.1.0 */
export const prometheusEnabled = (dk: DynaKube): boolean =>
  dk.spec.extensions?.prometheus !== undefined && dk.spec.extensions.prometheus !== null

/** The collector StatefulSet is wanted. @category predicates @since 0.1.0 */
export const collectorEnabled = (dk: DynaKube): boolean => telemetryIngestEnabled(dk) || prometheusEnabled(dk)

/** The Service name: `spec.telemetryIngest.serviceName`, else `<dk>-telemetry-ingest`. @category names @since 0.1.0 */
export const serviceName = (dk: DynaKube): string => {
  const custom = dk.spec.telemetryIngest?.serviceName ?? ""
  return custom === "" ? otelcNames(nameOf(dk)).defaultService : custom
}

const known = new Set<string>(allProtocols)

/** The enabled protocols: the spec's known ones in its order, all of them when the list is empty. @category accessors @since 0.1.0 */
export const protocols = (dk: DynaKube): ReadonlyArray<Protocol> => {
  const listed = dk.spec.telemetryIngest?.protocols ?? []
  if (listed.length === 0) return allProtocols
  return listed.filter((p): p is Protocol => known.has(p))
}

/** The ActiveGate's certificate is what the exporter must trust (`IsAGCertificateNeeded`). @category tls @since 0.1.0 */
export const needsActiveGateCertificate = (dk: DynaKube, flags: WorkloadFlags): boolean =>
  hasActiveGateCaCert(dk, flags)

/** No ActiveGate, and trusted CAs are configured (`IsCACertificateNeeded`). @category tls @since 0.1.0 */
export const needsTrustedCAs = (dk: DynaKube): boolean => !isActiveGateEnabled(dk) && (dk.spec.trustedCAs ?? "") !== ""

/** The tenant UUID as the status knows it (OneAgent, then ActiveGate, then kubemon connection info). */
export const tenantUUID = (dk: DynaKube): string | undefined => {
  const s = dk.status
  for (const candidate of [
    s?.oneAgent?.connectionInfoStatus?.tenantUUID,
    s?.activeGate?.connectionInfoStatus?.tenantUUID,
    s?.kubernetesMonitoring?.connectionInfo?.tenantUUID
  ]) {
    if (candidate !== undefined && candidate !== "") return candidate
  }
  return undefined
}

/** Why the OTLP endpoint cannot be computed yet. @category models @since 0.1.0 */
export interface EndpointProblem {
  readonly problem: string
}

/**
 * The OTLP endpoint the collector exports to: through the in-cluster ActiveGate when one is enabled (needs the
 * tenant UUID from the status), else the tenant's 2nd-generation API URL.
 * @category constructors
 * @since 0.1.0
 */
export const otlpEndpoint = (dk: DynaKube): string | EndpointProblem => {
  if (isActiveGateEnabled(dk)) {
    const tenant = tenantUUID(dk)
    if (tenant === undefined) return { problem: "tenant UUID not available" }
    return `https://${serviceHostname(dk)}/e/${tenant}/api/v2/otlp`
  }
  const url = parseApiUrl(dk.spec.apiUrl)
  if (!isApiUrl(url)) return { problem: url.problem }
  return `${url.base}/v2/otlp`
}

/** A Service port (the collector has UDP ones). @category models @since 0.1.0 */
export interface ServicePort {
  readonly name: string
  readonly port: number
  readonly protocol: "TCP" | "UDP"
  readonly appProtocol?: "grpc" | "http" | undefined
  readonly targetPort: number
}

/** The collector's Service. @category models @since 0.1.0 */
export interface CollectorService {
  readonly apiVersion: "v1"
  readonly kind: "Service"
  readonly metadata: BuiltMeta
  readonly spec: {
    readonly type: "ClusterIP"
    readonly selector: StringMap
    readonly ports?: ReadonlyArray<ServicePort> | undefined
  }
}

const port = (name: string, number: number, protocol: "TCP" | "UDP", appProtocol?: "grpc" | "http"): ServicePort => ({
  name,
  port: number,
  protocol,
  appProtocol,
  targetPort: number
})

/** The Service ports of the enabled protocols, in protocol order. @category constructors @since 0.1.0 */
export const servicePorts = (list: ReadonlyArray<Protocol>): Array<ServicePort> =>
  list.flatMap((p): Array<ServicePort> => {
    switch (p) {
      case "zipkin":
        return [port("zipkin", ports.zipkin, "TCP")]
      case "otlp":
        return [port("otlp-grpc", ports.otlpGrpc, "TCP", "grpc"), port("otlp-http", ports.otlpHttp, "TCP", "http")]
      case "jaeger":
        return [
          port("jaeger-grpc", ports.jaegerGrpc, "TCP", "grpc"),
          port("jaeger-thrift-binary", ports.jaegerThriftBinary, "UDP"),
          port("jaeger-thrift-compact", ports.jaegerThriftCompact, "UDP"),
          port("jaeger-thrift-http", ports.jaegerThriftHttp, "TCP")
        ]
      case "statsd":
        return [port("statsd", ports.statsd, "UDP")]
    }
  })

type Input = { readonly dynakube: DynaKube; readonly operator: Pick<OperatorContext, "operatorVersion"> }

const labels = (input: Input) =>
  coreLabels(nameOf(input.dynakube), otelCollectorComponent, input.operator.operatorVersion)

/**
 * The collector's Service.
 * @category constructors
 * @since 0.1.0
 */
export const buildService = (input: Input): CollectorService =>
  prune<CollectorService>({
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMeta(input.dynakube, serviceName(input.dynakube), labels(input)),
    spec: {
      type: "ClusterIP",
      selector: appMatchLabels(otelCollectorComponent, nameOf(input.dynakube)),
      ports: nonEmptyList(servicePorts(protocols(input.dynakube)))
    }
  })

/**
 * The endpoint ConfigMap, or why it cannot be built yet.
 * @category constructors
 * @since 0.1.0
 */
export const buildEndpointConfigMap = (input: Input): ConfigMap | EndpointProblem => {
  const endpoint = otlpEndpoint(input.dynakube)
  if (typeof endpoint !== "string") return endpoint
  return prune<ConfigMap>({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: ownedMeta(input.dynakube, endpointConfigMapName, labels(input)),
    data: { [endpointKey]: endpoint }
  })
}

/**
 * The `telemetry.yaml` of a DynaKube: the exporter trusts the ActiveGate certificate when one is used, else the
 * trusted CAs plus the system pool; the receivers serve TLS with the `tlsRefName` Secret.
 * @category constructors
 * @since 0.1.0
 */
export const telemetryConfig = (dk: DynaKube, flags: WorkloadFlags): string => {
  const activeGateCert = needsActiveGateCertificate(dk, flags)
  const trusted = !activeGateCert && needsTrustedCAs(dk)
  const tlsRef = dk.spec.telemetryIngest?.tlsRefName ?? ""
  return collectorConfig({
    podIP: "${env:MY_POD_IP}",
    protocols: protocols(dk),
    endpoint: `\${env:${endpointKey}}`,
    apiToken: `\${env:${dataIngestTokenEnv}}`,
    caFile: activeGateCert
      ? `${paths.activeGateCertDir}/${paths.activeGateCertFile}`
      : trusted
        ? `${paths.trustedCAsDir}/${paths.trustedCAsFile}`
        : undefined,
    includeSystemCAs: trusted,
    tls: tlsRef === "" ? undefined : { certFile: `${paths.customTls}/tls.crt`, keyFile: `${paths.customTls}/tls.key` }
  })
}

/**
 * The configuration ConfigMap `<dk>-telemetry-collector-config`.
 * @category constructors
 * @since 0.1.0
 */
export const buildConfigConfigMap = (input: Input & { readonly flags: WorkloadFlags }): ConfigMap =>
  prune<ConfigMap>({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: ownedMeta(input.dynakube, otelcNames(nameOf(input.dynakube)).configConfigMap, labels(input)),
    data: { [configKey]: telemetryConfig(input.dynakube, input.flags) }
  })
