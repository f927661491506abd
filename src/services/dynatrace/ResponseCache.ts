/**
 * The tenant response cache that `dynatraceApiRequestThreshold` governs (spec §2.2.7).
 *
 * One cache per process, shared by the clients of all DynaKubes, like the original's HTTP cache middleware. Only
 * calls whose answer is "cacheable" use it (token-scope lookup, connection info, latest-version metainfo, container
 * images, process-module config); settings calls and downloads never do. An entry is keyed by the SHA-256 of
 * method + URL + `Authorization` header + request body, so different tokens and different lookup bodies never share
 * an entry and no token is kept in clear as a key. Entries expire `threshold` minutes after they were stored (time
 * from `Clock`, so tests drive it with `TestClock`); a threshold of 0 disables caching for that client. The client
 * drops an entry when the request fails or the decoded answer is "empty".
 *
 * The cache holds response bodies (small JSON documents) and is bounded: beyond `maxEntries` the oldest entry goes.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Option, Schedule } from "effect"
import { createHash } from "node:crypto"

/** What identifies one cacheable request. */
export interface CacheKeyInput {
  readonly method: string
  readonly url: string
  readonly authorization: string
  readonly body: string
}

/** SHA-256 over the request's identity (hex). */
export const cacheKey = (input: CacheKeyInput): string =>
  createHash("sha256")
    .update(input.method)
    .update("\n")
    .update(input.url)
    .update("\n")
    .update(input.authorization)
    .update("\n")
    .update(input.body)
    .digest("hex")

interface Entry {
  readonly body: string
  readonly expiresAt: number
}

/** The process-wide response cache. */
export class ResponseCache extends Context.Service<
  ResponseCache,
  {
    /** The stored body, if present and not expired. */
    readonly get: (key: string) => Effect.Effect<Option.Option<string>>
    /** Stores a body for `ttl`; a zero TTL stores nothing. */
    readonly set: (key: string, body: string, ttl: Duration.Duration) => Effect.Effect<void>
    /** Drops one entry. */
    readonly invalidate: (key: string) => Effect.Effect<void>
    /** Drops everything. */
    readonly clear: Effect.Effect<void>
    /** Drops the expired entries (a read drops them too, but an entry nobody asks for again would stay); returns how many. */
    readonly purgeExpired: Effect.Effect<number>
    /** Number of live entries (expired ones are not counted). */
    readonly size: Effect.Effect<number>
  }
>()("dynatrace-operator/services/dynatrace/ResponseCache") {
  /** An in-memory cache of at most `maxEntries` bodies. */
  static readonly make = (options: { readonly maxEntries?: number } = {}) =>
    Effect.sync(() => {
      const maxEntries = Math.max(1, options.maxEntries ?? 1024)
      const entries = new Map<string, Entry>()
      return ResponseCache.of({
        get: (key) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const entry = entries.get(key)
            if (entry === undefined) return Option.none()
            if (entry.expiresAt <= now) {
              entries.delete(key)
              return Option.none()
            }
            return Option.some(entry.body)
          }),
        set: (key, body, ttl) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.sync(() => {
              const millis = Duration.toMillis(ttl)
              if (!(millis > 0)) return
              entries.delete(key)
              entries.set(key, { body, expiresAt: now + millis })
              // Map iteration is insertion order: the first key is the oldest entry.
              while (entries.size > maxEntries) {
                const oldest = entries.keys().next()
                if (oldest.done === true) break
                entries.delete(oldest.value)
              }
            })
          ),
        invalidate: (key) => Effect.sync(() => void entries.delete(key)),
        clear: Effect.sync(() => entries.clear()),
        purgeExpired: Effect.map(Clock.currentTimeMillis, (now) => {
          let purged = 0
          for (const [key, entry] of entries) {
            if (entry.expiresAt > now) continue
            entries.delete(key)
            purged++
          }
          return purged
        }),
        size: Effect.map(Clock.currentTimeMillis, (now) => {
          let live = 0
          for (const entry of entries.values()) if (entry.expiresAt > now) live++
          return live
        })
      })
    })

  /** The process-wide cache (build it once and share it between all DynaKube clients). */
  static readonly layer: Layer.Layer<ResponseCache> = Layer.effect(ResponseCache, ResponseCache.make())

  /**
   * The process-wide cache with the operator's purge loop: expired entries are dropped every `interval`
   * (`DT_CLIENT_CACHE_CLEAN_INTERVAL`), so clients of deleted DynaKubes leave nothing behind.
   */
  static readonly layerWithPurge = (interval: Duration.Duration): Layer.Layer<ResponseCache> =>
    Layer.effect(
      ResponseCache,
      Effect.gen(function* () {
        const cache = yield* ResponseCache.make()
        yield* Effect.forkScoped(
          Effect.repeat(
            Effect.flatMap(cache.purgeExpired, (purged) =>
              purged > 0
                ? Effect.logDebug("Purged expired tenant responses.").pipe(Effect.annotateLogs({ purged }))
                : Effect.void
            ),
            Schedule.spaced(interval)
          )
        )
        return cache
      })
    )
}
