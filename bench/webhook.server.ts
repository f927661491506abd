/**
 * The server side of `bench/webhook.bench.ts`, in its own entry so the measured process loads what the webhook
 * loads and nothing of the load generator (autocannon and its histogram library alone add ~25 MB of RSS).
 *
 *   node bench/webhook.server.ts --server node|effect --certs-dir DIR   (started by webhook.bench.ts over IPC)
 *
 * `node` serves `/inject` through the production `WebhookServer` (plain `node:https`); `effect` serves the same
 * route through Effect's HttpRouter on @effect/platform-node, for comparison. Lookups come from an in-memory
 * InjectionContext, as they come from informer caches in production (no API request per review).
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import * as fs from "node:fs"
import * as https from "node:https"
import * as path from "node:path"
import { parseArgs } from "node:util"
import * as Logging from "../src/services/Logging.ts"
import { Readiness } from "../src/services/Probes.ts"
import * as H from "../src/programs/webhook/pod/MutatorHarness.ts"
import * as Routes from "../src/programs/webhook/Routes.ts"
import * as T from "../src/programs/webhook/TestObjects.ts"
import type { CertPaths } from "../src/programs/webhook/ServingCertificate.ts"
import * as WebhookServer from "../src/programs/webhook/WebhookServer.ts"

const { values } = parseArgs({
  options: { server: { type: "string", default: "node" }, "certs-dir": { type: "string", default: "" } }
})

// ---------------------------------------------------------------------------------------------------------------
// the workload

const dynakube = T.dynakube(
  T.cloudNative(),
  T.enrichment(),
  T.withStatus({ metadataEnrichment: { rules: [{ type: "LABEL", source: "team", target: "dt.owner" }] } })
)
const fixtures = H.standardFixtures(dynakube, {
  namespaces: [T.namespace("apps", { "dynakube.internal.dynatrace.com/instance": "dk", team: "payments" })]
})

// ---------------------------------------------------------------------------------------------------------------
// the server process

/** The production logger: JSON lines at `LOG_LEVEL` (default Info). */
const logging = Logging.layer

const nodeServer = (certificate: CertPaths) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      WebhookServer.layer({ host: "127.0.0.1", port: 0, certificate, routes: Routes.routes }).pipe(
        Layer.provide(H.routesLayer(fixtures)),
        Layer.provide(Readiness.layer),
        Layer.provide(logging)
      )
    )
    return Context.get(context, WebhookServer.WebhookServer).port
  })

const effectServer = (certificate: CertPaths) =>
  Effect.gen(function* () {
    const route = HttpRouter.add(
      "POST",
      "/inject",
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const body = yield* request.json
        const reply = yield* Routes.inject.handle(body)
        return HttpServerResponse.jsonUnsafe(reply.body, { status: reply.status })
      }).pipe(
        Effect.catch(() => Effect.succeed(HttpServerResponse.jsonUnsafe({ error: "bad request" }, { status: 400 })))
      )
    )
    const server = NodeHttpServer.layer(
      () =>
        https.createServer({
          cert: fs.readFileSync(path.join(certificate.dir, certificate.cert)),
          key: fs.readFileSync(path.join(certificate.dir, certificate.key)),
          minVersion: "TLSv1.3"
        }),
      {
        host: "127.0.0.1",
        port: 0
      }
    )
    const context = yield* Layer.build(
      HttpRouter.serve(route, { disableLogger: true, disableListenLog: true }).pipe(
        Layer.provide(H.routesLayer(fixtures)),
        Layer.provideMerge(server),
        Layer.provide(logging)
      )
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    return address._tag === "UnixPathAddress" ? 0 : address.port
  })

const serve = (kind: string, certsDir: string) =>
  Effect.gen(function* () {
    const certificate: CertPaths = { dir: certsDir, cert: "tls.crt", key: "tls.key" }
    const port = kind === "effect" ? yield* effectServer(certificate) : yield* nodeServer(certificate)
    process.send?.({ ready: true, port })
    process.on("message", (message) => {
      if (message === "exit") process.exit(0)
      if (message === "stats") {
        const usage = process.memoryUsage()
        const cpu = process.cpuUsage()
        process.send?.({
          rss: usage.rss,
          heapUsed: usage.heapUsed,
          maxRss: process.resourceUsage().maxRSS * 1024,
          cpuMicros: cpu.user + cpu.system,
          heapTotal: usage.heapTotal,
          external: usage.external,
          arrayBuffers: usage.arrayBuffers
        })
      }
    })
    return yield* Effect.never
  })

Effect.runFork(Effect.scoped(serve(values.server, values["certs-dir"])))
