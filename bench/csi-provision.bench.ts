/**
 * Benchmark: the CSI provisioner installing a large synthetic code module (the tenant simulator's zip: the real
 * layout plus an incompressible filler), against the `unzip` command on the same file. Goal (issue #6): at least
 * half of unzip's speed, i.e. ratio install/unzip ≤ 2.
 *
 *   node bench/csi-provision.bench.ts [--size-mb 200] [--runs 3]
 *
 * Three figures per run, medians printed:
 * - `install`: `CodeModuleStore.ensure` with the zip already on disk (hard-linked in as the "download"): safe
 *   extraction into the staging directory, `agent/bin/current`, the marker, the rename. This is what the goal is
 *   about and what is compared with unzip.
 * - `unzip`: `unzip -q -o <zip> -d <dir>` of the same file.
 * - `reconcile`: a whole first reconcile of a DynaKube against the in-process simulator (HTTP download, checks,
 *   install, link switch), and the resident memory it added.
 */
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { CodeModuleStore } from "../src/csi/provisioner/CodeModuleStore.ts"
import { appDynaKube, startHarness } from "../src/csi/provisioner/ProvisionerTestKit.ts"

const { values } = parseArgs({
  options: { "size-mb": { type: "string", default: "200" }, runs: { type: "string", default: "3" } }
})
const sizeMb = Number(values["size-mb"])
const runs = Number(values.runs)
const version = "1.311.54.20250317-111439"

const median = (xs: ReadonlyArray<number>) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!
const settle = () => void spawnSync("sync", [], { stdio: "ignore" })
const mib = (bytes: number) => bytes / 1024 / 1024

const harness = await startHarness({ simulator: { config: { codeModuleFillerBytes: sizeMb * 1024 * 1024 } } })
const hasUnzip = spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0
if (!hasUnzip) console.log("unzip is not installed (apt-get install -y unzip): timing only the provisioner.")
try {
  const work = path.join(path.dirname(harness.dataDir.root), "bench")
  fs.mkdirSync(work, { recursive: true })
  const zip = path.join(work, "module.zip")
  const response = await fetch(
    `${harness.sim.url}/v1/deployment/installer/agent/unix/paas/version/${version}?flavor=multidistro&arch=x86&bitness=64&skipMetadata=true&include=all`,
    { headers: { Authorization: `Api-Token ${harness.sim.paasToken}` } }
  )
  fs.writeFileSync(zip, Buffer.from(await response.arrayBuffer()))
  const zipMb = mib(fs.statSync(zip).size)
  console.log(`Module: ${zipMb.toFixed(1)} MB zip from the tenant simulator.`)

  const store = await harness.runtime.runPromise(Effect.service(CodeModuleStore))
  const installs: Array<number> = []
  const unzips: Array<number> = []
  const reconciles: Array<number> = []
  const rssGrowth: Array<number> = []
  for (let r = 0; r < runs; r++) {
    const dirName = `bench-${r}`
    settle()
    let started = performance.now()
    await harness.runtime.runPromise(store.ensure(dirName, (target) => Effect.sync(() => fs.linkSync(zip, target))))
    installs.push((performance.now() - started) / 1000)
    fs.rmSync(harness.dataDir.codeModule(dirName), { recursive: true, force: true })

    if (hasUnzip) {
      const dest = path.join(work, `unzip-${r}`)
      fs.mkdirSync(dest)
      settle()
      started = performance.now()
      const result = spawnSync("unzip", ["-q", "-o", zip, "-d", dest], { stdio: "inherit" })
      if (result.status !== 0) throw new Error(`unzip exited with ${result.status}`)
      unzips.push((performance.now() - started) / 1000)
      fs.rmSync(dest, { recursive: true, force: true })
    }

    harness.put(appDynaKube("dk", version))
    settle()
    const rssBefore = process.memoryUsage().rss
    let peak = rssBefore
    const sampler = setInterval(() => void (peak = Math.max(peak, process.memoryUsage().rss)), 20)
    started = performance.now()
    await harness.reconcile("dynatrace", "dk")
    reconciles.push((performance.now() - started) / 1000)
    clearInterval(sampler)
    rssGrowth.push(mib(peak - rssBefore))
    fs.rmSync(harness.dataDir.codeModule(version), { recursive: true, force: true })
    fs.rmSync(harness.dataDir.latestCodeModule("dk"), { force: true })
  }
  const i = median(installs)
  console.log(`install (extract + rename): ${i.toFixed(2)} s median of ${runs} (${(zipMb / i).toFixed(0)} MB/s)`)
  if (hasUnzip) {
    const u = median(unzips)
    console.log(`unzip:                      ${u.toFixed(2)} s median of ${runs} (${(zipMb / u).toFixed(0)} MB/s)`)
    const ratio = i / u
    console.log(`ratio install/unzip: ${ratio.toFixed(2)} (goal ≤ 2.00: ${ratio <= 2 ? "met" : "NOT met"})`)
  }
  const c = median(reconciles)
  console.log(
    `first reconcile (download + install + link): ${c.toFixed(2)} s median (${(zipMb / c).toFixed(0)} MB/s), RSS growth ${median(rssGrowth).toFixed(1)} MB`
  )
} finally {
  await harness.close()
}
