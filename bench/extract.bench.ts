/**
 * Benchmark: extraction of a large synthetic code module with our `ZipExtractor` against the `unzip` command on
 * the same file. Goal: at least half of unzip's speed (ratio ours/unzip ≤ 2).
 *
 *   node bench/extract.bench.ts [--size-mb 200] [--runs 3] [--concurrency 4] [--work-dir /dev/shm]
 *
 * `--work-dir` is where both extract to (default: the OS temp dir); a tmpfs such as /dev/shm takes the disk out of
 * the measurement and compares CPU paths only.
 *
 * The archive (incompressible content, so the numbers measure our I/O path rather than inflate) is generated
 * once with yazl and cached under `.cache/bench/`. Each run extracts into a fresh directory; the median of the
 * runs is printed. If `unzip` is not installed the bench says so (`apt-get install -y unzip`) and only times ours.
 */
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import * as yazl from "yazl"
import * as ZipExtractor from "../src/init/ZipExtractor.ts"

const { values } = parseArgs({
  options: {
    "size-mb": { type: "string", default: "200" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "4" },
    "work-dir": { type: "string", default: os.tmpdir() }
  }
})
const sizeMb = Number(values["size-mb"])
const runs = Number(values.runs)
const concurrency = Number(values.concurrency)

const cacheDir = path.resolve(".cache/bench")
const archive = path.join(cacheDir, `codemodule-${sizeMb}mb-v2.zip`)

/** A layout like a code module: a few big libraries, many small files, nested directories, some executables. */
const generate = async (target: string) => {
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const zip = new yazl.ZipFile()
  const budget = sizeMb * 1024 * 1024
  let written = 0
  let i = 0
  // Deterministic sizes: 3000 small files (1 to 64 KiB, about a third of the bytes), the rest in 8 MiB libraries.
  while (written < budget) {
    const small = 1024 + ((i * 7919) % (63 * 1024))
    const size = Math.min(budget - written, i < 3000 ? small : 8 * 1024 * 1024)
    const dir = `agent/${["lib64", "bin/1.2.3", "conf", "res/java", "res/dotnet/x64"][i % 5]}`
    zip.addBuffer(crypto.randomBytes(size), `${dir}/file-${i}.bin`, { mode: i % 3 === 0 ? 0o100755 : 0o100644 })
    written += size
    i++
  }
  zip.addBuffer(Buffer.from("1.2.3.20260101-000000\n"), "agent/installer.version")
  zip.end()
  const tmp = `${target}.tmp-${process.pid}`
  await new Promise<void>((resolve, reject) =>
    zip.outputStream.pipe(fs.createWriteStream(tmp)).on("close", resolve).on("error", reject)
  )
  fs.renameSync(tmp, target)
  return i + 1
}

/** Relative path and size of every file below `dir`, one per line, sorted. */
const manifest = (dir: string) =>
  (fs.readdirSync(dir, { recursive: true }) as Array<string>)
    .filter((rel) => fs.lstatSync(path.join(dir, rel)).isFile())
    .map((rel) => `${rel} ${fs.statSync(path.join(dir, rel)).size}`)
    .toSorted()
    .join("\n")

const median = (xs: ReadonlyArray<number>) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Flushes dirty pages first, so a run does not pay for the previous run's writeback. */
const settle = () => void spawnSync("sync", [], { stdio: "ignore" })

const timeOurs = async (dest: string) => {
  settle()
  const start = performance.now()
  await Effect.runPromise(ZipExtractor.extract(archive, dest, { concurrency }))
  return (performance.now() - start) / 1000
}

const timeUnzip = (dest: string) => {
  fs.mkdirSync(dest, { recursive: true })
  settle()
  const start = performance.now()
  const result = spawnSync("unzip", ["-q", "-o", archive, "-d", dest], { stdio: "inherit" })
  if (result.status !== 0) throw new Error(`unzip exited with ${result.status}`)
  return (performance.now() - start) / 1000
}

const main = async () => {
  if (!fs.existsSync(archive)) {
    console.log(`Generating ${archive} (${sizeMb} MB of incompressible content)…`)
    const entries = await generate(archive)
    console.log(`  ${entries} entries, ${(fs.statSync(archive).size / 1024 / 1024).toFixed(1)} MB on disk`)
  }
  const hasUnzip = spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0
  if (!hasUnzip) console.log("unzip is not installed (apt-get install -y unzip): timing only our extractor.")

  const work = fs.mkdtempSync(path.join(values["work-dir"], "extract-bench-"))
  try {
    const ours: Array<number> = []
    const theirs: Array<number> = []
    for (let r = 0; r < runs; r++) {
      // Alternate the order so neither side always gets the warmer page cache.
      const oursFirst = r % 2 === 0
      const runOurs = async () => ours.push(await timeOurs(path.join(work, `ours-${r}`)))
      const runTheirs = () => void (hasUnzip && theirs.push(timeUnzip(path.join(work, `unzip-${r}`))))
      if (oursFirst) {
        await runOurs()
        runTheirs()
      } else {
        runTheirs()
        await runOurs()
      }
      if (r === 0 && hasUnzip) {
        // Same tree as unzip's, or the timing means nothing.
        const same = manifest(path.join(work, `ours-${r}`)) === manifest(path.join(work, `unzip-${r}`))
        console.log(
          same ? "Extracted tree matches unzip's (names, sizes)." : "MISMATCH: extracted tree differs from unzip's!"
        )
        if (!same) process.exitCode = 1
      }
      fs.rmSync(path.join(work, `ours-${r}`), { recursive: true, force: true })
      fs.rmSync(path.join(work, `unzip-${r}`), { recursive: true, force: true })
    }
    const mb = fs.statSync(archive).size / 1024 / 1024
    const o = median(ours)
    console.log(
      `ZipExtractor (concurrency ${concurrency}): ${o.toFixed(2)} s median of ${runs} (${(mb / o).toFixed(0)} MB/s)`
    )
    if (hasUnzip) {
      const u = median(theirs)
      console.log(`unzip:                        ${u.toFixed(2)} s median of ${runs} (${(mb / u).toFixed(0)} MB/s)`)
      const ratio = o / u
      console.log(`ratio ours/unzip: ${ratio.toFixed(2)} (goal ≤ 2.00: ${ratio <= 2 ? "met" : "NOT met"})`)
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

await main()
