/**
 * `npm run bench`: runs every benchmark of the project, one after another (they measure time and memory, so they
 * must not compete for the two cores), each as its own Node process so one benchmark's heap does not skew the next.
 *
 *   npm run bench                 # all of them
 *   npm run bench -- webhook csi  # those whose file name contains one of the words
 *
 * Each benchmark prints its own figures and how they were taken; this runner prints a summary of exit codes.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const dir = path.dirname(new URL(import.meta.url).pathname)
const filters = process.argv.slice(2)
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((word) => f.includes(word)))
  .toSorted()

if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(", ")}`)
  process.exit(1)
}

const results: Array<{ file: string; status: number | null; seconds: number }> = []
for (const file of files) {
  console.log(`\n=== ${file}`)
  const started = Date.now()
  const run = spawnSync(process.execPath, [path.join(dir, file)], { stdio: "inherit" })
  results.push({ file, status: run.status, seconds: (Date.now() - started) / 1000 })
}

console.log("\n=== summary")
for (const r of results) console.log(`${r.status === 0 ? "ok  " : "FAIL"} ${r.file} (${r.seconds.toFixed(1)} s)`)
process.exit(results.every((r) => r.status === 0) ? 0 : 1)
