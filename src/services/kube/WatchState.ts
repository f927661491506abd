/**
 * What a list-then-watch consumer has been told so far, and the rules that turn lists and raw watch events into
 * changes that are neither lost nor repeated.
 *
 * - A (re)list is diffed against the known objects: new → `Added`, different resourceVersion → `Modified`
 *   (with `old`), missing → `Deleted` (with the last known object), unchanged → nothing; then `Synced`.
 * - A raw watch event is normalised: `ADDED`/`MODIFIED` of an unknown object → `Added`, of a known one →
 *   `Modified`, with the same resourceVersion as known → nothing (a replay); `DELETED` of an unknown object →
 *   nothing.
 * - The newest resourceVersion seen (objects, bookmarks, lists) is where the next watch starts.
 *
 * Pure synchronous state, so the rules are unit-tested with synthetic events (`WatchState.test.ts`).
 */
import * as KubeObject from "./KubeObject.ts"

/** One change of the watched set. */
export type WatchEvent<T> =
  | { readonly type: "Added"; readonly object: T }
  | { readonly type: "Modified"; readonly object: T; readonly old: T }
  | { readonly type: "Deleted"; readonly object: T }
  /** Everything up to the list at `resourceVersion` was emitted; `relist` is false for the first list. */
  | { readonly type: "Synced"; readonly resourceVersion: string; readonly relist: boolean }

/** A raw event from the server (see `Watch.ts`). */
export type ServerEvent<T> =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: T }
  | { readonly type: "BOOKMARK"; readonly resourceVersion: string }

export interface WatchState<T> {
  /** Where the next watch starts; `undefined` means "list first". */
  readonly resourceVersion: () => string | undefined
  /** Forget the resourceVersion (after 410 Gone) so the next attempt lists again; known objects stay. */
  readonly expire: () => void
  /** Diffs a complete list against what is known. */
  readonly relisted: (items: ReadonlyArray<T>, resourceVersion: string) => Array<WatchEvent<T>>
  /** Normalises one server event; `undefined` when there is nothing to tell. */
  readonly observed: (event: ServerEvent<T>) => WatchEvent<T> | undefined
  readonly size: () => number
}

export const make = <T extends KubeObject.KubeObject>(): WatchState<T> => {
  // key -> last emitted object (the same object references the consumer holds, so it costs one Map)
  const known = new Map<string, T>()
  let resourceVersion: string | undefined = undefined
  let lists = 0
  const sameVersion = (a: T, b: T) => KubeObject.resourceVersion(a) === KubeObject.resourceVersion(b)
  return {
    resourceVersion: () => resourceVersion,
    expire: () => {
      resourceVersion = undefined
    },
    relisted: (items, listVersion) => {
      const out: Array<WatchEvent<T>> = []
      const seen = new Set<string>()
      for (const object of items) {
        const k = KubeObject.key(object)
        seen.add(k)
        const old = known.get(k)
        known.set(k, object)
        if (old === undefined) out.push({ type: "Added", object })
        else if (!sameVersion(old, object)) out.push({ type: "Modified", object, old })
      }
      for (const [k, object] of known) {
        if (!seen.has(k)) {
          known.delete(k)
          out.push({ type: "Deleted", object })
        }
      }
      resourceVersion = listVersion
      out.push({ type: "Synced", resourceVersion: listVersion, relist: lists > 0 })
      lists++
      return out
    },
    observed: (event) => {
      if (event.type === "BOOKMARK") {
        resourceVersion = event.resourceVersion
        return undefined
      }
      const object = event.object
      const k = KubeObject.key(object)
      const old = known.get(k)
      resourceVersion = KubeObject.resourceVersion(object) ?? resourceVersion
      if (event.type === "DELETED") {
        if (old === undefined) return undefined
        known.delete(k)
        return { type: "Deleted", object }
      }
      if (old !== undefined && sameVersion(old, object)) return undefined
      known.set(k, object)
      return old === undefined ? { type: "Added", object } : { type: "Modified", object, old }
    },
    size: () => known.size
  }
}
