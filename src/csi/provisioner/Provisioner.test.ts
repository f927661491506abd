/**
 * The provisioner's reconcile against an in-process tenant simulator on a temporary data directory (real files,
 * real downloads, real extraction). DynaKubes come from a map instead of the informer; the control-plane test
 * (`provisioner.integration.test.ts`) runs the real program. The tests with app mounts need root (overlayfs).
 */
import { Duration, Effect, Fiber } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import yauzl from "yauzl"
import { afterEach, describe, expect, it } from "vitest"
import * as Controller from "../../programs/operator/runtime/Controller.ts"
import * as CsiFixture from "../CsiFixture.ts"
import { CodeModuleStore } from "./CodeModuleStore.ts"
import { GarbageCollector } from "./GarbageCollector.ts"
import * as ProvisionError from "./ProvisionError.ts"
import * as Provisioner from "./Provisioner.ts"
import { appDynaKube, type Harness, type HarnessOptions, startHarness } from "./ProvisionerTestKit.ts"

const isRoot = process.getuid?.() === 0
const ns = "dynatrace"
const v1 = "1.310.52.20250307-092100"
const v2 = "1.311.54.20250317-111439"

let harness: Harness | undefined
let fixture: CsiFixture.Fixture | undefined
afterEach(async () => {
  await harness?.close()
  harness = undefined
  await fixture?.stop()
  fixture = undefined
})

const start = async (options: HarnessOptions = {}) => {
  harness = await startHarness(options)
  return harness
}

const requeueMinutes = (result: Controller.Result) =>
  result.requeueAfter === undefined ? undefined : Duration.toMinutes(result.requeueAfter)

/** The archive's entries (name → size) as the tenant serves it, read with yauzl on a separate download. */
const archiveEntries = async (h: Harness, version: string): Promise<Map<string, number>> => {
  const url = `${h.sim.url}/v1/deployment/installer/agent/unix/paas/version/${version}?flavor=multidistro&arch=x86&bitness=64&skipMetadata=true&include=all`
  const response = await fetch(url, { headers: { Authorization: `Api-Token ${h.sim.paasToken}` } })
  const file = path.join(os.tmpdir(), `prov-archive-${process.pid}-${Date.now()}.zip`)
  fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()))
  try {
    return await new Promise((resolve, reject) => {
      const entries = new Map<string, number>()
      yauzl.open(file, { lazyEntries: true }, (error, zip) => {
        if (error !== null || zip === undefined) return reject(error)
        zip.on("entry", (entry: yauzl.Entry) => {
          if (!entry.fileName.endsWith("/")) entries.set(entry.fileName, entry.uncompressedSize)
          zip.readEntry()
        })
        zip.on("end", () => resolve(entries))
        zip.on("error", reject)
        zip.readEntry()
      })
    })
  } finally {
    fs.rmSync(file, { force: true })
  }
}

const failing = () => Effect.fail(new ProvisionError.ProvisionError({ reason: "Tenant", message: "boom" }))

const installedLines = (h: Harness) => h.logs.filter((line) => line.includes("Installed the code module."))

describe("provisioning a DynaKube", () => {
  it("downloads once, extracts every entry of the zip, links agent/bin/current and latest-codemodule", async () => {
    const h = await start({ simulator: { config: { codeModuleFillerBytes: 2 * 1024 * 1024 } } })
    h.put(appDynaKube("dk", v2))
    const result = await h.reconcile(ns, "dk")
    expect(requeueMinutes(result)).toBe(5)
    expect(h.sim.hitsOf("agentDownload")).toBe(1)
    const request = h.sim.requests("agentDownload")[0]!
    expect(request.path).toBe(`/api/v1/deployment/installer/agent/unix/paas/version/${v2}`)
    expect(Object.fromEntries(request.query.filter(([k]) => k !== "include"))).toEqual({
      flavor: "multidistro",
      arch: "x86",
      bitness: "64",
      skipMetadata: "true"
    })
    expect(request.query.filter(([k]) => k === "include").map(([, v]) => v)).toEqual(["all"])
    expect(request.headers["authorization"]).toBe(`Api-Token ${h.sim.paasToken}`)

    const dir = h.dataDir.codeModule(v2)
    expect(h.latestOf("dk")).toBe(v2)
    expect(fs.realpathSync(h.dataDir.latestCodeModule("dk"))).toBe(fs.realpathSync(dir))
    h.sim.resetHits()
    const entries = await archiveEntries(h, v2)
    expect(entries.size).toBeGreaterThan(5)
    for (const [name, size] of entries) expect(fs.statSync(path.join(dir, name)).size, name).toBe(size)
    expect(fs.readFileSync(path.join(dir, "agent/installer.version"), "utf8").trim()).toBe(v2)
    expect(fs.readlinkSync(path.join(dir, "agent/bin/current"))).toBe(v2)
    expect(fs.existsSync(path.join(dir, "agent/bin/current/linux-x86-64/liboneagentjava.so"))).toBe(true)
    // Nothing else was left behind: no zip, no staging directory.
    expect(fs.readdirSync(h.dataDir.tmpZip)).toEqual([])
    expect(h.codeModules()).toEqual([v2])
  })

  it("a second reconcile makes no tenant call, extracts nothing and writes nothing", async () => {
    const h = await start()
    h.put(appDynaKube("dk", v2))
    await h.reconcile(ns, "dk")
    const link = fs.lstatSync(h.dataDir.latestCodeModule("dk"))
    const module = fs.statSync(h.dataDir.codeModule(v2))
    h.sim.resetHits()
    const before = installedLines(h).length

    for (let i = 0; i < 3; i++) expect(requeueMinutes(await h.reconcile(ns, "dk"))).toBe(5)

    expect(h.sim.hits()).toEqual({})
    expect(installedLines(h).length).toBe(before)
    const linkAfter = fs.lstatSync(h.dataDir.latestCodeModule("dk"))
    expect(linkAfter.ino).toBe(link.ino)
    expect(linkAfter.mtimeMs).toBe(link.mtimeMs)
    expect(fs.statSync(h.dataDir.codeModule(v2)).mtimeMs).toBe(module.mtimeMs)
  })

  it("10 DynaKubes wanting the same version at once: exactly one download, all point at one directory", async () => {
    const h = await start({ simulator: { config: { codeModuleFillerBytes: 4 * 1024 * 1024 } } })
    // A slow tenant makes sure the ten reconciles overlap.
    h.sim.inject("agentDownload", { kind: "latency", millis: 300 }, 1)
    const names = Array.from({ length: 10 }, (_, i) => `dk-${i}`)
    for (const name of names) h.put(appDynaKube(name, v1))
    const results = await Promise.all(names.map((name) => h.reconcile(ns, name)))
    expect(results.map(requeueMinutes)).toEqual(names.map(() => 5))
    expect(h.sim.hitsOf("agentDownload")).toBe(1)
    expect(installedLines(h)).toHaveLength(1)
    for (const name of names) expect(h.latestOf(name)).toBe(v1)
    expect(h.codeModules()).toEqual([v1])
  })

  it("the store shares one install between concurrent callers, also its failure; the next call tries again", async () => {
    const h = await start()
    let fetches = 0
    const store = await h.runtime.runPromise(Effect.service(CodeModuleStore))
    const zipOf = (target: string) =>
      Effect.promise(async () => {
        fetches++
        await new Promise((resolve) => setTimeout(resolve, 100))
        const response = await fetch(
          `${h.sim.url}/v1/deployment/installer/agent/unix/paas/version/${v1}?flavor=multidistro&arch=x86&bitness=64&include=all`,
          { headers: { Authorization: `Api-Token ${h.sim.paasToken}` } }
        )
        fs.writeFileSync(target, Buffer.from(await response.arrayBuffer()))
      })
    const outcomes = await h.runtime.runPromise(
      Effect.all(
        Array.from({ length: 10 }, () => store.ensure(v1, zipOf)),
        { concurrency: "unbounded" }
      )
    )
    expect(outcomes).toEqual(Array.from({ length: 10 }, () => "installed"))
    expect(fetches).toBe(1)
    expect(await h.runtime.runPromise(store.ensure(v1, zipOf))).toBe("present")
    expect(fetches).toBe(1)

    const failures = await h.runtime.runPromise(
      Effect.all(
        Array.from({ length: 5 }, () => Effect.flip(store.ensure(v2, failing))),
        { concurrency: "unbounded" }
      )
    )
    expect(failures.map((e) => e.message)).toEqual(Array.from({ length: 5 }, () => "boom"))
    expect(await h.runtime.runPromise(store.inFlight)).toEqual(new Set())
    expect(h.codeModules()).toEqual([v1])
    fetches = 0
    expect(await h.runtime.runPromise(store.ensure(v2, zipOf))).toBe("installed")
    expect(fetches).toBe(1)
  })

  it("waits for status.codeModules (1 min) and creates only the directories of a host-agent DynaKube", async () => {
    const h = await start()
    h.put(appDynaKube("pending", undefined))
    h.put(appDynaKube("host", v1, { mode: "hostMonitoring" }))
    expect(requeueMinutes(await h.reconcile(ns, "pending"))).toBe(1)
    expect(requeueMinutes(await h.reconcile(ns, "host"))).toBe(30)
    expect(h.sim.hits()).toEqual({})
    expect(fs.existsSync(h.dataDir.dynakube("host"))).toBe(true)
    expect(h.latestOf("host")).toBeUndefined()
    expect(h.latestOf("pending")).toBeUndefined()
    expect(h.codeModules()).toEqual([])
  })
})

/** Polls `link` with readlink in a separate process (so this one's event loop is free) until `stop` exists. */
const watchLink = (link: string, stop: string) => {
  const script = `
    const fs = require("node:fs")
    let reads = 0, missing = 0
    const targets = new Set()
    while (!fs.existsSync(${JSON.stringify(stop)})) {
      for (let i = 0; i < 200; i++) {
        reads++
        try { targets.add(fs.readlinkSync(${JSON.stringify(link)})) } catch { missing++ }
      }
    }
    process.stdout.write(JSON.stringify({ reads, missing, targets: [...targets] }))
  `
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] })
  let out = ""
  child.stdout.on("data", (chunk: Buffer) => void (out += chunk.toString()))
  return new Promise<{ reads: number; missing: number; targets: Array<string> }>((resolve, reject) => {
    child.on("exit", () => {
      try {
        resolve(JSON.parse(out))
      } catch (error) {
        reject(error)
      }
    })
  })
}

describe.runIf(isRoot)("version changes and garbage collection with app mounts (root)", () => {
  it("switches latest-codemodule atomically; GC keeps the old version while mounted, removes it afterwards", async () => {
    fixture = await CsiFixture.start()
    const h = await start({ dataDir: fixture.dataDir })
    h.put(appDynaKube("dk", v1))
    await h.reconcile(ns, "dk")
    expect(h.latestOf("dk")).toBe(v1)

    // A pod gets v1 through the real CSI server.
    const pod = { name: "app-1", namespace: "shop", uid: "00000000-0000-4000-8000-000000000001" }
    const target = fixture.targetFor(pod.uid)
    await fixture.client.nodePublishVolume({
      volume_id: "csi-vol-1",
      target_path: target,
      volume_capability: CsiFixture.mountCapability,
      volume_context: CsiFixture.appVolumeContext(pod, "dk"),
      readonly: true
    })
    expect(fs.readFileSync(path.join(target, "agent/installer.version"), "utf8").trim()).toBe(v1)

    // The version moves to v2 while a reader watches the link from another process.
    const stop = path.join(fixture.root, "stop-watching")
    const watching = watchLink(h.dataDir.latestCodeModule("dk"), stop)
    await new Promise((resolve) => setTimeout(resolve, 100))
    h.put(appDynaKube("dk", v2))
    await h.reconcile(ns, "dk")
    // Back and forth a few times (both versions present now): every switch is a rename.
    const store = await h.runtime.runPromise(Effect.service(CodeModuleStore))
    for (let i = 0; i < 20; i++) await h.runtime.runPromise(store.pointLatest("dk", i % 2 === 0 ? v1 : v2))
    fs.writeFileSync(stop, "")
    const seen = await watching
    expect(seen.reads).toBeGreaterThan(1000)
    expect(seen.missing).toBe(0)
    expect(seen.targets.map((t) => path.basename(t)).toSorted()).toEqual([v1, v2])
    expect(h.latestOf("dk")).toBe(v2)

    // v1 is no DynaKube's latest any more, but the pod still mounts it: kept.
    const gc = await h.runtime.runPromise(Effect.service(GarbageCollector))
    const live = Provisioner.liveDynaKubes([...h.dynakubes.values()])
    const first = await h.runtime.runPromise(gc.runNow(live))
    expect(first.keptCodeModules).toEqual([v1, v2])
    expect(first.removed).toEqual([])
    expect(fs.readFileSync(path.join(target, "agent/installer.version"), "utf8").trim()).toBe(v1)

    // The pod goes; the next collection removes v1.
    await fixture.client.nodeUnpublishVolume({ volume_id: "csi-vol-1", target_path: target })
    const second = await h.runtime.runPromise(gc.runNow(live))
    expect(second.removed.map((r) => r.kind)).toEqual(["CodeModule"])
    expect(h.codeModules()).toEqual([v2])

    // A new pod gets v2.
    const pod2 = { ...pod, name: "app-2", uid: "00000000-0000-4000-8000-000000000002" }
    const target2 = fixture.targetFor(pod2.uid)
    await fixture.client.nodePublishVolume({
      volume_id: "csi-vol-2",
      target_path: target2,
      volume_capability: CsiFixture.mountCapability,
      volume_context: CsiFixture.appVolumeContext(pod2, "dk"),
      readonly: true
    })
    expect(fs.readFileSync(path.join(target2, "agent/installer.version"), "utf8").trim()).toBe(v2)
    await fixture.client.nodeUnpublishVolume({ volume_id: "csi-vol-2", target_path: target2 })
  })
})

describe("garbage collection without mounts", () => {
  it("after a DynaKube is deleted: its directory and the versions only it used go at once", async () => {
    const h = await start({ gcPeriod: "1 hour" })
    h.put(appDynaKube("a", v1))
    h.put(appDynaKube("b", v2))
    await h.reconcile(ns, "a")
    await h.reconcile(ns, "b")
    expect(h.codeModules()).toEqual([v1, v2])
    h.remove(ns, "a")
    expect(await h.reconcile(ns, "a")).toEqual(Controller.done)
    expect(fs.existsSync(h.dataDir.dynakube("a"))).toBe(false)
    expect(h.codeModules()).toEqual([v2])
    expect(h.latestOf("b")).toBe(v2)
  })

  it("waits for an install in progress (rename and link switch) before it collects", async () => {
    const h = await start({ simulator: { config: { codeModuleFillerBytes: 4 * 1024 * 1024 } } })
    h.sim.inject("agentDownload", { kind: "latency", millis: 500 }, 1)
    h.put(appDynaKube("dk", v1))
    const gc = await h.runtime.runPromise(Effect.service(GarbageCollector))
    const reconciling = h.reconcile(ns, "dk")
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Asked while the download is still running: it only runs once the version is renamed into place and linked,
    // so it sees (and keeps) the complete version instead of a staging directory.
    const [, result] = await Promise.all([
      reconciling,
      h.runtime.runPromise(gc.runNow(Provisioner.liveDynaKubes([...h.dynakubes.values()])))
    ])
    expect(result.removed).toEqual([])
    expect(result.keptCodeModules).toEqual([v1])
    expect(h.latestOf("dk")).toBe(v1)
  })

  it("runs at most once per period from ordinary reconciles", async () => {
    const h = await start({ gcPeriod: "1 hour" })
    h.put(appDynaKube("a", v1))
    await h.reconcile(ns, "a")
    // An unused version appears after the first collection (ran in that reconcile): it stays until the next period.
    fs.mkdirSync(h.dataDir.codeModule("0.0.1.20200101-000000"))
    await h.reconcile(ns, "a")
    expect(h.codeModules()).toEqual(["0.0.1.20200101-000000", v1])
  })

  it("recover removes what an interrupted install left, never a complete version", async () => {
    const h = await start()
    h.put(appDynaKube("dk", v1))
    await h.reconcile(ns, "dk")
    fs.mkdirSync(path.join(h.dataDir.codeModuleStaging(v2), "agent"), { recursive: true })
    fs.writeFileSync(path.join(h.dataDir.codeModuleStaging(v2), "agent", "half"), "x")
    fs.writeFileSync(h.dataDir.tmpZipFile(v2), "partial zip")
    fs.writeFileSync(`${h.dataDir.tmpZipFile(v2)}.partial-abc`, "partial")
    fs.symlinkSync(h.dataDir.codeModule(v2), `${h.dataDir.latestCodeModule("dk")}.tmp-0123456789ab`)
    const store = await h.runtime.runPromise(Effect.service(CodeModuleStore))
    const recovery = await h.runtime.runPromise(store.recover)
    expect(recovery).toEqual({ zips: 2, stagingDirectories: 1, temporaryLinks: 1 })
    expect(h.codeModules()).toEqual([v1])
    expect(fs.readdirSync(h.dataDir.tmpZip)).toEqual([])
    expect(fs.readdirSync(h.dataDir.dynakube("dk"))).toEqual(["latest-codemodule"])
    expect(h.latestOf("dk")).toBe(v1)
  })

  it("an install interrupted mid-way leaves only a staging directory; the next reconcile converges", async () => {
    const h = await start({ simulator: { config: { codeModuleFillerBytes: 64 * 1024 * 1024 } } })
    h.put(appDynaKube("dk", v1))
    const fiber = h.runtime.runFork(Provisioner.reconcile(`${ns}/dk`, h.options))
    // Interrupt as soon as the staging directory has content (extraction running).
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      const staging = h.dataDir.codeModuleStaging(v1)
      if (fs.existsSync(staging) && fs.readdirSync(staging).length > 0) break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await h.runtime.runPromise(Fiber.interrupt(fiber))
    // The store's install is not the reconcile's: it finishes or stops on its own; never a partial version.
    for (const name of h.codeModules()) {
      if (!name.startsWith("."))
        expect(fs.existsSync(path.join(h.dataDir.codeModule(name), ".dynatrace-install-complete"))).toBe(true)
    }
    await h.reconcile(ns, "dk")
    expect(h.latestOf("dk")).toBe(v1)
    expect(h.codeModules()).toEqual([v1])
  })
})

describe("tenant faults", () => {
  it("503: the client retries with backoff, then the reconcile requeues after 1 min without error or leftovers", async () => {
    const h = await start()
    h.put(appDynaKube("dk", v1))
    h.sim.inject("agentDownload", { kind: "status", status: 503 })
    const result = await h.reconcile(ns, "dk")
    expect(requeueMinutes(result)).toBe(1)
    // One attempt plus the client's three retries.
    expect(h.sim.hitsOf("agentDownload")).toBe(4)
    expect(h.codeModules()).toEqual([])
    expect(fs.readdirSync(h.dataDir.tmpZip)).toEqual([])
    expect(h.latestOf("dk")).toBeUndefined()

    h.sim.clearFaults()
    expect(requeueMinutes(await h.reconcile(ns, "dk"))).toBe(5)
    expect(h.latestOf("dk")).toBe(v1)
  })

  it("429 with Retry-After: the client waits that long, then the download succeeds", async () => {
    const h = await start()
    h.put(appDynaKube("dk", v1))
    h.sim.inject("agentDownload", { kind: "status", status: 429, retryAfter: "1" }, 1)
    const started = Date.now()
    expect(requeueMinutes(await h.reconcile(ns, "dk"))).toBe(5)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(h.sim.hitsOf("agentDownload")).toBe(2)
    expect(h.latestOf("dk")).toBe(v1)
  })

  it("a cut-off download is retried and never extracted", async () => {
    const h = await start({ simulator: { config: { codeModuleFillerBytes: 1024 * 1024 } } })
    h.put(appDynaKube("dk", v1))
    h.sim.inject("agentDownload", { kind: "truncate" }, 2)
    expect(requeueMinutes(await h.reconcile(ns, "dk"))).toBe(5)
    expect(h.sim.hitsOf("agentDownload")).toBe(3)
    expect(h.latestOf("dk")).toBe(v1)
  })

  it("no hot loop under the controller: a lasting 503 costs one reconcile per minute, a 404 backs off", async () => {
    const h = await start()
    h.put(appDynaKube("unreachable", v1))
    h.put(appDynaKube("unknown", "9.9.9.20990101-000000"))
    h.sim.inject("agentDownload", { kind: "status", status: 503 })
    await h.runtime.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const controller = yield* Controller.make({
            name: Provisioner.controllerName,
            reconcile: (key: string) => Provisioner.reconcile(key, h.options),
            backoff: { baseDelay: "1 second", maxDelay: "5 minutes" },
            maxConcurrentReconciles: 2
          })
          yield* controller.enqueue(`${ns}/unreachable`)
          yield* Effect.sleep("3500 millis")
        })
      )
    )
    // 503: one reconcile (4 attempts with the client's backoff), then requeued 1 min later.
    const unreachable = h.sim.requests("agentDownload").filter((r) => r.path.includes(v1))
    expect(unreachable).toHaveLength(4)

    h.sim.clearFaults()
    h.sim.resetHits()
    await h.runtime.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const controller = yield* Controller.make({
            name: Provisioner.controllerName,
            reconcile: (key: string) => Provisioner.reconcile(key, h.options),
            backoff: { baseDelay: "1 second", maxDelay: "5 minutes" }
          })
          yield* controller.enqueue(`${ns}/unknown`)
          yield* Effect.sleep("3500 millis")
        })
      )
    )
    // 404 (not retried by the client): reconciles at 0 s, 1 s, 3 s at most.
    const unknown = h.sim.hitsOf("agentDownload")
    expect(unknown).toBeGreaterThanOrEqual(2)
    expect(unknown).toBeLessThanOrEqual(3)
    expect(h.codeModules()).toEqual([])
  }, 20_000)

  it("no token reaches a log line, not even from a tenant that echoes it back", async () => {
    const h = await start()
    h.put(appDynaKube("dk", v1))
    const echo = JSON.stringify({ error: { code: 500, message: `token ${h.sim.paasToken} was rejected` } })
    h.sim.inject("agentDownload", { kind: "body", status: 500, contentType: "application/json", body: echo }, 1)
    h.sim.inject("agentDownload", { kind: "status", status: 401 }, 1)
    await h.runtime.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const controller = yield* Controller.make({
            name: Provisioner.controllerName,
            reconcile: (key: string) => Provisioner.reconcile(key, h.options),
            backoff: { baseDelay: "100 millis", maxDelay: "1 second" }
          })
          yield* controller.enqueue(`${ns}/dk`)
          yield* Effect.sleep("1500 millis")
        })
      )
    )
    expect(h.latestOf("dk")).toBe(v1)
    const failures = h.logs.filter((line) => line.includes("Reconcile failed"))
    expect(failures).toHaveLength(2)
    expect(failures.join("\n")).toMatch(/was rejected/)
    for (const line of h.logs) {
      expect(line).not.toContain(h.sim.paasToken)
      expect(line).not.toContain(h.sim.apiToken)
    }
  })
})
