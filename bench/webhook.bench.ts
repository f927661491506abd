/**
 * Benchmark of the webhook server (`npm run bench:webhook`): HTTPS keep-alive load on loopback with autocannon,
 * posting an AdmissionReview for a realistic three-container pod (app, Envoy sidecar, log shipper: ports, probes,
 * resources, env, volumes; ~4 KiB) to `/inject` of a DynaKube with cloudNativeFullStack and metadata enrichment.
 *
 *   node bench/webhook.bench.ts [--server node|effect] [--duration 10] [--connections 16] [--rate 1000] [--runs 1]
 *        [--node-options "--max-semi-space-size=2 --max-old-space-size=96"]
 *
 * The server runs in a child process pinned to one CPU (`taskset -c 0` when available) so "reviews/s" is the
 * throughput of one core; autocannon runs in this process (on the other CPU when there is one). Phases:
 * 1. warm-up (3 s), 2. throughput: as fast as `--connections` keep-alive connections go (`--runs` times; the
 * median server CPU per review is the one judged), 3. latency at a fixed
 * `--rate` reviews/s (autocannon `overallRate`, coordinated omission corrected). Memory is the server's peak RSS.
 * Every answer must be a 200 AdmissionReview with a patch (checked once with certificate verification, and by
 * counting non-2xx answers under load).
 *
 * `--server effect` serves the same route through Effect's HttpRouter on @effect/platform-node instead of the
 * plain `node:https` server, for comparison. Lookups come from an in-memory InjectionContext, as they come from
 * informer caches in production (no API request per review).
 *
 * Goals: ≥ 3,000 reviews/s on one core, p99 < 10 ms at 1,000 reviews/s, < 150 MB.
 */
import autocannon from "autocannon"
import * as esbuild from "esbuild"
import { Effect } from "effect"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import * as TestCertificates from "../src/programs/webhook/TestCertificates.ts"
import * as T from "../src/programs/webhook/TestObjects.ts"

const { values } = parseArgs({
  options: {
    server: { type: "string", default: "node" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
    rate: { type: "string", default: "1000" },
    // Repeats of the throughput phase; the median CPU per review is judged (one run swings ±20 % on a shared machine).
    runs: { type: "string", default: "1" },
    "from-source": { type: "boolean", default: false },
    // The webhook Deployment's NODE_OPTIONS (the chart's default): a small young generation bounds RSS under load.
    "node-options": { type: "string", default: "--max-semi-space-size=2 --max-old-space-size=96" }
  }
})

// ---------------------------------------------------------------------------------------------------------------
// the load generator

interface Ready {
  readonly port: number
  readonly ca: string
}

/**
 * The server (`bench/webhook.server.ts`) as the image runs it: bundled with esbuild as `npm run build` does
 * (`scripts/bundle.ts`: tree-shaken, minified, code split so lazily imported code stays out until used), so memory
 * and start-up are the production figures; `--from-source` runs the TypeScript sources instead.
 */
async function serverScript(): Promise<string> {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
  if (values["from-source"]) return path.join(root, "bench/webhook.server.ts")
  const outdir = path.join(root, ".cache/bench/webhook")
  fs.rmSync(outdir, { recursive: true, force: true })
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { server: "bench/webhook.server.ts" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node24",
    outdir,
    minify: true,
    external: ["koffi"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "warning"
  })
  return path.join(outdir, "server.js")
}

async function startServer(kind: string): Promise<{ child: ChildProcess; ready: Ready }> {
  const cpus = os.availableParallelism()
  const pin = cpus > 1 && spawnSync("taskset", ["--version"]).status === 0
  // The certificate is issued here, so the server process loads no certificate code (as in production).
  const certs = await Effect.runPromise(TestCertificates.issue())
  const certificate = TestCertificates.writeTemporary(certs)
  const args = [await serverScript(), "--server", kind, "--certs-dir", certificate.dir]
  // Server logs (one line per admission at the default level Info) go to /dev/null, as to a log collector.
  const stdio: Array<"ignore" | "inherit" | "ipc"> = ["ignore", "ignore", "inherit", "ipc"]
  const env = { ...process.env, NODE_OPTIONS: values["node-options"] }
  const child = pin
    ? spawn("taskset", ["-c", "0", process.execPath, ...args], { stdio, env })
    : spawn(process.execPath, args, { stdio, env })
  if (pin) spawnSync("taskset", ["-pc", "1", String(process.pid)], { stdio: "ignore" })
  console.log(
    `server: ${kind}, ${values["from-source"] ? "from sources" : "bundled"}, NODE_OPTIONS="${values["node-options"]}" (${pin ? "pinned to CPU 0, load generator on CPU 1" : "not pinned: taskset unavailable or one CPU"}); load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} on ${cpus} CPUs`
  )
  return new Promise((resolve, reject) => {
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)))
    child.on("message", (message: { readonly ready?: boolean; readonly port: number }) => {
      if (message.ready === true) resolve({ child, ready: { port: message.port, ca: certs.caCert } })
    })
  })
}

interface Stats {
  readonly rss: number
  readonly heapUsed: number
  readonly maxRss: number
  readonly cpuMicros: number
}

const stats = (child: ChildProcess): Promise<Stats> =>
  new Promise((resolve) => {
    child.once("message", (m) => resolve(m as Stats))
    child.send("stats")
  })

const body = JSON.stringify(T.review(T.realisticPod))

/** One request with certificate verification: the answer must be an AdmissionReview with a patch. */
const check = (ready: Ready): Promise<void> =>
  new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: ready.port,
        path: "/inject",
        method: "POST",
        ca: ready.ca,
        headers: { "content-type": "application/json" }
      },
      (res) => {
        let text = ""
        res.on("data", (c: Buffer) => (text += c.toString()))
        res.on("end", () => {
          const review = JSON.parse(text) as { response?: { allowed?: boolean; patch?: string } }
          if (res.statusCode !== 200 || review.response?.allowed !== true || review.response.patch === undefined) {
            reject(new Error(`unexpected answer ${res.statusCode}: ${text.slice(0, 300)}`))
          } else {
            const ops = JSON.parse(Buffer.from(review.response.patch, "base64").toString()) as Array<unknown>
            console.log(
              `check: 200, ${ops.length} patch operations, request ${Buffer.byteLength(body)} bytes, answer ${text.length} bytes`
            )
            resolve()
          }
        })
      }
    )
    req.on("error", reject)
    req.end(body)
  })

const load = (ready: Ready, options: Partial<autocannon.Options>): Promise<autocannon.Result> =>
  autocannon({
    url: `https://127.0.0.1:${ready.port}/inject`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    ...options
  })

const ms = (value: number) => `${value.toFixed(2)} ms`
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

async function main(): Promise<void> {
  const duration = Number(values.duration)
  const connections = Number(values.connections)
  const rate = Number(values.rate)
  const { child, ready } = await startServer(values.server)
  try {
    const atStart = await stats(child)
    await check(ready)
    await load(ready, { connections, duration: 3 })

    const cpuPerRun: Array<number> = []
    let failed = 0
    for (let run = 0; run < Math.max(1, Number(values.runs)); run++) {
      const before = await stats(child)
      const throughput = await load(ready, { connections, duration })
      const after = await stats(child)
      // CPU time the server spent per review: on a shared machine the wall-clock rate understates one core's capacity.
      const cpuPerReview = (after.cpuMicros - before.cpuMicros) / throughput.requests.total
      cpuPerRun.push(cpuPerReview)
      failed += throughput.non2xx + throughput.errors
      console.log(
        `throughput: ${Math.round(throughput.requests.average)} reviews/s wall clock (${connections} keep-alive connections, ${duration} s; ` +
          `p50 ${ms(throughput.latency.p50)}, p99 ${ms(throughput.latency.p99)}; non-2xx ${throughput.non2xx}, errors ${throughput.errors})`
      )
      console.log(
        `server CPU: ${cpuPerReview.toFixed(0)} µs per review = ${Math.round(1_000_000 / cpuPerReview)} reviews/s per fully available core`
      )
    }
    const sorted = cpuPerRun.toSorted((a, b) => a - b)
    const cpuPerReview = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN
    const perCore = 1_000_000 / cpuPerReview
    if (sorted.length > 1) {
      console.log(
        `server CPU, median of ${sorted.length} runs: ${cpuPerReview.toFixed(0)} µs per review = ${Math.round(perCore)} reviews/s per core (load average ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")})`
      )
    }

    const fixed = await load(ready, { connections: 10, duration, overallRate: rate })
    console.log(
      `latency at ${rate} reviews/s: p50 ${ms(fixed.latency.p50)}, p90 ${ms(fixed.latency.p90)}, p99 ${ms(fixed.latency.p99)}, ` +
        `max ${ms(fixed.latency.max)} (achieved ${Math.round(fixed.requests.average)} reviews/s; non-2xx ${fixed.non2xx}, errors ${fixed.errors})`
    )

    const memory = await stats(child)
    console.log(
      `memory: peak RSS ${mb(memory.maxRss)}, RSS at start ${mb(atStart.rss)}, RSS now ${mb(memory.rss)}, heap used ${mb(memory.heapUsed)}`
    )

    const goals = [
      ["throughput ≥ 3000 reviews/s (per core, by CPU time)", perCore >= 3000],
      [`p99 < 10 ms at ${rate} reviews/s`, fixed.latency.p99 < 10],
      ["peak RSS < 150 MB", memory.maxRss < 150 * 1024 * 1024],
      ["every answer 2xx", failed + fixed.non2xx + fixed.errors === 0]
    ] as const
    for (const [goal, met] of goals) console.log(`${met ? "met" : "MISSED"}: ${goal}`)
    process.exitCode = goals.every(([, met]) => met) ? 0 : 1
  } finally {
    child.kill("SIGTERM")
  }
}

void main()
