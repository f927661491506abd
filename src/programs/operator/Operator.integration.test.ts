/**
 * The operator as a process (`node src/main.ts operator`), the way a pod runs it: probes and metrics, restart
 * safety after `kill -9` in the middle of a reconcile, two replicas under leader election, and graceful shutdown.
 * The shared control plane; the tenant simulator in this process.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { freePorts } from "../../../e2e/controlplane/ControlPlane.ts"
import { AllOperatorScopes } from "../../../e2e/tenant-simulator/Tenant.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import * as Names from "./dynakube/Names.ts"
import { leaseName } from "./LeaseAccessLive.ts"
import * as Kit from "./testkit/OperatorTestKit.ts"
import * as Harness from "./testkit/OperatorTestLayer.ts"

const namespace = Kit.uniqueName("op-proc")
const { Tenant, TestKube, asTest, absent } = Harness

const Setup = Layer.effectDiscard(
  asTest(
    Effect.gen(function* () {
      yield* Kit.installCrd
      yield* Kit.createNamespace(namespace)
      const kube = yield* KubeClient
      for (const account of ["dynatrace-dynakube-oneagent", "dynatrace-activegate"]) {
        yield* kube.create(Resources.ServiceAccount, { metadata: { name: account, namespace } })
      }
      yield* Effect.addFinalizer(() => asTest(Kit.deleteNamespace(namespace)).pipe(Effect.orDie))
    })
  )
)
const TestLayer = Setup.pipe(Layer.provideMerge(Harness.testKubeLayer), Layer.merge(Harness.tenantLayer()))

/** Env of one operator replica: short leader election (lease 4 s, renew 3 s, retry 1 s), its own ports. */
const operatorEnv = (podName: string, ports: { metrics: number; health: number }) => ({
  KUBECONFIG: process.env["KUBECONFIG"] ?? "",
  POD_NAMESPACE: namespace,
  POD_NAME: podName,
  LEADER_ELECTION_LEASE_DURATION: "4",
  LEADER_ELECTION_RENEW_DEADLINE: "3",
  LEADER_ELECTION_RETRY_PERIOD: "1",
  METRICS_BIND_ADDRESS: `127.0.0.1:${ports.metrics}`,
  HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${ports.health}`,
  SHUTDOWN_GRACE_PERIOD: "5s",
  DT_HOST_AVAILABILITY_DETECTION: "false",
  LOG_LEVEL: process.env["OPERATOR_TEST_LOG_LEVEL"] ?? "Info"
})

const ports = Effect.promise(() => freePorts(2)).pipe(Effect.map(([metrics = 0, health = 0]) => ({ metrics, health })))

const httpGet = (url: string) =>
  Effect.promise(() =>
    fetch(url).then(
      async (r) => ({ status: r.status, body: await r.text() }),
      () => ({ status: 0, body: "" })
    )
  )

/** The lease holder's identity (`<pod name>_<uuid>`), or "" when none. */
const leaseHolder = Effect.gen(function* () {
  const kube = yield* TestKube
  const lease = yield* kube
    .get<KubeObject & { spec?: { holderIdentity?: string } }>(Resources.Lease, leaseName, { namespace })
    .pipe(Effect.orElseSucceed(() => undefined))
  return lease?.spec?.holderIdentity ?? ""
})

const names = (items: ReadonlyArray<KubeObject>) => items.map((o) => o.metadata?.name ?? "").toSorted()

const dynakube = (name: string, spec: Record<string, unknown>) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    yield* asTest(Kit.tokenSecret(namespace, name, { apiToken: tenant.addToken([...AllOperatorScopes]) }))
    return yield* asTest(Kit.applyDynaKube(namespace, name, { apiUrl: tenant.url, ...spec }))
  })

layer(TestLayer, { excludeTestServices: true, timeout: "300 seconds" })("operator process", (it) => {
  it.effect(
    "probes and metrics: /livez, /readyz after caches synced, controller and tenant metrics",
    () =>
      Effect.gen(function* () {
        const p = yield* ports
        const op = yield* Kit.scopedOperatorProcess(operatorEnv("probe-replica", p), "probe")
        yield* Kit.waitUntil(
          "/readyz answers 200",
          Effect.map(httpGet(`http://127.0.0.1:${p.health}/readyz`), (r) => r.status === 200),
          "60 seconds"
        )
        assert.strictEqual((yield* httpGet(`http://127.0.0.1:${p.health}/livez`)).status, 200)
        yield* dynakube("probed", { oneAgent: { hostMonitoring: {} } })
        yield* Kit.waitFor(
          "probed converges",
          asTest(Kit.getDynaKube(namespace, "probed")),
          (d) => d.status?.phase === "Running"
        )
        const metrics = yield* Kit.waitFor(
          "the metrics show reconciles and tenant calls",
          httpGet(`http://127.0.0.1:${p.metrics}/metrics`),
          (r) =>
            r.body.includes("controller_runtime_reconcile_total") && r.body.includes("dynatrace_api_requests_total")
        )
        assert.match(metrics.body, /controller_runtime_reconcile_total\{[^}]*controller="dynakube-controller"/)
        assert.match(
          metrics.body,
          /dynatrace_api_requests_total\{[^}]*endpoint="POST \/v2\/apiTokens\/lookup"[^}]*status="200"/
        )
        assert.match(metrics.body, /workqueue_depth/)
        // No token value in any log line.
        const tenant = yield* Tenant
        assert.notInclude(op.logs(), tenant.apiToken.split(".")[2] ?? "never")
        yield* asTest(
          Effect.gen(function* () {
            yield* (yield* KubeClient).delete(Resources.DynaKube, "probed", { namespace })
          })
        )
      }),
    240_000
  )

  it.effect(
    "kill -9 in the middle of a reconcile, then a restart: converges, every object once",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        // Slow tenant: the reconcile is still running when the process is killed.
        tenant.inject("agentConnectionInfo", { kind: "latency", millis: 4000 })
        yield* Effect.addFinalizer(() => Effect.sync(() => tenant.clearFaults()))
        const p = yield* ports
        const first = Kit.startOperatorProcess(operatorEnv("crash-1", p), "crash-1")
        yield* Kit.waitUntil(
          "the first replica leads",
          Effect.map(leaseHolder, (h) => h.startsWith("crash-1_")),
          "60 seconds"
        )
        yield* dynakube("crash", { oneAgent: { hostMonitoring: {} }, activeGate: { capabilities: ["routing"] } })
        const n = Names.names("crash")
        yield* Kit.waitUntil(
          "the reconcile got as far as the deployment metadata",
          Effect.map(absent(Resources.ConfigMap, namespace, n.deploymentMetadata), (gone) => !gone),
          "60 seconds"
        )
        first.kill("SIGKILL")
        const exit = yield* Effect.promise(() => first.exited)
        assert.strictEqual(exit.signal, "SIGKILL")
        const dkAfterKill = yield* asTest(Kit.getDynaKube(namespace, "crash"))
        assert.isUndefined(dkAfterKill.status?.phase, "killed before the status was written")
        tenant.clearFaults()

        const p2 = yield* ports
        yield* Kit.scopedOperatorProcess(operatorEnv("crash-2", p2), "crash-2")
        yield* Kit.waitFor(
          "the restarted operator converges",
          asTest(Kit.getDynaKube(namespace, "crash")),
          // No node runs the ActiveGate pod here, so the phase may stay Deploying: the objects are what counts.
          (d) =>
            (d.status?.phase === "Running" || d.status?.phase === "Deploying") &&
            Kit.conditionOf(d, "ActiveGateStatefulSet")?.status === "True" &&
            Kit.conditionOf(d, "OneAgentDaemonSet")?.status === "True",
          "120 seconds"
        )
        const kube = yield* TestKube
        const selector = { namespace, labelSelector: "app.kubernetes.io/created-by=crash" }
        assert.deepStrictEqual(names((yield* kube.list(Resources.DaemonSet, selector)).items), [n.oneAgentDaemonSet])
        assert.deepStrictEqual(names((yield* kube.list(Resources.StatefulSet, selector)).items), ["crash-activegate"])
        const secrets = names((yield* kube.list(Resources.Secret, selector)).items)
        assert.deepStrictEqual(secrets, [...new Set(secrets)])
        assert.includeMembers(secrets, [
          n.oneAgentTenantSecret,
          n.pullSecret,
          "crash-activegate-authtoken-secret",
          "crash-activegate-tenant-secret",
          "crash-activegate-tls-secret"
        ])
        // One auth token was made for the DynaKube (the killed reconcile had not reached the ActiveGate).
        assert.strictEqual(tenant.tenant.activeGateTokens.filter((t) => t.name === "crash").length, 1)
      }),
    240_000
  )

  it.effect(
    "two replicas: one leads; when it is killed the other takes over within the lease duration",
    () =>
      Effect.gen(function* () {
        const pa = yield* ports
        const pb = yield* ports
        const a = Kit.startOperatorProcess(operatorEnv("replica-a", pa), "replica-a")
        yield* Effect.addFinalizer(() => Effect.sync(() => a.kill("SIGKILL")))
        yield* Kit.waitUntil(
          "replica a leads",
          Effect.map(leaseHolder, (h) => h.startsWith("replica-a_")),
          "60 seconds"
        )
        yield* Kit.scopedOperatorProcess(operatorEnv("replica-b", pb), "replica-b")
        // b is a ready standby: caches synced, not leading.
        yield* Kit.waitUntil(
          "replica b is ready",
          Effect.map(httpGet(`http://127.0.0.1:${pb.health}/readyz`), (r) => r.status === 200),
          "60 seconds"
        )
        yield* Effect.sleep("3 seconds")
        assert.isTrue((yield* leaseHolder).startsWith("replica-a_"), "a keeps the lease while it renews")

        a.kill("SIGKILL")
        yield* Effect.promise(() => a.exited)
        const killedAt = Date.now()
        yield* Kit.waitUntil(
          "replica b leads",
          Effect.map(leaseHolder, (h) => h.startsWith("replica-b_")),
          "30 seconds"
        )
        const takeover = Date.now() - killedAt
        // Lease 4 s; b notices the record stopped changing within one retry period (1 s) and retries every second.
        assert.isAtMost(takeover, 4000 + 2 * 1000 + 500, `took over after ${takeover} ms`)
        // And b reconciles.
        yield* dynakube("after-failover", { oneAgent: { hostMonitoring: {} } })
        yield* Kit.waitFor(
          "the new leader reconciles",
          asTest(Kit.getDynaKube(namespace, "after-failover")),
          (d) => d.status?.phase === "Running"
        )
      }),
    240_000
  )

  it.effect(
    "SIGTERM: exits 0 and releases the lease so a standby takes over at once",
    () =>
      Effect.gen(function* () {
        const pa = yield* ports
        const pb = yield* ports
        const a = Kit.startOperatorProcess(operatorEnv("graceful-a", pa), "graceful-a")
        yield* Effect.addFinalizer(() => Effect.sync(() => a.kill("SIGKILL")))
        yield* Kit.waitUntil(
          "graceful-a leads",
          Effect.map(leaseHolder, (h) => h.startsWith("graceful-a_")),
          "60 seconds"
        )
        yield* Kit.scopedOperatorProcess(operatorEnv("graceful-b", pb), "graceful-b")
        yield* Kit.waitUntil(
          "graceful-b is ready",
          Effect.map(httpGet(`http://127.0.0.1:${pb.health}/readyz`), (r) => r.status === 200),
          "60 seconds"
        )
        a.kill("SIGTERM")
        const exit = yield* Effect.promise(() => a.exited)
        const stoppedAt = Date.now()
        assert.strictEqual(exit.code, 0, a.logs().slice(-2000))
        assert.include(a.logs(), "Released the leader lease.")
        yield* Kit.waitUntil(
          "graceful-b leads",
          Effect.map(leaseHolder, (h) => h.startsWith("graceful-b_")),
          "30 seconds"
        )
        // A released lease is taken on b's next try (retry 1 s), not after the 4 s lease duration.
        assert.isAtMost(Date.now() - stoppedAt, 2500)
      }),
    240_000
  )
})
