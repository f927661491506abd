import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as net from "node:net"
import { KubeClient } from "./KubeClient.ts"
import * as Resources from "./kube/Resources.ts"
import * as RetryPolicy from "./kube/RetryPolicy.ts"

/** A port nobody listens on. */
const closedPort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        server.close(() => resolve(port))
      })
    })
)

const kubeconfig = (server: string) => `
apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: the-token } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`

describe("KubeClient without an API server", () => {
  it.effect("an unreadable kubeconfig fails the layer with one clear KubeConfigError", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Layer.build(KubeClient.layerFromFile("/nonexistent/kubeconfig")))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Layer.build(KubeClient.layerFromFile("/nonexistent/kubeconfig")))
      assert.strictEqual(error._tag, "KubeConfigError")
      assert.strictEqual(
        error.message,
        "cannot read kubeconfig /nonexistent/kubeconfig: ENOENT: no such file or directory, open '/nonexistent/kubeconfig'"
      )
    })
  )

  it.live("an unreachable API server gives a Transport error naming the server", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const program = Effect.gen(function* () {
        const kube = yield* KubeClient
        const error = yield* Effect.flip(kube.get(Resources.ConfigMap, "x", { namespace: "ns" }))
        assert.strictEqual(error.reason._tag, "Transport")
        assert.strictEqual(
          error.message,
          `get configmaps ns/x: Transport: API server https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`
        )
        assert.notInclude(error.message, "the-token")
        if (error.reason._tag === "Transport") assert.strictEqual(error.reason.code, "ECONNREFUSED")
        const stats = yield* kube.requestStats
        assert.strictEqual(stats.byRequest["get configmaps"], 1)
        assert.strictEqual(stats.failed, 1)
      })
      yield* program.pipe(
        Effect.provide(KubeClient.layerFromString(kubeconfig(`https://127.0.0.1:${port}`), { retry: false }))
      )
    })
  )

  it.live("transient failures are retried by the client's schedule, and every attempt is counted", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const program = Effect.gen(function* () {
        const kube = yield* KubeClient
        yield* Effect.flip(kube.list(Resources.Secret, { namespace: "ns" }))
        const stats = yield* kube.requestStats
        assert.strictEqual(stats.byRequest["list secrets"], 3)
        assert.strictEqual(stats.failed, 3)
        yield* kube.resetRequestStats
        assert.strictEqual((yield* kube.requestStats).total, 0)
      })
      yield* program.pipe(
        Effect.provide(
          KubeClient.layerFromString(kubeconfig(`https://127.0.0.1:${port}`), {
            retry: RetryPolicy.transient({ times: 2, base: "1 millis" })
          })
        )
      )
    })
  )

  it.live("requests that cannot be valid are rejected before sending", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const program = Effect.gen(function* () {
        const kube = yield* KubeClient
        const noNamespace = yield* Effect.flip(kube.get(Resources.ConfigMap, "x"))
        assert.strictEqual(noNamespace.reason._tag, "Invalid")
        assert.strictEqual(noNamespace.message, "get configmaps x: Invalid: a namespace is required for configmaps")
        const noName = yield* Effect.flip(kube.update(Resources.Namespace, { metadata: {} }))
        assert.strictEqual(noName.message, "update namespaces: Invalid: metadata.name is required")
        assert.strictEqual((yield* kube.requestStats).total, 0)
      })
      yield* program.pipe(Effect.provide(KubeClient.layerFromString(kubeconfig(`https://127.0.0.1:${port}`))))
    })
  )
})
