/**
 * The DynaKube feature flags (annotations `feature.dynatrace.com/*`, spec §1.4) as the validation rules see them:
 * the flags the operator knows, the deprecated ones (warned about), and the few values rules read. Booleans parse
 * like Go's `strconv.ParseBool`; an empty or unparsable value means the default.
 *
 * @since 0.1.0
 */

import * as Shared from "../../../../schemas/FeatureFlags.ts"

/** @category models @since 0.1.0 */
export type Annotations = Readonly<Record<string, string>>

/** @category constants @since 0.1.0 */
export const prefix = Shared.prefix

/** Annotation keys read by rules. @category constants @since 0.1.0 */
export const keys = {
  noProxy: `${prefix}no-proxy`,
  usePublicRegistry: `${prefix}use-public-registry`,
  automaticK8sApiMonitoring: `${prefix}automatic-kubernetes-api-monitoring`,
  oneAgentMaxUnavailable: `${prefix}oneagent-max-unavailable`,
  nodeImagePull: `${prefix}node-image-pull`,
  ignoredNamespaces: `${prefix}ignored-namespaces`,
  /** Not a `feature.` key, but checked together with them. */
  technologies: "oneagent.dynatrace.com/technologies"
} as const

/** Deprecated flags, in the order the warning lists them. @category constants @since 0.1.0 */
export const deprecated: ReadonlyArray<string> = [
  `${prefix}oneagent-ignore-proxy`,
  `${prefix}oneagent-max-unavailable`,
  `${prefix}k8s-app-enabled`,
  `${prefix}activegate-updates`,
  `${prefix}disable-activegate-updates`,
  `${prefix}activegate-ignore-proxy`,
  `${prefix}init-container-seccomp-profile`
]

/** Every flag the operator reads (deprecated ones included). @category constants @since 0.1.0 */
export const known: ReadonlySet<string> = new Set([
  keys.noProxy,
  `${prefix}use-eec-legacy-mounts`,
  keys.usePublicRegistry,
  `${prefix}activegate-apparmor`,
  keys.automaticK8sApiMonitoring,
  `${prefix}automatic-kubernetes-api-monitoring-cluster-name`,
  `${prefix}automatic-tls-certificate`,
  `${prefix}max-csi-mount-attempts`,
  `${prefix}max-csi-mount-timeout`,
  `${prefix}enable-attributes-dt.kubernetes`,
  keys.ignoredNamespaces,
  `${prefix}automatic-injection`,
  `${prefix}label-version-detection`,
  `${prefix}injection-failure-policy`,
  `${prefix}oneagent-initial-connect-retry-ms`,
  `${prefix}oneagent-privileged`,
  `${prefix}oneagent-classic-nonroot`,
  `${prefix}oneagent-skip-liveness-probe`,
  keys.nodeImagePull,
  keys.technologies,
  `${prefix}otlp-exporter-configuration-set-no-proxy`,
  ...deprecated
])

/** Go's `strconv.ParseBool` (shared with every component). @category parsing @since 0.1.0 */
export const parseBool = Shared.parseBool

/** A boolean flag with its default. @category parsing @since 0.1.0 */
export const bool = (annotations: Annotations, key: string, fallback: boolean): boolean =>
  Shared.bool(annotations, key, fallback)

/** The annotation exists (any value). @category parsing @since 0.1.0 */
export const isSet = (annotations: Annotations, key: string): boolean => Object.hasOwn(annotations, key)

/** Images come from the public registry: a platform token, or the `use-public-registry` flag. @category flags @since 0.1.0 */
export const isPublicRegistry = (annotations: Annotations, platformToken: boolean): boolean =>
  platformToken || bool(annotations, keys.usePublicRegistry, false)

/** `automatic-kubernetes-api-monitoring` (default true). @category flags @since 0.1.0 */
export const isAutomaticK8sApiMonitoring = (annotations: Annotations): boolean =>
  bool(annotations, keys.automaticK8sApiMonitoring, true)

/** `node-image-pull` (default false). @category flags @since 0.1.0 */
export const isNodeImagePull = (annotations: Annotations): boolean => bool(annotations, keys.nodeImagePull, false)

/** `no-proxy` text (empty when unset). @category flags @since 0.1.0 */
export const noProxy = (annotations: Annotations): string => annotations[keys.noProxy] ?? ""

/** `ignored-namespaces` patterns (parsing rules in `schemas/FeatureFlags.ts`). @category flags @since 0.1.0 */
export const ignoredNamespaces = (annotations: Annotations, operatorNamespace: string): ReadonlyArray<string> =>
  Shared.ignoredNamespacePatterns(annotations, operatorNamespace)

/** Whether `namespace` matches one of the patterns (a pattern that does not compile matches nothing). @category flags @since 0.1.0 */
export const isIgnoredNamespace = (patterns: ReadonlyArray<string>, namespace: string): boolean =>
  Shared.compilePatterns(patterns).some((re) => re.test(namespace))
