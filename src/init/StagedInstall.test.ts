import { NodeFileSystem } from "@effect/platform-node"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Data, Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as StagedInstall from "./StagedInstall.ts"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staged-install-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

class Crash extends Data.TaggedError("Crash") {}

/** Writes a small tree; with `crashAfter`, stops (like a killed process) after that many files. */
const populate = (crashAfter?: number) => (staging: string) =>
  Effect.sync(() => {
    const files = ["agent/lib64/liboneagentproc.so", "agent/conf/ruxitagentproc.conf", "manifest.json"]
    files.forEach((rel, i) => {
      if (crashAfter !== undefined && i >= crashAfter) return
      fs.mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true })
      fs.writeFileSync(path.join(staging, rel), rel)
    })
  }).pipe(Effect.flatMap(() => (crashAfter === undefined ? Effect.void : Effect.fail(new Crash()))))

const tree = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as Array<string>).toSorted()

describe("StagedInstall.installDirectory", () => {
  it.effect("builds beside the destination and renames it into place with the marker", () =>
    Effect.gen(function* () {
      const destination = path.join(tempDir(), "codemodules", "1.2.3")
      fs.mkdirSync(path.dirname(destination))
      expect(yield* StagedInstall.installDirectory(destination, "1.2.3", populate())).toBe("installed")
      expect(tree(path.dirname(destination))).toEqual([
        "1.2.3",
        "1.2.3/.dynatrace-install-complete",
        "1.2.3/agent",
        "1.2.3/agent/conf",
        "1.2.3/agent/conf/ruxitagentproc.conf",
        "1.2.3/agent/lib64",
        "1.2.3/agent/lib64/liboneagentproc.so",
        "1.2.3/manifest.json"
      ])
      expect(yield* StagedInstall.installDirectory(destination, "1.2.3", () => Effect.die("must not run"))).toBe(
        "present"
      )
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("after a crash nothing is visible; the re-run removes the partial staging dir and finishes", () =>
    Effect.gen(function* () {
      const parent = tempDir()
      const destination = path.join(parent, "1.2.3")
      const crashed = yield* StagedInstall.installDirectory(destination, "1.2.3", populate(1)).pipe(Effect.flip)
      expect(crashed._tag).toBe("Crash")
      expect(fs.existsSync(destination)).toBe(false)
      expect(fs.existsSync(path.join(parent, ".1.2.3.staging/agent/lib64/liboneagentproc.so"))).toBe(true)

      expect(yield* StagedInstall.installDirectory(destination, "1.2.3", populate())).toBe("installed")
      expect(tree(parent)).toContain("1.2.3/manifest.json")
      expect(fs.existsSync(path.join(parent, ".1.2.3.staging"))).toBe(false)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("a destination without the marker (or with another stamp) is rebuilt from scratch", () =>
    Effect.gen(function* () {
      const destination = path.join(tempDir(), "1.2.3")
      fs.mkdirSync(destination)
      fs.writeFileSync(path.join(destination, "stale"), "")
      expect(yield* StagedInstall.installDirectory(destination, "1.2.3", populate())).toBe("installed")
      expect(fs.existsSync(path.join(destination, "stale"))).toBe(false)
      expect(yield* StagedInstall.installDirectory(destination, "1.2.4", populate())).toBe("installed")
      expect(fs.readFileSync(path.join(destination, StagedInstall.markerName), "utf8")).toBe("1.2.4")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})

describe("StagedInstall.populateDirectory", () => {
  it.effect("fills a mount point and writes the marker last", () =>
    Effect.gen(function* () {
      const mount = tempDir()
      expect(yield* StagedInstall.populateDirectory(mount, "v1", populate())).toBe("installed")
      expect(tree(mount)).toEqual([
        ".dynatrace-install-complete",
        "agent",
        "agent/conf",
        "agent/conf/ruxitagentproc.conf",
        "agent/lib64",
        "agent/lib64/liboneagentproc.so",
        "manifest.json"
      ])
      expect(yield* StagedInstall.populateDirectory(mount, "v1", () => Effect.die("must not run"))).toBe("present")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("a re-run after a crash mid-way (partial staging, half-moved tree, orphan download) finishes the job", () =>
    Effect.gen(function* () {
      const mount = tempDir()
      // What a killed run leaves: a partial staging dir, one entry already moved, an orphaned download, no marker.
      fs.mkdirSync(path.join(mount, ".dynatrace-staging/agent"), { recursive: true })
      fs.writeFileSync(path.join(mount, ".dynatrace-staging/agent/half"), "")
      fs.writeFileSync(path.join(mount, "manifest.json"), "old")
      fs.writeFileSync(path.join(mount, "download-1234.zip"), "partial")
      expect(yield* StagedInstall.isComplete(mount, "v1")).toBe(false)

      expect(yield* StagedInstall.populateDirectory(mount, "v1", populate())).toBe("installed")
      expect(tree(mount)).toEqual([
        ".dynatrace-install-complete",
        "agent",
        "agent/conf",
        "agent/conf/ruxitagentproc.conf",
        "agent/lib64",
        "agent/lib64/liboneagentproc.so",
        "manifest.json"
      ])
      expect(fs.readFileSync(path.join(mount, "manifest.json"), "utf8")).toBe("manifest.json")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("a crash inside populate leaves no marker, so the next run starts over", () =>
    Effect.gen(function* () {
      const mount = tempDir()
      expect((yield* StagedInstall.populateDirectory(mount, "v1", populate(2)).pipe(Effect.flip))._tag).toBe("Crash")
      expect(yield* StagedInstall.isComplete(mount, "v1")).toBe(false)
      expect(yield* StagedInstall.populateDirectory(mount, "v1", populate())).toBe("installed")
      expect(yield* StagedInstall.isComplete(mount, "v1")).toBe(true)
      expect(fs.existsSync(path.join(mount, StagedInstall.populateStagingName))).toBe(false)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
