/**
 * Code-module downloads: streamed to disk, size and checksum checked, a valid zip with the real layout, never a
 * partial file left behind.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { createHash } from "node:crypto"
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, beforeEach } from "vitest"
import yauzl from "yauzl"
import { clientFor } from "../../e2e/tenant-simulator/ClientForSimulator.ts"
import { startTenantSimulator, type TenantSimulator } from "../../e2e/tenant-simulator/TenantSimulator.ts"

let sim: TenantSimulator
let dir: string
beforeAll(async () => {
  sim = await startTenantSimulator({ config: { codeModuleFillerBytes: 2 * 1024 * 1024 } })
  dir = await mkdtemp(join(tmpdir(), "dt-download-"))
})
afterAll(async () => {
  await sim.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  sim.clearFaults()
  sim.resetHits()
})

const entries = (path: string) =>
  new Promise<Map<string, Buffer>>((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error !== null || zip === undefined) return reject(error)
      const out = new Map<string, Buffer>()
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith("/")) return zip.readEntry()
        zip.openReadStream(entry, async (err, stream) => {
          if (err !== null || stream === undefined) return reject(err)
          const chunks: Array<Buffer> = []
          for await (const chunk of stream) chunks.push(chunk as Buffer)
          out.set(entry.fileName, Buffer.concat(chunks))
          zip.readEntry()
        })
      })
      zip.on("end", () => resolve(out))
      zip.readEntry()
    })
  })

const leftovers = async () => (await readdir(dir)).filter((name) => name.includes(".partial-"))

describe("DynatraceApi.downloadAgent", () => {
  it.live("downloads the latest code module with the CSI provisioner's query, checked", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const destination = join(dir, "latest.zip")
      const result = yield* api.downloadAgent({ type: "paas" }, destination)
      const expected = yield* Effect.promise(() => sim.codeModuleDigest())
      assert.deepStrictEqual(result, { path: destination, size: expected.size, sha256: expected.sha256 })
      const onDisk = yield* Effect.promise(() => readFile(destination))
      assert.strictEqual(createHash("sha256").update(onDisk).digest("hex"), expected.sha256)

      const request = sim.requests("agentDownloadLatest")[0]
      assert.strictEqual(request?.path, "/api/v1/deployment/installer/agent/unix/paas/latest")
      assert.deepStrictEqual(request?.query, [
        ["flavor", "multidistro"],
        ["arch", "x86"],
        ["bitness", "64"],
        ["skipMetadata", "true"],
        ["include", "all"]
      ])
      assert.strictEqual(request?.headers["accept"], "application/octet-stream")
      assert.strictEqual(request?.headers["authorization"], `Api-Token ${sim.paasToken}`)

      const files = yield* Effect.promise(() => entries(destination))
      const version = sim.tenant.config.latestCodeModuleVersion
      assert.strictEqual(files.get("agent/installer.version")?.toString().trim(), version)
      assert.isTrue(files.has("agent/lib64/liboneagentproc.so"))
      assert.include(files.get("agent/conf/ruxitagentproc.conf")?.toString(), "libraryPath64")
      const manifest = JSON.parse(files.get("manifest.json")?.toString() ?? "{}")
      assert.strictEqual(manifest.version, version)
      const java = manifest.technologies.java.x86[0]
      assert.strictEqual(files.get(java.path)?.length, 2 * 1024 * 1024)
      assert.strictEqual(
        createHash("md5")
          .update(files.get(java.path) ?? "")
          .digest("hex"),
        java.md5
      )
    }).pipe(Effect.scoped)
  )

  it.live("downloads a specific version with the bootstrapper's technologies", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const version = sim.tenant.config.availableVersions[0] ?? ""
      const destination = join(dir, "specific.zip")
      const result = yield* api.downloadAgent(
        { type: "paas", version, technologies: ["java", "nodejs"], skipMetadata: false },
        destination
      )
      const expected = yield* Effect.promise(() => sim.codeModuleDigest(version, ["java", "nodejs"]))
      assert.strictEqual(result.sha256, expected.sha256)
      const request = sim.requests("agentDownload")[0]
      const pairs = (request?.query ?? []).map(([key, value]) => `${key}=${value}`)
      assert.includeMembers(pairs, ["include=java", "include=nodejs", "skipMetadata=false"])
      const manifest = JSON.parse(
        (yield* Effect.promise(() => entries(destination))).get("manifest.json")?.toString() ?? "{}"
      )
      assert.deepStrictEqual(Object.keys(manifest.technologies), ["java", "nodejs"])
      assert.strictEqual(manifest.version, version)
    }).pipe(Effect.scoped)
  )

  it.live("an unknown version is NotFound and leaves nothing behind", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const destination = join(dir, "missing.zip")
      const error = yield* Effect.flip(
        api.downloadAgent({ type: "paas", version: "0.0.0.20000101-000000" }, destination)
      )
      assert.strictEqual(error._tag === "DynatraceApiError" && error.reason._tag, "NotFound")
      const exists = yield* Effect.promise(() =>
        stat(destination).then(
          () => true,
          () => false
        )
      )
      assert.isFalse(exists)
      assert.deepStrictEqual(yield* Effect.promise(leftovers), [])
    }).pipe(Effect.scoped)
  )

  it.live("a body cut short is a transport failure (no partial file), and is retried", () =>
    Effect.gen(function* () {
      const noRetry = yield* clientFor(sim, { retry: { times: 0 } })
      sim.inject("agentDownloadLatest", { kind: "truncate" }, 1)
      const error = yield* Effect.flip(noRetry.downloadAgent({ type: "paas" }, join(dir, "cut.zip")))
      assert.strictEqual(error._tag === "DynatraceApiError" && error.reason._tag, "Transport")
      assert.deepStrictEqual(yield* Effect.promise(leftovers), [])

      const api = yield* clientFor(sim)
      sim.resetHits()
      sim.inject("agentDownloadLatest", { kind: "truncate", bytes: 1000 }, 1)
      sim.inject("agentDownloadLatest", { kind: "status", status: 503 }, 1)
      const result = yield* api.downloadAgent({ type: "paas" }, join(dir, "retried.zip"))
      assert.strictEqual(result.sha256, (yield* Effect.promise(() => sim.codeModuleDigest())).sha256)
      assert.strictEqual(sim.hitsOf("agentDownloadLatest"), 3)
      assert.deepStrictEqual(yield* Effect.promise(leftovers), [])
    }).pipe(Effect.scoped)
  )

  it.live("a checksum mismatch or a body that is no zip is a Decode failure", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const mismatch = yield* Effect.flip(
        api.downloadAgent({ type: "paas" }, join(dir, "sum.zip"), { expectedSha256: "00".repeat(32) })
      )
      assert.isTrue(mismatch._tag === "DynatraceApiError" && mismatch.reason._tag === "Decode")
      assert.include(mismatch.message, "checksum")
      sim.inject(
        "agentDownloadLatest",
        { kind: "body", body: "PK\u0003\u0004 not really a zip", contentType: "application/octet-stream" },
        1
      )
      const notZip = yield* Effect.flip(api.downloadAgent({ type: "paas" }, join(dir, "notzip.zip")))
      assert.isTrue(notZip._tag === "DynatraceApiError" && notZip.reason._tag === "Decode")
      assert.include(notZip.message, "zip")
      assert.deepStrictEqual(yield* Effect.promise(leftovers), [])
    }).pipe(Effect.scoped)
  )

  it.live("needs InstallerDownload on the PaaS token", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { paasToken: Redacted.make(sim.addToken(["DataExport"])) })
      const error = yield* Effect.flip(api.downloadAgent({ type: "paas" }, join(dir, "denied.zip")))
      assert.isTrue(error._tag === "DynatraceApiError" && error.reason._tag === "MissingScopes")
    }).pipe(Effect.scoped)
  )
})
