/**
 * The enrichment attribute model (spec §3.5): which `key=value` attributes describe a pod, in precedence order
 * (later sources win):
 *
 * 1. workload: `k8s.workload.kind` (lower-case kind of the top-most owner) and `k8s.workload.name`
 * 2. pod: `k8s.pod.name=$(K8S_PODNAME)`, `k8s.pod.uid=$(K8S_PODUID)`, `k8s.node.name=$(K8S_NODE_NAME)` (expanded by
 *    Kubernetes from the init container's env), `k8s.namespace.name`
 * 3. cluster: `k8s.cluster.uid`, `k8s.cluster.name`, `dt.entity.kubernetes_cluster` (from the DynaKube status)
 * 4. enrichment rules of the DynaKube status (first rule per target wins)
 * 5. the DynaKube's resource attributes (global, plus the OneAgent mode's additional ones when OneAgent injects)
 * 6. namespace annotations `metadata.dynatrace.com/<key>`
 * 7. pod annotations `metadata.dynatrace.com/<key>`
 *
 * Container attributes (`--attribute-container`) are separate: the container name and its image split into
 * registry, repository, tag and digest. The pod annotation `metadata.dynatrace.com` holds the JSON of sources 1 and
 * 4–7 (keys sorted), the part that the pod's own metadata cannot tell.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { Container, Namespace, Pod } from "../../../schemas/Pod.ts"
import * as Keys from "../Keys.ts"

/** The top-most owner of a pod (or the pod itself when it has none). @category models @since 0.1.0 */
export interface Workload {
  /** lower-case kind, e.g. `deployment` */
  readonly kind: string
  readonly name: string
}

/** An ordered set of attributes. @category models @since 0.1.0 */
export type Attributes = ReadonlyMap<string, string>

const put = (target: Map<string, string>, key: string, value: string | undefined) => {
  if (key !== "" && value !== undefined && value !== "") target.set(key, value)
}

/** Attribute keys become `[A-Za-z0-9._/-]`, other characters `_` (as OpenTelemetry keys). @category attributes @since 0.1.0 */
export const sanitizeKey = (key: string): string => key.trim().replace(/[^A-Za-z0-9._/-]/g, "_")

/** `metadata.dynatrace.com/<key>` annotations as attributes. @category attributes @since 0.1.0 */
export const fromAnnotations = (annotations: Readonly<Record<string, string>> | undefined): Attributes => {
  const result = new Map<string, string>()
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (key.startsWith(Keys.input.metadataPrefix)) put(result, key.slice(Keys.input.metadataPrefix.length), value)
  }
  return result
}

/**
 * The values of the DynaKube's enrichment rules for a namespace: `LABEL`/`K8S_NAMESPACE_LABEL` read a namespace label,
 * `ANNOTATION`/`K8S_NAMESPACE_ANNOTATION` a namespace annotation, `CUSTOM` is the literal source; a rule without
 * target maps to `k8s.namespace.<type in lower case>.<source>`; the first rule for a target wins.
 * @category attributes
 * @since 0.1.0
 */
export const fromRules = (dk: DynaKube, namespace: Namespace): Attributes => {
  const result = new Map<string, string>()
  for (const rule of dk.status?.metadataEnrichment?.rules ?? []) {
    const type = rule.type
    const source = rule.source ?? ""
    if (type === undefined || source === "") continue
    const target =
      rule.target !== undefined && rule.target !== "" ? rule.target : `k8s.namespace.${type.toLowerCase()}.${source}`
    if (result.has(target)) continue
    const value =
      type === "LABEL" || type === "K8S_NAMESPACE_LABEL"
        ? namespace.metadata.labels?.[source]
        : type === "ANNOTATION" || type === "K8S_NAMESPACE_ANNOTATION"
          ? namespace.metadata.annotations?.[source]
          : source
    put(result, target, value)
  }
  return result
}

/** The DynaKube's resource attributes (keys sanitised); the OneAgent mode's additional ones win. @category attributes @since 0.1.0 */
export const fromResourceAttributes = (dk: DynaKube, oneAgentInjects: boolean): Attributes => {
  const result = new Map<string, string>()
  for (const [key, value] of Object.entries(dk.spec.resourceAttributes ?? {})) put(result, sanitizeKey(key), value)
  if (oneAgentInjects) {
    const oneAgent = dk.spec.oneAgent
    const extra =
      oneAgent?.cloudNativeFullStack?.additionalResourceAttributes ??
      oneAgent?.applicationMonitoring?.additionalResourceAttributes ??
      {}
    for (const [key, value] of Object.entries(extra)) put(result, sanitizeKey(key), value)
  }
  return result
}

const merge = (...sources: ReadonlyArray<Attributes>): Map<string, string> => {
  const result = new Map<string, string>()
  for (const source of sources) for (const [k, v] of source) result.set(k, v)
  return result
}

/** What the attribute model needs. @category models @since 0.1.0 */
export interface AttributeInput {
  readonly pod: Pod
  readonly namespace: Namespace
  readonly dynakube: DynaKube
  /** `undefined` when unknown (enrichment off, or the owner lookup failed) */
  readonly workload: Workload | undefined
  readonly oneAgentInjects: boolean
}

/** Sources 1 and 4–7: the user-facing enrichment metadata (the `metadata.dynatrace.com` JSON). @category attributes @since 0.1.0 */
export const enrichment = (input: AttributeInput): Attributes => {
  const workload = new Map<string, string>()
  if (input.workload !== undefined) {
    put(workload, "k8s.workload.kind", input.workload.kind)
    put(workload, "k8s.workload.name", input.workload.name)
  }
  return merge(
    workload,
    fromRules(input.dynakube, input.namespace),
    fromResourceAttributes(input.dynakube, input.oneAgentInjects),
    fromAnnotations(input.namespace.metadata.annotations),
    fromAnnotations(input.pod.metadata.annotations)
  )
}

/** Every pod-level attribute, in precedence order (the `--attribute` args). @category attributes @since 0.1.0 */
export const podAttributes = (input: AttributeInput): Attributes => {
  const base = new Map<string, string>()
  if (input.workload !== undefined) {
    put(base, "k8s.workload.kind", input.workload.kind)
    put(base, "k8s.workload.name", input.workload.name)
  }
  put(base, "k8s.pod.name", `$(${Keys.env.podName})`)
  put(base, "k8s.pod.uid", `$(${Keys.env.podUid})`)
  put(base, "k8s.node.name", `$(${Keys.env.nodeName})`)
  put(base, "k8s.namespace.name", input.namespace.metadata.name)
  const status = input.dynakube.status
  put(base, "k8s.cluster.uid", status?.kubeSystemUUID)
  put(base, "k8s.cluster.name", status?.kubernetesClusterName)
  put(base, "dt.entity.kubernetes_cluster", status?.kubernetesClusterMEID)
  return merge(base, enrichment(input))
}

/** Sorted `key=value` pairs, for stable args. @category attributes @since 0.1.0 */
export const sorted = (attributes: Attributes): ReadonlyArray<readonly [string, string]> =>
  [...attributes].toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** The JSON of the `metadata.dynatrace.com` annotation (keys sorted). @category attributes @since 0.1.0 */
export const toJson = (attributes: Attributes): string => JSON.stringify(Object.fromEntries(sorted(attributes)))

/** An image reference split as the bootstrapper reads it. @category containers @since 0.1.0 */
export interface ImageParts {
  readonly registry: string
  readonly repository: string
  readonly tag: string
  readonly digest: string
}

const cut = (text: string, separator: string): readonly [string, string | undefined] => {
  const at = text.indexOf(separator)
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)]
}

/**
 * Splits `registry/repository:tag@digest` at the first `/`, then `@`, then `:` (`nginx:1.25` has no registry).
 * @category containers
 * @since 0.1.0
 */
export const splitImage = (image: string): ImageParts => {
  const [first, afterSlash] = cut(image, "/")
  const registry = afterSlash === undefined ? "" : first
  const [beforeDigest, digest] = cut(afterSlash ?? first, "@")
  const [repository, tag] = cut(beforeDigest, ":")
  return { registry, repository, tag: tag ?? "", digest: digest ?? "" }
}

/** The `--attribute-container` JSON of a container (empty parts omitted). @category containers @since 0.1.0 */
export const containerAttributes = (container: Container): string => {
  const parts = splitImage(container.image ?? "")
  const value: Record<string, string> = {}
  if (parts.registry !== "") value["container_image.registry"] = parts.registry
  if (parts.repository !== "") value["container_image.repository"] = parts.repository
  if (parts.tag !== "") value["container_image.tags"] = parts.tag
  if (parts.digest !== "") value["container_image.digest"] = parts.digest
  value["k8s.container.name"] = container.name
  return JSON.stringify(value)
}

/** The container named by an `--attribute-container=<json>` arg, if it is one. @category containers @since 0.1.0 */
export const containerOfArg = (arg: string): string | undefined => {
  const prefix = "--attribute-container="
  if (!arg.startsWith(prefix)) return undefined
  try {
    const parsed: unknown = JSON.parse(arg.slice(prefix.length))
    const name =
      typeof parsed === "object" && parsed !== null
        ? (parsed as Record<string, unknown>)["k8s.container.name"]
        : undefined
    return typeof name === "string" ? name : undefined
  } catch {
    return undefined
  }
}
