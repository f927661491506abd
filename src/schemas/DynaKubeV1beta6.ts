/**
 * DynaKube `dynatrace.com/v1beta6`: the storage ("hub") version. Every other served version converts to and from
 * this one (see `DynaKubeConversion.ts`), and the operator and webhooks work on it.
 *
 * Field names, nesting and constraints are the wire format of the original CRD. Defaults that Kubernetes can
 * express are annotated (`default`) and end up in the CRD, so the apiserver fills them in; the decoded type still
 * marks those fields optional because objects written before the default existed may lack them — read them
 * through {@link Defaults}.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import {
  Affinity,
  Conditions,
  DNSPolicy,
  EnvVars,
  Int32,
  Int64,
  LabelSelector,
  ListMapKeys,
  ListType,
  NodeAffinity,
  ObjectMeta,
  Opaque,
  PersistentVolumeClaimSpec,
  PullPolicy,
  ResourceRequirements,
  RollingUpdateDaemonSet,
  RollingUpdateStatefulSetStrategy,
  StringMap,
  Time,
  Tolerations,
  TopologySpreadConstraints,
  Volume,
  VolumeMount,
  DaemonSetUpdateStrategy
} from "./Kubernetes.ts"
import {
  ConnectionInfo,
  Group,
  ImageRef,
  optional,
  Phase,
  required,
  ValueSource,
  VersionStatus,
  VersionStatusFields
} from "./Shared.ts"

/** @category constants @since 0.1.0 */
export const version = "v1beta6"
/** @category constants @since 0.1.0 */
export const apiVersion = `${Group}/${version}` as const
/** @category constants @since 0.1.0 */
export const kind = "DynaKube"

/**
 * Defaults the operator applies when a field is absent (also written into the CRD where Kubernetes can express
 * them).
 *
 * @category constants
 * @since 0.1.0
 */
export const Defaults = {
  dynatraceApiRequestThreshold: 15,
  dnsPolicy: "ClusterFirstWithHostNet",
  storageHostPath: "/var/opt/dynatrace",
  activeGateReplicas: 1,
  metadataEnrichmentEnabled: false
} as const

/**
 * ActiveGate capabilities: the value users write in `spec.activeGate.capabilities`, and the value passed to the
 * ActiveGate in `DT_CAPABILITIES`.
 *
 * @category constants
 * @since 0.1.0
 */
export const Capabilities = {
  routing: "MSGrouter",
  "kubernetes-monitoring": "kubernetes_monitoring",
  "metrics-ingest": "metrics_ingest",
  "dynatrace-api": "restInterface",
  debugging: "debugging"
} as const
/** @category constants @since 0.1.0 */
export type Capability = keyof typeof Capabilities

const stringSet = (description: string) =>
  optional(Schema.Array(Schema.String).annotate({ [ListType]: "set" }), description)

// ---------------------------------------------------------------------------------------------------------------
// spec.oneAgent

/**
 * Fields of a OneAgent mode that runs the host agent DaemonSet (`HostInjectSpec`).
 *
 * @category oneAgent
 * @since 0.1.0
 */
export const HostInjectFields = {
  annotations: optional(StringMap, "Extra annotations for the OneAgent pods."),
  labels: optional(StringMap, "Extra labels for the OneAgent pods."),
  nodeSelector: optional(StringMap, "Node selector for the OneAgent DaemonSet; no selector means every node."),
  version: optional(
    Schema.String,
    "Deprecated: OneAgent version to deploy (major.minor.patch.YYYYMMDD-HHMMSS). Defaults to the latest version the tenant offers; ignored with the public registry."
  ),
  image: optional(Schema.String, "Custom OneAgent image. Defaults to the OneAgent image of the tenant registry."),
  imagePullPolicy: optional(PullPolicy, "Pull policy of the OneAgent image."),
  dnsPolicy: optional(DNSPolicy, "DNS policy of the OneAgent pods.", { default: Defaults.dnsPolicy }),
  priorityClassName: optional(Schema.String, "Priority class of the OneAgent pods. None by default."),
  secCompProfile: optional(Schema.String, "Name of a Localhost seccomp profile for the OneAgent container."),
  storageHostPath: optional(
    Schema.String,
    "Writable host directory where OneAgent keeps its data when no CSI driver is installed.",
    { default: Defaults.storageHostPath }
  ),
  oneAgentResources: optional(
    ResourceRequirements,
    "Resources of the OneAgent container. The CPU request defaults to 100m when not set."
  ),
  rollingUpdate: optional(
    RollingUpdateDaemonSet,
    "Rolling update settings of the OneAgent DaemonSet. Defaults to maxUnavailable 1 (or the oneagent-max-unavailable feature flag)."
  ),
  tolerations: optional(Tolerations, "Tolerations of the OneAgent pods."),
  env: optional(EnvVars, "Extra environment variables for the OneAgent container."),
  args: stringSet(
    "Extra OneAgent installer arguments, e.g. --set-host-tag=team=a. Only --set-host-property and --set-host-tag may be given more than once."
  ),
  additionalResourceAttributes: optional(
    StringMap,
    "Resource attributes added on top of spec.resourceAttributes; these win when a key is in both."
  )
} as const

/**
 * Fields of a OneAgent mode that injects code modules into application pods (`AppInjectionSpec`).
 *
 * @category oneAgent
 * @since 0.1.0
 */
export const AppInjectionFields = {
  initResources: optional(ResourceRequirements, "Resources of the init container injected into application pods."),
  codeModulesImage: optional(
    Schema.String,
    "Custom code-module image the binaries are taken from. Defaults to the tenant's code modules."
  ),
  codeModulesImagePullPolicy: optional(PullPolicy, "Pull policy of the code-module image."),
  namespaceSelector: optional(
    LabelSelector,
    "Namespaces whose pods get code modules injected. Empty selects every namespace that is not ignored."
  )
} as const

/** @category oneAgent @since 0.1.0 */
export const HostInjectSpec = Schema.Struct(HostInjectFields)
/** @category oneAgent @since 0.1.0 */
export type HostInjectSpec = typeof HostInjectSpec.Type

/** @category oneAgent @since 0.1.0 */
export const AppInjectionSpec = Schema.Struct(AppInjectionFields)
/** @category oneAgent @since 0.1.0 */
export type AppInjectionSpec = typeof AppInjectionSpec.Type

/** @category oneAgent @since 0.1.0 */
export const CloudNativeFullStackSpec = Schema.Struct({ ...HostInjectFields, ...AppInjectionFields })
/** @category oneAgent @since 0.1.0 */
export type CloudNativeFullStackSpec = typeof CloudNativeFullStackSpec.Type

/**
 * Fields of `applicationMonitoring` (`ApplicationMonitoringSpec`).
 *
 * @category oneAgent
 * @since 0.1.0
 */
export const ApplicationMonitoringFields = {
  version: optional(
    Schema.String,
    "Deprecated: code-module version to inject. Defaults to the latest version the tenant offers."
  ),
  ...AppInjectionFields,
  additionalResourceAttributes: HostInjectFields.additionalResourceAttributes
} as const

/** @category oneAgent @since 0.1.0 */
export const ApplicationMonitoringSpec = Schema.Struct(ApplicationMonitoringFields)
/** @category oneAgent @since 0.1.0 */
export type ApplicationMonitoringSpec = typeof ApplicationMonitoringSpec.Type

/**
 * Builds `spec.oneAgent` from the schemas of the four modes (shared with older versions).
 *
 * @category oneAgent
 * @since 0.1.0
 */
export const makeOneAgentSpec = <H extends Schema.Top, C extends Schema.Top, A extends Schema.Top>(modes: {
  readonly hostInject: H
  readonly cloudNative: C
  readonly applicationMonitoring: A
}) =>
  Schema.Struct({
    classicFullStack: optional(
      Schema.NullOr(modes.hostInject),
      "Host agent DaemonSet with full host access; the host agent also injects into processes. No webhook injection."
    ),
    cloudNativeFullStack: optional(
      Schema.NullOr(modes.cloudNative),
      "Host agent DaemonSet (read-only host file system) plus code-module injection into application pods by the webhook, served by the CSI driver."
    ),
    applicationMonitoring: optional(
      Schema.NullOr(modes.applicationMonitoring),
      "Code-module injection into application pods by the webhook only; no host agent. The CSI driver is optional."
    ),
    hostMonitoring: optional(
      Schema.NullOr(modes.hostInject),
      "Host agent DaemonSet (read-only host file system) for infrastructure monitoring only; no injection into applications."
    ),
    hostGroup: optional(Schema.String, "Host group of the OneAgents; replaces a --set-host-group installer argument.")
  })

/**
 * `spec.oneAgent`: at most one of the four modes may be set (the validation webhook enforces this).
 *
 * @category oneAgent
 * @since 0.1.0
 */
export const OneAgentSpec = makeOneAgentSpec({
  hostInject: HostInjectSpec,
  cloudNative: CloudNativeFullStackSpec,
  applicationMonitoring: ApplicationMonitoringSpec
})
/** @category oneAgent @since 0.1.0 */
export type OneAgentSpec = typeof OneAgentSpec.Type

// ---------------------------------------------------------------------------------------------------------------
// spec.activeGate and spec.kubernetesMonitoring

/**
 * Fields of `spec.activeGate`.
 *
 * @category activeGate
 * @since 0.1.0
 */
export const ActiveGateFields = {
  capabilities: stringSet(
    "ActiveGate capabilities to enable: routing, kubernetes-monitoring, metrics-ingest, dynatrace-api, debugging. The ActiveGate is deployed when this is not empty or extensions are enabled."
  ),
  customProperties: optional(
    ValueSource("customProperties"),
    "Extra ActiveGate configuration (custom.properties content), inline or from a Secret."
  ),
  annotations: optional(StringMap, "Extra annotations for the ActiveGate pods."),
  labels: optional(StringMap, "Extra labels for the ActiveGate pods."),
  nodeSelector: optional(StringMap, "Node selector for the ActiveGate pods."),
  replicas: optional(Int32, "Number of ActiveGate pods.", { default: Defaults.activeGateReplicas }),
  image: optional(Schema.String, "Custom ActiveGate image. Defaults to the ActiveGate image of the tenant registry."),
  imagePullPolicy: optional(PullPolicy, "Pull policy of the ActiveGate image."),
  group: optional(Schema.String, "ActiveGate group the pods join."),
  resources: optional(ResourceRequirements, "Resources of the ActiveGate container."),
  rollingUpdate: optional(RollingUpdateStatefulSetStrategy, "Rolling update settings of the ActiveGate StatefulSet."),
  tolerations: optional(Tolerations, "Tolerations of the ActiveGate pods."),
  env: optional(EnvVars, "Extra environment variables for the ActiveGate container."),
  topologySpreadConstraints: optional(
    TopologySpreadConstraints,
    "Topology spread constraints of the ActiveGate pods. Defaults to spreading over zones and hosts (maxSkew 1, ScheduleAnyway)."
  ),
  volumes: optional(Schema.Array(Volume), "Extra volumes for the ActiveGate pods."),
  volumeMounts: optional(Schema.Array(VolumeMount), "Extra volume mounts for the ActiveGate container."),
  tlsSecretName: optional(
    Schema.String,
    "Secret with the ActiveGate's TLS certificate: server.p12 and password, plus tls.crt (or server.crt) handed to agents as CA."
  ),
  dnsPolicy: optional(DNSPolicy, "DNS policy of the ActiveGate pods."),
  priorityClassName: optional(Schema.String, "Priority class of the ActiveGate pods."),
  terminationGracePeriodSeconds: optional(Int64, "Termination grace period of the ActiveGate pods, in seconds."),
  volumeClaimTemplate: optional(
    PersistentVolumeClaimSpec,
    "Claim template for the ActiveGate's persistent storage. Must not be combined with useEphemeralVolume."
  ),
  useEphemeralVolume: optional(
    Schema.Boolean,
    "Use an ephemeral (emptyDir) volume instead of a persistent volume claim."
  )
} as const

/** @category activeGate @since 0.1.0 */
export const ActiveGateSpec = Schema.Struct(ActiveGateFields)
/** @category activeGate @since 0.1.0 */
export type ActiveGateSpec = typeof ActiveGateSpec.Type

/**
 * `spec.kubernetesMonitoring` (experimental): a dedicated Kubernetes-monitoring StatefulSet, split from the
 * ActiveGate.
 *
 * @category kubernetesMonitoring
 * @since 0.1.0
 */
export const KubernetesMonitoringSpec = Schema.Struct({
  replicas: optional(Int32, "Number of pods."),
  image: optional(Schema.String, "Custom image."),
  imagePullPolicy: optional(PullPolicy, "Pull policy of the image."),
  nodeSelector: optional(StringMap, "Node selector for the pods."),
  labels: optional(StringMap, "Extra labels for the pods."),
  annotations: optional(StringMap, "Extra annotations for the pods."),
  resources: optional(ResourceRequirements, "Resources of the container."),
  rollingUpdate: optional(RollingUpdateStatefulSetStrategy, "Rolling update settings of the StatefulSet."),
  tolerations: optional(Tolerations, "Tolerations of the pods."),
  env: optional(EnvVars, "Extra environment variables."),
  topologySpreadConstraints: optional(TopologySpreadConstraints, "Topology spread constraints of the pods."),
  dnsPolicy: optional(DNSPolicy, "DNS policy of the pods."),
  priorityClassName: optional(Schema.String, "Priority class of the pods."),
  terminationGracePeriodSeconds: optional(Int64, "Termination grace period, in seconds."),
  customProperties: optional(ValueSource("customProperties"), "Extra configuration, inline or from a Secret."),
  group: optional(Schema.String, "ActiveGate group the pods join."),
  tlsCertsRef: optional(
    Schema.Struct({ secretName: required(Schema.String, "Name of the Secret.") }),
    "Secret with the TLS certificate of the pods."
  ),
  registration: optional(
    Schema.Struct({
      clusterName: optional(Schema.String, "Name the cluster is registered under. Defaults to the DynaKube name.")
    }),
    "When present, the cluster is registered in the tenant automatically."
  )
}).annotate({ description: "Experimental." })
/** @category kubernetesMonitoring @since 0.1.0 */
export type KubernetesMonitoringSpec = typeof KubernetesMonitoringSpec.Type

// ---------------------------------------------------------------------------------------------------------------
// Features

/**
 * Fields of `spec.metadataEnrichment`.
 *
 * @category features
 * @since 0.1.0
 */
export const MetadataEnrichmentFields = {
  // No CRD default (as in the original): an absent value means "off" to the operator, while a stored `false`
  // would make the validation webhook warn about enrichment being disabled on every injecting DynaKube.
  enabled: optional(Schema.Boolean, "Enrich application telemetry with Kubernetes metadata. Off when absent."),
  namespaceSelector: optional(
    LabelSelector,
    "Namespaces whose pods are enriched. Empty selects every namespace that is not ignored."
  ),
  initResources: optional(
    ResourceRequirements,
    "Resources of the injected init container when only enrichment is done."
  )
} as const
/** @category features @since 0.1.0 */
export const MetadataEnrichmentSpec = Schema.Struct(MetadataEnrichmentFields)

/** @category features @since 0.1.0 */
export const OtlpExporterConfigurationSpec = Schema.Struct({
  signals: optional(
    Schema.Struct({
      metrics: optional(Schema.Struct({}), "Present (even empty) to export metrics."),
      traces: optional(Schema.Struct({}), "Present (even empty) to export traces."),
      logs: optional(Schema.Struct({}), "Present (even empty) to export logs.")
    }),
    "Signals for which OTLP exporter settings are injected."
  ),
  overrideEnvVars: optional(Schema.Boolean, "Overwrite OTEL_* environment variables the application already sets."),
  namespaceSelector: optional(LabelSelector, "Namespaces whose pods get the OTLP exporter settings."),
  additionalResourceAttributes: optional(StringMap, "Resource attributes added on top of spec.resourceAttributes.")
})

/** @category features @since 0.1.0 */
export const LogMonitoringSpec = Schema.Struct({
  ingestRuleMatchers: optional(
    Schema.Array(
      Schema.Struct({
        attribute: optional(Schema.String, "Attribute to match, e.g. k8s.namespace.name."),
        values: optional(Schema.Array(Schema.String), "Values that match.")
      })
    ),
    "Rules selecting which logs are ingested."
  )
})

/** @category features @since 0.1.0 */
export const KspmSpec = Schema.Struct({
  mappedHostPaths: optional(
    Schema.Array(Schema.String),
    "Absolute host paths the node collector may read; '/' alone grants the whole file system."
  )
})

/**
 * One SQL extension executor (`spec.extensions.databases[]`).
 *
 * @category features
 * @since 0.1.0
 */
export const DatabaseSpec = Schema.Struct({
  id: required(
    Schema.String.check(Schema.isMaxLength(8), Schema.isPattern(/^[a-z0-9]+(-[a-z0-9]+)*$/u)),
    "Identifier of the executor: lower-case letters, digits and inner dashes, at most 8 characters."
  ),
  replicas: optional(Int32, "Number of executor pods."),
  volumes: optional(Schema.Array(Volume), "Extra volumes, e.g. database drivers or credentials."),
  volumeMounts: optional(Schema.Array(VolumeMount), "Mounts of those volumes."),
  serviceAccountName: optional(Schema.String, "Service account of the executor pods."),
  labels: optional(StringMap, "Extra labels for the executor pods."),
  annotations: optional(StringMap, "Extra annotations for the executor pods."),
  affinity: optional(Affinity, "Affinity of the executor pods."),
  resources: optional(ResourceRequirements, "Resources of the executor container."),
  nodeSelector: optional(StringMap, "Node selector for the executor pods."),
  topologySpreadConstraints: optional(TopologySpreadConstraints, "Topology spread constraints of the executor pods.")
})
/** @category features @since 0.1.0 */
export type DatabaseSpec = typeof DatabaseSpec.Type

/** @category features @since 0.1.0 */
export const ExtensionsSpec = Schema.Struct({
  prometheus: optional(Schema.Struct({}), "Present (even empty) to enable Prometheus extensions."),
  databases: optional(
    Schema.Array(DatabaseSpec)
      .check(Schema.isMinLength(1))
      .annotate({ [ListType]: "map", [ListMapKeys]: ["id"] }),
    "SQL extension executors, one per id."
  )
})
/** @category features @since 0.1.0 */
export type ExtensionsSpec = typeof ExtensionsSpec.Type

/**
 * Protocols the telemetry-ingest endpoint accepts.
 *
 * @category features
 * @since 0.1.0
 */
export const TelemetryIngestProtocols = ["otlp", "jaeger", "statsd", "zipkin"] as const

/** @category features @since 0.1.0 */
export const TelemetryIngestSpec = Schema.Struct({
  protocols: stringSet("Protocols to accept: otlp, jaeger, statsd, zipkin. Empty or absent means all of them."),
  serviceName: optional(
    Schema.String,
    "Name of the Service in front of the collector. Defaults to <dynakube>-telemetry-ingest."
  ),
  tlsRefName: optional(Schema.String, "Secret with the TLS certificate of the ingest endpoint.")
})
/** @category features @since 0.1.0 */
export type TelemetryIngestSpec = typeof TelemetryIngestSpec.Type

// ---------------------------------------------------------------------------------------------------------------
// spec.templates

/** @category templates @since 0.1.0 */
export const LogMonitoringTemplateFields = {
  annotations: optional(StringMap, "Extra annotations for the log-monitoring pods."),
  labels: optional(StringMap, "Extra labels for the log-monitoring pods."),
  nodeSelector: optional(StringMap, "Node selector for the log-monitoring DaemonSet."),
  imageRef: optional(ImageRef, "Log-monitoring image."),
  dnsPolicy: optional(DNSPolicy, "DNS policy of the log-monitoring pods."),
  priorityClassName: optional(Schema.String, "Priority class of the log-monitoring pods."),
  secCompProfile: optional(Schema.String, "Name of a Localhost seccomp profile for the log-monitoring container."),
  resources: optional(ResourceRequirements, "Resources of the log-monitoring container."),
  rollingUpdate: optional(RollingUpdateDaemonSet, "Rolling update settings of the log-monitoring DaemonSet."),
  tolerations: optional(Tolerations, "Tolerations of the log-monitoring pods."),
  args: optional(Schema.Array(Schema.String), "Extra arguments for the log-monitoring container.")
} as const

/** @category templates @since 0.1.0 */
export const KspmNodeConfigurationCollectorFields = {
  updateStrategy: optional(DaemonSetUpdateStrategy, "Update strategy of the node-collector DaemonSet."),
  labels: optional(StringMap, "Extra labels for the node-collector pods."),
  annotations: optional(StringMap, "Extra annotations for the node-collector pods."),
  nodeSelector: optional(StringMap, "Node selector for the node-collector DaemonSet."),
  imageRef: optional(ImageRef, "Node-collector image."),
  priorityClassName: optional(Schema.String, "Priority class of the node-collector pods."),
  resources: optional(ResourceRequirements, "Resources of the node-collector container."),
  nodeAffinity: optional(NodeAffinity, "Node affinity of the node-collector pods."),
  tolerations: optional(Tolerations, "Tolerations of the node-collector pods."),
  args: optional(Schema.Array(Schema.String), "Extra arguments for the node-collector container."),
  env: optional(EnvVars, "Extra environment variables for the node-collector container.")
} as const

/** @category templates @since 0.1.0 */
export const OtelCollectorTemplateFields = {
  labels: optional(StringMap, "Extra labels for the collector pods."),
  annotations: optional(StringMap, "Extra annotations for the collector pods."),
  replicas: optional(Int32, "Number of collector pods."),
  imageRef: optional(
    ImageRef,
    "OpenTelemetry collector image. Required when telemetryIngest or Prometheus extensions are used."
  ),
  tlsRefName: optional(Schema.String, "Secret with the collector's TLS certificate."),
  resources: optional(ResourceRequirements, "Resources of the collector container."),
  nodeSelector: optional(StringMap, "Node selector for the collector pods."),
  tolerations: optional(Tolerations, "Tolerations of the collector pods."),
  topologySpreadConstraints: optional(TopologySpreadConstraints, "Topology spread constraints of the collector pods.")
} as const

/** @category templates @since 0.1.0 */
export const ExtensionExecutionControllerFields = {
  persistentVolumeClaim: optional(PersistentVolumeClaimSpec, "Claim for the controller's persistent storage."),
  labels: optional(StringMap, "Extra labels for the controller pods."),
  annotations: optional(StringMap, "Extra annotations for the controller pods."),
  imageRef: optional(ImageRef, "Extension Execution Controller image."),
  tlsRefName: optional(Schema.String, "Secret with the controller's TLS certificate."),
  customConfig: optional(Schema.String, "ConfigMap with a custom controller configuration."),
  customExtensionCertificates: optional(Schema.String, "Secret with certificates for signed custom extensions."),
  resources: optional(ResourceRequirements, "Resources of the controller container."),
  tolerations: optional(Tolerations, "Tolerations of the controller pods."),
  topologySpreadConstraints: optional(TopologySpreadConstraints, "Topology spread constraints of the controller pods."),
  useEphemeralVolume: optional(Schema.Boolean, "Use an ephemeral volume instead of a persistent volume claim.")
} as const

/** @category templates @since 0.1.0 */
export const SqlExtensionExecutorTemplate = Schema.Struct({
  imageRef: required(ImageRef, "SQL extension executor image."),
  tolerations: optional(Tolerations, "Tolerations of the executor pods.")
})

/** @category templates @since 0.1.0 */
export const TemplatesSpec = Schema.Struct({
  logMonitoring: optional(Schema.Struct(LogMonitoringTemplateFields), "Pod settings of the log-monitoring DaemonSet."),
  kspmNodeConfigurationCollector: optional(
    Schema.Struct(KspmNodeConfigurationCollectorFields),
    "Pod settings of the KSPM node configuration collector."
  ),
  otelCollector: optional(Schema.Struct(OtelCollectorTemplateFields), "Pod settings of the OpenTelemetry collector."),
  sqlExtensionExecutor: optional(SqlExtensionExecutorTemplate, "Pod settings shared by the SQL extension executors."),
  extensionExecutionController: optional(
    Schema.Struct(ExtensionExecutionControllerFields),
    "Pod settings of the Extension Execution Controller."
  )
})
/** @category templates @since 0.1.0 */
export type TemplatesSpec = typeof TemplatesSpec.Type

// ---------------------------------------------------------------------------------------------------------------
// spec

/**
 * Top-level spec fields that did not change between v1beta5 and v1beta6.
 *
 * @category spec
 * @since 0.1.0
 */
export const BaseSpecFields = {
  apiUrl: required(
    Schema.String.check(Schema.isMaxLength(128)),
    "Dynatrace API URL including the /api path, e.g. https://<environment-id>.live.dynatrace.com/api."
  ),
  tokens: optional(
    Schema.String,
    "Secret with the tokens: apiToken (required), dataIngestToken (optional), paasToken (deprecated). Defaults to the DynaKube name."
  ),
  proxy: optional(
    ValueSource("proxy"),
    "Proxy for the operator, ActiveGate, OneAgents and code modules: a URL, or a Secret whose key 'proxy' holds it."
  ),
  trustedCAs: optional(Schema.String, "ConfigMap whose key 'certs' holds extra trusted CA certificates (PEM)."),
  networkZone: optional(Schema.String, "Network zone of the OneAgents and ActiveGates."),
  customPullSecret: optional(Schema.String, "Extra image pull secret, for private registries."),
  skipCertCheck: optional(Schema.Boolean, "Do not verify the tenant's TLS certificate."),
  enableIstio: optional(
    Schema.Boolean,
    "Create Istio ServiceEntry and VirtualService objects so Dynatrace components can reach the tenant."
  ),
  dynatraceApiRequestThreshold: optional(
    Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })),
    "Minutes between Dynatrace API requests of the same kind (cache lifetime).",
    { default: Defaults.dynatraceApiRequestThreshold }
  )
} as const

/** @category spec @since 0.1.0 */
export const DynaKubeSpec = Schema.Struct({
  ...BaseSpecFields,
  publicRegistryOverride: optional(
    Schema.String,
    "Registry to resolve public images from; requires the feature flag use-public-registry."
  ),
  resourceAttributes: optional(
    StringMap,
    "Resource attributes added to the telemetry of every component; per-component additionalResourceAttributes win."
  ),
  oneAgent: optional(OneAgentSpec, "OneAgent deployment. At most one mode may be set."),
  activeGate: optional(ActiveGateSpec, "ActiveGate deployment."),
  kubernetesMonitoring: optional(
    KubernetesMonitoringSpec,
    "Dedicated Kubernetes-monitoring StatefulSet (experimental)."
  ),
  metadataEnrichment: optional(MetadataEnrichmentSpec, "Kubernetes metadata enrichment of application telemetry."),
  otlpExporterConfiguration: optional(
    OtlpExporterConfigurationSpec,
    "Inject OTLP exporter settings into application pods, per signal."
  ),
  logMonitoring: optional(LogMonitoringSpec, "Present to enable log monitoring."),
  kspm: optional(KspmSpec, "Present to enable Kubernetes security posture management."),
  extensions: optional(ExtensionsSpec, "Extensions: Prometheus and SQL data sources."),
  telemetryIngest: optional(
    TelemetryIngestSpec,
    "Present to deploy an OpenTelemetry collector that ingests telemetry."
  ),
  templates: optional(TemplatesSpec, "Low-level pod settings of the components the operator deploys.")
})
/** @category spec @since 0.1.0 */
export type DynaKubeSpec = typeof DynaKubeSpec.Type

// ---------------------------------------------------------------------------------------------------------------
// status

/** @category status @since 0.1.0 */
export const OneAgentInstance = Schema.Struct({
  podName: optional(Schema.String, "OneAgent pod on the node."),
  ipAddress: optional(Schema.String, "IP address of the node.")
})

/**
 * Fields of `status.oneAgent`.
 *
 * @category status
 * @since 0.1.0
 */
export const OneAgentStatusFields = {
  ...VersionStatusFields,
  instances: optional(Schema.Record(Schema.String, OneAgentInstance), "OneAgent pods by node name."),
  lastInstanceStatusUpdate: optional(Time, "When instances was last updated."),
  healthcheck: optional(
    Opaque,
    "Health check of the OneAgent image (Docker HealthConfig: Test, Interval, Timeout, StartPeriod, Retries)."
  ),
  connectionInfoStatus: optional(ConnectionInfo, "Connection info for the OneAgents.")
} as const

/** @category status @since 0.1.0 */
export const ActiveGateStatus = Schema.Struct({
  ...VersionStatusFields,
  connectionInfoStatus: optional(ConnectionInfo, "Connection info for the ActiveGate."),
  serviceIPs: optional(Schema.Array(Schema.String), "Cluster IPs of the ActiveGate Service.")
})

/** @category status @since 0.1.0 */
export const MetadataEnrichmentRule = Schema.Struct({
  type: optional(
    Schema.Literals(["LABEL", "ANNOTATION", "K8S_NAMESPACE_LABEL", "K8S_NAMESPACE_ANNOTATION", "CUSTOM"]),
    "Where the value is taken from."
  ),
  source: optional(Schema.String, "Label or annotation key the value is read from."),
  target: optional(Schema.String, "Attribute the value is written to.")
})

/**
 * Status fields that did not change between v1beta5 and v1beta6.
 *
 * @category status
 * @since 0.1.0
 */
export const BaseStatusFields = {
  phase: optional(Phase, "Overall state."),
  conditions: optional(Conditions, "Conditions of the components, keyed by type."),
  updatedTimestamp: optional(Time, "When the status was last written."),
  kubeSystemUUID: optional(Schema.String, "UID of the kube-system namespace, used as the cluster id."),
  kubernetesClusterMEID: optional(Schema.String, "Monitored-entity id of the cluster in the tenant."),
  kubernetesClusterName: optional(Schema.String, "Name of the cluster in the tenant."),
  proxyURLHash: optional(Schema.String, "Hash of the proxy URL; a change restarts components."),
  activeGate: optional(ActiveGateStatus, "ActiveGate version and connection info."),
  codeModules: optional(VersionStatus, "Code-module version."),
  metadataEnrichment: optional(
    Schema.Struct({ rules: optional(Schema.Array(MetadataEnrichmentRule), "Enrichment rules from the tenant.") }),
    "Metadata enrichment rules in effect."
  ),
  kspm: optional(Schema.Struct({ tokenSecretHash: optional(Schema.String, "Hash of the KSPM token.") }), "KSPM state.")
} as const

/** @category status @since 0.1.0 */
export const DynaKubeStatus = Schema.Struct({
  ...BaseStatusFields,
  oneAgent: optional(Schema.Struct(OneAgentStatusFields), "OneAgent version, instances and connection info."),
  apiToken: optional(
    Schema.Struct({
      platform: optional(Schema.Boolean, "The API token is a platform token (dt0s16...)."),
      availableOptionalScopes: optional(
        Schema.Struct({
          settingsRead: optional(Schema.Boolean, "The token may read settings."),
          settingsWrite: optional(Schema.Boolean, "The token may write settings.")
        }),
        "Optional token scopes that are available."
      )
    }),
    "What the API token can do."
  ),
  kubernetesMonitoring: optional(
    Schema.Struct({
      image: optional(Schema.String, "Image in use."),
      connectionInfo: optional(ConnectionInfo, "Connection info.")
    }),
    "State of the dedicated Kubernetes-monitoring StatefulSet."
  )
})
/** @category status @since 0.1.0 */
export type DynaKubeStatus = typeof DynaKubeStatus.Type

// ---------------------------------------------------------------------------------------------------------------
// The resource

/**
 * A DynaKube at `dynatrace.com/v1beta6`.
 *
 * @category resource
 * @since 0.1.0
 */
export const DynaKube = Schema.Struct({
  apiVersion: Schema.optionalKey(Schema.Literal(apiVersion)),
  kind: Schema.optionalKey(Schema.Literal(kind)),
  metadata: Schema.optionalKey(ObjectMeta),
  spec: required(DynaKubeSpec, "Desired state of the Dynatrace deployment in this cluster."),
  status: optional(DynaKubeStatus, "Observed state, written by the operator.")
}).annotate({
  description:
    "DynaKube deploys and configures Dynatrace monitoring (OneAgent, ActiveGate, code-module injection) in a cluster."
})
/** @category resource @since 0.1.0 */
export type DynaKube = typeof DynaKube.Type
