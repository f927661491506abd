/**
 * Benchmark: one DynaKube selecting 100, 1,000 and 2,500 namespaces on a real control plane (a private one:
 * etcd + kube-apiserver, started here), with the tenant simulator in-process. Goal: 1,000 namespaces converge
 * (every replicated secret present) in under 30 s.
 *
 *   node bench/injection.bench.ts [--sizes 100,1000,2500] [--concurrency 16] [--kubeconfig <path>]
 *
 * Per size, a fresh set of namespaces is created (not timed) and a DynaKube (cloudNativeFullStack + trustedCAs:
 * two replicas per namespace) selects exactly that set; the namespaces of earlier sizes stay in the cluster and are
 * looked at but not matched, as on a real cluster. The phase reads namespaces and replicas from informers, as the
 * operator does. Printed per size:
 * - converge: the first reconcile (labels, sources, every replica), then a LIST proves every replica exists;
 * - writes: apiserver write requests of that reconcile, by request;
 * - steady: a second reconcile once the informers caught up: its time and its writes (goal 0);
 * - rss: the process's resident memory afterwards (this process also holds the simulator and the informers).
 */
import { Duration, Effect, Layer, Logger, Redacted, References } from "effect"
import { parseArgs } from "node:util"
import { startControlPlane } from "../e2e/controlplane/ControlPlane.ts"
import { clientFor } from "../e2e/tenant-simulator/ClientForSimulator.ts"
import { startTenantSimulator } from "../e2e/tenant-simulator/TenantSimulator.ts"
import * as Injection from "../src/programs/operator/dynakube/injection/Injection.ts"
import type { Namespace } from "../src/programs/operator/dynakube/injection/NamespaceMapping.ts"
import * as Replicas from "../src/programs/operator/dynakube/injection/Replicas.ts"
import type * as Conditions from "../src/programs/operator/runtime/Conditions.ts"
import * as ObjectSync from "../src/programs/operator/runtime/ObjectSync.ts"
import type { DynaKube } from "../src/schemas/DynaKubeV1beta6.ts"
import { KubeClient } from "../src/services/KubeClient.ts"
import * as Informer from "../src/services/kube/Informer.ts"
import * as RequestCounter from "../src/services/kube/RequestCounter.ts"
import * as Resources from "../src/services/kube/Resources.ts"

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100,1000,2500" },
    concurrency: { type: "string", default: String(Injection.defaultConcurrency) },
    kubeconfig: { type: "string" }
  }
})
const sizes = values.sizes.split(",").map((s) => Number(s.trim()))
const concurrency = Number(values.concurrency)
const goalMs = 30_000
const operatorNamespace = "dynatrace"
const trustedPem = "-----BEGIN CERTIFICATE-----\nMIIBbench\n-----END CERTIFICATE-----\n"

interface Row {
  readonly size: number
  readonly convergeMs: number
  readonly writes: RequestCounter.RequestStats
  readonly steadyMs: number
  readonly steadyWrites: number
  readonly rssMb: number
}

/** The write requests of a diff, by request (reads left out). */
const writeRequests = (stats: RequestCounter.RequestStats) =>
  Object.fromEntries(
    Object.entries(stats.byRequest).filter(([request]) =>
      RequestCounter.writeVerbs.has(request.split(" ")[0] as RequestCounter.Verb)
    )
  )

const waitUntil = <R>(what: string, check: Effect.Effect<boolean, never, R>, timeoutMs = 120_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting until ${what}`))
      yield* Effect.sleep(Duration.millis(100))
    }
  })

const program = (simUrl: string, tokens: { api: string; ingest: string }, sim: Parameters<typeof clientFor>[0]) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    yield* kube
      .create(Resources.Namespace, { metadata: { name: operatorNamespace } })
      .pipe(Effect.catchReason("KubeApiError", "AlreadyExists", () => Effect.void))
    const namespaces = yield* Informer.make<Namespace>(Resources.Namespace)
    const replicaInformer = yield* Replicas.makeInformer()
    yield* Effect.all([namespaces.awaitSynced, replicaInformer.awaitSynced], { discard: true })
    const store = Replicas.fromInformer(replicaInformer)
    const tenant = yield* clientFor(sim)
    const connectionInfo = yield* tenant.oneAgentConnectionInfo
    const rows: Array<Row> = []

    for (const size of sizes) {
      const set = `n${size}`
      const names = Array.from({ length: size }, (_, i) => `bench-${set}-${String(i).padStart(4, "0")}`)
      yield* Effect.forEach(
        names,
        (name) =>
          kube
            .create(Resources.Namespace, { metadata: { name, labels: { "bench-set": set } } })
            .pipe(Effect.catchReason("KubeApiError", "AlreadyExists", () => Effect.void)),
        { concurrency: 32, discard: true }
      )
      yield* waitUntil(
        `the informer holds the ${size} new namespaces`,
        Effect.map(
          namespaces.list(),
          (all) => all.filter((ns) => ns.metadata?.labels?.["bench-set"] === set).length === size
        )
      )

      const name = `dk-${set}`
      const dk: DynaKube = {
        apiVersion: "dynatrace.com/v1beta6",
        kind: "DynaKube",
        metadata: { name, namespace: operatorNamespace },
        spec: {
          apiUrl: simUrl,
          trustedCAs: "cas",
          oneAgent: { cloudNativeFullStack: { namespaceSelector: { matchLabels: { "bench-set": set } } } }
        }
      }
      let conditions: ReadonlyArray<Conditions.Condition> = []
      const reconcile = Effect.gen(function* () {
        const result = yield* Injection.reconcileInjection({
          dynakube: dk,
          allDynaKubes: [dk],
          namespaces: yield* namespaces.list(),
          operatorNamespace,
          operatorVersion: "bench",
          tenant,
          tokens: { apiToken: Redacted.make(tokens.api), dataIngestToken: Redacted.make(tokens.ingest) },
          connectionInfo,
          kubeSystemUUID: "bench-cluster",
          csiDriver: true,
          settingsRead: true,
          trustedCAs: trustedPem,
          read: ObjectSync.readWithGet,
          replicas: store,
          conditions,
          now: Date.now(),
          concurrency
        })
        conditions = Injection.applyConditions(conditions, result, { now: Date.now() })
        if (result.errors.length > 0) {
          return yield* Effect.die(new Error(`reconcile failed: ${result.errors.map((e) => e.message).join("; ")}`))
        }
        return result
      })

      const before = yield* kube.requestStats
      const started = performance.now()
      const first = yield* reconcile
      const present = yield* kube.listAll<Replicas.Secret>(Resources.Secret, {
        labelSelector: `app.kubernetes.io/created-by=${name}`
      })
      const convergeMs = performance.now() - started
      const writes = RequestCounter.diff(yield* kube.requestStats, before)
      const replicas = present.items.filter((s) => Replicas.replicaNames.has(s.metadata?.name ?? "")).length
      if (first.mapped.length !== size || replicas !== 2 * size) {
        return yield* Effect.die(new Error(`size ${size}: ${first.mapped.length} mapped, ${replicas} replicas`))
      }

      // The steady state: once the informers saw the writes, a reconcile changes nothing.
      yield* waitUntil(
        "the informers caught up",
        Effect.gen(function* () {
          const labelled = (yield* namespaces.list()).filter(
            (ns) => ns.metadata?.labels?.["dynakube.internal.dynatrace.com/instance"] === name
          ).length
          return labelled === size && (yield* store.list(name).pipe(Effect.orDie)).length === 2 * size
        })
      )
      const steadyBefore = yield* kube.requestStats
      const steadyStarted = performance.now()
      yield* reconcile
      const steadyMs = performance.now() - steadyStarted
      const steadyWrites = RequestCounter.diff(yield* kube.requestStats, steadyBefore).writes
      const row: Row = {
        size,
        convergeMs,
        writes,
        steadyMs,
        steadyWrites,
        rssMb: process.memoryUsage().rss / 1024 / 1024
      }
      rows.push(row)
      console.log(
        `${String(size).padStart(5)} namespaces: converged in ${(convergeMs / 1000).toFixed(2)} s, ` +
          `${writes.writes} writes ${JSON.stringify(writeRequests(writes))}; steady run ${steadyMs.toFixed(0)} ms with ` +
          `${steadyWrites} writes; rss ${row.rssMb.toFixed(0)} MB`
      )
    }
    return rows
  })

const main = async () => {
  const plane =
    values.kubeconfig === undefined
      ? await startControlPlane({ controllerManager: false, scheduler: false, kwok: false })
      : undefined
  const sim = await startTenantSimulator()
  try {
    const kubeconfig = values.kubeconfig ?? plane!.kubeconfigPath
    console.log(
      `Injection benchmark: sizes ${sizes.join(", ")}, concurrency ${concurrency}, ` +
        `${plane === undefined ? `cluster of ${kubeconfig}` : "private control plane (etcd + kube-apiserver)"}`
    )
    const rows = await Effect.runPromise(
      program(sim.url, { api: sim.apiToken, ingest: sim.dataIngestToken }, sim).pipe(
        Effect.scoped,
        Effect.provide(
          Layer.mergeAll(
            KubeClient.layerFromFile(kubeconfig),
            Logger.layer([Logger.consoleJson]),
            Layer.succeed(References.MinimumLogLevel, "Warn")
          )
        )
      )
    )
    console.log("\nsize    converge  writes  per-ns-ms  steady  steady-writes  rss")
    for (const r of rows) {
      console.log(
        `${String(r.size).padEnd(7)} ${(r.convergeMs / 1000).toFixed(2).padStart(6)} s ${String(r.writes.writes).padStart(7)} ` +
          `${(r.convergeMs / r.size).toFixed(2).padStart(10)} ${(r.steadyMs / 1000).toFixed(2).padStart(6)} s ` +
          `${String(r.steadyWrites).padStart(13)} ${r.rssMb.toFixed(0).padStart(4)} MB`
      )
    }
    const thousand = rows.find((r) => r.size === 1000)
    if (thousand !== undefined) {
      const met = thousand.convergeMs < goalMs
      console.log(
        `1,000 namespaces converged in ${(thousand.convergeMs / 1000).toFixed(2)} s (goal < 30 s: ${met ? "met" : "NOT met"})`
      )
      if (!met) process.exitCode = 1
    }
    if (rows.some((r) => r.steadyWrites !== 0)) {
      console.log("A steady-state run made writes (goal 0): NOT met")
      process.exitCode = 1
    }
  } finally {
    await sim.close()
    await plane?.stop()
  }
}

await main()
