/**
 * List-then-watch as one endless Stream of changes, the way a cache needs them: every change exactly once.
 *
 * 1. List every page; emit `Added` for each object, then `Synced` (the emitted state now equals the list).
 * 2. Watch from the list's resourceVersion with bookmarks; track the newest resourceVersion seen.
 * 3. The server ends the watch after `timeoutSeconds`: watch again from the newest resourceVersion at once.
 * 4. The connection breaks or the server is down: reconnect after a capped, jittered exponential backoff
 *    (`RetryPolicy.watchReconnect`), reset once a connection is accepted again.
 * 5. `410 Gone` / "too old resource version" (etcd compacted the history): list again and emit only the
 *    difference to what was emitted before (`Added` / `Modified` with `old` / `Deleted` with the last known
 *    object), then `Synced`. Nothing is lost (the list is complete) and nothing repeats (unchanged objects,
 *    recognised by resourceVersion, are not emitted).
 *
 * Event types are normalised against what was emitted, so a consumer never sees `Modified` for an object it
 * was not told about, or two `Added` for one object. The stream never fails: permanent errors (Forbidden,
 * NotFound for a CRD not yet installed) are logged and retried with the same backoff, as client-go does.
 */
import { Clock, Effect, type Schedule, Stream } from "effect"
import * as KubeApiError from "../KubeApiError.ts"
import type * as KubeObject from "./KubeObject.ts"
import * as List from "./List.ts"
import * as Resource from "./Resource.ts"
import * as RetryPolicy from "./RetryPolicy.ts"
import type { Transport } from "./Transport.ts"
import * as Watch from "./Watch.ts"
import * as WatchState from "./WatchState.ts"
import type { WatchEvent } from "./WatchState.ts"

export type { WatchEvent } from "./WatchState.ts"

export interface ListWatchOptions {
  readonly namespace?: string | undefined
  readonly labelSelector?: string | undefined
  readonly fieldSelector?: string | undefined
  /** Items per list request (default 500). */
  readonly pageSize?: number | undefined
  /** How long the server keeps one watch open (default 300 s); renewed transparently. */
  readonly timeoutSeconds?: number | undefined
  /** How long without any data before the connection counts as dead (default timeoutSeconds + 30 s). */
  readonly idleTimeout?: Watch.WatchOptions["idleTimeout"]
  /** Backoff between failed attempts (default `RetryPolicy.watchReconnect()`). */
  readonly reconnect?: Schedule.Schedule<unknown, KubeApiError.KubeApiError> | undefined
  /**
   * Applied to every listed or watched object before anything keeps it, e.g. `withoutManagedFields` to keep a
   * large cache small. Must keep the key and the resourceVersion.
   */
  readonly transform?: ((object: KubeObject.KubeObject) => KubeObject.KubeObject) | undefined
}

/** Drops `metadata.managedFields` (often a third of an object, and never needed from a cache). */
export const withoutManagedFields = <T extends KubeObject.KubeObject>(object: T): T => {
  if (object.metadata?.managedFields === undefined) return object
  const { managedFields: _dropped, ...metadata } = object.metadata
  return { ...object, metadata }
}

type Step<T> = WatchEvent<T> | { readonly type: "Connected" }

/** The endless list-then-watch stream. Each run of the stream starts with a fresh list. */
export const listWatch = <T extends KubeObject.KubeObject>(
  transport: Transport,
  resource: Resource.Resource,
  options: ListWatchOptions = {}
): Stream.Stream<WatchEvent<T>> =>
  Stream.suspend(() => {
    const state = WatchState.make<T>()
    const transform = options.transform
    const annotations = {
      resource: Resource.label(resource),
      ...(options.namespace ? { namespace: options.namespace } : {})
    }

    const relist = Effect.gen(function* () {
      const listed = yield* List.all<T>(transport, resource, {
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        pageSize: options.pageSize
      })
      const items = transform === undefined ? listed.items : listed.items.map((item) => transform(item) as T)
      const changes = state.relisted(items, listed.resourceVersion)
      const synced = changes.at(-1)
      if (synced?.type === "Synced" && synced.relist) {
        yield* Effect.logInfo("Relisted after the watch history expired").pipe(
          Effect.annotateLogs({ ...annotations, changes: changes.length - 1 })
        )
      }
      return changes
    })

    const apply = (event: Watch.RawEvent<T>): Step<T> | undefined =>
      event.type === "Connected"
        ? event
        : state.observed(
            transform === undefined || event.type === "BOOKMARK"
              ? event
              : { ...event, object: transform(event.object) as T }
          )

    const watchFromCurrent = Stream.suspend(() =>
      Watch.watch<T>(transport, resource, {
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion: state.resourceVersion(),
        timeoutSeconds: options.timeoutSeconds,
        idleTimeout: options.idleTimeout
      }).pipe(
        Stream.map(apply),
        Stream.filter((s): s is Step<T> => s !== undefined)
      )
    )

    // One attempt: list if needed, then watch until the server closes the watch. Gone ends the attempt
    // normally with the resourceVersion forgotten, so the next attempt relists right away.
    const attempt: Stream.Stream<Step<T>, KubeApiError.KubeApiError> = Stream.suspend(() =>
      state.resourceVersion() === undefined
        ? Stream.concat(Stream.fromIterableEffect(relist), watchFromCurrent)
        : watchFromCurrent
    ).pipe(
      Stream.catchIf(KubeApiError.isGone, () =>
        Stream.fromEffectDrain(
          Effect.logInfo("Watch history expired; relisting").pipe(
            Effect.annotateLogs(annotations),
            Effect.andThen(Effect.sync(state.expire))
          )
        )
      )
    )

    const reconnect = options.reconnect ?? RetryPolicy.watchReconnect()
    const retried = attempt.pipe(
      Stream.tapError((e) =>
        Effect.logWarning("Watch failed; reconnecting").pipe(
          Effect.annotateLogs({ ...annotations, reason: e.reason._tag, error: e.message })
        )
      ),
      Stream.retry(reconnect)
    )
    // A watch the server ends within a second (a misbehaving proxy) must not become a busy loop: pause before
    // the next one. Not after 410, which relists right away.
    const paced = Stream.unwrap(
      Effect.map(Clock.currentTimeMillis, (start) =>
        Stream.concat(
          retried,
          Stream.fromEffectDrain(
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              now - start < 1000 && state.resourceVersion() !== undefined ? Effect.sleep("1 second") : Effect.void
            )
          )
        )
      )
    )
    return paced.pipe(
      Stream.forever,
      Stream.filter((s): s is WatchEvent<T> => s.type !== "Connected"),
      // The default schedule recurs forever; a finite custom one ends the stream once it gives up.
      Stream.catch((e) =>
        Stream.fromEffectDrain(
          Effect.logError("Watch gave up").pipe(Effect.annotateLogs({ ...annotations, error: e.message }))
        )
      )
    )
  })
