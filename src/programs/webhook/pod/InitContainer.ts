/**
 * The injected init container `dynatrace-operator` (spec §3.3, §4.1): the bootstrapper that fills the config
 * volume (and, without CSI, the code-module volume) before the application starts.
 *
 * Args, in this order (each `--name=value`):
 * `bootstrap` (not in image mode, where the image's entrypoint is the bootstrapper), `--config-directory`,
 * `--input-directory`, `--url` (zip download only), `--suppress-error` (unless the failure policy is `fail`), then the
 * metadata part (`--enable-attributes-dt-kubernetes`, one `--attribute` per pod attribute, `--metadata-enrichment`
 * when enrichment is on, one `--attribute-container` per injected container), then the OneAgent part (`--version`
 * for zip download, `--flavor`, `--source`, `--target`, `--install-path`, `--fullstack --tenant` in
 * cloudNativeFullStack, `--technology`).
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { Container, Pod, VolumeMount } from "../../../schemas/Pod.ts"
import { parseApiUrl, isApiUrl } from "../../../services/dynatrace/ApiUrl.ts"
import * as DynaKubeInjection from "../DynaKubeInjection.ts"
import * as FeatureFlags from "../FeatureFlags.ts"
import * as Keys from "../Keys.ts"
import * as Attributes from "./Attributes.ts"
import type { Delivery, Settings } from "./InjectionPolicy.ts"

/**
 * Default resources of the init container. Twice the original's memory (30Mi/60Mi): bootstrap is a Node process
 * whose floor is ~80 MB peak RSS even bundled (docs/decisions.md). `initResources` in the DynaKube override it as in
 * the original. @category constants @since 0.1.0
 */
export const defaultResources = {
  requests: { cpu: "30m", memory: "64Mi" },
  limits: { cpu: "100m", memory: "128Mi" }
} as const

/** The default user and group of the init container. @category constants @since 0.1.0 */
export const defaultId = 1001

/** What the init container is built from. @category models @since 0.1.0 */
export interface InitContainerInput {
  readonly settings: Settings
  readonly pod: Pod
  readonly dynakube: DynaKube
  /** OneAgent code modules are injected */
  readonly oneAgent: boolean
  /** metadata enrichment is on */
  readonly metadata: boolean
  readonly delivery: Delivery
  readonly installPath: string
  /** pod-level attributes (`--attribute`) */
  readonly attributes: Attributes.Attributes
  /** the containers that get injected */
  readonly containers: ReadonlyArray<Container>
}

const maxId = 2 ** 31 - 1

const idFromAnnotation = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined
  const value = Number(text.trim())
  return value <= maxId ? value : undefined
}

/**
 * `readOnlyRootFilesystem`, no privilege escalation, not privileged, drop ALL; user and group 1001 (no user on
 * OpenShift), overridden by the pod's, then the first container's `runAsUser`/`runAsGroup`, then by the
 * `init-container.dynatrace.com/securityContext.*` annotations; `runAsNonRoot` unless the user (or, without user,
 * the group) is 0; seccomp `RuntimeDefault` unless the feature flag turns it off.
 * @category securityContext
 * @since 0.1.0
 */
export const securityContext = (settings: Settings, pod: Pod, dynakube: DynaKube): Record<string, unknown> => {
  let user: number | undefined = settings.openShift ? undefined : defaultId
  let group: number | undefined = defaultId
  for (const sc of [pod.spec.securityContext, pod.spec.containers[0]?.securityContext]) {
    if (sc?.runAsUser !== undefined) user = sc.runAsUser
    if (sc?.runAsGroup !== undefined) group = sc.runAsGroup
  }
  user = idFromAnnotation(pod.metadata.annotations?.[Keys.input.runAsUser]) ?? user
  group = idFromAnnotation(pod.metadata.annotations?.[Keys.input.runAsGroup]) ?? group
  const nonRoot = user !== undefined ? user !== 0 : group !== undefined ? group !== 0 : undefined
  return {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    ...(user === undefined ? {} : { runAsUser: user }),
    ...(group === undefined ? {} : { runAsGroup: group }),
    ...(nonRoot === undefined ? {} : { runAsNonRoot: nonRoot }),
    ...(FeatureFlags.initContainerSeccompProfile(dynakube.metadata?.annotations)
      ? { seccompProfile: { type: "RuntimeDefault" } }
      : {})
  }
}

/**
 * Enrichment only: `metadataEnrichment.initResources`; CSI: the mode's `initResources`; otherwise the mode's
 * `initResources` or none; the defaults where nothing more specific applies.
 * @category resources
 * @since 0.1.0
 */
export const resources = (input: InitContainerInput): unknown => {
  if (!input.oneAgent) return input.dynakube.spec.metadataEnrichment?.initResources ?? defaultResources
  const modeResources = DynaKubeInjection.appInjectionSpec(input.dynakube)?.initResources
  if (input.delivery === "csi") return modeResources ?? defaultResources
  return modeResources
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } })

/** The init container's mounts. @category mounts @since 0.1.0 */
export const mounts = (oneAgent: boolean, delivery: Delivery): ReadonlyArray<VolumeMount> => [
  { name: Keys.names.inputVolume, mountPath: Keys.paths.input, readOnly: true },
  { name: Keys.names.configVolume, mountPath: Keys.paths.config },
  ...(oneAgent
    ? [
        delivery === "csi"
          ? { name: Keys.names.binVolume, mountPath: Keys.paths.bin, readOnly: true }
          : { name: Keys.names.binVolume, mountPath: Keys.paths.bin }
      ]
    : [])
]

/** The `--attribute-container=<json>` arg of a container. @category args @since 0.1.0 */
export const containerArg = (container: Container): string =>
  `--attribute-container=${Attributes.containerAttributes(container)}`

/** The init container's args. @category args @since 0.1.0 */
export const args = (input: InitContainerInput): ReadonlyArray<string> => {
  const { dynakube: dk, pod } = input
  const annotations = pod.metadata.annotations
  const result: Array<string> = []
  if (!(input.oneAgent && input.delivery === "image")) result.push("bootstrap")
  result.push(`--config-directory=${Keys.paths.config}`, `--input-directory=${Keys.paths.input}`)
  if (input.oneAgent && input.delivery === "zip") {
    const url = parseApiUrl(dk.spec.apiUrl)
    result.push(`--url=${isApiUrl(url) ? url.base : dk.spec.apiUrl}`)
  }
  const failurePolicy =
    annotations?.[Keys.input.failurePolicy] ?? FeatureFlags.injectionFailurePolicy(dk.metadata?.annotations)
  if (failurePolicy !== "fail") result.push("--suppress-error")

  const platform = dk.status?.apiToken?.platform === true
  result.push(
    `--enable-attributes-dt-kubernetes=${FeatureFlags.enableAttributesDtKubernetes(dk.metadata?.annotations, platform)}`
  )
  for (const [key, value] of Attributes.sorted(input.attributes)) result.push(`--attribute=${key}=${value}`)
  if (input.metadata) result.push("--metadata-enrichment")
  for (const container of input.containers) result.push(containerArg(container))

  if (input.oneAgent) {
    if (input.delivery === "zip") result.push(`--version=${dk.status?.codeModules?.version ?? ""}`)
    const flavor = annotations?.[Keys.input.flavor]
    if (flavor !== undefined && flavor !== "") result.push(`--flavor=${flavor}`)
    result.push(`--source=${Keys.paths.source}`, `--target=${Keys.paths.bin}`, `--install-path=${input.installPath}`)
    if (DynaKubeInjection.appInjectionMode(dk) === "cloudNativeFullStack") {
      result.push("--fullstack", `--tenant=${dk.status?.oneAgent?.connectionInfoStatus?.tenantUUID ?? ""}`)
    }
    const technology = annotations?.[Keys.input.technologies] ?? FeatureFlags.technologies(dk.metadata?.annotations)
    if (technology !== undefined && technology !== "") result.push(`--technology=${technology}`)
  }
  return result
}

/** The init container. @category constructors @since 0.1.0 */
export const build = (input: InitContainerInput): Container => {
  const imageMode = input.oneAgent && input.delivery === "image"
  const res = resources(input)
  return {
    name: Keys.names.initContainer,
    image: imageMode ? (input.dynakube.status?.codeModules?.imageID ?? "") : input.settings.operatorImage,
    imagePullPolicy: "IfNotPresent",
    args: args(input),
    env: [
      fieldEnv(Keys.env.podName, "metadata.name"),
      fieldEnv(Keys.env.podUid, "metadata.uid"),
      fieldEnv(Keys.env.nodeName, "spec.nodeName"),
      ...(input.oneAgent && input.delivery === "zip" && input.settings.extractCodeModulesImageLinks
        ? [{ name: Keys.env.extractImageLinks, value: "true" }]
        : [])
    ],
    ...(res === undefined ? {} : { resources: res }),
    securityContext: securityContext(input.settings, input.pod, input.dynakube),
    volumeMounts: [...mounts(input.oneAgent, input.delivery)]
  }
}
