/**
 * The DynaKube feature flags the webhook reads (spec §1.4): annotations `feature.dynatrace.com/<name>` on the
 * DynaKube. Booleans follow Go's `strconv.ParseBool` (`1 t T TRUE true True`, `0 f F FALSE false False`); anything
 * else, like an absent annotation, means the default. Pod annotations that default to a flag (e.g.
 * `oneagent.dynatrace.com/inject` → `automatic-injection`) are parsed the same way.
 *
 * @since 0.1.0
 */
import { Duration, Option } from "effect"
import * as GoDuration from "../../services/certs/GoDuration.ts"
import * as Shared from "../../schemas/FeatureFlags.ts"

/** Annotation prefix of every feature flag. @category constants @since 0.1.0 */
export const prefix = Shared.prefix

/** Flag names used here. @category constants @since 0.1.0 */
export const flags = {
  automaticInjection: "automatic-injection",
  ignoredNamespaces: "ignored-namespaces",
  injectionFailurePolicy: "injection-failure-policy",
  labelVersionDetection: "label-version-detection",
  initContainerSeccompProfile: "init-container-seccomp-profile",
  maxCsiMountTimeout: "max-csi-mount-timeout",
  enableAttributesDtKubernetes: "enable-attributes-dt.kubernetes",
  automaticTlsCertificate: "automatic-tls-certificate",
  otlpExporterSetNoProxy: "otlp-exporter-configuration-set-no-proxy"
} as const

/** The `technologies` annotation, valid on the DynaKube and on pods (no `feature.` prefix). @category constants @since 0.1.0 */
export const technologiesAnnotation = "oneagent.dynatrace.com/technologies"

type Annotations = Shared.Annotations

/** Go's `strconv.ParseBool` (shared with every component). @category parsing @since 0.1.0 */
export const parseBool = Shared.parseBool

/** A boolean annotation, or the default when absent or unparsable. @category parsing @since 0.1.0 */
export const bool = Shared.bool

/** A feature flag's raw text. @category parsing @since 0.1.0 */
export const raw = (annotations: Annotations, flag: string): string | undefined => annotations?.[prefix + flag]

/** A boolean feature flag. @category parsing @since 0.1.0 */
export const flag = (annotations: Annotations, name: string, fallback: boolean): boolean =>
  bool(annotations, prefix + name, fallback)

/** `automatic-injection` (default true): without it pods need the opt-in annotations. @category flags @since 0.1.0 */
export const automaticInjection = (annotations: Annotations): boolean =>
  flag(annotations, flags.automaticInjection, true)

/** The default list of `ignored-namespaces` for an operator namespace. @category flags @since 0.1.0 */
export const defaultIgnoredNamespaces = Shared.defaultIgnoredNamespaces

/**
 * `ignored-namespaces` compiled (see `schemas/FeatureFlags.ts` for the parsing rules); a pattern that does not
 * compile is skipped.
 * @category flags
 * @since 0.1.0
 */
export const ignoredNamespaces = (annotations: Annotations, operatorNamespace: string): ReadonlyArray<RegExp> =>
  Shared.compilePatterns(Shared.ignoredNamespacePatterns(annotations, operatorNamespace))

/** Whether a namespace is ignored by the DynaKube. @category flags @since 0.1.0 */
export const isIgnoredNamespace = (annotations: Annotations, operatorNamespace: string, namespace: string): boolean =>
  ignoredNamespaces(annotations, operatorNamespace).some((re) => re.test(namespace))

/** `injection-failure-policy`: `fail` or (default) `silent`. @category flags @since 0.1.0 */
export const injectionFailurePolicy = (annotations: Annotations): "fail" | "silent" =>
  raw(annotations, flags.injectionFailurePolicy) === "fail" ? "fail" : "silent"

/** `label-version-detection` (default false). @category flags @since 0.1.0 */
export const labelVersionDetection = (annotations: Annotations): boolean =>
  flag(annotations, flags.labelVersionDetection, false)

/** `init-container-seccomp-profile` (deprecated, default true). @category flags @since 0.1.0 */
export const initContainerSeccompProfile = (annotations: Annotations): boolean =>
  flag(annotations, flags.initContainerSeccompProfile, true)

/** `automatic-tls-certificate` (default true): the ActiveGate gets a self-signed certificate. @category flags @since 0.1.0 */
export const automaticTlsCertificate = (annotations: Annotations): boolean =>
  flag(annotations, flags.automaticTlsCertificate, true)

/** `otlp-exporter-configuration-set-no-proxy` (default true). @category flags @since 0.1.0 */
export const otlpExporterSetNoProxy = (annotations: Annotations): boolean =>
  flag(annotations, flags.otlpExporterSetNoProxy, true)

/** `enable-attributes-dt.kubernetes`: default true, false with a platform token. @category flags @since 0.1.0 */
export const enableAttributesDtKubernetes = (annotations: Annotations, platformToken: boolean): boolean =>
  flag(annotations, flags.enableAttributesDtKubernetes, !platformToken)

const defaultCsiMountTimeout = Duration.minutes(10)

/**
 * `max-csi-mount-timeout` as Go prints durations (`10m0s`), the CSI volume attribute `retryTimeout`; an unparsable
 * or negative value means the default of 10 minutes.
 * @category flags
 * @since 0.1.0
 */
export const maxCsiMountTimeout = (annotations: Annotations): string => {
  const text = raw(annotations, flags.maxCsiMountTimeout)
  const parsed = text === undefined ? Option.none() : GoDuration.parse(text)
  const value = Option.getOrElse(
    Option.filter(parsed, (d) => Duration.toMillis(d) >= 0),
    () => defaultCsiMountTimeout
  )
  return GoDuration.format(value)
}

/** The `technologies` annotation of the DynaKube. @category flags @since 0.1.0 */
export const technologies = (annotations: Annotations): string | undefined => annotations?.[technologiesAnnotation]
