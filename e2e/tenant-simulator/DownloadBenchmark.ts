/**
 * Benchmark hook: download a code module of any size from an in-process tenant simulator with the real client,
 * and report throughput, the checksum, and the peak resident memory while it ran (the client streams to disk, so
 * the peak should stay far below the module size).
 *
 *   import { benchmarkDownload } from "../e2e/tenant-simulator/DownloadBenchmark.ts"
 *   const result = await benchmarkDownload({ sizeBytes: 200 * 1024 * 1024 })
 *
 * Or from the shell: `node e2e/tenant-simulator/DownloadBenchmark.ts 200MB`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { clientFor } from "./ClientForSimulator.ts"
import { startTenantSimulator, type TenantSimulator } from "./TenantSimulator.ts"
import { makeTestCertificates } from "./TestCertificates.ts"

/** What to measure. */
export interface DownloadBenchmarkOptions {
  /** Size of the module's filler (the archive is a few KiB larger). */
  readonly sizeBytes: number
  /** Serve over HTTPS with a custom CA (default false). */
  readonly https?: boolean
  /** Where the zip is written (default: a fresh temp dir, removed afterwards). */
  readonly directory?: string
  /** Downloads to time (default 1); each goes to a new file. */
  readonly runs?: number
}

/** One measurement per run. */
export interface DownloadBenchmarkRun {
  readonly bytes: number
  readonly millis: number
  readonly mebibytesPerSecond: number
  readonly sha256: string
}

/** The outcome. */
export interface DownloadBenchmarkResult {
  readonly runs: ReadonlyArray<DownloadBenchmarkRun>
  /** Highest RSS sampled (every 20 ms) during the downloads, minus the RSS before the first one. */
  readonly peakRssGrowthBytes: number
  /** True when every run's SHA-256 equals the simulator's. */
  readonly verified: boolean
}

/** Downloads a `sizeBytes` module `runs` times with the production client. */
export const benchmarkDownload = async (options: DownloadBenchmarkOptions): Promise<DownloadBenchmarkResult> => {
  const certificates = options.https === true ? await makeTestCertificates() : undefined
  const simulator: TenantSimulator = await startTenantSimulator({
    config: { codeModuleFillerBytes: options.sizeBytes },
    ...(certificates === undefined ? {} : { tls: { cert: certificates.certPem, key: certificates.keyPem } })
  })
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), "dt-download-bench-")))
  try {
    const expected = await simulator.codeModuleDigest()
    const baseline = process.memoryUsage.rss()
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss())
    }, 20)
    try {
      const runs = await Effect.runPromise(
        Effect.gen(function* () {
          const api = yield* clientFor(simulator, certificates === undefined ? {} : { trustedCAs: certificates.caPem })
          const results: Array<DownloadBenchmarkRun> = []
          for (let i = 0; i < (options.runs ?? 1); i++) {
            const started = performance.now()
            const result = yield* api.downloadAgent({ type: "paas" }, join(directory, `module-${i}.zip`))
            const millis = performance.now() - started
            results.push({
              bytes: result.size,
              millis,
              mebibytesPerSecond: result.size / 1024 / 1024 / (millis / 1000),
              sha256: result.sha256
            })
          }
          return results
        }).pipe(Effect.scoped)
      )
      return {
        runs,
        peakRssGrowthBytes: peak - baseline,
        verified: runs.every((run) => run.sha256 === expected.sha256 && run.bytes === expected.size)
      }
    } finally {
      clearInterval(sampler)
    }
  } finally {
    await simulator.close()
    if (options.directory === undefined) await rm(directory, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const arg = process.argv[2] ?? "200MB"
  const match = /^(\d+)\s*(MB|MiB|KB|KiB|B)?$/i.exec(arg)
  const factor = match?.[2] === undefined ? 1 : /^k/i.test(match[2]) ? 1024 : /^m/i.test(match[2]) ? 1024 * 1024 : 1
  const result = await benchmarkDownload({ sizeBytes: Number(match?.[1] ?? 200) * factor, runs: 2 })
  console.log(JSON.stringify(result, null, 2))
}
