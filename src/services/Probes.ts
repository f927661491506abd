/**
 * Health and metrics endpoints shared by the long-running components.
 *
 * - `/livez` answers 200 while the process serves requests at all (Kubernetes restarts it otherwise).
 * - `/readyz` answers 200 only when every registered readiness check passed (e.g. "caches synced",
 *   "certificates loaded"); until then 503 with the pending checks named, so `kubectl describe` says why.
 * - `/metrics` exposes Effect metrics in the Prometheus text format.
 *
 * Bind addresses use the Go form of the original's flags and env vars (`:10080`, `127.0.0.1:8080`, `0` to disable).
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, Schema } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { createServer } from "node:http"

export class BindAddressError extends Schema.TaggedError<BindAddressError>()("BindAddressError", {
  message: Schema.String
}) {}

/** A host and port to listen on; `undefined` means the endpoint is disabled. */
export interface BindAddress {
  readonly host: string
  readonly port: number
}

/** Parses `:10080`, `0.0.0.0:8080`, `[::1]:8080`; `0` or an empty string disables the endpoint. */
export const parseBindAddress = (text: string): Effect.Effect<BindAddress | undefined, BindAddressError> => {
  const trimmed = text.trim()
  if (trimmed === "" || trimmed === "0") return Effect.succeed(undefined)
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(trimmed)
  const port = match === null ? Number.NaN : Number(match[3])
  if (match === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    return Effect.fail(new BindAddressError({ message: `bind address "${text}" is not of the form [host]:port` }))
  }
  const host = match[1] ?? match[2] ?? ""
  return Effect.succeed({ host: host === "" ? "0.0.0.0" : host, port })
}

/** The readiness checks of this process. */
export class Readiness extends Context.Service<
  Readiness,
  {
    /** Adds a named check that starts failing; the returned effect marks it passed. */
    readonly register: (check: string) => Effect.Effect<Effect.Effect<void>>
    /** The checks that have not passed yet (empty = ready). */
    readonly pending: Effect.Effect<ReadonlyArray<string>>
  }
>()("dynatrace-operator/services/Readiness") {
  static readonly layer: Layer.Layer<Readiness> = Layer.sync(Readiness, () => {
    const pending = new Set<string>()
    return Readiness.of({
      register: (check) =>
        Effect.sync(() => {
          pending.add(check)
          return Effect.sync(() => void pending.delete(check))
        }),
      pending: Effect.sync(() => [...pending].toSorted())
    })
  })
}

const healthRoutes = HttpRouter.use(
  Effect.fn(function* (router) {
    const readiness = yield* Readiness
    yield* router.add("GET", "/livez", Effect.succeed(HttpServerResponse.text("ok")))
    yield* router.add(
      "GET",
      "/readyz",
      Effect.map(readiness.pending, (pending) =>
        pending.length === 0
          ? HttpServerResponse.text("ok")
          : HttpServerResponse.text(`not ready: ${pending.join(", ")}`, { status: 503 })
      )
    )
  })
)

const listen = (address: BindAddress) => NodeHttpServer.layer(createServer, { host: address.host, port: address.port })

/** Serves `/livez` and `/readyz` on `address` (nothing when disabled). */
export const healthServer = (address: BindAddress | undefined) =>
  address === undefined
    ? Layer.empty
    : HttpRouter.serve(healthRoutes, { disableLogger: true, disableListenLog: true }).pipe(
        Layer.provide(listen(address)),
        Layer.fresh
      )

/** Serves Prometheus `/metrics` on `address` (nothing when disabled). */
export const metricsServer = (address: BindAddress | undefined) =>
  address === undefined
    ? Layer.empty
    : HttpRouter.serve(PrometheusMetrics.layerHttp({ path: "/metrics" }), {
        disableLogger: true,
        disableListenLog: true
      }).pipe(Layer.provide(listen(address)), Layer.fresh)
