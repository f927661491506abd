/**
 * DynaKube `dynatrace.com/v1beta5`: still served, deprecated, converted to and from the hub `v1beta6` by
 * `DynaKubeConversion.ts`.
 *
 * It is v1beta6 without the fields v1beta6 added (resourceAttributes, otlpExporterConfiguration,
 * kubernetesMonitoring, publicRegistryOverride, extensions.databases, templates.sqlExtensionExecutor,
 * additionalResourceAttributes, image pull policies, rolling-update settings, ActiveGate volumes,
 * metadataEnrichment.initResources, status.apiToken, status.kubernetesMonitoring) and with a few fields v1beta6
 * dropped: `oneAgent.<mode>.autoUpdate`, `status.dynatraceApi.lastTokenScopeRequest` and
 * `status.oneAgent.connectionInfoStatus.communicationHosts`. `extensions` is an empty struct whose presence
 * enables Prometheus extensions. The schemas below are built from the v1beta6 field sets so the differences are
 * spelled out in one place.
 *
 * @since 0.1.0
 */
import { Schema, Struct } from "effect"
import * as V6 from "./DynaKubeV1beta6.ts"
import { Condition, Int32, ObjectMeta, Time } from "./Kubernetes.ts"
import { ConnectionInfo, Group, optional } from "./Shared.ts"

/** @category constants @since 0.1.0 */
export const version = "v1beta5"
/** @category constants @since 0.1.0 */
export const apiVersion = `${Group}/${version}` as const
/** @category constants @since 0.1.0 */
export const kind = "DynaKube"

const autoUpdate = optional(
  Schema.Boolean,
  "Deprecated: update OneAgent automatically. Removed in v1beta6 (kept in the annotation conversion.internal.dynatrace.com/auto-update)."
)

/** @category oneAgent @since 0.1.0 */
export const HostInjectSpec = Schema.Struct({
  ...Struct.omit(V6.HostInjectFields, ["additionalResourceAttributes", "imagePullPolicy", "rollingUpdate"]),
  autoUpdate
})
/** @category oneAgent @since 0.1.0 */
export type HostInjectSpec = typeof HostInjectSpec.Type

const AppInjectionFields = Struct.omit(V6.AppInjectionFields, ["codeModulesImagePullPolicy"])

/** @category oneAgent @since 0.1.0 */
export const CloudNativeFullStackSpec = Schema.Struct({ ...HostInjectSpec.fields, ...AppInjectionFields })

/** @category oneAgent @since 0.1.0 */
export const ApplicationMonitoringSpec = Schema.Struct({
  version: V6.ApplicationMonitoringFields.version,
  ...AppInjectionFields
})

/** @category oneAgent @since 0.1.0 */
export const OneAgentSpec = V6.makeOneAgentSpec({
  hostInject: HostInjectSpec,
  cloudNative: CloudNativeFullStackSpec,
  applicationMonitoring: ApplicationMonitoringSpec
})
/** @category oneAgent @since 0.1.0 */
export type OneAgentSpec = typeof OneAgentSpec.Type

/** @category activeGate @since 0.1.0 */
export const ActiveGateSpec = Schema.Struct({
  ...Struct.omit(V6.ActiveGateFields, ["imagePullPolicy", "rollingUpdate", "volumes", "volumeMounts"]),
  capabilities: optional(
    Schema.Array(Schema.String),
    "ActiveGate capabilities to enable: routing, kubernetes-monitoring, metrics-ingest, dynatrace-api, debugging."
  )
})

/** @category templates @since 0.1.0 */
export const TemplatesSpec = Schema.Struct({
  logMonitoring: optional(
    Schema.Struct(Struct.omit(V6.LogMonitoringTemplateFields, ["rollingUpdate"])),
    "Pod settings of the log-monitoring DaemonSet."
  ),
  kspmNodeConfigurationCollector: optional(
    Schema.Struct(V6.KspmNodeConfigurationCollectorFields),
    "Pod settings of the KSPM node configuration collector."
  ),
  otelCollector: optional(
    Schema.Struct(Struct.omit(V6.OtelCollectorTemplateFields, ["nodeSelector"])),
    "Pod settings of the OpenTelemetry collector."
  ),
  extensionExecutionController: optional(
    Schema.Struct(V6.ExtensionExecutionControllerFields),
    "Pod settings of the Extension Execution Controller."
  )
})

/** @category spec @since 0.1.0 */
export const DynaKubeSpec = Schema.Struct({
  ...V6.BaseSpecFields,
  oneAgent: optional(OneAgentSpec, "OneAgent deployment. At most one mode may be set."),
  activeGate: optional(ActiveGateSpec, "ActiveGate deployment."),
  metadataEnrichment: optional(
    Schema.Struct(Struct.omit(V6.MetadataEnrichmentFields, ["initResources"])),
    "Kubernetes metadata enrichment of application telemetry."
  ),
  logMonitoring: optional(V6.LogMonitoringSpec, "Present to enable log monitoring."),
  kspm: optional(V6.KspmSpec, "Present to enable Kubernetes security posture management."),
  extensions: optional(Schema.Struct({}), "Present (even empty) to enable Prometheus extensions."),
  telemetryIngest: optional(
    Schema.Struct({
      ...V6.TelemetryIngestSpec.fields,
      protocols: optional(
        Schema.Array(Schema.String),
        "Protocols to accept: otlp, jaeger, statsd, zipkin. Empty or absent means all of them."
      )
    }),
    "Present to deploy an OpenTelemetry collector that ingests telemetry."
  ),
  templates: optional(TemplatesSpec, "Low-level pod settings of the components the operator deploys.")
})
/** @category spec @since 0.1.0 */
export type DynaKubeSpec = typeof DynaKubeSpec.Type

/** @category status @since 0.1.0 */
export const CommunicationHost = Schema.Struct({
  protocol: optional(Schema.String, "Protocol, e.g. https."),
  host: optional(Schema.String, "Host name or address."),
  port: optional(Int32, "Port.")
})

/** @category status @since 0.1.0 */
export const DynaKubeStatus = Schema.Struct({
  ...V6.BaseStatusFields,
  conditions: optional(Schema.Array(Condition), "Conditions of the components."),
  oneAgent: optional(
    Schema.Struct({
      ...V6.OneAgentStatusFields,
      connectionInfoStatus: optional(
        Schema.Struct({
          ...ConnectionInfo.fields,
          communicationHosts: optional(Schema.Array(CommunicationHost), "Communication endpoints of the tenant.")
        }),
        "Connection info for the OneAgents."
      )
    }),
    "OneAgent version, instances and connection info."
  ),
  dynatraceApi: optional(
    Schema.Struct({
      lastTokenScopeRequest: optional(Time, "When the token scopes were last requested.")
    }),
    "Dynatrace API request bookkeeping."
  )
})
/** @category status @since 0.1.0 */
export type DynaKubeStatus = typeof DynaKubeStatus.Type

/**
 * A DynaKube at `dynatrace.com/v1beta5`.
 *
 * @category resource
 * @since 0.1.0
 */
export const DynaKube = Schema.Struct({
  apiVersion: Schema.optionalKey(Schema.Literal(apiVersion)),
  kind: Schema.optionalKey(Schema.Literal(kind)),
  metadata: Schema.optionalKey(ObjectMeta),
  spec: optional(DynaKubeSpec, "Desired state of the Dynatrace deployment in this cluster."),
  status: optional(DynaKubeStatus, "Observed state, written by the operator.")
}).annotate({
  description: "DynaKube deploys and configures Dynatrace monitoring in a cluster. Deprecated version: use v1beta6."
})
/** @category resource @since 0.1.0 */
export type DynaKube = typeof DynaKube.Type
