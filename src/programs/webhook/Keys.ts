/**
 * The wire-level names of pod injection (spec §3.3–3.7, Appendix A): annotation and label keys, env var names,
 * volume and container names, mount paths, and the reason codes written into `…/reason` annotations.
 * Everything the webhook writes onto a pod is spelled here and nowhere else.
 *
 * @since 0.1.0
 */

/** Namespace label naming the DynaKube that owns injection for the namespace. @category labels @since 0.1.0 */
export const instanceLabel = "dynakube.internal.dynatrace.com/instance"

/** Pod (and DynaKube) annotations read by the webhook. @category annotations @since 0.1.0 */
export const input = {
  /** `"false"` disables every mutation of the pod. */
  inject: "dynatrace.com/inject",
  oneAgentInject: "oneagent.dynatrace.com/inject",
  metadataInject: "metadata-enrichment.dynatrace.com/inject",
  otlpInject: "otlp-exporter-configuration.dynatrace.com/inject",
  /** prefix; `container.inject.dynatrace.com/<container>: "false"` excludes a container (pod or DynaKube) */
  containerInjectPrefix: "container.inject.dynatrace.com/",
  failurePolicy: "oneagent.dynatrace.com/failure-policy",
  installPath: "oneagent.dynatrace.com/install-path",
  technologies: "oneagent.dynatrace.com/technologies",
  flavor: "oneagent.dynatrace.com/flavor",
  volumeType: "oneagent.dynatrace.com/volume-type",
  configVolumeSize: "volume.dynatrace.com/dynatrace-config",
  binVolumeSize: "volume.dynatrace.com/oneagent-bin",
  runAsUser: "init-container.dynatrace.com/securityContext.runAsUser",
  runAsGroup: "init-container.dynatrace.com/securityContext.runAsGroup",
  splitMounts: "dynatrace.com/split-mounts",
  /** prefix of user enrichment attributes, on the pod or its namespace */
  metadataPrefix: "metadata.dynatrace.com/",
  /** prefix of namespace annotations naming field paths for `DT_RELEASE_*` */
  releaseMappingPrefix: "mapping.release.dynatrace.com/",
  openShiftDebugSourceContainer: "debug.openshift.io/source-container",
  openShiftDebugSourceResource: "debug.openshift.io/source-resource"
} as const

/** Result annotations written onto the pod: `…/injected` is `"true"`/`"false"`, `…/reason` a reason code. @category annotations @since 0.1.0 */
export const output = {
  dynakube: { injected: "dynakube.dynatrace.com/injected", reason: "dynakube.dynatrace.com/reason" },
  oneAgent: { injected: "oneagent.dynatrace.com/injected", reason: "oneagent.dynatrace.com/reason" },
  metadata: {
    injected: "metadata-enrichment.dynatrace.com/injected",
    reason: "metadata-enrichment.dynatrace.com/reason"
  },
  otlp: {
    injected: "otlp-exporter-configuration.dynatrace.com/injected",
    reason: "otlp-exporter-configuration.dynatrace.com/reason"
  },
  volume: { injected: "volume.dynatrace.com/injected", reason: "volume.dynatrace.com/reason" },
  /** JSON of the enrichment attributes */
  metadataJson: "metadata.dynatrace.com"
} as const

/** One of the result annotation pairs. @category annotations @since 0.1.0 */
export type ResultKeys = (typeof output)[Exclude<keyof typeof output, "metadataJson">]

/**
 * Reason codes. Those written into a pod annotation are the original's; the others only appear in the admission
 * response message, logs and the `reason` label of the injection metric.
 * @category reasons
 * @since 0.1.0
 */
export const Reason = {
  // written onto the pod (spec §3.2–3.5)
  NoBootstrapperConfig: "NoBootstrapperConfig",
  NoMutationNeeded: "NoMutationNeeded",
  InvalidInstallPath: "InvalidInstallPath",
  DynaKubeStatusNotReady: "DynaKubeStatusNotReady",
  MissingTenantUUID: "MissingTenantUUID",
  ConflictingVolumeType: "ConflictingVolumeType",
  OwnerLookupFailed: "OwnerLookupFailed",
  NoOTLPExporterConfigSecret: "NoOTLPExporterConfigSecret",
  MetadataTooLarge: "MetadataTooLarge",
  /** fail-open: the webhook itself failed or ran out of time (written as `dynakube.dynatrace.com/reason`) */
  InternalError: "InternalError",
  Timeout: "Timeout",
  // response / metrics only: the pod is left as it came
  PodOptedOut: "PodOptedOut",
  AllContainersExcluded: "AllContainersExcluded",
  OpenShiftDebugPod: "OpenShiftDebugPod",
  NamespaceNotLabelled: "NamespaceNotLabelled",
  NamespaceNotFound: "NamespaceNotFound",
  DynaKubeNotFound: "DynaKubeNotFound",
  NoInjectionFeature: "NoInjectionFeature",
  NotAPod: "NotAPod",
  NotCreate: "NotCreate",
  InvalidPod: "InvalidPod",
  // per feature, not written (the feature is simply off)
  NoAppInjectionMode: "NoAppInjectionMode",
  OptedOut: "OptedOut",
  NamespaceNotSelected: "NamespaceNotSelected",
  FeatureDisabled: "FeatureDisabled"
} as const
/** @category reasons @since 0.1.0 */
export type Reason = (typeof Reason)[keyof typeof Reason]

/** Names of what the webhook adds to a pod (Appendix A). @category names @since 0.1.0 */
export const names = {
  initContainer: "dynatrace-operator",
  inputVolume: "dynatrace-input",
  configVolume: "dynatrace-config",
  binVolume: "oneagent-bin",
  otlpCertsVolume: "otlp-dynatrace-certs",
  bootstrapperConfigSecret: "dynatrace-bootstrapper-config",
  bootstrapperCertsSecret: "dynatrace-bootstrapper-certs",
  otlpConfigSecret: "dynatrace-otlp-exporter-config",
  otlpCertsSecret: "dynatrace-otlp-exporter-certs",
  csiDriver: "csi.oneagent.dynatrace.com"
} as const

/** Source secrets in the DynaKube namespace, replicated into the pod namespace on demand. @category names @since 0.1.0 */
export const sourceSecret = {
  bootstrapperConfig: (dk: string) => `${dk}-bootstrapper-config`,
  bootstrapperCerts: (dk: string) => `${dk}-bootstrapper-certs`,
  otlpConfig: (dk: string) => `${dk}-otlp-exporter-config`,
  otlpCerts: (dk: string) => `${dk}-otlp-exporter-certs`
} as const

/** Paths inside the init container and the application containers. @category paths @since 0.1.0 */
export const paths = {
  input: "/mnt/input",
  config: "/mnt/config",
  bin: "/mnt/bin",
  /** the code module's location inside the code-modules image (`--source`) */
  source: "/opt/dynatrace/oneagent",
  defaultInstallPath: "/opt/dynatrace/oneagent-paas",
  dynatraceRoot: "/var/lib/dynatrace",
  oneAgentStorage: "/var/lib/dynatrace/oneagent",
  enrichmentRoot: "/var/lib/dynatrace/enrichment",
  ldPreload: "/etc/ld.so.preload",
  otlpCerts: "/etc/dynatrace/ssl"
} as const

/** Env vars of the init container and the application containers. @category env @since 0.1.0 */
export const env = {
  podName: "K8S_PODNAME",
  podUid: "K8S_PODUID",
  nodeName: "K8S_NODE_NAME",
  extractImageLinks: "DT_EXTRACT_CODEMODULES_IMAGE_LINKS",
  deploymentMetadata: "DT_DEPLOYMENT_METADATA",
  ldPreload: "LD_PRELOAD",
  storage: "DT_STORAGE",
  networkZone: "DT_NETWORK_ZONE",
  releaseVersion: "DT_RELEASE_VERSION",
  releaseProduct: "DT_RELEASE_PRODUCT",
  releaseStage: "DT_RELEASE_STAGE",
  releaseBuildVersion: "DT_RELEASE_BUILD_VERSION",
  apiToken: "DT_API_TOKEN",
  noProxy: "NO_PROXY",
  resourceAttributes: "OTEL_RESOURCE_ATTRIBUTES"
} as const
