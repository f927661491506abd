/**
 * Benchmark: the whole operator (`node src/main.ts operator`, a child process, as in a pod) on a private control
 * plane (etcd, kube-apiserver, kube-controller-manager, kwok), with the tenant simulator in this process.
 *
 *   node bench/operator.bench.ts [--sizes 100,1000,2500] [--pods 5000] [--nodes 50]
 *        [--node-options "--max-semi-space-size=4 --max-old-space-size=192"] [--node-args "--trace-gc"] [--malloc-arena-max 2] [--from-sources]
 *        [--missed-injection off|report|restart]   (the opt-in controller's cost: a cluster-wide slim pod cache)
 *
 * `--node-options` is the operator's NODE_OPTIONS, by default the recommended
 * `--max-semi-space-size=4 --max-old-space-size=192` (see docs/operator.md: with Node 24's defaults the heap that grew
 * during a burst of work stays resident); pass `--node-options ""` to measure Node's defaults.
 *
 * Per size N (namespaces accumulate: the cluster holds 100, then 1,000, then 2,500): a DynaKube
 * (cloudNativeFullStack + trustedCAs, so two replicated secrets per namespace) whose namespaceSelector picks exactly
 * the N newest-generation namespaces is created, and the clock runs until every selected namespace carries the
 * instance label and both replicated secrets (checked with LISTs by the benchmark, not by the operator). Then the
 * DynaKube is deleted and the benchmark waits until the operator unmapped everything, so the next size starts clean.
 * Printed per size: time to converge, the operator's RSS and CPU seconds after convergence, its reconciles (from
 * its /metrics).
 *
 * The operator runs from the production bundle (`npm run build`, done here first); `--from-sources` runs
 * `src/main.ts` instead, which costs more memory (every module of every dependency barrel is loaded).
 *
 * Then kwok pods (`--pods`, bare pods bound to `--nodes` fake nodes, in the 2,500 namespaces) are added, a DynaKube
 * selecting all 2,500 namespaces is created, and the operator's RSS is read once it converged and again after 30 s
 * of steady state. Goals: 1,000 namespaces converge in under 30 s; RSS under 200 MB with 2,500 namespaces and
 * 5,000 pods.
 */
import { Effect, Layer, Logger, References, Schedule } from "effect"
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { createFakeNode, freePorts, startControlPlane } from "../e2e/controlplane/ControlPlane.ts"
import { startTenantSimulator } from "../e2e/tenant-simulator/TenantSimulator.ts"
import { makeTestCertificates } from "../e2e/tenant-simulator/TestCertificates.ts"
import { dynaKubeCrd } from "../src/schemas/Crds.ts"
import { KubeClient } from "../src/services/KubeClient.ts"
import type { KubeObject } from "../src/services/kube/KubeObject.ts"
import * as Resources from "../src/services/kube/Resources.ts"
import { startOperatorProcess } from "../src/programs/operator/testkit/OperatorTestKit.ts"

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100,1000,2500" },
    pods: { type: "string", default: "5000" },
    nodes: { type: "string", default: "50" },
    "from-sources": { type: "boolean", default: false },
    "node-options": { type: "string", default: "--max-semi-space-size=4 --max-old-space-size=192" },
    "malloc-arena-max": { type: "string", default: "" },
    "node-args": { type: "string", default: "" },
    "missed-injection": { type: "string", default: "off" }
  }
})
/** The production image runs the esbuild bundle; `--from-sources` runs `src/main.ts` with type stripping. */
const entry = values["from-sources"] ? "src/main.ts" : "dist/main.js"
const sizes = values.sizes.split(",").map((s) => Number(s.trim()))
const podCount = Number(values.pods)
const nodeCount = Number(values.nodes)
const operatorNamespace = "dynatrace"
const instanceLabel = "dynakube.internal.dynatrace.com/instance"

const sleep = (ms: number) => Effect.sleep(`${ms} millis`)

/** VmRSS of a process in MB, and its user+system CPU seconds. */
const usage = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0")
  const anonKb = Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? "0")
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
  const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0)
  return { rssMb: rssKb / 1024, anonMb: anonKb / 1024, cpuSeconds: ticks / 100 }
}

const waitUntil = <R>(what: string, check: Effect.Effect<boolean, unknown, R>, timeoutMs: number) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (yield* check.pipe(Effect.orElseSucceed(() => false))) return
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting until ${what}`))
      yield* sleep(250)
    }
  })

const reconcileCount = (metricsPort: number) =>
  Effect.promise(async () => {
    const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
      (r) => r.text(),
      () => ""
    )
    let total = 0
    for (const match of text.matchAll(
      /^controller_runtime_reconcile_total\{[^}]*controller="dynakube-controller"[^}]*\} (\d+)/gm
    )) {
      total += Number(match[1])
    }
    return total
  })

/** The operator's memory figures from its /metrics (MB). */
const memoryMb = (metricsPort: number) =>
  Effect.promise(async () => {
    const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
      (r) => r.text(),
      () => ""
    )
    const mb = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, "m").exec(text)?.[1] ?? "0") / 1024 / 1024
    return `heap ${mb("nodejs_heap_size_used_bytes").toFixed(0)}/${mb("nodejs_heap_size_total_bytes").toFixed(0)} MB, external ${mb("nodejs_external_memory_bytes").toFixed(0)} MB`
  })

/** The operator's V8 heap in use, from its /metrics (MB). */
const heapUsedMb = (metricsPort: number) =>
  Effect.promise(async () => {
    const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
      (r) => r.text(),
      () => ""
    )
    const mb = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, "m").exec(text)?.[1] ?? "0") / 1024 / 1024
    return mb("nodejs_heap_size_used_bytes")
  })

const program = (
  simUrl: string,
  apiToken: string,
  dataIngestToken: string,
  kubeconfigPath: string,
  trustedPem: string
) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const b64 = (s: string) => Buffer.from(s).toString("base64")
    yield* kube.apply(Resources.CustomResourceDefinition, dynaKubeCrd({ conversion: "None" }) as KubeObject, {
      force: true
    })
    yield* waitUntil(
      "the CRD is served",
      kube.list(Resources.DynaKube, { namespace: "default", limit: 1 }).pipe(Effect.as(true)),
      60_000
    )
    yield* kube.create(Resources.Namespace, { metadata: { name: operatorNamespace } })
    yield* kube.create(Resources.Secret, {
      metadata: { name: "tokens", namespace: operatorNamespace },
      data: { apiToken: b64(apiToken), dataIngestToken: b64(dataIngestToken) }
    } as KubeObject)
    yield* kube.create(Resources.ConfigMap, {
      metadata: { name: "cas", namespace: operatorNamespace },
      data: { certs: trustedPem }
    } as KubeObject)

    const [metrics = 0, health = 0] = yield* Effect.promise(() => freePorts(2))
    const operator = startOperatorProcess(
      {
        KUBECONFIG: kubeconfigPath,
        POD_NAMESPACE: operatorNamespace,
        POD_NAME: "bench-operator",
        METRICS_BIND_ADDRESS: `127.0.0.1:${metrics}`,
        HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${health}`,
        DT_HOST_AVAILABILITY_DETECTION: "false",
        DT_MISSED_INJECTION: values["missed-injection"],
        LOG_LEVEL: "Warn",
        ...(values["node-options"] === "" ? {} : { NODE_OPTIONS: values["node-options"] }),
        ...(values["malloc-arena-max"] === "" ? {} : { MALLOC_ARENA_MAX: values["malloc-arena-max"] })
      },
      "bench-operator",
      entry,
      values["node-args"] === "" ? [] : values["node-args"].split(" ")
    )
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        operator.kill("SIGTERM")
        await operator.exited
      })
    )
    const pid = operator.child.pid ?? 0
    yield* waitUntil(
      "the operator is ready",
      Effect.promise(() =>
        fetch(`http://127.0.0.1:${health}/readyz`).then(
          (r) => r.status === 200,
          () => false
        )
      ),
      60_000
    )
    const idle = usage(pid)
    console.log(`operator idle: rss ${idle.rssMb.toFixed(0)} MB, cpu ${idle.cpuSeconds.toFixed(1)} s`)

    /** Creates namespaces up to `total`, each labelled with every size group it belongs to. */
    let created = 0
    const growNamespaces = (total: number) =>
      Effect.gen(function* () {
        const names = Array.from({ length: total - created }, (_, i) => created + i)
        yield* Effect.forEach(
          names,
          (i) =>
            kube.create(Resources.Namespace, {
              metadata: {
                name: `bench-${String(i).padStart(4, "0")}`,
                labels: Object.fromEntries(sizes.filter((s) => i < s).map((s) => [`bench-g${s}`, "true"]))
              }
            }),
          { concurrency: 32, discard: true }
        )
        created = total
      })

    const replicasOf = (dk: string) =>
      Effect.map(
        kube.listAll<KubeObject>(Resources.Secret, { labelSelector: `app.kubernetes.io/created-by=${dk}` }),
        (list) =>
          list.items.filter(
            (s) =>
              (s.metadata?.name ?? "").startsWith("dynatrace-bootstrapper-") &&
              s.metadata?.namespace !== operatorNamespace
          ).length
      )
    const labelledFor = (dk: string) =>
      Effect.map(
        kube.listAll<KubeObject>(Resources.Namespace, { labelSelector: `${instanceLabel}=${dk}` }),
        (l) => l.items.length
      )

    const createDynaKube = (name: string, group: string) =>
      kube.create(Resources.DynaKube, {
        apiVersion: "dynatrace.com/v1beta6",
        kind: "DynaKube",
        metadata: { name, namespace: operatorNamespace },
        spec: {
          apiUrl: simUrl,
          tokens: "tokens",
          trustedCAs: "cas",
          oneAgent: { cloudNativeFullStack: { namespaceSelector: { matchLabels: { [group]: "true" } } } }
        }
      } as KubeObject)

    const converge = (name: string, group: string, size: number) =>
      Effect.gen(function* () {
        const reconcilesBefore = yield* reconcileCount(metrics)
        const cpuBefore = usage(pid).cpuSeconds
        const started = performance.now()
        yield* createDynaKube(name, group)
        yield* waitUntil(
          `${size} namespaces carry the label and both replicas`,
          Effect.gen(function* () {
            return (yield* labelledFor(name)) === size && (yield* replicasOf(name)) === 2 * size
          }),
          600_000
        )
        const seconds = (performance.now() - started) / 1000
        const after = usage(pid)
        yield* sleep(6000) // one heap sample after convergence
        return {
          seconds,
          heapMb: yield* heapUsedMb(metrics),
          rssMb: after.rssMb,
          cpuSeconds: after.cpuSeconds - cpuBefore,
          reconciles: (yield* reconcileCount(metrics)) - reconcilesBefore
        }
      })

    const remove = (name: string) =>
      Effect.gen(function* () {
        yield* kube.delete(Resources.DynaKube, name, { namespace: operatorNamespace })
        yield* waitUntil(
          `the namespaces of ${name} are unmapped`,
          Effect.gen(function* () {
            return (yield* labelledFor(name)) === 0 && (yield* replicasOf(name)) === 0
          }),
          600_000
        )
      })

    const rows: Array<string> = []
    for (const size of sizes) {
      const startedCreate = performance.now()
      yield* growNamespaces(size)
      const createSeconds = (performance.now() - startedCreate) / 1000
      const name = `dk-${size}`
      const r = yield* converge(name, `bench-g${size}`, size)
      const line =
        `${String(size).padStart(5)} namespaces (cluster ${created}, created in ${createSeconds.toFixed(1)} s): ` +
        `converged in ${r.seconds.toFixed(2)} s${size === 1000 ? (r.seconds < 30 ? " (goal < 30 s: met)" : " (goal < 30 s: MISSED)") : ""}, ` +
        `${r.reconciles} reconciles, operator cpu ${r.cpuSeconds.toFixed(1)} s, rss ${r.rssMb.toFixed(0)} MB (heap in use ${r.heapMb.toFixed(0)} MB)`
      console.log(line)
      rows.push(line)
      const startedRemove = performance.now()
      yield* remove(name)
      console.log(`      unmapped again in ${((performance.now() - startedRemove) / 1000).toFixed(1)} s`)
    }

    // 5,000 kwok pods across the namespaces, then a DynaKube over all of them.
    const kubeconfig = { kubeconfigPath }
    const nodes = Array.from({ length: nodeCount }, (_, i) => `bench-node-${i}`)
    yield* Effect.forEach(nodes, (n) => Effect.promise(() => createFakeNode(kubeconfig, n, { waitReady: false })), {
      concurrency: 8,
      discard: true
    })
    const startedPods = performance.now()
    yield* Effect.forEach(
      Array.from({ length: podCount }, (_, i) => i),
      (i) =>
        kube
          .create(Resources.Pod, {
            metadata: {
              name: `pod-${i}`,
              namespace: `bench-${String(i % created).padStart(4, "0")}`,
              labels: { app: "bench" }
            },
            spec: {
              nodeName: nodes[i % nodes.length],
              containers: [{ name: "app", image: "registry.example/app:1" }],
              tolerations: [{ operator: "Exists" }]
            }
          } as KubeObject)
          .pipe(
            // The controller manager creates each namespace's default ServiceAccount a little later.
            Effect.retry({
              while: (e) => e.reason._tag === "Forbidden",
              schedule: Schedule.spaced("1 second"),
              times: 60
            })
          ),
      { concurrency: 32, discard: true }
    )
    console.log(
      `${podCount} kwok pods on ${nodeCount} nodes created in ${((performance.now() - startedPods) / 1000).toFixed(1)} s`
    )
    const all = sizes.at(-1) ?? created
    const big = yield* converge("dk-all", `bench-g${all}`, all)
    console.log(
      `${all} namespaces + ${podCount} pods: converged in ${big.seconds.toFixed(2)} s, rss ${big.rssMb.toFixed(0)} MB`
    )
    yield* sleep(30_000)
    const steady = usage(pid)
    const reconcilesSteady = yield* reconcileCount(metrics)
    console.log(
      `after 30 s of steady state: rss ${steady.rssMb.toFixed(0)} MB (anonymous ${steady.anonMb.toFixed(0)} MB, ${yield* memoryMb(metrics)})${steady.rssMb < 200 ? " (goal < 200 MB: met)" : " (goal < 200 MB: MISSED)"}, ` +
        `total operator cpu ${steady.cpuSeconds.toFixed(1)} s, dynakube reconciles so far ${reconcilesSteady}`
    )
  })

const main = async () => {
  if (entry === "dist/main.js") {
    const build = spawnSync(process.execPath, ["scripts/bundle.ts"], { stdio: "inherit" })
    if (build.status !== 0) throw new Error("npm run build failed")
  }
  const started = Date.now()
  const plane = await startControlPlane({ controllerManager: true, scheduler: false, kwok: true })
  const sim = await startTenantSimulator()
  try {
    console.log(
      `Operator benchmark (${entry}): sizes ${sizes.join(", ")}, ${podCount} pods on ${nodeCount} kwok nodes; private control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s`
    )
    await Effect.runPromise(
      Effect.scoped(
        program(sim.url, sim.apiToken, sim.dataIngestToken, plane.kubeconfigPath, (await makeTestCertificates()).caPem)
      ).pipe(
        Effect.provide(
          Layer.mergeAll(
            KubeClient.layerFromFile(plane.kubeconfigPath),
            Logger.layer([Logger.consoleJson]),
            Layer.succeed(References.MinimumLogLevel, "Warn")
          )
        )
      )
    )
  } finally {
    await sim.close()
    await plane.stop()
  }
}

await main()
