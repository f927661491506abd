import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Metric } from "effect"
import { createServer } from "node:net"
import * as Probes from "./Probes.ts"

const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const address = server.address()
        server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
      })
    })
)

const get = (url: string) =>
  Effect.promise(() => fetch(url).then(async (r) => ({ status: r.status, body: await r.text() })))

describe("parseBindAddress", () => {
  it.effect("reads the Go forms of the original's flags", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* Probes.parseBindAddress(":10080"), { host: "0.0.0.0", port: 10080 })
      assert.deepStrictEqual(yield* Probes.parseBindAddress("127.0.0.1:8080"), { host: "127.0.0.1", port: 8080 })
      assert.deepStrictEqual(yield* Probes.parseBindAddress("[::1]:8383"), { host: "::1", port: 8383 })
      assert.isUndefined(yield* Probes.parseBindAddress("0"))
      assert.isUndefined(yield* Probes.parseBindAddress(""))
    })
  )

  it.effect("refuses anything else with a clear message", () =>
    Effect.gen(function* () {
      for (const bad of ["10080", "host:", ":99999", "a:b:c"]) {
        const exit = yield* Effect.exit(Probes.parseBindAddress(bad))
        assert.isTrue(Exit.isFailure(exit), bad)
      }
      const error = yield* Effect.flip(Probes.parseBindAddress("nope"))
      assert.include(error.message, '"nope"')
    })
  )
})

describe("probe servers", () => {
  it.live("/readyz waits for every registered check; /livez is always ok; /metrics serves Prometheus text", () =>
    Effect.gen(function* () {
      const healthPort = yield* freePort
      const metricsPort = yield* freePort
      const servers = Layer.mergeAll(
        Probes.healthServer({ host: "127.0.0.1", port: healthPort }),
        Probes.metricsServer({ host: "127.0.0.1", port: metricsPort })
      ).pipe(Layer.provideMerge(Probes.Readiness.layer))

      yield* Effect.gen(function* () {
        const readiness = yield* Probes.Readiness
        const cachesSynced = yield* readiness.register("caches synced")
        const certsLoaded = yield* readiness.register("certificates loaded")
        const health = `http://127.0.0.1:${healthPort}`

        assert.deepStrictEqual(yield* get(`${health}/livez`), { status: 200, body: "ok" })
        assert.deepStrictEqual(yield* get(`${health}/readyz`), {
          status: 503,
          body: "not ready: caches synced, certificates loaded"
        })
        yield* cachesSynced
        assert.strictEqual((yield* get(`${health}/readyz`)).body, "not ready: certificates loaded")
        yield* certsLoaded
        assert.deepStrictEqual(yield* get(`${health}/readyz`), { status: 200, body: "ok" })

        yield* Metric.update(Metric.counter("probes_test_total", { description: "a test counter" }), 3)
        const metrics = yield* get(`http://127.0.0.1:${metricsPort}/metrics`)
        assert.strictEqual(metrics.status, 200)
        assert.match(metrics.body, /probes_test_total\S* 3/)
        assert.strictEqual((yield* get(`${health}/metrics`)).status, 404, "each port serves only its own routes")
      }).pipe(Effect.provide(servers))
    })
  )
})
