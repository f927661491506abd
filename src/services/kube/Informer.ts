/**
 * An informer: a local, indexed, always-current copy of one resource, fed by the list-then-watch stream,
 * plus a Stream of what changed for controllers to react to.
 *
 * ```ts
 * const dynakubes = yield* Informer.make<DynaKubeJson>(Resources.DynaKube, { namespace: "dynatrace" })
 * yield* dynakubes.awaitSynced                          // the cache holds a complete list
 * const dk = yield* dynakubes.get("dynatrace/my-dk")     // Option<DynaKubeJson>, no API request
 * const owned = Informer.make<Deployment>(Resources.Deployment, { indexers: { owner: Store.byOwner("DynaKube") } })
 * yield* (yield* owned).byIndex("owner", "dynatrace/my-dk")
 * // controller source: every change as the key of the object
 * dynakubes.events.pipe(Stream.map((e) => KubeObject.key(e.object)))
 * ```
 *
 * - `events` first replays every cached object as `Added` (so a late subscriber misses nothing), then the live
 *   changes; `Modified` carries `old`. Each subscriber has its own unbounded buffer, so a slow controller never
 *   stalls the cache. Every `resyncPeriod` all cached objects are emitted again as `Resync`.
 * - Snapshot-and-subscribe and apply-and-publish are serialised, so no subscriber sees a change twice or never.
 * - `hasSynced` / `awaitSynced`: true once the first complete list is in the cache (and stays true).
 * - The informer lives as long as its Scope; it never fails (the stream retries, see ListWatch).
 */
import { Deferred, Duration, Effect, Option, PubSub, type Scope, Semaphore, Stream } from "effect"
import { KubeClient } from "../KubeClient.ts"
import type * as KubeObject from "./KubeObject.ts"
import { key } from "./KubeObject.ts"
import type { ListWatchOptions, WatchEvent } from "./ListWatch.ts"
import type { Resource } from "./Resource.ts"
import * as Store from "./Store.ts"

/** A change, as controllers see it. */
export type InformerEvent<T> =
  | { readonly type: "Added"; readonly object: T }
  | { readonly type: "Modified"; readonly object: T; readonly old: T }
  | { readonly type: "Deleted"; readonly object: T }
  | { readonly type: "Resync"; readonly object: T }

export interface Informer<T> {
  /** The object with this key (`namespace/name`, or `name` when cluster-scoped). */
  readonly get: (key: string) => Effect.Effect<Option.Option<T>>
  /** All cached objects, or those of one namespace. */
  readonly list: (options?: { readonly namespace?: string | undefined }) => Effect.Effect<ReadonlyArray<T>>
  /** Objects under one value of a named index (`namespace` always exists). */
  readonly byIndex: (index: string, value: string) => Effect.Effect<ReadonlyArray<T>>
  readonly keys: Effect.Effect<ReadonlyArray<string>>
  readonly hasSynced: Effect.Effect<boolean>
  /** Waits until the first complete list is in the cache. */
  readonly awaitSynced: Effect.Effect<void>
  /** Replay of the cache as `Added`, then every change; ends when the informer's scope closes. */
  readonly events: Stream.Stream<InformerEvent<T>>
}

export interface InformerOptions<T> extends ListWatchOptions {
  /** Secondary indexes by name (see `Store.byLabel`, `Store.byOwnerUid`, `Store.byOwner`). */
  readonly indexers?: Readonly<Record<string, Store.Indexer<T>>> | undefined
  /** Emit every cached object as `Resync` this often (default: never). */
  readonly resyncPeriod?: Duration.Input | undefined
}

/**
 * Builds an informer over any stream of watch events (the list-then-watch stream in production, synthetic
 * events in tests). The source is consumed in a fiber of the current scope.
 */
export const fromWatchEvents = <T extends KubeObject.KubeObject>(
  source: Stream.Stream<WatchEvent<T>>,
  options: Pick<InformerOptions<T>, "indexers" | "resyncPeriod"> = {}
): Effect.Effect<Informer<T>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const store = Store.make<T>(options.indexers ?? {})
    const pubsub = yield* Effect.acquireRelease(PubSub.unbounded<InformerEvent<T>>(), PubSub.shutdown)
    const lock = yield* Semaphore.make(1)
    const synced = yield* Deferred.make<void>()
    let hasSynced = false

    const publish = (event: InformerEvent<T>) => void PubSub.publishUnsafe(pubsub, event)

    const apply = (event: WatchEvent<T>): Effect.Effect<void> =>
      Semaphore.withPermit(
        lock,
        Effect.suspend(() => {
          switch (event.type) {
            case "Added":
            case "Modified": {
              const old = store.upsert(event.object)
              publish(old === undefined ? { type: "Added", object: event.object } : { ...event, type: "Modified", old })
              return Effect.void
            }
            case "Deleted": {
              const old = store.remove(key(event.object))
              if (old !== undefined) publish({ type: "Deleted", object: event.object })
              return Effect.void
            }
            case "Synced": {
              if (hasSynced) return Effect.void
              hasSynced = true
              return Deferred.succeed(synced, undefined)
            }
          }
        })
      )

    // Only a defect (e.g. a throwing indexer) can stop this; say so instead of serving a stale cache silently.
    yield* Effect.forkScoped(
      Stream.runForEach(source, apply).pipe(
        Effect.tapCause((cause) => Effect.logError("Informer stopped; its cache is no longer updated", cause))
      )
    )

    if (options.resyncPeriod !== undefined) {
      const period = Duration.fromInputUnsafe(options.resyncPeriod)
      const resyncAll = Semaphore.withPermit(
        lock,
        Effect.sync(() => {
          for (const object of store.list()) publish({ type: "Resync", object })
        })
      )
      yield* Effect.forkScoped(
        Deferred.await(synced).pipe(Effect.andThen(Effect.forever(Effect.andThen(Effect.sleep(period), resyncAll))))
      )
    }

    const events: Stream.Stream<InformerEvent<T>> = Stream.unwrap(
      Semaphore.withPermit(
        lock,
        Effect.gen(function* () {
          const subscription = yield* PubSub.subscribe(pubsub)
          const snapshot = store.list().map((object): InformerEvent<T> => ({ type: "Added", object }))
          return Stream.concat(Stream.fromIterable(snapshot), Stream.fromSubscription(subscription))
        })
      )
    )

    return {
      get: (k) => Effect.sync(() => Option.fromUndefinedOr(store.get(k))),
      list: (opts) =>
        Effect.sync(() => (opts?.namespace === undefined ? store.list() : store.byIndex("namespace", opts.namespace))),
      byIndex: (index, value) => Effect.sync(() => store.byIndex(index, value)),
      keys: Effect.sync(() => store.keys()),
      hasSynced: Effect.sync(() => hasSynced),
      awaitSynced: Deferred.await(synced),
      events
    }
  })

/** An informer over one resource (optionally one namespace / selector), for as long as the Scope lives. */
export const make = <T extends KubeObject.KubeObject>(
  resource: Resource,
  options: InformerOptions<T> = {}
): Effect.Effect<Informer<T>, never, KubeClient | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* KubeClient
    return yield* fromWatchEvents(client.watch<T>(resource, options), options)
  })
