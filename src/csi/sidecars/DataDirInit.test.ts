/**
 * `csi-init`'s work on a real directory tree in a temp dir: the layout, idempotence, and the migration of the
 * legacy layout (mount tables are given as data: mounting overlays needs root). Also the subcommand as a process.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { MountInfo } from "../../services/NodeFs.ts"
import * as DataDir from "../DataDir.ts"
import * as DataDirInit from "./DataDirInit.ts"
import * as HostAgentDynaKubes from "./HostAgentDynaKubes.ts"
import * as TestKit from "./SidecarTestKit.ts"

const dirs = TestKit.tempDirs()
afterEach(dirs.cleanup)

const overlay = (mountPoint: string): MountInfo => ({
  mountPoint,
  root: "/",
  fsType: "overlay",
  source: "overlay",
  superOptions: "rw,lowerdir=/x,upperdir=/y,workdir=/z"
})

const run = (dataDir: DataDir.DataDir, input: Partial<DataDirInit.Input> = {}) =>
  Effect.runPromise(
    DataDirInit.run(dataDir, { mounts: [], hostAgentDynaKubes: Option.some([]), ...input }).pipe(
      Effect.provide(NodeFileSystem.layer)
    )
  )

const mode = (p: string) => fs.statSync(p).mode & 0o777

describe("DataDirInit", () => {
  it("creates the layout under a missing root, and a second run changes nothing", async () => {
    const dataDir = DataDir.make(path.join(dirs.make("init-"), "plugins", "data"))
    const first = await run(dataDir)
    const topLevel = ["codemodules", "_dynakubes", "appmounts", "work", "tmp_zip"]
    expect(fs.readdirSync(dataDir.root).toSorted()).toEqual(topLevel.toSorted())
    expect(first.created).toEqual([dataDir.root, ...topLevel.map((name) => path.join(dataDir.root, name))])
    expect(mode(dataDir.appMounts)).toBe(0o755)

    fs.writeFileSync(path.join(dataDir.codeModules, "keep"), "x")
    const second = await run(dataDir)
    expect(second).toEqual({ created: [], migrated: [] })
    expect(fs.readFileSync(path.join(dataDir.codeModules, "keep"), "utf8")).toBe("x")
  })

  it("sets appmounts to 0755 when it exists with another mode", async () => {
    const dataDir = DataDir.make(dirs.make("init-"))
    fs.mkdirSync(dataDir.appMounts, { mode: 0o700 })
    fs.chmodSync(dataDir.appMounts, 0o700)
    await run(dataDir)
    expect(mode(dataDir.appMounts)).toBe(0o755)
  })

  it("links still-mounted legacy app volumes into appmounts/, once, and leaves existing entries alone", async () => {
    const dataDir = DataDir.make(dirs.make("init-"))
    const tenant = "abc12345"
    for (const vol of ["vol-1", "vol-2"]) fs.mkdirSync(dataDir.legacyMapped(tenant, vol), { recursive: true })
    fs.mkdirSync(dataDir.appMount("vol-2"), { recursive: true })
    const mounts = [overlay(dataDir.legacyMapped(tenant, "vol-1")), overlay(dataDir.legacyMapped(tenant, "vol-2"))]

    const report = await run(dataDir, { mounts })
    expect(report.migrated).toEqual([
      { kind: "AppMount", link: dataDir.appMount("vol-1"), target: dataDir.legacyVolume(tenant, "vol-1") }
    ])
    expect(fs.readlinkSync(dataDir.appMount("vol-1"))).toBe(dataDir.legacyVolume(tenant, "vol-1"))
    expect(fs.lstatSync(dataDir.appMount("vol-2")).isDirectory()).toBe(true)

    expect((await run(dataDir, { mounts })).migrated).toEqual([])
    expect(fs.readlinkSync(dataDir.appMount("vol-1"))).toBe(dataDir.legacyVolume(tenant, "vol-1"))
  })

  it("links legacy host-agent directories of DynaKubes with a read-only host agent; skips when DynaKubes are unknown", async () => {
    const dataDir = DataDir.make(dirs.make("init-"))
    fs.mkdirSync(dataDir.legacyOsAgent("tenant-a"), { recursive: true })
    fs.writeFileSync(path.join(dataDir.legacyOsAgent("tenant-a"), "state"), "agent state")

    expect((await run(dataDir, { hostAgentDynaKubes: Option.none() })).migrated).toEqual([])
    expect(fs.existsSync(dataDir.dynakube("dk-a"))).toBe(false)

    const dynakubes = [
      { name: "dk-a", tenantUuid: "tenant-a" },
      // No legacy directory for this tenant: nothing to migrate.
      { name: "dk-b", tenantUuid: "tenant-b" }
    ]
    const report = await run(dataDir, { hostAgentDynaKubes: Option.some(dynakubes) })
    expect(report.migrated).toEqual([
      { kind: "HostDir", link: dataDir.osAgent("dk-a"), target: dataDir.legacyOsAgent("tenant-a") }
    ])
    expect(fs.readFileSync(path.join(dataDir.osAgent("dk-a"), "state"), "utf8")).toBe("agent state")
    expect(fs.existsSync(dataDir.dynakube("dk-b"))).toBe(false)
    expect((await run(dataDir, { hostAgentDynaKubes: Option.some(dynakubes) })).migrated).toEqual([])
  })

  it("fails with a DataDir error when the layout cannot be created", async () => {
    const file = path.join(dirs.make("init-"), "file")
    fs.writeFileSync(file, "")
    const exit = await Effect.runPromiseExit(
      DataDirInit.run(DataDir.make(path.join(file, "data")), { mounts: [], hostAgentDynaKubes: Option.none() }).pipe(
        Effect.provide(NodeFileSystem.layer)
      )
    )
    expect(exit._tag).toBe("Failure")
    expect(JSON.stringify(exit)).toContain("DataDir")
  })
})

describe("appMountMigrations", () => {
  const dataDir = DataDir.make("/data")

  it("takes only overlays at <root>/<tenant>/run/<volume>/mapped", () => {
    const mounts: ReadonlyArray<MountInfo> = [
      overlay("/data/t1/run/v1/mapped"),
      overlay("/data/t1/run/v1/mapped"), // stacked: one link
      overlay("/data/appmounts/v2/mapped"), // the current layout's name
      overlay("/data/t1/run/v3"), // not a mapped dir
      overlay("/other/t1/run/v4/mapped"), // outside the root
      overlay("/data/../etc/run/v5/mapped"),
      { ...overlay("/data/t1/run/v6/mapped"), fsType: "ext4" },
      overlay("/data/codemodules/run/v7/mapped")
    ]
    expect(DataDirInit.appMountMigrations(dataDir, mounts)).toEqual([
      { kind: "AppMount", link: "/data/appmounts/v1", target: "/data/t1/run/v1" }
    ])
  })
})

describe("HostAgentDynaKubes", () => {
  it("keeps DynaKubes with a read-only host agent and a tenant in their API URL", () => {
    const dk = (name: string, oneAgent: object, apiUrl = "https://abc123.live.dynatrace.com/api") => ({
      metadata: { name, namespace: "dynatrace" },
      spec: { apiUrl, oneAgent }
    })
    expect(
      HostAgentDynaKubes.fromObjects([
        dk("cloud", { cloudNativeFullStack: {} }),
        dk("host", { hostMonitoring: {} }, "https://managed.example.com/e/tenant-7/api"),
        dk("app", { applicationMonitoring: {} }),
        dk("classic", { classicFullStack: {} }),
        dk("bad-url", { hostMonitoring: {} }, "not a url")
      ])
    ).toEqual([
      { name: "cloud", tenantUuid: "abc123" },
      { name: "host", tenantUuid: "tenant-7" }
    ])
  })

  it("takes the namespace from POD_NAMESPACE", async () => {
    expect(await Effect.runPromise(HostAgentDynaKubes.namespaceOf({ POD_NAMESPACE: " operators " }))).toBe("operators")
  })
})

describe("csi-init command", () => {
  it("prepares the data directory, twice, with exit code 0 even without Kubernetes credentials", async () => {
    const dir = dirs.make("initc-")
    const root = path.join(dir, "data")
    const env = { PATH: process.env.PATH ?? "", HOME: dir, POD_NAMESPACE: "dynatrace" }
    for (const round of [1, 2]) {
      const proc = TestKit.run(
        ["csi-init", `--data-dir=${root}`, "--node-id=node-1", "--endpoint=unix:///csi/csi.sock"],
        env
      )
      expect(await proc.exited, proc.output()).toBe(0)
      const done = proc.logs().find((line) => line.message === "Prepared the CSI data directory.")
      expect(done?.annotations).toMatchObject({ dataDir: root, created: round === 1 ? 6 : 0, migrated: 0 })
      expect(proc.logs().map((line) => line.message)).toContain("Could not list the DynaKubes.")
    }
    expect(fs.readdirSync(root).toSorted()).toEqual(["_dynakubes", "appmounts", "codemodules", "tmp_zip", "work"])
  }, 90_000)

  it("refuses a relative data directory with one line and exit code 1", async () => {
    const proc = TestKit.run(["csi-init", "--data-dir=data"], {
      PATH: process.env.PATH ?? "",
      HOME: dirs.make("initc-")
    })
    expect(await proc.exited).toBe(1)
    expect(proc.logs()).toEqual([
      expect.objectContaining({
        message: "Command failed.",
        annotations: expect.objectContaining({ error: expect.stringMatching(/must be an absolute path/) })
      })
    ])
  }, 90_000)
})
