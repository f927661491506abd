/**
 * Wiring a `DynatraceApi` client to a running tenant simulator — for tests, the local demo and benchmarks.
 *
 * `configFor(simulator)` is the config a DynaKube pointing at the simulator would produce (API and PaaS token,
 * fast retries so fault tests stay quick); `clientFor(simulator)` builds the client with a fresh response cache and
 * Node's file system (scoped: its connections close with the scope).
 *
 * @since 0.1.0
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, type FileSystem, Layer, Redacted, type Scope } from "effect"
import * as DynatraceApi from "../../src/services/DynatraceApi.ts"
import type { DynatraceApiError } from "../../src/services/DynatraceApiError.ts"
import { ResponseCache } from "../../src/services/dynatrace/ResponseCache.ts"
import type { TenantSimulator } from "./TenantSimulator.ts"

/** The client config for `simulator`, with `overrides`. */
export const configFor = (
  simulator: TenantSimulator,
  overrides: Partial<DynatraceApi.DynatraceApiConfig> = {}
): DynatraceApi.DynatraceApiConfig => ({
  apiUrl: simulator.url,
  apiToken: Redacted.make(simulator.apiToken),
  paasToken: Redacted.make(simulator.paasToken),
  dataIngestToken: Redacted.make(simulator.dataIngestToken),
  retry: { base: "10 millis", maxDelay: "50 millis" },
  ...overrides
})

/** The services a client needs, fresh (its own cache). */
export const clientServices: Layer.Layer<ResponseCache | FileSystem.FileSystem> = Layer.mergeAll(
  Layer.fresh(ResponseCache.layer),
  NodeFileSystem.layer
)

/** A client for `simulator` with its own response cache. */
export const clientFor = (
  simulator: TenantSimulator,
  overrides: Partial<DynatraceApi.DynatraceApiConfig> = {}
): Effect.Effect<DynatraceApi.DynatraceApi["Service"], DynatraceApiError, Scope.Scope> =>
  DynatraceApi.make(configFor(simulator, overrides)).pipe(Effect.provide(clientServices))
