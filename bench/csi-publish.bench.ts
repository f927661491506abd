/**
 * Benchmark: NodePublishVolume latency (mode app, cached code module, real overlayfs mounts) under N concurrent
 * publishes over the real unix socket. Goal: p99 < 50 ms at 200 concurrent publishes.
 *
 *   node bench/csi-publish.bench.ts [--concurrency 200] [--rounds 3] [--warmup 1] [--server process|inline]
 *                                   [--backend syscall|command]   (the back end applies to --server inline)
 *                                   [--threadpool N]              (UV_THREADPOOL_SIZE of the server process)
 *
 * Each round publishes N distinct volumes at once (as N pods starting together on one node), then unpublishes
 * them at once. As the kubelet does, the parent directory of every target exists before the call. `--warmup`
 * rounds run first and are not measured: a driver on a node has long been running (JIT-compiled) when pods
 * arrive. Two server settings are measured:
 * - `limit=N`: every call admitted; the latency of each publish from send to answer.
 * - `limit=20` (the default GRPC_MAX_REQUESTS_LIMIT): calls over the limit get ResourceExhausted at once; the
 *   client retries them after 10 ms like a (much less patient) kubelet. Reported: latency of admitted calls and
 *   time until each volume is published.
 * With the server in its own process, the CPU time it used per publish round (user and system) is printed too:
 * on a shared machine it is steadier than the latencies.
 *
 * The kernel floor: N bare overlay mounts through the same NodeFs back end (no gRPC, no validation, no
 * bookkeeping), in a fresh directory once earlier clean-up has settled, one after another and all at once
 * (median of 3 each). Mounts serialise in the kernel, so the concurrent figure is the floor for the slowest of
 * N concurrent publishes.
 *
 * Needs root (real mounts). Everything lives under $TMPDIR; its file-system type is printed because it matters
 * (docs/csi.md §Benchmark). Prints p50/p90/p99/max in milliseconds.
 */
import * as grpc from "@grpc/grpc-js"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import * as CsiClient from "../src/csi/CsiClient.ts"
import * as NodeFs from "../src/services/NodeFs.ts"
import * as CsiFixture from "../src/csi/CsiFixture.ts"

const { values } = parseArgs({
  options: {
    concurrency: { type: "string", default: "200" },
    rounds: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    threadpool: { type: "string" },
    backend: { type: "string", default: "syscall" },
    server: { type: "string", default: "process" }
  }
})
const concurrency = Number(values.concurrency)
const rounds = Number(values.rounds)
const warmup = Number(values.warmup)
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
  "root" | "client" | "addCodeModule" | "setLatest" | "targetFor" | "mountsUnderRoot" | "stop"
> & {
  /** CPU time (user, system) the server process has used so far, in ms; `undefined` for an in-process server. */
  readonly cpu: () => { readonly user: number; readonly system: number } | undefined
}

/** utime and stime of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms). */
const processCpu = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 }
}

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
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        LOG_LEVEL: "Warn",
        ...(values.threadpool === undefined ? {} : { UV_THREADPOOL_SIZE: values.threadpool })
      }
    }
  )
  const exited = new Promise((resolve) => child.on("exit", resolve))
  for (let i = 0; i < 200 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50))
  if (!fs.existsSync(socket)) throw new Error("csi-server did not start")
  const client = CsiClient.connect(`unix://${socket}`)
  const pid = child.pid
  return {
    ...layout,
    client,
    cpu: () => (pid === undefined ? undefined : processCpu(pid)),
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
    values.server === "inline"
      ? { ...(await CsiFixture.start({ nodeFs, maxInFlight })), cpu: () => undefined }
      : await startServerProcess(maxInFlight)
  try {
    fixture.addCodeModule("1.299.0", {
      "agent/lib64/liboneagentproc.so": "x".repeat(64 * 1024),
      "agent/conf/ruxitagentproc.conf": "[general]\n"
    })
    fixture.setLatest("dynakube", "1.299.0")
    const callLatency: Array<number> = []
    const untilPublished: Array<number> = []
    const unpublishLatency: Array<number> = []
    const cpuPerRound: Array<{ readonly user: number; readonly system: number }> = []
    let rejected = 0
    for (let round = -warmup; round < rounds; round++) {
      const measured = round >= 0
      const requests = Array.from({ length: concurrency }, (_, i) => ({
        volume_id: `csi-bench-${round + warmup}-${i}`,
        target_path: fixture.targetFor(pod(i).uid, `vol-${round + warmup}`),
        volume_capability: CsiFixture.mountCapability,
        readonly: true,
        volume_context: CsiFixture.appVolumeContext(pod(i), "dynakube")
      }))
      // The kubelet creates the target's parent directory (and writes vol_data.json there) before it calls.
      for (const request of requests) fs.mkdirSync(path.dirname(request.target_path), { recursive: true })
      const cpuBefore = fixture.cpu()
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
              if (measured) {
                callLatency.push(performance.now() - sent)
                untilPublished.push(performance.now() - start)
              }
              return
            }
            if (outcome.code !== grpc.status.RESOURCE_EXHAUSTED) throw outcome
            if (measured) rejected++
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        })
      )
      const cpuAfter = fixture.cpu()
      if (measured && cpuBefore !== undefined && cpuAfter !== undefined) {
        cpuPerRound.push({ user: cpuAfter.user - cpuBefore.user, system: cpuAfter.system - cpuBefore.system })
      }
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
            if (outcome === "ok") return void (measured && unpublishLatency.push(performance.now() - sent))
            if (outcome.code !== grpc.status.RESOURCE_EXHAUSTED) throw outcome
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        })
      )
    }
    return { callLatency, untilPublished, unpublishLatency, rejected, cpuPerRound }
  } finally {
    await fixture.stop()
  }
}

const median = (xs: ReadonlyArray<number>) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

/**
 * The kernel's share: N overlay mounts through the same NodeFs back end with nothing else (no gRPC, no
 * validation, no bookkeeping), in a fresh directory whose sub-directories exist before the clock starts.
 * Measured one after another and all at once (NodeFs still admits one mount at a time, but the next is queued
 * the moment the previous returns), 3 times each, alternating, after a pause for earlier lazy unmounts and
 * deletions to settle; every mount is undone (and awaited) before the next repetition.
 */
const kernelFloor = async () => {
  await new Promise((resolve) => setTimeout(resolve, 2000))
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
    const sequential: Array<number> = []
    const concurrent: Array<number> = []
    for (let rep = 0; rep < 6; rep++) {
      const bases = Array.from({ length: concurrency }, (_, i) => {
        const base = `${fixture.root}/floor/${rep}/${i}`
        for (const dir of ["upper", "work", "target"]) fs.mkdirSync(`${base}/${dir}`, { recursive: true })
        return base
      })
      const mount = (base: string) =>
        Effect.runPromise(
          mounter.mountOverlay({ lower, upper: `${base}/upper`, work: `${base}/work`, target: `${base}/target` })
        )
      const start = performance.now()
      if (rep % 2 === 0) {
        for (const base of bases) await mount(base)
        sequential.push(performance.now() - start)
      } else {
        await Promise.all(bases.map(mount))
        concurrent.push(performance.now() - start)
      }
      await Promise.all(bases.map((base) => Effect.runPromise(mounter.unmount(`${base}/target`))))
    }
    return { sequential: median(sequential), concurrent: median(concurrent) }
  } finally {
    await fixture.stop()
  }
}

/** The file-system type under $TMPDIR (where the benchmark's data and kubelet directories live). */
const fsTypeOfTmp = () => {
  const magic: Record<number, string> = {
    0xef53: "ext2/3/4",
    0x01021994: "tmpfs",
    0x58465342: "xfs",
    0x9123683e: "btrfs"
  }
  const type = fs.statfsSync(os.tmpdir()).type
  return magic[type] ?? `0x${type.toString(16)}`
}

const main = async () => {
  if (process.getuid?.() !== 0) throw new Error("the CSI publish benchmark mounts overlayfs: run it as root")
  console.log(
    `NodePublishVolume, mode app, cached module, ${concurrency} concurrent, ${rounds} rounds after ${warmup} warm-up, ` +
      (values.server === "inline"
        ? `server in this process, ${values.backend} mounts`
        : `server in its own process, UV_THREADPOOL_SIZE=${values.threadpool ?? process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}`) +
      `; ${os.tmpdir()} is ${fsTypeOfTmp()}, load ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} cores`
  )
  const floor = await kernelFloor()
  console.log(
    `kernel floor: ${concurrency} overlay mounts took ${floor.concurrent.toFixed(1)} ms all at once, ` +
      `${floor.sequential.toFixed(1)} ms one after another (median of 3 each)`
  )
  const all = await run(concurrency)
  report(`limit=${concurrency}: publish latency`, all.callLatency)
  report(`limit=${concurrency}: unpublish latency`, all.unpublishLatency)
  for (const cpu of all.cpuPerRound) {
    console.log(
      `limit=${concurrency}: server CPU in a publish round: user ${cpu.user} ms, system ${cpu.system} ms ` +
        `(${((cpu.user + cpu.system) / concurrency).toFixed(2)} ms per publish)`
    )
  }
  const limited = await run(20)
  report("limit=20: admitted publish latency", limited.callLatency)
  report("limit=20: time until published (with retries)", limited.untilPublished)
  console.log(`limit=20: ${limited.rejected} ResourceExhausted answers, retried after 10 ms`)
  const p99 = percentile(
    all.callLatency.toSorted((a, b) => a - b),
    99
  )
  console.log(
    `goal p99 < 50 ms at limit=${concurrency}: ${p99 < 50 ? "met" : "missed"} (${p99.toFixed(1)} ms; ` +
      `the slowest publish cannot beat the kernel floor of ${floor.concurrent.toFixed(1)} ms)`
  )
}

await main()
