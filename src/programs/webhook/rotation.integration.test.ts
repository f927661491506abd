/**
 * Issue #5: the apiserver keeps admitting pods across a certificate rotation. The certificate controller's
 * reconcile writes `dynatrace-webhook-certs` and the caBundle of the `dynatrace-webhook` configuration; the webhook
 * server (in this process, on 127.0.0.1) syncs that Secret into its certs dir and hot-reloads. While pods are being
 * created continuously, the server certificate and then the CA are rotated through the reconcile. The pod webhook
 * fails closed (`failurePolicy: Fail`), so any moment where the apiserver does not trust the served certificate
 * rejects a pod instead of silently skipping injection.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, Layer, References } from "effect"
import * as fs from "node:fs"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import type { Pod } from "../../schemas/Pod.ts"
import { Certs, CertSecret } from "../../services/Certs.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import { Readiness } from "../../services/Probes.ts"
import * as CaBundleTargets from "../operator/certificates/CaBundleTargets.ts"
import * as WebhookCertController from "../operator/certificates/WebhookCertController.ts"
import * as TestKit from "../operator/testkit/OperatorTestKit.ts"
import * as Keys from "./Keys.ts"
import * as T from "./TestObjects.ts"
import * as WebhookMain from "./WebhookMain.ts"
import { WebhookServer } from "./WebhookServer.ts"

interface Secret extends KubeObject {
  readonly data?: Readonly<Record<string, string>>
}

const run = Math.random().toString(36).slice(2, 7)
const operatorNamespace = `rot-op-${run}`
const appNamespace = `rot-app-${run}`
const configName = CaBundleTargets.webhookConfigurationName
const certConfig = { namespace: operatorNamespace, extraIpAddresses: ["127.0.0.1"] }
/** Pods that must start inside each rotation window. */
const minimumPerWindow = 5

const setup = Effect.gen(function* () {
  const kube = yield* KubeClient
  yield* TestKit.installCrd
  // A leftover of an earlier run would point the apiserver at a port nobody listens on.
  yield* kube.delete(Resources.MutatingWebhookConfiguration, configName).pipe(Effect.ignore)
  yield* TestKit.createNamespace(operatorNamespace)
  yield* kube.create(Resources.Secret, {
    metadata: { name: "dk-bootstrapper-config", namespace: operatorNamespace },
    data: { "ruxitagentproc.json": Buffer.from("{}").toString("base64") }
  } as KubeObject)
  const created = yield* kube.create<KubeObject & { status?: unknown }>(Resources.DynaKube, {
    apiVersion: "dynatrace.com/v1beta6",
    kind: "DynaKube",
    metadata: { name: "dk", namespace: operatorNamespace },
    spec: {
      apiUrl: "https://abc12345.live.dynatrace.com/api",
      oneAgent: { cloudNativeFullStack: { namespaceSelector: { matchLabels: { "rotation-it": run } } } }
    }
  } as KubeObject)
  yield* kube.updateStatus(Resources.DynaKube, {
    ...created,
    status: {
      kubeSystemUUID: "9f8e7d6c-0000-4000-8000-000000000002",
      kubernetesClusterName: "rotation-cluster",
      codeModules: { version: "1.309.0.20250101-120000" },
      oneAgent: { connectionInfoStatus: { tenantUUID: "abc12345" } }
    }
  } as KubeObject)
  // The webhook Deployment owns the Secret; the controller does nothing without it. Nothing runs from it here.
  yield* kube.create(Resources.Deployment, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: configName, namespace: operatorNamespace },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: configName } },
      template: {
        metadata: { labels: { app: configName } },
        spec: { containers: [{ name: "webhook", image: "registry.invalid/webhook:test" }] }
      }
    }
  } as KubeObject)
  // The namespace carries the instance label itself (no /label-ns here).
  yield* TestKit.createNamespace(appNamespace, { [Keys.instanceLabel]: "dk", "rotation-it": run })
  const outcome = yield* WebhookCertController.reconcileOnce(certConfig)
  assert.strictEqual(outcome._tag, "Updated")
})

const teardown = Effect.gen(function* () {
  const kube = yield* KubeClient
  yield* kube.delete(Resources.MutatingWebhookConfiguration, configName).pipe(Effect.ignore)
  yield* TestKit.deleteNamespace(appNamespace)
  yield* TestKit.deleteNamespace(operatorNamespace)
})

/**
 * The apiserver keeps its TLS connections to a webhook alive, so after a reload it would go on using a session
 * made with the old certificate and a trust problem would never show. The test captures the server's
 * https.Server (it is not exposed) to close idle connections often and to count handshakes.
 */
const servers: Array<https.Server> = []
const handshakes: Array<number> = []
const captureHttpsServers = Effect.acquireRelease(
  Effect.sync(() => {
    const original = https.Server.prototype.listen
    https.Server.prototype.listen = function (this: https.Server, ...args: Array<unknown>) {
      servers.push(this)
      this.on("secureConnection", () => handshakes.push(Date.now()))
      return original.apply(this, args as Parameters<typeof original>)
    } as typeof original
    return original
  }),
  (original) =>
    Effect.sync(() => {
      https.Server.prototype.listen = original
    })
)

const certsDir = fs.mkdtempSync(path.join(os.tmpdir(), "rotation-certs-"))

/** The server syncing the Secret, and the `dynatrace-webhook` configuration (caBundle from the reconcile). */
const WebhookUnderTest = Layer.unwrap(
  Effect.gen(function* () {
    yield* Effect.acquireRelease(setup, () => Effect.ignore(teardown))
    yield* captureHttpsServers
    const server = WebhookMain.webhookLayer(
      T.serverConfig(operatorNamespace, { dir: certsDir, cert: "tls.crt", key: "tls.key" }),
      {
        syncCertificateSecret: true,
        openShift: false,
        host: "127.0.0.1"
      }
    )
    const registration = Layer.effectDiscard(
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const { port } = yield* WebhookServer
        const readiness = yield* Readiness
        yield* TestKit.waitUntil(
          "the webhook server is ready",
          Effect.map(readiness.pending, (pending) => pending.length === 0)
        )
        yield* Effect.acquireRelease(
          kube.create(Resources.MutatingWebhookConfiguration, {
            metadata: { name: configName },
            webhooks: [
              {
                name: "webhook.pod.dynatrace.com",
                // No caBundle: the controller's reconcile writes it.
                clientConfig: { url: `https://127.0.0.1:${port}/inject` },
                rules: T.podWebhookRules,
                namespaceSelector: { matchLabels: { "rotation-it": run } },
                admissionReviewVersions: ["v1"],
                sideEffects: "None",
                // Fail closed: a TLS failure rejects the pod instead of skipping injection.
                failurePolicy: "Fail",
                timeoutSeconds: 10,
                reinvocationPolicy: "IfNeeded"
              }
            ]
          } as KubeObject),
          () => Effect.ignore(kube.delete(Resources.MutatingWebhookConfiguration, configName))
        )
        const patched = yield* WebhookCertController.reconcileOnce(certConfig)
        assert.deepStrictEqual(patched, {
          _tag: "Updated",
          secret: "unchanged",
          patched: [`MutatingWebhookConfiguration/${configName}`]
        })
      })
    )
    return registration.pipe(Layer.provideMerge(server))
  })
).pipe(
  Layer.provideMerge(Layer.mergeAll(KubeClient.layer, Readiness.layer, Certs.layer)),
  Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
)

/** SHA-256 fingerprint of the certificate the server hands out right now. */
const servedFingerprint = (port: number) =>
  Effect.callback<string, Error>((resume) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, servername: "" }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256
      socket.end()
      resume(Effect.succeed(fingerprint))
    })
    socket.on("error", (error) => resume(Effect.fail(error)))
    return Effect.sync(() => socket.destroy())
  })

interface Attempt {
  readonly name: string
  readonly start: number
  readonly end: number
  readonly error?: string
  readonly injected?: boolean
}

let counter = 0
const createPod = Effect.gen(function* () {
  const kube = yield* KubeClient
  const name = `p-${++counter}`
  const start = Date.now()
  const result = yield* kube
    .create<KubeObject & Pod>(Resources.Pod, {
      metadata: { name, namespace: appNamespace },
      spec: { containers: [{ name: "app", image: "registry.example.com/shop/app:1.0" }] }
    } as KubeObject & Pod)
    .pipe(Effect.result)
  const end = Date.now()
  if (result._tag === "Failure") return { name, start, end, error: String(result.failure.message) } as Attempt
  const pod = result.success
  const injected =
    pod.metadata.annotations?.["dynakube.dynatrace.com/injected"] === "true" &&
    (pod.spec.initContainers ?? []).some((c) => c.name === "dynatrace-operator")
  return { name, start, end, injected } as Attempt
})

const readSecret = KubeClient.use((kube) =>
  kube.get<Secret>(Resources.Secret, CertSecret.secretName, { namespace: operatorNamespace })
)

/** Applies `change` to the Secret's data, reconciles, and waits until the server hands out a new certificate. */
const rotate = (port: number, change: (data: Record<string, string>) => Record<string, string>) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const before = yield* servedFingerprint(port)
    const start = Date.now()
    const secret = yield* readSecret
    yield* kube.update<Secret>(Resources.Secret, { ...secret, data: change({ ...secret.data }) })
    const outcome = yield* WebhookCertController.reconcileOnce(certConfig)
    const reloaded = yield* TestKit.waitFor(
      "the webhook server serves the new certificate",
      servedFingerprint(port),
      (fingerprint) => fingerprint !== before,
      "30 seconds"
    )
    const reloadedAt = Date.now()
    // Keep creating pods a little after the reload: the apiserver may still hold connections from before.
    yield* Effect.sleep("2 seconds")
    return { start, reloadedAt, end: Date.now(), outcome, before, after: reloaded }
  })

layer(WebhookUnderTest, { excludeTestServices: true, timeout: "180 seconds" })(
  "certificate rotation under load",
  (it) => {
    it.effect(
      "every pod created during a server-certificate and a CA rotation is admitted and injected",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const { port } = yield* WebhookServer
          // The apiserver starts calling the configuration once it has seen it.
          yield* TestKit.waitUntil(
            "the apiserver calls the webhook",
            Effect.map(createPod, (a) => a.injected === true)
          )

          const attempts: Array<Attempt> = []
          const loopState = { running: true }
          // Stopped by the flag, not interrupted: every started creation is awaited and recorded.
          const loop = Effect.gen(function* () {
            while (loopState.running) {
              attempts.push(...(yield* Effect.forEach([0, 1, 2], () => createPod, { concurrency: 3 })))
              yield* Effect.sleep("150 millis")
            }
          })
          const fiber = yield* Effect.forkChild(loop)
          assert.strictEqual(servers.length, 1, "the webhook's https.Server was captured")
          // Closes only connections with no request in flight, so the apiserver handshakes again and again.
          const reconnect = yield* Effect.forkChild(
            Effect.sync(() => servers.forEach((server) => server.closeIdleConnections())).pipe(
              Effect.andThen(Effect.sleep("100 millis")),
              Effect.forever
            )
          )
          yield* Effect.sleep("1 second")

          const beforeServer = yield* readSecret
          const serverRotation = yield* rotate(port, ({ "tls.crt": _drop, ...rest }) => rest)
          const afterServer = yield* readSecret
          assert.strictEqual(serverRotation.outcome._tag, "Updated")
          assert.strictEqual(afterServer.data?.["ca.crt"], beforeServer.data?.["ca.crt"], "the CA was kept")
          assert.notStrictEqual(afterServer.data?.["tls.crt"], beforeServer.data?.["tls.crt"])

          const caRotation = yield* rotate(port, (data) => ({
            ...data,
            "ca.key": Buffer.from("-----BEGIN EC PRIVATE KEY-----\nbroken\n-----END EC PRIVATE KEY-----\n").toString(
              "base64"
            )
          }))
          const afterCa = yield* readSecret
          assert.strictEqual(caRotation.outcome._tag, "Updated")
          assert.notStrictEqual(afterCa.data?.["ca.crt"], afterServer.data?.["ca.crt"])
          assert.strictEqual(afterCa.data?.["ca.crt.old"], afterServer.data?.["ca.crt"], "the old CA stays trusted")

          loopState.running = false
          yield* Fiber.join(fiber)
          yield* Fiber.interrupt(reconnect)

          const failed = attempts.filter((a) => a.error !== undefined)
          assert.deepStrictEqual(
            failed.map((a) => `${a.name} at +${a.start - (attempts[0]?.start ?? 0)} ms: ${a.error}`),
            [],
            "every pod creation was admitted"
          )
          const notInjected = attempts.filter((a) => a.injected !== true).map((a) => a.name)
          assert.deepStrictEqual(notInjected, [], "every admitted pod was mutated")
          for (const [label, window] of [
            ["server certificate", serverRotation],
            ["CA", caRotation]
          ] as const) {
            const inside = attempts.filter((a) => a.start >= window.start && a.start <= window.end).length
            assert.isAtLeast(inside, minimumPerWindow, `pods created during the ${label} rotation`)
            // Handshakes after the reload: the apiserver verified the new certificate against its caBundle.
            const fresh = handshakes.filter((t) => t >= window.reloadedAt && t <= window.end).length
            assert.isAtLeast(fresh, minimumPerWindow, `TLS handshakes after the ${label} reload`)
          }
          // The apiserver really stored them, mutated.
          const stored = yield* kube.list<KubeObject & Pod>(Resources.Pod, { namespace: appNamespace })
          const byName = new Map(stored.items.map((p) => [p.metadata.name, p]))
          for (const attempt of attempts) {
            const pod = byName.get(attempt.name)
            assert.isDefined(pod, attempt.name)
            assert.strictEqual(pod?.metadata.annotations?.["dynakube.dynatrace.com/injected"], "true")
          }
        }),
      180_000
    )
  }
)
