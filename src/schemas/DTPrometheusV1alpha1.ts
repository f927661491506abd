/**
 * DTPrometheus `dynatrace.com/v1alpha1`: the only served and stored version (spec §1.6). A DTPrometheus names a
 * DynaKube in its namespace (which supplies the tenant connection) and describes a Prometheus scraping stack of
 * three parts: a Target Allocator Deployment that discovers Prometheus Operator resources and hands out targets,
 * a scraper Deployment of OTel Collectors that scrape them, and a gateway StatefulSet that exports to Dynatrace.
 *
 * Only the schema exists here (the CRD is generated from it and installed by the chart); no controller of ours
 * reconciles DTPrometheus yet.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import {
  Affinity,
  Conditions,
  Int32,
  IntOrString,
  LabelSelector,
  ObjectMeta,
  PullPolicy,
  ResourceRequirements,
  RollingUpdateStatefulSetStrategy,
  StringMap,
  Tolerations,
  TopologySpreadConstraints
} from "./Kubernetes.ts"
import { Group, optional, Phase, required } from "./Shared.ts"

/** @category constants @since 0.1.0 */
export const version = "v1alpha1"
/** @category constants @since 0.1.0 */
export const apiVersion = `${Group}/${version}` as const
/** @category constants @since 0.1.0 */
export const kind = "DTPrometheus"

/**
 * The defaults the CRD applies (the apiserver fills them in when the field is absent).
 *
 * @category constants
 * @since 0.1.0
 */
export const Defaults = {
  scrapeInterval: "60s",
  targetsPollInterval: "60s",
  /** Label the Target Allocator looks for on ServiceMonitors, PodMonitors, ScrapeConfigs and Probes. */
  scrapeCRSelectorLabel: "prometheus.dynatrace.com"
} as const

/** A Go duration string such as `60s` or `1m30s`; the apiserver checks the format. */
const Duration = Schema.String.annotate({ format: "duration" })

/**
 * `appsv1.DeploymentStrategy`.
 *
 * @category spec
 * @since 0.1.0
 */
export const DeploymentStrategy = Schema.Struct({
  type: optional(Schema.String, "Recreate or RollingUpdate (default)."),
  rollingUpdate: optional(
    Schema.Struct({
      maxUnavailable: optional(
        IntOrString,
        "Maximum number (or percentage) of pods that may be unavailable during the update."
      ),
      maxSurge: optional(IntOrString, "Maximum number (or percentage) of pods created above the desired count.")
    }),
    "Settings for type RollingUpdate."
  )
})

/**
 * `appsv1.StatefulSetUpdateStrategy`.
 *
 * @category spec
 * @since 0.1.0
 */
export const StatefulSetUpdateStrategy = Schema.Struct({
  type: optional(Schema.String, "RollingUpdate (default) or OnDelete."),
  rollingUpdate: optional(
    RollingUpdateStatefulSetStrategy,
    "Settings for type RollingUpdate; a non-zero partition gives a canary rollout."
  )
})

/**
 * The pod settings every component exposes (a deliberately small part of a pod template).
 *
 * @category spec
 * @since 0.1.0
 */
export const PodSpecFields = {
  replicas: optional(Int32, "Number of pods of the component; at least 2 tolerates the loss of one."),
  image: optional(
    Schema.String,
    "Image of the component (full reference with tag or digest). Defaults to the latest image of the public Dynatrace registry."
  ),
  imagePullPolicy: optional(PullPolicy, "Image pull policy of the component's pods."),
  args: optional(Schema.Array(Schema.String), "Extra command-line arguments of the component's main container."),
  resources: optional(ResourceRequirements, "Resource requests and limits of each pod of the component."),
  nodeSelector: optional(StringMap, "Node selector of the component's pods."),
  affinity: optional(Affinity, "Affinity rules (node, pod, pod anti-affinity) of the component's pods."),
  tolerations: optional(Tolerations, "Tolerations of the component's pods."),
  topologySpreadConstraints: optional(
    TopologySpreadConstraints,
    "Topology spread constraints of the component's pods."
  ),
  priorityClassName: optional(
    Schema.String,
    "PriorityClass of the component's pods, so node pressure does not evict them."
  ),
  annotations: optional(StringMap, "Extra annotations of the component's pod template."),
  labels: optional(StringMap, "Extra labels of the component's pod template.")
} as const

/** @category spec @since 0.1.0 */
export const TargetAllocatorSpec = Schema.Struct({
  ...PodSpecFields,
  scrapeInterval: optional(
    Duration,
    "How often the Target Allocator looks for Prometheus Operator resources (ServiceMonitor, PodMonitor, ScrapeConfig, Probe).",
    { default: Defaults.scrapeInterval }
  ),
  scrapeCRSelector: optional(
    LabelSelector,
    `Selects the Prometheus Operator resources the Target Allocator reads, by their labels. Defaults to ${Defaults.scrapeCRSelectorLabel}: "true"; an empty selector matches all.`,
    { default: { matchLabels: { [Defaults.scrapeCRSelectorLabel]: "true" } } }
  ),
  scrapeCRNamespaceSelector: optional(
    LabelSelector,
    "Selects the namespaces whose Prometheus Operator resources are read; an empty selector matches all."
  ),
  updateStrategy: optional(DeploymentStrategy, "Update strategy of the Target Allocator Deployment.")
})
/** @category spec @since 0.1.0 */
export type TargetAllocatorSpec = typeof TargetAllocatorSpec.Type

/** @category spec @since 0.1.0 */
export const ScraperSpec = Schema.Struct({
  ...PodSpecFields,
  targetsPollInterval: optional(Duration, "How often the scrapers ask the Target Allocator for their targets.", {
    default: Defaults.targetsPollInterval
  }),
  updateStrategy: optional(DeploymentStrategy, "Update strategy of the scraper Deployment.")
})
/** @category spec @since 0.1.0 */
export type ScraperSpec = typeof ScraperSpec.Type

/** @category spec @since 0.1.0 */
export const GatewaySpec = Schema.Struct({
  ...PodSpecFields,
  updateStrategy: optional(StatefulSetUpdateStrategy, "Update strategy of the gateway StatefulSet.")
})
/** @category spec @since 0.1.0 */
export type GatewaySpec = typeof GatewaySpec.Type

/** @category spec @since 0.1.0 */
export const DTPrometheusSpec = Schema.Struct({
  dynaKubeName: required(
    Schema.String.check(Schema.isMinLength(1)),
    "Name of the DynaKube in this namespace that supplies the connection (apiUrl, tokens, proxy, network zone, trusted CAs, ActiveGate)."
  ),
  dynatracePreset: optional(
    Schema.Struct({}),
    'Present (even empty): a built-in scrape configuration for pods annotated metrics.dynatrace.com/scrape: "true", reading their port, path and secure annotations as the ActiveGate Kubernetes module did.'
  ),
  targetAllocator: optional(
    TargetAllocatorSpec,
    "The Target Allocator: discovers scrape targets and spreads them over the scraper pods.",
    { default: {} }
  ),
  scraper: optional(
    ScraperSpec,
    "The scraper pool: a Deployment of OTel Collectors that scrape their targets and send OTLP to the gateway.",
    { default: {} }
  ),
  gateway: optional(
    GatewaySpec,
    "The gateway pool: a StatefulSet of OTel Collectors that process the data and export it to Dynatrace over OTLP/HTTP."
  ),
  publicRegistryOverride: optional(
    Schema.String,
    "Registry to pull the Dynatrace images from instead of the default one."
  )
})
/** @category spec @since 0.1.0 */
export type DTPrometheusSpec = typeof DTPrometheusSpec.Type

/** @category status @since 0.1.0 */
export const DTPrometheusStatus = Schema.Struct({
  phase: optional(Phase, "Overall state."),
  conditions: optional(Conditions, "Conditions, keyed by type.")
})
/** @category status @since 0.1.0 */
export type DTPrometheusStatus = typeof DTPrometheusStatus.Type

/**
 * A DTPrometheus at `dynatrace.com/v1alpha1`.
 *
 * @category resource
 * @since 0.1.0
 */
export const DTPrometheus = Schema.Struct({
  apiVersion: Schema.optionalKey(Schema.Literal(apiVersion)),
  kind: Schema.optionalKey(Schema.Literal(kind)),
  metadata: Schema.optionalKey(ObjectMeta),
  spec: required(DTPrometheusSpec, "Desired state of the Prometheus scraping stack."),
  status: optional(DTPrometheusStatus, "Observed state, written by the operator.")
}).annotate({
  description:
    "DTPrometheus scrapes Prometheus metrics in the cluster (Target Allocator, scraper pool, gateway pool) and sends them to the Dynatrace environment of a DynaKube."
})
/** @category resource @since 0.1.0 */
export type DTPrometheus = typeof DTPrometheus.Type
