/**
 * The injection decision (spec §3.2–3.3), as ordered chains of pure policies:
 *
 * 1. **Pod chain** — may the pod be touched at all? Its namespace exists and carries the
 *    `dynakube.internal.dynatrace.com/instance` label, the DynaKube it names exists, the pod is not opted out
 *    (`dynatrace.com/inject: "false"`), not every container is excluded, it is no OpenShift debug pod, and the
 *    DynaKube has an injection feature. A violation is a `Skip`: the pod is admitted unchanged.
 * 2. **Feature chains** — OneAgent code modules, metadata enrichment, OTLP exporter settings, each `On`, `Off`
 *    (feature not wanted: nothing is written) or `Refused` (wanted but impossible: `…/injected: "false"` and a
 *    `…/reason` are written).
 *
 * Everything here is pure: the caller looks the namespace and DynaKube up first, and the plan
 * (`InjectionPlan.ts`) turns the decision into a pod.
 *
 * @since 0.1.0
 */
import { Option, Result } from "effect"
import * as posix from "node:path/posix"
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { Container, Namespace, Pod } from "../../../schemas/Pod.ts"
import * as DynaKubeInjection from "../DynaKubeInjection.ts"
import * as FeatureFlags from "../FeatureFlags.ts"
import * as Keys from "../Keys.ts"
import * as Selector from "../LabelSelector.ts"
import * as Policy from "../Policy.ts"

const { Reason } = Keys

/** What the webhook's configuration contributes to the decision and the plan. @category models @since 0.1.0 */
export interface Settings {
  /** The webhook's (and DynaKubes') namespace. */
  readonly operatorNamespace: string
  /** `DT_OPERATOR_IMAGE`: the image of the injected init container. */
  readonly operatorImage: string
  /** Reported as `script_version` in `DT_DEPLOYMENT_METADATA`. */
  readonly operatorVersion: string
  /** `modules.json` `csiDriver`: the CSI driver is installed. */
  readonly csiDriver: boolean
  /** The cluster is OpenShift (the init container gets no fixed `runAsUser`). */
  readonly openShift: boolean
  /** `DT_METADATA_SIZE_LIMIT`: bytes of the `metadata.dynatrace.com` annotation. */
  readonly metadataSizeLimit: number
  /** `DT_EXTRACT_CODEMODULES_IMAGE_LINKS`. */
  readonly extractCodeModulesImageLinks: boolean
}

/** What was looked up for a pod before deciding. @category models @since 0.1.0 */
export interface PodFacts {
  readonly settings: Settings
  readonly pod: Pod
  readonly namespace: Option.Option<Namespace>
  readonly dynakube: Option.Option<DynaKube>
}

/** A pod that passed the pod chain. @category models @since 0.1.0 */
export interface Admitted {
  readonly settings: Settings
  readonly pod: Pod
  readonly namespace: Namespace
  readonly dynakube: DynaKube
}

/** A feature's verdict. @category models @since 0.1.0 */
export type Feature =
  | { readonly _tag: "On" }
  | ({ readonly _tag: "Off" } & Policy.Finding)
  | ({ readonly _tag: "Refused" } & Policy.Finding)

/** The decision for one pod. @category models @since 0.1.0 */
export type Decision =
  | ({ readonly _tag: "Skip" } & Policy.Finding)
  | {
      readonly _tag: "Evaluate"
      readonly admitted: Admitted
      readonly oneAgent: Feature
      readonly metadata: Feature
      readonly otlp: Feature
    }

// ---------------------------------------------------------------------------------------------------------------
// helpers (pure, exported for the plan)

type Annotations = Readonly<Record<string, string>> | undefined

const isFalse = (annotations: Annotations, key: string): boolean => FeatureFlags.parseBool(annotations?.[key]) === false

/** Excluded by `container.inject.dynatrace.com/<name>: "false"` on the pod or the DynaKube. @category helpers @since 0.1.0 */
export const isExcluded = (pod: Pod, dynakube: DynaKube, container: Container): boolean => {
  const key = Keys.input.containerInjectPrefix + container.name
  return isFalse(pod.metadata.annotations, key) || isFalse(dynakube.metadata?.annotations, key)
}

/** The containers that get injected (not excluded). @category helpers @since 0.1.0 */
export const injectableContainers = (pod: Pod, dynakube: DynaKube): ReadonlyArray<Container> =>
  pod.spec.containers.filter((c) => !isExcluded(pod, dynakube, c))

/** The code-module path in application containers (`oneagent.dynatrace.com/install-path`). @category helpers @since 0.1.0 */
export const installPath = (pod: Pod): string =>
  pod.metadata.annotations?.[Keys.input.installPath] ?? Keys.paths.defaultInstallPath

/** Absolute, not `/`, clean, no whitespace and none of `\0 , :`. @category helpers @since 0.1.0 */
export const isValidInstallPath = (path: string): boolean =>
  path.startsWith("/") &&
  path !== "/" &&
  posix.normalize(path) === path &&
  !path.endsWith("/") &&
  !/[\s\0,:]/.test(path)

/** Images come from the public registry (feature flag, or forced by a platform token). @category helpers @since 0.1.0 */
export const usesPublicRegistry = (dk: DynaKube): boolean =>
  FeatureFlags.flag(dk.metadata?.annotations, "use-public-registry", false) || dk.status?.apiToken?.platform === true

/** Code modules come from an image (custom `codeModulesImage` or the public registry) rather than a download. @category helpers @since 0.1.0 */
export const codeModulesFromImage = (dk: DynaKube): boolean =>
  DynaKubeInjection.appInjectionSpec(dk)?.codeModulesImage !== undefined || usesPublicRegistry(dk)

/** How the code modules reach the pod. @category helpers @since 0.1.0 */
export type Delivery =
  /** CSI volume served by the driver */
  | "csi"
  /** emptyDir filled by the self-extracting code-modules image (`k8s-init`) */
  | "image"
  /** emptyDir filled by `bootstrap`, which downloads the zip from the tenant */
  | "zip"

/** CSI when the driver is installed (unless an image is used with `volume-type: ephemeral`), else image or zip. @category helpers @since 0.1.0 */
export const delivery = (settings: Settings, pod: Pod, dk: DynaKube): Delivery => {
  const fromImage = codeModulesFromImage(dk)
  if (settings.csiDriver && !(fromImage && pod.metadata.annotations?.[Keys.input.volumeType] === "ephemeral")) {
    return "csi"
  }
  return fromImage ? "image" : "zip"
}

// ---------------------------------------------------------------------------------------------------------------
// pod chain

const labelOf = (facts: PodFacts): string | undefined =>
  Option.getOrUndefined(facts.namespace)?.metadata.labels?.[Keys.instanceLabel]

/** The pod chain, in order. @category policies @since 0.1.0 */
export const podRules: ReadonlyArray<Policy.Rule<PodFacts>> = [
  Policy.rule("namespace-found", (f) =>
    Option.isSome(f.namespace)
      ? Policy.pass
      : Policy.violation(Reason.NamespaceNotFound, "The pod's namespace was not found.")
  ),
  Policy.rule("namespace-labelled", (f) =>
    labelOf(f) !== undefined && labelOf(f) !== ""
      ? Policy.pass
      : Policy.violation(
          Reason.NamespaceNotLabelled,
          `The namespace has no ${Keys.instanceLabel} label, so no DynaKube injects into it.`
        )
  ),
  Policy.rule("dynakube-found", (f) =>
    Option.isSome(f.dynakube)
      ? Policy.pass
      : Policy.violation(
          Reason.DynaKubeNotFound,
          `The namespace is mapped to DynaKube ${labelOf(f) ?? ""}, which does not exist in namespace ${f.settings.operatorNamespace}.`
        )
  ),
  Policy.rule("pod-opt-out", (f) =>
    isFalse(f.pod.metadata.annotations, Keys.input.inject)
      ? Policy.violation(Reason.PodOptedOut, `The pod opted out with ${Keys.input.inject}: "false".`)
      : Policy.pass
  ),
  Policy.rule("all-containers-excluded", (f) =>
    Option.match(f.dynakube, {
      onNone: () => Policy.pass,
      onSome: (dk) =>
        injectableContainers(f.pod, dk).length === 0
          ? Policy.violation(Reason.AllContainersExcluded, "Every container of the pod is excluded from injection.")
          : Policy.pass
    })
  ),
  Policy.rule("openshift-debug-pod", (f) =>
    f.pod.metadata.annotations?.[Keys.input.openShiftDebugSourceContainer] !== undefined &&
    f.pod.metadata.annotations?.[Keys.input.openShiftDebugSourceResource] !== undefined
      ? Policy.violation(Reason.OpenShiftDebugPod, "OpenShift debug pods are not injected.")
      : Policy.pass
  ),
  Policy.rule("injection-features", (f) =>
    Option.match(f.dynakube, {
      onNone: () => Policy.pass,
      onSome: (dk) =>
        DynaKubeInjection.mapsNamespaces(dk)
          ? Policy.pass
          : Policy.violation(
              Reason.NoInjectionFeature,
              "The DynaKube has neither OneAgent injection, metadata enrichment nor OTLP exporter configuration."
            )
    })
  )
]

// ---------------------------------------------------------------------------------------------------------------
// feature chains

const podAnnotationRule = (id: string, key: string) =>
  Policy.rule(id, (a: Admitted) =>
    FeatureFlags.bool(
      a.pod.metadata.annotations,
      key,
      FeatureFlags.automaticInjection(a.dynakube.metadata?.annotations)
    )
      ? Policy.pass
      : Policy.violation(
          Reason.OptedOut,
          `Not enabled for the pod (${key}, default: feature flag automatic-injection).`
        )
  )

const selectorRule = (id: string, selector: (dk: DynaKube) => Parameters<typeof Selector.matches>[0]) =>
  Policy.rule(id, (a: Admitted) =>
    Selector.matches(selector(a.dynakube), a.namespace.metadata.labels)
      ? Policy.pass
      : Policy.violation(Reason.NamespaceNotSelected, "The namespace does not match the feature's namespaceSelector.")
  )

/** Whether OneAgent injection is wanted for the pod. @category policies @since 0.1.0 */
export const oneAgentEnablement: ReadonlyArray<Policy.Rule<Admitted>> = [
  Policy.rule("oneagent-mode", (a) =>
    DynaKubeInjection.oneAgentInjectionEnabled(a.dynakube)
      ? Policy.pass
      : Policy.violation(Reason.NoAppInjectionMode, "The DynaKube's OneAgent mode does not inject into applications.")
  ),
  podAnnotationRule("oneagent-pod-annotation", Keys.input.oneAgentInject),
  selectorRule("oneagent-namespace-selector", (dk) => DynaKubeInjection.appInjectionSpec(dk)?.namespaceSelector)
]

/** Whether OneAgent injection is possible (violations are written onto the pod). @category policies @since 0.1.0 */
export const oneAgentReadiness: ReadonlyArray<Policy.Rule<Admitted>> = [
  Policy.rule("install-path", (a) =>
    isValidInstallPath(installPath(a.pod))
      ? Policy.pass
      : Policy.violation(
          Reason.InvalidInstallPath,
          `The install path ${JSON.stringify(installPath(a.pod))} must be absolute and clean, without whitespace, ',' or ':'.`
        )
  ),
  Policy.rule("code-modules-ready", (a) => {
    const codeModules = a.dynakube.status?.codeModules
    const ready = codeModulesFromImage(a.dynakube)
      ? (codeModules?.imageID ?? "") !== ""
      : (codeModules?.version ?? "") !== "" && codeModules?.version !== "custom-image"
    return ready
      ? Policy.pass
      : Policy.violation(
          Reason.DynaKubeStatusNotReady,
          "The DynaKube's status has no code-module version or image yet."
        )
  }),
  Policy.rule("tenant-uuid", (a) =>
    DynaKubeInjection.appInjectionMode(a.dynakube) !== "cloudNativeFullStack" ||
    (a.dynakube.status?.oneAgent?.connectionInfoStatus?.tenantUUID ?? "") !== ""
      ? Policy.pass
      : Policy.violation(Reason.MissingTenantUUID, "The DynaKube's status has no tenant UUID yet.")
  )
]

/** Whether metadata enrichment is wanted for the pod. @category policies @since 0.1.0 */
export const metadataEnablement: ReadonlyArray<Policy.Rule<Admitted>> = [
  Policy.rule("metadata-enabled", (a) =>
    DynaKubeInjection.metadataEnrichmentEnabled(a.dynakube)
      ? Policy.pass
      : Policy.violation(Reason.FeatureDisabled, "Metadata enrichment is not enabled in the DynaKube.")
  ),
  podAnnotationRule("metadata-pod-annotation", Keys.input.metadataInject),
  selectorRule("metadata-namespace-selector", (dk) => dk.spec.metadataEnrichment?.namespaceSelector)
]

/** Whether OTLP exporter settings are wanted for the pod. @category policies @since 0.1.0 */
export const otlpEnablement: ReadonlyArray<Policy.Rule<Admitted>> = [
  Policy.rule("otlp-signals", (a) =>
    DynaKubeInjection.otlpEnabled(a.dynakube)
      ? Policy.pass
      : Policy.violation(Reason.FeatureDisabled, "The DynaKube configures no OTLP exporter signal.")
  ),
  podAnnotationRule("otlp-pod-annotation", Keys.input.otlpInject),
  selectorRule("otlp-namespace-selector", (dk) => dk.spec.otlpExporterConfiguration?.namespaceSelector)
]

const on: Feature = { _tag: "On" }

const feature = (
  admitted: Admitted,
  enablement: ReadonlyArray<Policy.Rule<Admitted>>,
  readiness: ReadonlyArray<Policy.Rule<Admitted>> = []
): Feature =>
  Option.match(Policy.evaluate(enablement, admitted), {
    onSome: (finding): Feature => ({ _tag: "Off", ...finding }),
    onNone: () =>
      Option.match(Policy.evaluate(readiness, admitted), {
        onSome: (finding): Feature => ({ _tag: "Refused", ...finding }),
        onNone: () => on
      })
  })

/** Runs the pod chain; passing yields the admitted pod. @category evaluation @since 0.1.0 */
export const admit = (facts: PodFacts): Result.Result<Admitted, Policy.Finding> =>
  Option.match(Policy.evaluate(podRules, facts), {
    onSome: (finding) => Result.fail(finding),
    onNone: () =>
      Option.isSome(facts.namespace) && Option.isSome(facts.dynakube)
        ? Result.succeed({
            settings: facts.settings,
            pod: facts.pod,
            namespace: facts.namespace.value,
            dynakube: facts.dynakube.value
          })
        : Result.fail({ rule: "namespace-found", reason: Reason.NamespaceNotFound, message: "Nothing to inject from." })
  })

/** The whole decision for a pod. @category evaluation @since 0.1.0 */
export const decide = (facts: PodFacts): Decision =>
  Result.match(admit(facts), {
    onFailure: (finding): Decision => ({ _tag: "Skip", ...finding }),
    onSuccess: (admitted): Decision => ({
      _tag: "Evaluate",
      admitted,
      oneAgent: feature(admitted, oneAgentEnablement, oneAgentReadiness),
      metadata: feature(admitted, metadataEnablement),
      otlp: feature(admitted, otlpEnablement)
    })
  })

/** `On`. @category predicates @since 0.1.0 */
export const isOn = (f: Feature): boolean => f._tag === "On"

/** The pod carries the injected init container already (a re-invocation). @category predicates @since 0.1.0 */
export const isInjected = (pod: Pod): boolean =>
  (pod.spec.initContainers ?? []).some((c) => c.name === Keys.names.initContainer)
