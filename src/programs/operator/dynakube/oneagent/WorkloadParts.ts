/**
 * Pieces shared by the OneAgent DaemonSet and the ActiveGate StatefulSet builders (spec §2.2.3–§2.2.5): the
 * operator facts every builder needs, labels, owner references, node affinity, AppArmor, image pull secrets, the
 * proxy predicates and the final clean-up of built objects.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { apiVersion as dynaKubeApiVersion, kind as dynaKubeKind } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { OwnerReference } from "../../../../services/kube/KubeObject.ts"
import { truncateLabelValue } from "./GoCompat.ts"
import type { WorkloadFlags } from "./WorkloadFlags.ts"
import type { BuiltMeta, StringMap } from "./WorkloadTypes.ts"

/**
 * What the builders need to know about the running operator and the cluster; constant for the process.
 * @category models
 * @since 0.1.0
 */
export interface OperatorContext {
  /** The operator's version (`APP_VERSION`), used in `app.kubernetes.io/version` of operator-made objects. */
  readonly operatorVersion: string
  /** The operator's image (`DT_OPERATOR_IMAGE`): the OneAgent pods' `generate-metadata` init container runs it. */
  readonly operatorImage: string
  /** `DT_OPERATOR_PULL_SECRET` (Helm `customPullSecret`), added to the workloads' image pull secrets. */
  readonly operatorPullSecret?: string | undefined
  /** The CSI driver module is installed (`modules.json` `csiDriver`): host agents keep their data in a CSI volume. */
  readonly csiDriver: boolean
  /** The cluster's Kubernetes minor version; from 31 on AppArmor is set in `securityContext`, not by annotation. */
  readonly kubernetesMinorVersion: number
}

/** The DynaKube's name (empty when absent, which no stored DynaKube is). @category accessors @since 0.1.0 */
export const nameOf = (dk: DynaKube): string => dk.metadata?.name ?? ""
/** The DynaKube's namespace. @category accessors @since 0.1.0 */
export const namespaceOf = (dk: DynaKube): string => dk.metadata?.namespace ?? ""

// ---------------------------------------------------------------------------------------------------------------
// Labels and metadata

/** The operator's name: `app.kubernetes.io/name` of operator objects, `managed-by` of workload pods. @category labels @since 0.1.0 */
export const operatorName = "dynatrace-operator"

/** @category labels @since 0.1.0 */
export const LabelKeys = {
  name: "app.kubernetes.io/name",
  createdBy: "app.kubernetes.io/created-by",
  managedBy: "app.kubernetes.io/managed-by",
  component: "app.kubernetes.io/component",
  version: "app.kubernetes.io/version"
} as const

/**
 * The selector of a workload: `name=<component>`, `created-by=<dk>`, `managed-by=dynatrace-operator`. As in the
 * original (`AppMatchLabels`), neither the feature nor the version is part of it, so a mode switch or an agent
 * update rolls the pods instead of replacing the workload.
 * @category labels
 * @since 0.1.0
 */
export const appMatchLabels = (component: string, dk: string): StringMap => ({
  [LabelKeys.name]: component,
  [LabelKeys.createdBy]: dk,
  [LabelKeys.managedBy]: operatorName
})

/**
 * The "app labels" of workload pods: the match labels plus `component=<feature>` (underscores removed) and
 * `version=<component version>` (cut to 63 characters).
 * @category labels
 * @since 0.1.0
 */
export const appLabels = (component: string, dk: string, feature: string, version: string): StringMap => ({
  ...appMatchLabels(component, dk),
  [LabelKeys.version]: truncateLabelValue(version),
  [LabelKeys.component]: feature.replaceAll("_", "")
})

/**
 * The labels of operator-made configuration objects (Services, Secrets, ConfigMaps): `name=dynatrace-operator`,
 * `created-by=<dk>`, `component=<component>`, `version=<operator version>`.
 * @category labels
 * @since 0.1.0
 */
export const coreLabels = (dk: string, component: string, operatorVersion: string): StringMap => ({
  [LabelKeys.name]: operatorName,
  [LabelKeys.createdBy]: dk,
  [LabelKeys.component]: component,
  [LabelKeys.version]: truncateLabelValue(operatorVersion)
})

/**
 * The controller owner reference to the DynaKube: deleting it garbage-collects the object.
 * @category metadata
 * @since 0.1.0
 */
export const ownerReference = (dk: DynaKube): OwnerReference => ({
  apiVersion: dynaKubeApiVersion,
  kind: dynaKubeKind,
  name: nameOf(dk),
  uid: dk.metadata?.uid ?? "",
  controller: true,
  blockOwnerDeletion: true
})

/**
 * Metadata of an object owned by the DynaKube, in its namespace.
 * @category metadata
 * @since 0.1.0
 */
export const ownedMeta = (
  dk: DynaKube,
  name: string,
  labels: StringMap,
  annotations?: StringMap | undefined
): BuiltMeta => ({
  name,
  namespace: namespaceOf(dk),
  labels,
  annotations: nonEmptyMap(annotations),
  ownerReferences: [ownerReference(dk)]
})

// ---------------------------------------------------------------------------------------------------------------
// Scheduling

const archLabel = "kubernetes.io/arch"
const osLabel = "kubernetes.io/os"

/**
 * Node affinity for the image's architectures: images from the tenant registry (or a custom version of them) are
 * amd64 only, every other source (public registry, custom image) is multi-arch.
 * @category scheduling
 * @since 0.1.0
 */
export const nodeAffinity = (source: string | undefined): Readonly<Record<string, unknown>> => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [
        {
          matchExpressions: [
            {
              key: archLabel,
              operator: "In",
              values:
                source === "tenant-registry" || source === "custom-version"
                  ? ["amd64"]
                  : ["amd64", "arm64", "ppc64le", "s390x"]
            },
            { key: osLabel, operator: "In", values: ["linux"] }
          ]
        }
      ]
    }
  }
})

/**
 * Whether a live workload must be deleted and created again instead of updated: its selector (immutable) differs
 * from the desired one. For `ObjectSync.ensure`'s `recreate` option.
 * @category scheduling
 * @since 0.1.0
 */
export const selectorChanged = (
  current: { readonly spec?: { readonly selector?: { readonly matchLabels?: StringMap | undefined } } },
  desired: { readonly spec?: { readonly selector?: { readonly matchLabels?: StringMap | undefined } } }
): boolean => !sameStringMap(current.spec?.selector?.matchLabels, desired.spec?.selector?.matchLabels)

/**
 * The default topology spread of a replicated workload: over zones (best effort), then over nodes —
 * `hostnameWhenUnsatisfiable` `DoNotSchedule` keeps one pod per node (extension controller, collector), while the
 * ActiveGate only prefers it (`ScheduleAnyway`). Used when the template gives no constraints.
 * @category scheduling
 * @since 0.1.0
 */
export const zoneAndNodeSpread = (
  matchLabels: StringMap,
  hostnameWhenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway"
): ReadonlyArray<Readonly<Record<string, unknown>>> => [
  {
    maxSkew: 1,
    topologyKey: "topology.kubernetes.io/zone",
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels }
  },
  {
    maxSkew: 1,
    topologyKey: "kubernetes.io/hostname",
    whenUnsatisfiable: hostnameWhenUnsatisfiable,
    nodeTaintsPolicy: "Honor",
    labelSelector: { matchLabels }
  }
]

// ---------------------------------------------------------------------------------------------------------------
// AppArmor

/** The legacy per-container AppArmor annotation prefix. @category apparmor @since 0.1.0 */
export const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

/** Kubernetes minor version from which AppArmor is set as `securityContext.appArmorProfile`. */
const appArmorFieldMinorVersion = 31

/**
 * The `securityContext.appArmorProfile` a legacy annotation asks for, on clusters that have the field (1.31+):
 * `runtime/default`, `unconfined` or `localhost/<profile>`; `undefined` otherwise.
 * @category apparmor
 * @since 0.1.0
 */
export const appArmorProfile = (
  annotations: StringMap | undefined,
  container: string,
  kubernetesMinorVersion: number
): { readonly type: string; readonly localhostProfile?: string } | undefined => {
  if (kubernetesMinorVersion < appArmorFieldMinorVersion) return undefined
  const value = annotations?.[appArmorAnnotationPrefix + container]
  if (value === undefined) return undefined
  if (value === "runtime/default") return { type: "RuntimeDefault" }
  if (value === "unconfined") return { type: "Unconfined" }
  if (value.startsWith("localhost/")) return { type: "Localhost", localhostProfile: value.slice("localhost/".length) }
  return undefined
}

/**
 * The annotations without the legacy AppArmor annotations of `containers`, on clusters where the profile moved
 * into `securityContext`.
 * @category apparmor
 * @since 0.1.0
 */
export const withoutAppArmorAnnotations = (
  annotations: StringMap,
  containers: ReadonlyArray<string>,
  kubernetesMinorVersion: number
): StringMap =>
  kubernetesMinorVersion < appArmorFieldMinorVersion
    ? annotations
    : Object.fromEntries(
        Object.entries(annotations).filter(([k]) => !containers.some((c) => k === appArmorAnnotationPrefix + c))
      )

// ---------------------------------------------------------------------------------------------------------------
// Images and proxy

/**
 * The pods' image pull secrets: `<dk>-pull-secret` unless images come from the public registry, then
 * `spec.customPullSecret`, then the operator's own pull secret when it is a different one.
 * @category images
 * @since 0.1.0
 */
export const imagePullSecrets = (
  dk: DynaKube,
  flags: WorkloadFlags,
  operatorPullSecret: string | undefined
): Array<{ readonly name: string }> => [
  ...(flags.publicRegistry ? [] : [{ name: `${nameOf(dk)}-pull-secret` }]),
  ...customPullSecrets(dk, operatorPullSecret)
]

/**
 * The pull secrets of pods whose image never comes from the tenant registry: `spec.customPullSecret`, then the
 * operator's own pull secret when it is a different one.
 * @category images
 * @since 0.1.0
 */
export const customPullSecrets = (
  dk: DynaKube,
  operatorPullSecret: string | undefined
): Array<{ readonly name: string }> => {
  const names: Array<string> = []
  const custom = dk.spec.customPullSecret ?? ""
  if (custom !== "") names.push(custom)
  if (operatorPullSecret !== undefined && operatorPullSecret !== "" && operatorPullSecret !== custom) {
    names.push(operatorPullSecret)
  }
  return names.map((name) => ({ name }))
}

/**
 * A proxy is configured (inline value or Secret name).
 * @category proxy
 * @since 0.1.0
 */
export const hasProxy = (dk: DynaKube): boolean =>
  (dk.spec.proxy?.value ?? "") !== "" || (dk.spec.proxy?.valueFrom ?? "") !== ""

/**
 * The `no-proxy` feature flag applies (it is only used together with a proxy).
 * @category proxy
 * @since 0.1.0
 */
export const needsCustomNoProxy = (dk: DynaKube, flags: WorkloadFlags): boolean => hasProxy(dk) && flags.noProxy !== ""

/** Mount path of the `<dk>-internal-proxy` Secret in OneAgent and ActiveGate containers. @category proxy @since 0.1.0 */
export const internalProxyMountPath = "/var/lib/dynatrace/secrets/internal-proxy"
/** Volume name of the `<dk>-internal-proxy` Secret. @category proxy @since 0.1.0 */
export const internalProxyVolumeName = "internal-proxy-secret-volume"

// ---------------------------------------------------------------------------------------------------------------
// JSON hygiene

/**
 * `undefined` for an empty or absent map, so the field is left out (Go's `omitempty`).
 * @category json
 * @since 0.1.0
 */
export const nonEmptyMap = <V>(map: Readonly<Record<string, V>> | undefined): Readonly<Record<string, V>> | undefined =>
  map === undefined || Object.keys(map).length === 0 ? undefined : map

/**
 * `undefined` for an empty or absent list.
 * @category json
 * @since 0.1.0
 */
export const nonEmptyList = <A>(list: ReadonlyArray<A> | undefined): ReadonlyArray<A> | undefined =>
  list === undefined || list.length === 0 ? undefined : list

/**
 * `undefined` for an empty or absent string.
 * @category json
 * @since 0.1.0
 */
export const nonEmptyString = (text: string | null | undefined): string | undefined =>
  text === undefined || text === null || text === "" ? undefined : text

/**
 * Equal string maps (absent = empty), e.g. two selectors.
 * @category json
 * @since 0.1.0
 */
export const sameStringMap = (a: StringMap | undefined, b: StringMap | undefined): boolean => {
  const left = a ?? {}
  const right = b ?? {}
  const keys = Object.keys(left)
  return keys.length === Object.keys(right).length && keys.every((k) => Object.hasOwn(right, k) && right[k] === left[k])
}

/**
 * A deep copy without `undefined` values: what the builders return, so objects compare and hash cleanly and every
 * field of the output is plain JSON.
 * @category json
 * @since 0.1.0
 */
export const prune = <T>(value: T): T => {
  if (Array.isArray(value)) return value.map((v: unknown) => prune(v)) as T
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = prune(v)
    return out as T
  }
  return value
}
