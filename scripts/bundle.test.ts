import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

// The image runs the bundle, not the sources: prove the bundle builds and its subcommands work.
describe("production bundle", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"))
  const node = (...args: Array<string>) =>
    spawnSync(process.execPath, args, {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, BUNDLE_OUTDIR: outdir }
    })

  it("builds, lists every subcommand, and generates the same CRDs as the sources", { timeout: 120_000 }, () => {
    const build = node("scripts/bundle.ts")
    expect(build.status, build.stderr).toBe(0)
    expect(fs.existsSync(path.join(outdir, "csi.proto"))).toBe(true)

    const help = node(path.join(outdir, "main.js"), "--help")
    expect(help.status).toBe(0)
    for (const subcommand of ["bootstrap", "csi-server", "operator", "webhook-server"]) {
      expect(help.stdout).toContain(subcommand)
    }

    const fromBundle = node(path.join(outdir, "main.js"), "generate-crds")
    const fromSources = node("src/main.ts", "generate-crds")
    expect(fromBundle.status, fromBundle.stderr).toBe(0)
    expect(fromBundle.stdout).toContain("name: dynakubes.dynatrace.com")
    expect(fromBundle.stdout).toBe(fromSources.stdout)
    fs.rmSync(outdir, { recursive: true, force: true })
  })
})
