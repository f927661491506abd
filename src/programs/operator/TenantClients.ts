/**
 * One Dynatrace API client per DynaKube, kept between reconciles so connections are reused, and rebuilt when what
 * the client depends on (apiUrl, tokens, proxy, CAs, timeouts, threshold) changes. All clients share the process-wide
 * `ResponseCache`, so repeated reconciles within `dynatraceApiRequestThreshold` make no tenant calls.
 *
 * The fingerprint that decides "changed" is a SHA-256 over the configuration including token values; it stays in
 * memory and is never logged.
 *
 * @since 0.1.0
 */
import { Context, Effect, Exit, type FileSystem, Layer, Redacted, Scope } from "effect"
import { createHash } from "node:crypto"
import * as DynatraceApi from "../../services/DynatraceApi.ts"
import type { DynatraceApiError } from "../../services/DynatraceApiError.ts"
import type { ResponseCache } from "../../services/dynatrace/ResponseCache.ts"

type Client = DynatraceApi.DynatraceApi["Service"]

export class TenantClients extends Context.Service<
  TenantClients,
  {
    /** The client of the DynaKube `key` for `config` (built or rebuilt when the config changed). */
    readonly get: (key: string, config: DynatraceApi.DynatraceApiConfig) => Effect.Effect<Client, DynatraceApiError>
    /** Closes and forgets the client of a DynaKube that is gone. */
    readonly drop: (key: string) => Effect.Effect<void>
    /** How many clients are open. */
    readonly size: Effect.Effect<number>
  }
>()("dynatrace-operator/operator/TenantClients") {}

/**
 * A stable digest of a client configuration (secret values included, so token rotation rebuilds the client).
 * Redacted values are revealed before JSON encoding: their `toJSON` would hide them from the digest otherwise.
 */
export const fingerprint = (config: DynatraceApi.DynatraceApiConfig): string =>
  createHash("sha256")
    .update(
      JSON.stringify(
        Object.entries(config)
          .toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([key, value]) => [
            key,
            Redacted.isRedacted(value) ? `redacted:${String(Redacted.value(value))}` : value
          ])
      )
    )
    .digest("hex")

interface Entry {
  readonly fingerprint: string
  readonly client: Client
  readonly scope: Scope.Closeable
}

export const make = Effect.gen(function* () {
  const context = yield* Effect.context<ResponseCache | FileSystem.FileSystem>()
  const entries = new Map<string, Entry>()

  const drop = (key: string) =>
    Effect.suspend(() => {
      const entry = entries.get(key)
      if (entry === undefined) return Effect.void
      entries.delete(key)
      return Scope.close(entry.scope, Exit.void)
    })

  const get = (key: string, config: DynatraceApi.DynatraceApiConfig) =>
    Effect.gen(function* () {
      const print = fingerprint(config)
      const existing = entries.get(key)
      if (existing?.fingerprint === print) return existing.client
      yield* drop(key)
      const scope = yield* Scope.make()
      const client = yield* DynatraceApi.make(config).pipe(
        Effect.provideService(Scope.Scope, scope),
        Effect.provideContext(context),
        Effect.onError(() => Scope.close(scope, Exit.void))
      )
      entries.set(key, { fingerprint: print, client, scope })
      return client
    })

  yield* Effect.addFinalizer(() => Effect.forEach([...entries.keys()], drop, { discard: true }))
  return TenantClients.of({ get, drop, size: Effect.sync(() => entries.size) })
})

export const layer: Layer.Layer<TenantClients, never, ResponseCache | FileSystem.FileSystem> = Layer.effect(
  TenantClients,
  make
)
