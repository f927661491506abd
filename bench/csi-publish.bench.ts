/**
 * Benchmark: NodePublishVolume latency (mode app, cached code module, real overlayfs mounts) under N concurrent
 * publishes over the real unix socket. Goal: p99 < 50 ms at 200 concurrent publishes.
 *
 *   node bench/csi-publish.bench.ts [--concurrency 200] [--rounds 3] [--server process|inline]
 *                                   [--backend syscall|command]   (the back end applies to --server inline)
 *
 * Each round publishes N distinct volumes at once (as N pods starting together on one node), then unpublishes
 * them at once. Two server settings are measured:
 * - `limit=N`: every call admitted; the latency of each publish from send to answer.
 * - `limit=20` (the default GRPC_MAX_REQUESTS_LIMIT): calls over the limit get ResourceExhausted at once; the
 *   client retries them after 10 ms like a (much less patient) kubelet. Reported: latency of admitted calls and
 *   time until each volume is published.
 * Needs root (real mounts). Prints p50/p90/p99/max in milliseconds.
 */
import * as grpc from "@grpc/grpc-js"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { parseArgs } from "node:util"
import * as CsiClient from "../src/csi/CsiClient.ts"
import * as NodeFs from "../src/services/NodeFs.ts"
import * as CsiFixture from "../src/csi/CsiFixture.ts"

const { values } = parseArgs({
  options: {
    concurrency: { type: "string", default: "200" },
    rounds: { type: "string", default: "3" },
    backend: { type: "string", default: "syscall" },
    server: { type: "string", default: "process" }
  }
})
const concurrency = Number(values.concurrency)
const rounds = Number(values.rounds)
const nodeFs = values.backend === "command" ? NodeFs.layerCommand : NodeFs.layerSyscall

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
const f = (n: number) => n.toFixed(1)
const report = (label: string, samples: ReadonlyArray<number>) => {
  const sorted = samples.toSorted((a, b) => a - b)
  console.log(
    `${label.padEnd(44)} n=${String(sorted.length).padStart(4)}  p50=${f(percentile(sorted, 50))}  p90=${f(percentile(sorted, 90))}  p99=${f(percentile(sorted, 99))}  max=${f(sorted.at(-1) ?? Number.NaN)} ms`
  )
}

const pod = (i: number) => ({
  name: `bench-pod-${i}`,
  namespace: "bench",
  uid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`
})

type Server = Pick<
  CsiFixture.Fixture,
  "client" | "addCodeModule" | "setLatest" | "targetFor" | "mountsUnderRoot" | "stop"
>

/**
 * `csi-server` as its own process, as on a node (the kubelet is another process): client-side work of the
 * benchmark does not compete with the server's event loop. The layout helpers come from an in-process fixture
 * whose own server is left idle.
 */
const startServerProcess = async (maxInFlight: number): Promise<Server> => {
  const layout = await CsiFixture.start({ nodeFs })
  const socket = `${layout.root}/server.sock`
  const child = spawn(
    process.execPath,
    [
      "src/main.ts",
      "csi-server",
      `--endpoint=unix://${socket}`,
      "--node-id=bench",
      `--data-dir=${layout.dataDir.root}`,
      `--kubelet-dir=${layout.kubeletDir}`,
      `--max-requests=${maxInFlight}`,
      "--metrics-bind-address=0"
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, LOG_LEVEL: "Warn" } }
  )
  const exited = new Promise((resolve) => child.on("exit", resolve))
  for (let i = 0; i < 200 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50))
  if (!fs.existsSync(socket)) throw new Error("csi-server did not start")
  const client = CsiClient.connect(`unix://${socket}`)
  return {
    ...layout,
    client,
    stop: async () => {
      client.close()
      child.kill("SIGTERM")
      await exited
      await layout.stop()
    }
  }
}

const run = async (maxInFlight: number) => {
  const fixture: Server =
    values.server === "inline" ? await CsiFixture.start({ nodeFs, maxInFlight }) : await startServerProcess(maxInFlight)
  try {
    fixture.addCodeModule("1.299.0", {
      "agent/lib64/liboneagentproc.so": "x".repeat(64 * 1024),
      "agent/conf/ruxitagentproc.conf": "[general]\n"
    })
    fixture.setLatest("dynakube", "1.299.0")
    const callLatency: Array<number> = []
    const untilPublished: Array<number> = []
    const unpublishLatency: Array<number> = []
    let rejected = 0
    for (let round = 0; round < rounds; round++) {
      const requests = Array.from({ length: concurrency }, (_, i) => ({
        volume_id: `csi-bench-${round}-${i}`,
        target_path: fixture.targetFor(pod(i).uid, `vol-${round}`),
        volume_capability: CsiFixture.mountCapability,
        readonly: true,
        volume_context: CsiFixture.appVolumeContext(pod(i), "dynakube")
      }))
      await Promise.all(
        requests.map(async (request) => {
          const start = performance.now()
          for (;;) {
            const sent = performance.now()
            const outcome = await fixture.client.nodePublishVolume(request).then(
              () => "ok" as const,
              (e: grpc.ServiceError) => e
            )
            if (outcome === "ok") {
              callLatency.push(performance.now() - sent)
              untilPublished.push(performance.now() - start)
              return
            }
            if (outcome.code !== grpc.status.RESOURCE_EXHAUSTED) throw outcome
            rejected++
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        })
      )
      const mounted = fixture.mountsUnderRoot().length
      if (mounted !== concurrency) throw new Error(`expected ${concurrency} mounts, found ${mounted}`)
      await Promise.all(
        requests.map(async (request) => {
          for (;;) {
            const sent = performance.now()
            const outcome = await fixture.client
              .nodeUnpublishVolume({ volume_id: request.volume_id, target_path: request.target_path })
              .then(
                () => "ok" as const,
                (e: grpc.ServiceError) => e
              )
            if (outcome === "ok") return void unpublishLatency.push(performance.now() - sent)
            if (outcome.code !== grpc.status.RESOURCE_EXHAUSTED) throw outcome
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        })
      )
    }
    return { callLatency, untilPublished, unpublishLatency, rejected }
  } finally {
    await fixture.stop()
  }
}

/**
 * The kernel's share: N overlay mounts through the same NodeFs back end, one after another, with nothing else
 * (no gRPC, no validation, no bookkeeping). Mounts serialise in the kernel (namespace lock), so the time until the
 * N-th is mounted is a floor for the slowest of N concurrent publishes.
 */
const kernelFloor = async () => {
  const fixture = await CsiFixture.start({ nodeFs })
  try {
    const lower = fixture.addCodeModule("1.299.0", { "agent/x": "x" })
    const { Effect } = await import("effect")
    const mounter = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          return yield* NodeFs.NodeFs
        }).pipe(Effect.provide(nodeFs))
      )
    )
    const start = performance.now()
    for (let i = 0; i < concurrency; i++) {
      const base = `${fixture.root}/floor/${i}`
      for (const dir of ["upper", "work", "target"]) fs.mkdirSync(`${base}/${dir}`, { recursive: true })
      await Effect.runPromise(
        mounter.mountOverlay({ lower, upper: `${base}/upper`, work: `${base}/work`, target: `${base}/target` })
      )
    }
    return performance.now() - start
  } finally {
    await fixture.stop()
  }
}

const main = async () => {
  if (process.getuid?.() !== 0) throw new Error("the CSI publish benchmark mounts overlayfs: run it as root")
  console.log(
    `NodePublishVolume, mode app, cached module, ${concurrency} concurrent, ${rounds} rounds, ` +
      (values.server === "inline" ? `server in this process, ${values.backend} mounts` : "server in its own process")
  )
  const all = await run(concurrency)
  report(`limit=${concurrency}: publish latency`, all.callLatency)
  report(`limit=${concurrency}: unpublish latency`, all.unpublishLatency)
  const limited = await run(20)
  report("limit=20: admitted publish latency", limited.callLatency)
  report("limit=20: time until published (with retries)", limited.untilPublished)
  console.log(`limit=20: ${limited.rejected} ResourceExhausted answers, retried after 10 ms`)
  const floor = await kernelFloor()
  console.log(
    `kernel floor: ${concurrency} overlay mounts one after another took ${floor.toFixed(1)} ms (the slowest of ${concurrency} concurrent publishes cannot beat this)`
  )
  const p99 = percentile(
    all.callLatency.toSorted((a, b) => a - b),
    99
  )
  console.log(`goal p99 < 50 ms at limit=${concurrency}: ${p99 < 50 ? "met" : "missed"} (${p99.toFixed(1)} ms)`)
}

await main()
