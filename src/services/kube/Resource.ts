/**
 * A resource descriptor: everything needed to address one kind of Kubernetes object over REST, without discovery.
 *
 * `{ group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true }` gives
 * `/apis/apps/v1/namespaces/<ns>/deployments/<name>`; the core group is `""` (`/api/v1/...`). Known descriptors
 * live in `Resources.ts`; CRDs get one with `resource(...)`.
 */

/** How to reach one resource type. */
export interface Resource {
  /** API group; `""` for the core group. */
  readonly group: string
  readonly version: string
  /** Lower-case plural used in URLs (`configmaps`). */
  readonly plural: string
  /** The object kind (`ConfigMap`), used for `apiVersion`/`kind` of applied objects. */
  readonly kind: string
  readonly namespaced: boolean
}

/** Builds a descriptor. */
export const resource = (r: Resource): Resource => r

/** `v1` for the core group, `group/version` otherwise. */
export const apiVersion = (r: Resource): string => (r.group === "" ? r.version : `${r.group}/${r.version}`)

/** The resource name used in errors and request counts: `plural` or `group/plural`, plus `/subresource`. */
export const label = (r: Resource, subresource?: string): string =>
  `${r.group === "" ? "" : `${r.group}/`}${r.plural}${subresource === undefined ? "" : `/${subresource}`}`

const apiRoot = (r: Resource): string => (r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`)

/**
 * The collection path. For a namespaced resource without namespace this is the all-namespaces collection
 * (`/api/v1/configmaps`), valid for list and watch.
 */
export const collectionPath = (r: Resource, namespace?: string): string =>
  r.namespaced && namespace !== undefined && namespace !== ""
    ? `${apiRoot(r)}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`
    : `${apiRoot(r)}/${r.plural}`

/** The path of one object (and optionally one of its subresources, e.g. `status`). */
export const objectPath = (r: Resource, name: string, namespace?: string, subresource?: string): string =>
  `${collectionPath(r, namespace)}/${encodeURIComponent(name)}${subresource === undefined ? "" : `/${subresource}`}`
