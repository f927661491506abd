/**
 * The OpenTelemetry collector configuration `telemetry.yaml` (spec §2.2.11), as the original's generator writes it
 * into `<dk>-telemetry-collector-config`: one receiver per telemetryIngest protocol listening on the pod IP, one
 * `otlphttp` exporter to `${env:DT_ENDPOINT}` authenticated with the data-ingest token, the Dynatrace processors
 * (memory limiter, pod IP, k8sattributes, the workload transform, batches) and a pipeline per signal that has a
 * receiver. The collector resolves the `${env:…}` references itself, so no secret ever lands in the ConfigMap.
 *
 * Pure: the same inputs give the same text (map keys sorted, as Go's YAML encoder writes them).
 *
 * @since 0.1.0
 */
import { stringify } from "yaml"

/** A telemetryIngest protocol. @category models @since 0.1.0 */
export type Protocol = "otlp" | "jaeger" | "statsd" | "zipkin"

/** The protocols of an empty or absent `spec.telemetryIngest.protocols`, in the original's order. @category constants @since 0.1.0 */
export const allProtocols: ReadonlyArray<Protocol> = ["otlp", "jaeger", "statsd", "zipkin"]

/** Listening ports of the receivers and the health-check extension. @category constants @since 0.1.0 */
export const ports = {
  otlpGrpc: 4317,
  otlpHttp: 4318,
  jaegerGrpc: 14250,
  jaegerThriftBinary: 6832,
  jaegerThriftCompact: 6831,
  jaegerThriftHttp: 14268,
  zipkin: 9411,
  statsd: 8125,
  healthCheck: 13133
} as const

/** Key of the configuration in its ConfigMap. @category constants @since 0.1.0 */
export const configKey = "telemetry.yaml"

/**
 * Inputs of {@link collectorConfig}.
 * @category models
 * @since 0.1.0
 */
export interface CollectorConfigInput {
  /** Host part of every listening endpoint, e.g. `${env:MY_POD_IP}`. */
  readonly podIP: string
  readonly protocols: ReadonlyArray<Protocol>
  /** Exporter endpoint, e.g. `${env:DT_ENDPOINT}`. */
  readonly endpoint: string
  /** Token text after `Api-Token ` (a reference such as `${env:DT_DATA_INGEST_TOKEN}`); no header when empty. */
  readonly apiToken: string
  /** CA file the exporter trusts (ActiveGate certificate or trusted CAs). */
  readonly caFile?: string | undefined
  /** Trust the system CAs as well as `caFile`. */
  readonly includeSystemCAs?: boolean | undefined
  /** Server certificate and key of the receivers (`telemetryIngest.tlsRefName`). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined
}

type Json = Readonly<Record<string, unknown>>

const workloadKinds = ["statefulset", "replicaset", "job", "deployment", "daemonset", "cronjob"] as const

const k8sMetadata = [
  "k8s.cluster.uid",
  "k8s.node.name",
  "k8s.namespace.name",
  "k8s.pod.name",
  "k8s.pod.uid",
  "k8s.pod.ip",
  "k8s.deployment.name",
  "k8s.replicaset.name",
  "k8s.statefulset.name",
  "k8s.daemonset.name",
  "k8s.cronjob.name",
  "k8s.job.name"
]

const attr = (name: string) => `attributes["${name}"]`

/** The resource statements that turn Kubernetes attributes into Dynatrace's workload attributes. */
const dynatraceStatements = (): Array<Json> => {
  return [
    {
      context: "resource",
      statements: [
        `merge_maps(attributes, ParseJSON(${attr("metadata.dynatrace.com")}), "insert") where IsMatch(${attr("metadata.dynatrace.com")}, "^\\\\{")`,
        `delete_key(attributes, "metadata.dynatrace.com")`,
        ...workloadKinds.map(
          (k) => `set(${attr("k8s.workload.name")}, ${attr(`k8s.${k}.name`)}) where IsString(${attr(`k8s.${k}.name`)})`
        ),
        ...workloadKinds.map(
          (k) => `set(${attr("k8s.workload.kind")}, "${k}") where IsString(${attr(`k8s.${k}.name`)})`
        ),
        `set(${attr("k8s.cluster.uid")}, "\${env:K8S_CLUSTER_UID}") where ${attr("k8s.cluster.uid")} == nil`,
        `set(${attr("k8s.cluster.name")}, "\${env:K8S_CLUSTER_NAME}")`,
        `set(${attr("dt.kubernetes.workload.name")}, ${attr("k8s.workload.name")})`,
        `set(${attr("dt.kubernetes.workload.kind")}, ${attr("k8s.workload.kind")})`,
        `set(${attr("dt.entity.kubernetes_cluster")}, "\${env:DT_ENTITY_KUBERNETES_CLUSTER}")`,
        ...workloadKinds.map((k) => `delete_key(attributes, "k8s.${k}.name")`)
      ]
    }
  ]
}

const processors = (): Json => ({
  cumulativetodelta: {},
  k8sattributes: {
    extract: {
      metadata: k8sMetadata,
      annotations: [
        { from: "pod", key_regex: "metadata.dynatrace.com/(.*)", tag_name: "$$1" },
        { from: "pod", key: "metadata.dynatrace.com", tag_name: "metadata.dynatrace.com" }
      ]
    },
    pod_association: [
      {
        sources: [
          { from: "resource_attribute", name: "k8s.pod.name" },
          { from: "resource_attribute", name: "k8s.namespace.name" }
        ]
      },
      { sources: [{ from: "resource_attribute", name: "k8s.pod.ip" }] },
      { sources: [{ from: "resource_attribute", name: "k8s.pod.uid" }] },
      { sources: [{ from: "connection" }] }
    ]
  },
  transform: {
    error_mode: "ignore",
    log_statements: dynatraceStatements(),
    metric_statements: dynatraceStatements(),
    trace_statements: dynatraceStatements()
  },
  "transform/add-pod-ip": {
    error_mode: "ignore",
    trace_statements: [
      {
        context: "resource",
        statements: ['set(attributes["k8s.pod.ip"], attributes["ip"]) where attributes["k8s.pod.ip"] == nil']
      }
    ]
  },
  "batch/traces": { send_batch_size: 5000, send_batch_max_size: 5000, timeout: "60s" },
  "batch/metrics": { send_batch_size: 3000, send_batch_max_size: 3000, timeout: "60s" },
  "batch/logs": { send_batch_size: 1800, send_batch_max_size: 2000, timeout: "60s" },
  memory_limiter: { check_interval: "1s", limit_percentage: 70, spike_limit_percentage: 30 }
})

const receivers = (input: CollectorConfigInput): Json => {
  const at = (port: number) => `${input.podIP}:${port}`
  const tls =
    input.tls === undefined ? undefined : { tls: { cert_file: input.tls.certFile, key_file: input.tls.keyFile } }
  const server = (port: number, withTls = true) => ({ endpoint: at(port), ...(withTls ? tls : undefined) })
  const out: Record<string, unknown> = {}
  for (const protocol of input.protocols) {
    switch (protocol) {
      case "otlp":
        out["otlp"] = { protocols: { grpc: server(ports.otlpGrpc), http: server(ports.otlpHttp) } }
        break
      case "jaeger":
        out["jaeger"] = {
          protocols: {
            grpc: server(ports.jaegerGrpc),
            thrift_binary: server(ports.jaegerThriftBinary, false),
            thrift_compact: server(ports.jaegerThriftCompact, false),
            thrift_http: server(ports.jaegerThriftHttp)
          }
        }
        break
      case "zipkin":
        out["zipkin"] = server(ports.zipkin)
        break
      case "statsd":
        out["statsd"] = {
          endpoint: at(ports.statsd),
          timer_histogram_mapping: [
            { statsd_type: "histogram", observer_type: "histogram", histogram: { max_size: 10 } },
            { statsd_type: "timing", observer_type: "histogram", histogram: { max_size: 100 } },
            { statsd_type: "distribution", observer_type: "histogram", histogram: { max_size: 100 } }
          ]
        }
        break
    }
  }
  return out
}

const exporters = (input: CollectorConfigInput): Json => {
  const caFile = input.caFile ?? ""
  const tls =
    caFile === ""
      ? undefined
      : { ca_file: caFile, ...(input.includeSystemCAs === true ? { include_system_ca_certs_pool: true } : {}) }
  return {
    otlphttp: {
      endpoint: input.endpoint,
      ...(tls === undefined ? {} : { tls }),
      ...(input.apiToken === "" ? {} : { headers: { Authorization: `Api-Token ${input.apiToken}` } })
    }
  }
}

/** Which receivers may feed which signal (the receivers' own factories decide that). */
const signalReceivers: ReadonlyArray<
  readonly [signal: string, allowed: ReadonlyArray<Protocol>, extra: Array<string>]
> = [
  ["traces", ["otlp", "jaeger", "zipkin"], ["batch/traces"]],
  ["metrics", ["otlp", "statsd"], ["cumulativetodelta", "batch/metrics"]],
  ["logs", ["otlp"], ["batch/logs"]]
]

const service = (input: CollectorConfigInput): Json => {
  const pipelines: Record<string, unknown> = {}
  for (const [signal, allowed, extra] of signalReceivers) {
    const used = input.protocols.filter((p) => allowed.includes(p))
    if (used.length === 0) continue
    pipelines[signal] = {
      receivers: used,
      processors: ["memory_limiter", "transform/add-pod-ip", "k8sattributes", "transform", ...extra],
      exporters: ["otlphttp"]
    }
  }
  return { extensions: ["health_check"], pipelines }
}

/**
 * The collector configuration as a plain object.
 * @category constructors
 * @since 0.1.0
 */
export const collectorConfigObject = (input: CollectorConfigInput): Json => ({
  connectors: {},
  exporters: exporters(input),
  extensions: { health_check: { endpoint: `${input.podIP}:${ports.healthCheck}` } },
  processors: processors(),
  receivers: receivers(input),
  service: service(input)
})

/**
 * The collector configuration as YAML text (the ConfigMap's `telemetry.yaml`).
 * @category constructors
 * @since 0.1.0
 */
export const collectorConfig = (input: CollectorConfigInput): string =>
  stringify(collectorConfigObject(input), { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false })
