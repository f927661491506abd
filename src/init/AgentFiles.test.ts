import { NodeFileSystem } from "@effect/platform-node"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option, Redacted, Result } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as AgentFiles from "./AgentFiles.ts"
import * as BootstrapInput from "./BootstrapInput.ts"
import { CodeModuleDownloadError, CodeModuleSource } from "./CodeModuleSource.ts"
import * as InputDirectory from "./InputDirectory.ts"
import * as StagedInstall from "./StagedInstall.ts"
import { makeZip, renameEntry } from "./ZipFixtures.ts"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-files-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

const VERSION = "1.311.54.20250317-111439"
const moduleZip = () =>
  makeZip([
    { name: "agent/installer.version", data: `${VERSION}\n` },
    { name: "agent/lib64/liboneagentproc.so", data: "ELF", mode: 0o100755 },
    { name: "agent/conf/ruxitagentproc.conf", data: "[general]\n" },
    { name: `agent/bin/${VERSION}/linux-x86-64/liboneagentjava.so`, data: "ELF" },
    { name: "manifest.json", data: "{}" }
  ])

const inputFor = (target: string, version?: string) =>
  Result.getOrThrow(
    BootstrapInput.fromFlags({
      ...BootstrapInput.noFlags,
      target: Option.some(target),
      ...(version === undefined
        ? {}
        : { version: Option.some(version), url: Option.some("https://tenant.example/api") })
    })
  )

const files: InputDirectory.InputFiles = {
  ...InputDirectory.empty,
  clientConfig: Option.some({
    apiToken: Redacted.make("dt0c01.TOKEN"),
    proxy: undefined,
    noProxy: undefined,
    networkZone: undefined,
    hostGroup: undefined,
    skipCertCheck: false
  })
}

/** A source that "downloads" by copying `zip`, counting calls; or fails with `failure`. */
const fakeSource = (zip: Buffer, calls: Array<string>, failure?: CodeModuleDownloadError) =>
  Layer.succeed(
    CodeModuleSource,
    CodeModuleSource.of({
      download: (connection, request, destination) =>
        Effect.sync(() => calls.push(`${request.version}@${connection.url}`)).pipe(
          Effect.flatMap(() => (failure ? Effect.fail(failure) : Effect.void)),
          Effect.map(() => {
            fs.writeFileSync(destination, zip, { flag: "wx" })
            return { bytes: zip.length, sha256: "x" }
          })
        ),
      availableVersions: () => Effect.succeed(["1.309.0.20250101-000000", VERSION])
    })
  )

/** Provides the file system and a fake source serving the zip `build` makes. */
const withZip =
  (build: () => Promise<Buffer>, calls: Array<string>) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.promise(build).pipe(
      Effect.flatMap((zip) => self.pipe(Effect.provide(Layer.mergeAll(NodeFileSystem.layer, fakeSource(zip, calls)))))
    )

describe("AgentFiles.ensure", () => {
  it.effect("CSI: uses the files the driver mounted", () =>
    Effect.gen(function* () {
      const target = tempDir()
      fs.mkdirSync(path.join(target, "agent/lib64"), { recursive: true })
      fs.writeFileSync(path.join(target, AgentFiles.presenceFile), "ELF")
      expect(yield* AgentFiles.ensure(inputFor(target), target, files)).toBe("csi")
    }).pipe(Effect.provide(Layer.mergeAll(NodeFileSystem.layer, fakeSource(Buffer.alloc(0), []))))
  )

  it.effect("CSI: an empty volume (the driver gave up waiting) is AgentFilesMissing", () =>
    Effect.gen(function* () {
      const target = tempDir()
      const error = yield* AgentFiles.ensure(inputFor(target), target, files).pipe(Effect.flip)
      expect(error._tag).toBe("AgentFilesMissing")
      expect(error.message).toContain("agent/lib64/liboneagentproc.so is missing")
    }).pipe(Effect.provide(Layer.mergeAll(NodeFileSystem.layer, fakeSource(Buffer.alloc(0), []))))
  )

  it.effect("download: fetches, extracts, links agent/bin/current, marks complete; a re-run does nothing", () => {
    const calls: Array<string> = []
    return Effect.gen(function* () {
      const target = tempDir()
      expect(yield* AgentFiles.ensure(inputFor(target, VERSION), target, files)).toBe("downloaded")
      expect(calls).toEqual([`${VERSION}@https://tenant.example/api`])
      expect(fs.readFileSync(path.join(target, "agent/lib64/liboneagentproc.so"), "utf8")).toBe("ELF")
      expect(fs.readlinkSync(path.join(target, "agent/bin/current"))).toBe(VERSION)
      expect(fs.existsSync(path.join(target, "agent/bin/current/linux-x86-64/liboneagentjava.so"))).toBe(true)
      expect(fs.readdirSync(target).toSorted()).toEqual([StagedInstall.markerName, "agent", "manifest.json"])

      expect(yield* AgentFiles.ensure(inputFor(target, VERSION), target, files)).toBe("already-downloaded")
      expect(calls).toHaveLength(1)
    }).pipe(withZip(moduleZip, calls))
  })

  it.effect("download: another version replaces what a previous run installed", () => {
    const calls: Array<string> = []
    return Effect.gen(function* () {
      const target = tempDir()
      yield* AgentFiles.ensure(inputFor(target, VERSION), target, files)
      fs.writeFileSync(path.join(target, "leftover"), "")
      expect(yield* AgentFiles.ensure(inputFor(target, "1.309.0.20250101-000000"), target, files)).toBe("downloaded")
      expect(calls).toHaveLength(2)
      expect(fs.existsSync(path.join(target, "leftover"))).toBe(false)
    }).pipe(withZip(moduleZip, calls))
  })

  it.effect("download: without dtclient.config the input is refused", () =>
    Effect.gen(function* () {
      const target = tempDir()
      const error = yield* AgentFiles.ensure(inputFor(target, VERSION), target, InputDirectory.empty).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "InvalidBootstrapInput", reason: "InvalidInputFile" })
    }).pipe(Effect.provide(Layer.mergeAll(NodeFileSystem.layer, fakeSource(Buffer.alloc(0), []))))
  )

  it.effect("download: a failure logs the versions the tenant offers and leaves no marker", () => {
    const lines: Array<string> = []
    const failure = new CodeModuleDownloadError({
      reason: "NotFound",
      url: "https://t/api/...",
      status: 404,
      message: "404"
    })
    return Effect.gen(function* () {
      const target = tempDir()
      const error = yield* AgentFiles.ensure(inputFor(target, "9.9.9.20990101-000000"), target, files).pipe(Effect.flip)
      expect(error._tag).toBe("CodeModuleDownloadError")
      expect(yield* StagedInstall.isComplete(target, "anything")).toBe(false)
      const listed = lines
        .map((l) => JSON.parse(l))
        .find((l) => l.message === "Listed the code-module versions the tenant offers.")
      expect(listed.annotations).toEqual({
        wanted: "9.9.9.20990101-000000",
        available: `1.309.0.20250101-000000,${VERSION}`
      })
      expect(lines.join("\n")).not.toContain("TOKEN")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          NodeFileSystem.layer,
          fakeSource(Buffer.alloc(0), [], failure),
          Logger.layer([Logger.map(Logger.formatJson, (line) => void lines.push(line))])
        )
      )
    )
  })

  it.effect("download: a hostile archive is refused and nothing is marked complete", () =>
    Effect.gen(function* () {
      const target = tempDir()
      const error = yield* AgentFiles.ensure(inputFor(target, VERSION), target, files).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "ExtractionError", reason: "ZipSlip" })
      expect(fs.existsSync(path.join(target, StagedInstall.markerName))).toBe(false)
      expect(fs.existsSync(path.join(path.dirname(target), "evil"))).toBe(false)
    }).pipe(
      withZip(
        async () => renameEntry(await makeZip([{ name: "xx/xx/evil", data: "x" }]), "xx/xx/evil", "../../evil"),
        []
      )
    )
  )
})
