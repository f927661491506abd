import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, References } from "effect"
import * as fs from "node:fs"
import * as https from "node:https"
import * as path from "node:path"
import { Readiness } from "../../services/Probes.ts"
import * as H from "./pod/MutatorHarness.ts"
import * as Routes from "./Routes.ts"
import type { CertPaths } from "./ServingCertificate.ts"
import * as TestCertificates from "./TestCertificates.ts"
import * as T from "./TestObjects.ts"
import * as WebhookServer from "./WebhookServer.ts"

interface Answer {
  readonly status: number
  readonly body: string
}

const request = (
  port: number,
  ca: string,
  options: {
    readonly method?: string
    readonly path: string
    readonly body?: string | Buffer
    readonly chunked?: boolean
  }
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "POST",
        path: options.path,
        ca,
        agent: false, // a fresh TLS handshake per request: it shows which certificate is served now
        headers: {
          "content-type": "application/json",
          ...(options.body !== undefined && options.chunked !== true
            ? { "content-length": Buffer.byteLength(options.body) }
            : {})
        }
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
        res.on("error", reject)
      }
    )
    req.on("error", reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })

const post = (port: number, ca: string, route: string, body: unknown) =>
  Effect.promise(() => request(port, ca, { path: route, body: JSON.stringify(body) }))

const serverLayer = (
  certificate: CertPaths,
  extra: Partial<WebhookServer.WebhookServerOptions<Routes.RoutesContext>> = {}
) =>
  WebhookServer.layer({
    host: "127.0.0.1",
    port: 0,
    certificate,
    routes: Routes.routes,
    bodyLimit: 64 * 1024,
    reloadInterval: "100 millis",
    ...extra
  }).pipe(
    Layer.provide(H.routesLayer(H.standardFixtures(T.dynakube(T.cloudNative())))),
    Layer.provideMerge(Readiness.layer),
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
  )

const startServer = (
  certificate: CertPaths,
  extra: Partial<WebhookServer.WebhookServerOptions<Routes.RoutesContext>> = {}
) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(serverLayer(certificate, extra))
    return { server: Context.get(context, WebhookServer.WebhookServer), readiness: Context.get(context, Readiness) }
  })

describe("WebhookServer (HTTPS on loopback)", () => {
  it.live("answers AdmissionReviews and refuses bad input with 4xx while it keeps serving", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const certs = yield* TestCertificates.issue()
        const { server, readiness } = yield* startServer(TestCertificates.writeTemporary(certs))
        const ca = certs.caCert
        expect(yield* readiness.pending).toEqual([])

        const ok = yield* post(server.port, ca, "/inject", T.review(T.pod("web"), { uid: "abc" }))
        expect(ok.status).toBe(200)
        const review = JSON.parse(ok.body)
        expect(review).toMatchObject({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          response: { uid: "abc", allowed: true }
        })
        expect(review.response.patchType).toBe("JSONPatch")

        const malformed = yield* Effect.promise(() => request(server.port, ca, { path: "/inject", body: "{not json" }))
        expect(malformed.status).toBe(400)
        const notReview = yield* post(server.port, ca, "/inject", { hello: "world" })
        expect(notReview.status).toBe(400)
        expect(notReview.body).toContain("not an AdmissionReview")
        const wrongKind = yield* post(
          server.port,
          ca,
          "/inject",
          T.review({}, { kind: { group: "", version: "v1", kind: "Secret" } })
        )
        expect(wrongKind.status).toBe(200)
        expect(JSON.parse(wrongKind.body).response).toMatchObject({ allowed: true })
        expect(JSON.parse(wrongKind.body).response.patch).toBeUndefined()

        const big = JSON.stringify({ padding: "x".repeat(70 * 1024) })
        const declared = yield* Effect.promise(() => request(server.port, ca, { path: "/inject", body: big }))
        expect(declared.status).toBe(413)
        const chunked = yield* Effect.promise(() =>
          request(server.port, ca, { path: "/inject", body: big, chunked: true })
        )
        expect(chunked.status).toBe(413)

        expect((yield* post(server.port, ca, "/nowhere", {})).status).toBe(404)
        expect((yield* Effect.promise(() => request(server.port, ca, { method: "GET", path: "/inject" }))).status).toBe(
          405
        )
        const livez = yield* Effect.promise(() => request(server.port, ca, { method: "GET", path: "/livez" }))
        expect(livez).toEqual({ status: 200, body: "ok" })

        const again = yield* post(server.port, ca, "/inject", T.review(T.pod("web"), { uid: "after" }))
        expect(JSON.parse(again.body).response.uid).toBe("after")
      })
    )
  )

  it.live("waits for the certificate, and is not ready until it is loaded", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const certs = yield* TestCertificates.issue()
        const paths = TestCertificates.writeTemporary(certs)
        fs.rmSync(path.join(paths.dir, "tls.crt"))
        const readiness = yield* Layer.build(Readiness.layer).pipe(Effect.map((c) => Context.get(c, Readiness)))
        const layer = WebhookServer.layer({
          host: "127.0.0.1",
          port: 0,
          certificate: paths,
          routes: [] as ReadonlyArray<Routes.Route>
        }).pipe(Layer.provide(Layer.succeed(Readiness, readiness)))
        yield* Effect.forkChild(Layer.build(layer))
        yield* Effect.sleep("300 millis")
        expect(yield* readiness.pending).toEqual(["certificates loaded"])
        fs.writeFileSync(path.join(paths.dir, "tls.crt"), certs.serverCert)
        yield* Effect.sleep("1500 millis")
        expect(yield* readiness.pending).toEqual([])
      })
    )
  )

  it.live("gives up when no certificate arrives in time", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const empty: CertPaths = { dir: fs.mkdtempSync("/tmp/webhook-none-"), cert: "tls.crt", key: "tls.key" }
        const exit = yield* Effect.exit(startServer(empty, { certificateTimeout: "300 millis" }))
        expect(exit._tag).toBe("Failure")
        expect(JSON.stringify(exit)).toContain("CertificateUnavailable")
      })
    )
  )

  it.live("reloads a rotated certificate without a restart and ignores a broken one", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const first = yield* TestCertificates.issue()
        const paths = TestCertificates.writeTemporary(first)
        const { server } = yield* startServer(paths)
        const review = T.review(T.pod("web"))
        expect((yield* post(server.port, first.caCert, "/inject", review)).status).toBe(200)

        // A key that does not belong to the certificate is never installed.
        const other = yield* TestCertificates.issue()
        fs.writeFileSync(path.join(paths.dir, "tls.key"), other.serverKey)
        yield* Effect.sleep("600 millis")
        expect(yield* server.reloads).toBe(0)
        expect((yield* post(server.port, first.caCert, "/inject", review)).status).toBe(200)

        // The matching certificate arrives: the new pair is served, signed by the new CA.
        fs.writeFileSync(path.join(paths.dir, "tls.crt"), other.serverCert)
        yield* Effect.sleep("800 millis")
        expect(yield* server.reloads).toBe(1)
        expect((yield* post(server.port, other.caCert, "/inject", review)).status).toBe(200)
        const stale = yield* Effect.promise(() =>
          request(server.port, first.caCert, { path: "/inject", body: JSON.stringify(review) }).then(
            () => "trusted",
            (error: Error) => error.message
          )
        )
        expect(stale).not.toBe("trusted")
      })
    )
  )
})
