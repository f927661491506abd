/**
 * The informer's indexed object store: objects by key (`namespace/name`), plus secondary indexes.
 *
 * An indexer maps an object to the index values it should be found under (none, one or several):
 * `byNamespace` is always present; `byLabel("app")`, `byOwnerUid` and `byOwner("DynaKube")` are ready-made.
 * The store is plain synchronous data with a single writer (the informer); readers get arrays they may keep.
 */
import * as KubeObject from "./KubeObject.ts"

/** Index values of an object. */
export type Indexer<T> = (object: T) => ReadonlyArray<string>

/** The namespace ("" for cluster-scoped objects). Always installed under the name `namespace`. */
export const byNamespace: Indexer<KubeObject.KubeObject> = (o) => [o.metadata?.namespace ?? ""]

/** The value of one label; objects without the label are not indexed. */
export const byLabel =
  (labelKey: string): Indexer<KubeObject.KubeObject> =>
  (o) => {
    const v = o.metadata?.labels?.[labelKey]
    return v === undefined ? [] : [v]
  }

/** The UIDs of all owners. */
export const byOwnerUid: Indexer<KubeObject.KubeObject> = (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid)

/**
 * The keys (`namespace/name`) of the owners of one kind; owners are in the object's namespace (or cluster-scoped
 * for a cluster-scoped object). Looks up "everything a DynaKube owns" by the DynaKube's key.
 */
export const byOwner =
  (kind: string): Indexer<KubeObject.KubeObject> =>
  (o) =>
    (o.metadata?.ownerReferences ?? [])
      .filter((r) => r.kind === kind)
      .map((r) => KubeObject.keyOf(o.metadata?.namespace, r.name))

export interface Store<T> {
  readonly get: (key: string) => T | undefined
  readonly list: () => ReadonlyArray<T>
  readonly keys: () => ReadonlyArray<string>
  readonly size: () => number
  /** Objects whose indexer yields `value`; unknown index names throw (a programming error). */
  readonly byIndex: (index: string, value: string) => ReadonlyArray<T>
  /** The values an index currently holds. */
  readonly indexValues: (index: string) => ReadonlyArray<string>
  /** Inserts or replaces; returns the previous object. */
  readonly upsert: (object: T) => T | undefined
  /** Removes by key; returns the removed object. */
  readonly remove: (key: string) => T | undefined
}

export const make = <T extends KubeObject.KubeObject>(
  indexers: Readonly<Record<string, Indexer<T>>> = {}
): Store<T> => {
  const all: Record<string, Indexer<T>> = { namespace: byNamespace, ...indexers }
  const objects = new Map<string, T>()
  // index name -> index value -> keys
  const indexes = new Map<string, Map<string, Set<string>>>(Object.keys(all).map((name) => [name, new Map()]))

  const unindex = (key: string, object: T) => {
    for (const [name, indexer] of Object.entries(all)) {
      const index = indexes.get(name)!
      for (const value of indexer(object)) {
        const keys = index.get(value)
        keys?.delete(key)
        if (keys?.size === 0) index.delete(value)
      }
    }
  }
  const addToIndexes = (key: string, object: T) => {
    for (const [name, indexer] of Object.entries(all)) {
      const index = indexes.get(name)!
      for (const value of indexer(object)) {
        let keys = index.get(value)
        if (keys === undefined) index.set(value, (keys = new Set()))
        keys.add(key)
      }
    }
  }
  const indexOf = (name: string) => {
    const index = indexes.get(name)
    if (index === undefined) throw new Error(`no index named "${name}" (known: ${[...indexes.keys()].join(", ")})`)
    return index
  }

  return {
    get: (key) => objects.get(key),
    list: () => [...objects.values()],
    keys: () => [...objects.keys()],
    size: () => objects.size,
    byIndex: (name, value) => [...(indexOf(name).get(value) ?? [])].map((k) => objects.get(k)!),
    indexValues: (name) => [...indexOf(name).keys()],
    upsert: (object) => {
      const key = KubeObject.key(object)
      const old = objects.get(key)
      if (old !== undefined) unindex(key, old)
      objects.set(key, object)
      addToIndexes(key, object)
      return old
    },
    remove: (key) => {
      const old = objects.get(key)
      if (old === undefined) return undefined
      unindex(key, old)
      objects.delete(key)
      return old
    }
  }
}
