/**
 * The plain-JSON shape every Kubernetes object shares, and the keys the caches use.
 *
 * The client is generic over `T extends KubeObject`: it sends and returns JSON as the API server does, without
 * model classes, so a caller can type it loosely or decode it with a Schema. Unknown fields survive untouched.
 */

export interface OwnerReference {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly uid: string
  readonly controller?: boolean | undefined
  readonly blockOwnerDeletion?: boolean | undefined
}

export interface ObjectMeta {
  readonly name?: string | undefined
  readonly generateName?: string | undefined
  readonly namespace?: string | undefined
  readonly uid?: string | undefined
  readonly resourceVersion?: string | undefined
  readonly generation?: number | undefined
  readonly creationTimestamp?: string | undefined
  readonly deletionTimestamp?: string | undefined
  readonly labels?: Readonly<Record<string, string>> | undefined
  readonly annotations?: Readonly<Record<string, string>> | undefined
  readonly ownerReferences?: ReadonlyArray<OwnerReference> | undefined
  readonly finalizers?: ReadonlyArray<string> | undefined
  readonly managedFields?: ReadonlyArray<unknown> | undefined
  readonly [key: string]: unknown
}

/** Any Kubernetes object, as JSON. */
export interface KubeObject {
  readonly apiVersion?: string | undefined
  readonly kind?: string | undefined
  readonly metadata?: ObjectMeta | undefined
}

/** A list answer (`ConfigMapList`, …): the items of one page, the list's resourceVersion and the next page token. */
export interface KubeList<T> {
  readonly apiVersion?: string | undefined
  readonly kind?: string | undefined
  readonly metadata: {
    readonly resourceVersion?: string | undefined
    readonly continue?: string | undefined
    readonly remainingItemCount?: number | undefined
  }
  readonly items: ReadonlyArray<T>
}

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects (as client-go). */
export const key = (obj: KubeObject): string => keyOf(obj.metadata?.namespace, obj.metadata?.name ?? "")

/** The key for a namespace (empty or absent for cluster scope) and a name. */
export const keyOf = (namespace: string | undefined, name: string): string =>
  namespace === undefined || namespace === "" ? name : `${namespace}/${name}`

/** Splits a key into namespace (absent for cluster scope) and name. */
export const parseKey = (k: string): { readonly namespace?: string; readonly name: string } => {
  const slash = k.indexOf("/")
  return slash < 0 ? { name: k } : { namespace: k.slice(0, slash), name: k.slice(slash + 1) }
}

export const resourceVersion = (obj: KubeObject): string | undefined => obj.metadata?.resourceVersion
