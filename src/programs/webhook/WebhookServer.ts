/**
 * The webhook's HTTPS server (spec §3.1): Node's `https` server with the routes of `Routes.ts` run as Effect
 * handlers. Transport concerns live here, meaning in the routes:
 *
 * - TLS 1.3 minimum, certificate from `ServingCertificate`: the server starts once a valid pair is there (waiting
 *   up to `certificateTimeout`), then installs every new pair with `setSecureContext` — no restart. Readiness check
 *   `certificates loaded` passes when the first pair is in force.
 * - `POST <route path>` with a JSON body of at most `bodyLimit` bytes (default 2 MiB): larger is `413`, not JSON
 *   is `400`, an unknown path `404`, another method `405`; `GET /livez` answers `ok` (as on the health port).
 * - Every answer is counted and timed (`WebhookMetrics`); the server keeps serving whatever a request contains.
 * - Keep-alive connections (the apiserver reuses them); closing the layer stops accepting, lets requests in flight
 *   finish and closes idle connections.
 *
 * Plain `node:https` instead of the Effect HTTP server: the routes are a handful of POST endpoints, and the handler
 * is one Effect per request forked into a FiberSet, with no router, middleware or request/response wrappers in
 * between. `bench/webhook.bench.ts --server effect` runs the same route on Effect's HttpRouter for comparison
 * (figures in docs/webhook.md).
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Exit, FiberSet, Layer, Stream } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import { Readiness } from "../../services/Probes.ts"
import type { Reply, Route } from "./Routes.ts"
import * as ServingCertificate from "./ServingCertificate.ts"
import * as WebhookMetrics from "./WebhookMetrics.ts"

/** Options of the server. @category models @since 0.1.0 */
export interface WebhookServerOptions<R> {
  readonly host: string
  readonly port: number
  readonly certificate: ServingCertificate.CertPaths
  readonly routes: ReadonlyArray<Route<R>>
  /** largest accepted body in bytes (default 2 MiB) */
  readonly bodyLimit?: number | undefined
  /** how long to wait for the certificate at start (default 5 minutes) */
  readonly certificateTimeout?: Duration.Input | undefined
  /** how often the certificate files are re-read (default 10 seconds; directory changes are seen at once) */
  readonly reloadInterval?: Duration.Input | undefined
}

/** The running server. @category services @since 0.1.0 */
export class WebhookServer extends Context.Service<
  WebhookServer,
  {
    readonly host: string
    /** the bound port (useful with port 0) */
    readonly port: number
    /** certificate reloads so far */
    readonly reloads: Effect.Effect<number>
  }
>()("dynatrace-operator/webhook/WebhookServer") {}

/** Default body limit: 2 MiB (a pod spec is a few KiB; the apiserver's own limit is 3 MiB). @category constants @since 0.1.0 */
export const defaultBodyLimit = 2 * 1024 * 1024

const json = (res: ServerResponse, reply: Reply, close = false) => {
  const body = reply.json ?? JSON.stringify(reply.body)
  res.writeHead(reply.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...(close ? { connection: "close" } : {})
  })
  res.end(body)
}

/**
 * Serves the routes over HTTPS for as long as the layer lives.
 * @category layers
 * @since 0.1.0
 */
export const layer = <R>(
  options: WebhookServerOptions<R>
): Layer.Layer<WebhookServer, ServingCertificate.CertificateUnavailable, R | Readiness> =>
  Layer.effect(
    WebhookServer,
    Effect.gen(function* () {
      const readiness = yield* Readiness
      const loaded = yield* readiness.register("certificates loaded")
      const run = yield* FiberSet.makeRuntime<R, Reply, never>()
      const recordSync = Effect.runSync
      const bodyLimit = options.bodyLimit ?? defaultBodyLimit
      const routes = new Map(options.routes.map((r) => [r.path, r]))

      const initial = yield* ServingCertificate.awaitPair(options.certificate, {
        timeout: options.certificateTimeout ?? "5 minutes"
      })

      const onRequest = (req: IncomingMessage, res: ServerResponse) => {
        const started = performance.now()
        const path = (req.url ?? "/").split("?", 1)[0] ?? "/"
        const route = routes.get(path)
        const label = route === undefined ? "other" : path
        const finish = (reply: Reply, close = false) => {
          json(res, reply, close)
          recordSync(WebhookMetrics.recordRequest(label, reply.status, (performance.now() - started) / 1000))
        }
        if (path === "/livez" && req.method === "GET") {
          res.writeHead(200, { "content-type": "text/plain" })
          res.end("ok")
          return
        }
        if (route === undefined) return finish({ status: 404, body: { error: `no webhook at ${path}` } })
        if (req.method !== "POST") return finish({ status: 405, body: { error: "only POST is served here" } })
        const declared = Number(req.headers["content-length"] ?? "0")
        if (declared > bodyLimit) {
          req.resume()
          return finish({ status: 413, body: { error: `body larger than ${bodyLimit} bytes` } }, true)
        }
        const chunks: Array<Buffer> = []
        let size = 0
        let aborted = false
        req.on("data", (chunk: Buffer) => {
          if (aborted) return
          size += chunk.length
          if (size > bodyLimit) {
            aborted = true
            chunks.length = 0
            finish({ status: 413, body: { error: `body larger than ${bodyLimit} bytes` } }, true)
            return
          }
          chunks.push(chunk)
        })
        req.on("error", () => {
          aborted = true
        })
        req.on("end", () => {
          if (aborted) return
          let body: unknown
          try {
            body = JSON.parse(Buffer.concat(chunks, size).toString("utf8"))
          } catch {
            return finish({ status: 400, body: { error: "the body is not JSON" } })
          }
          const fiber = run(route.handle(body))
          fiber.addObserver((exit) => {
            if (res.writableEnded || res.destroyed) return
            finish(Exit.isSuccess(exit) ? exit.value : { status: 500, body: { error: "the request was not handled" } })
          })
        })
      }

      let reloads = 0
      const server = yield* Effect.acquireRelease(
        Effect.callback<https.Server, Error>((resume) => {
          const s = https.createServer(ServingCertificate.secureOptions(initial), onRequest)
          s.keepAliveTimeout = 65_000 // longer than the apiserver's idle timeout, so it closes first
          s.headersTimeout = 30_000
          s.requestTimeout = 30_000
          s.once("error", (error) => resume(Effect.fail(error)))
          s.listen(options.port, options.host, () => resume(Effect.succeed(s)))
        }).pipe(Effect.orDie),
        (s) =>
          Effect.callback<void>((resume) => {
            s.close(() => resume(Effect.void))
            s.closeIdleConnections()
          })
      )
      yield* loaded
      const address = server.address() as AddressInfo
      yield* Effect.logInfo("Webhook server listening").pipe(
        Effect.annotateLogs({ address: `${address.address}:${address.port}`, certsDir: options.certificate.dir })
      )

      yield* Effect.forkScoped(
        ServingCertificate.changes(options.certificate, initial, options.reloadInterval ?? "10 seconds").pipe(
          Stream.runForEach((pair) =>
            Effect.sync(() => {
              server.setSecureContext(ServingCertificate.secureOptions(pair))
              reloads++
            }).pipe(Effect.andThen(Effect.logInfo("Reloaded the webhook certificate")))
          )
        )
      )

      return WebhookServer.of({
        host: address.address,
        port: address.port,
        reloads: Effect.sync(() => reloads)
      })
    })
  )
