/**
 * The node's code-module cache (`codemodules/<version>`, spec §5.3, §5.5 step 7) and the per-DynaKube
 * `latest-codemodule` links: the only code that writes them.
 *
 * - **Once per node.** `ensure(dirName, fetch)` installs a version that is not there yet: the zip is fetched into
 *   `tmp_zip/<dirName>.zip`, extracted safely (`ZipExtractor`) into `codemodules/.<dirName>.staging`,
 *   `agent/bin/current` is linked, and the staging directory is renamed onto `codemodules/<dirName>`
 *   (`StagedInstall.installDirectory`). A version directory therefore only ever appears complete; its existence is
 *   the proof (as in the original, so directories written by it count as present too).
 * - **One download per version.** Concurrent `ensure` calls for the same version share one install (a `Deferred`
 *   per version): the first starts it, the others wait for its result. The install runs in the store's own scope,
 *   so a reconcile that is interrupted does not abort a download others are waiting for.
 * - **Crash safety.** A `kill -9` can leave a zip in `tmp_zip/`, a staging directory, or a temporary link; never a
 *   half-written version under its final name. `recover` (at start, before any reconcile) removes those leftovers.
 * - **Atomic switch.** `pointLatest` writes a new symlink beside `latest-codemodule` and renames it over the old
 *   one: a reader (the CSI server resolving the link on publish) sees the old or the new target, never none.
 * - **Garbage collection excludes installs.** Installs (and link switches) hold a shared permit; garbage
 *   collection takes them all (`exclusive`), so it never deletes a version between its rename and its link.
 *
 * @since 0.1.0
 */
import { Clock, Context, Deferred, Effect, FileSystem, Layer, Metric, Option, Semaphore } from "effect"
import * as crypto from "node:crypto"
import * as path from "node:path"
import { linkCurrentVersion } from "../../init/AgentFiles.ts"
import * as StagedInstall from "../../init/StagedInstall.ts"
import * as ZipExtractor from "../../init/ZipExtractor.ts"
import * as DataDir from "../DataDir.ts"
import * as GcPlan from "./GcPlan.ts"
import * as ProvisionError from "./ProvisionError.ts"
import * as Metrics from "./ProvisionerMetrics.ts"

/**
 * What `ensure` found or did.
 *
 * @category models
 * @since 0.1.0
 */
export type EnsureOutcome = "present" | "installed"

/**
 * What `recover` removed.
 *
 * @category models
 * @since 0.1.0
 */
export interface Recovery {
  readonly zips: number
  readonly stagingDirectories: number
  readonly temporaryLinks: number
}

/**
 * @category models
 * @since 0.1.0
 */
export interface StoreOptions {
  readonly dataDir: DataDir.DataDir
  /** Create the symlinks a code-module zip contains (`DT_EXTRACT_CODEMODULES_IMAGE_LINKS`). */
  readonly extractSymlinks?: boolean | undefined
  /** Extraction limits (default `ZipExtractor.defaultLimits`). */
  readonly limits?: ZipExtractor.ExtractionLimits | undefined
}

/**
 * @category services
 * @since 0.1.0
 */
export class CodeModuleStore extends Context.Service<
  CodeModuleStore,
  {
    readonly dataDir: DataDir.DataDir
    /** Removes crash leftovers (zips, staging directories, temporary links). Only before the first install. */
    readonly recover: Effect.Effect<Recovery, ProvisionError.ProvisionError>
    /**
     * Makes `codemodules/<dirName>` exist. `fetch(zipPath)` writes the zip (the tenant download); it runs at most
     * once however many callers ask for the same version at the same time.
     */
    readonly ensure: (
      dirName: string,
      fetch: (zipPath: string) => Effect.Effect<void, ProvisionError.ProvisionError>
    ) => Effect.Effect<EnsureOutcome, ProvisionError.ProvisionError>
    /** Points `_dynakubes/<dk>/latest-codemodule` at `codemodules/<dirName>`; `false` when it already did. */
    readonly pointLatest: (dynakube: string, dirName: string) => Effect.Effect<boolean, ProvisionError.ProvisionError>
    /** Creates `_dynakubes/<dk>` and `codemodules` (spec §5.5 step 4). */
    readonly createDirectories: (dynakube: string) => Effect.Effect<void, ProvisionError.ProvisionError>
    /** Versions being installed right now. */
    readonly inFlight: Effect.Effect<ReadonlySet<string>>
    /** Runs `effect` as an installer: garbage collection waits until it is done. */
    readonly shared: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
    /** Runs `effect` with no installer active (garbage collection). */
    readonly exclusive: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  }
>()("dynatrace-operator/csi/provisioner/CodeModuleStore") {}

/** Permits of the installer/collector lock: far more than concurrent reconciles. */
const LOCK_PERMITS = 1024

const randomSuffix = () => crypto.randomBytes(6).toString("hex")

/** `latest-codemodule.tmp-<hex>`: a link being switched in. */
const isTemporaryLink = (name: string) => name.startsWith(`${DataDir.LatestCodeModuleLinkName}.tmp-`)

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fn("CodeModuleStore.make")(function* (options: StoreOptions) {
  const fs = yield* FileSystem.FileSystem
  const scope = yield* Effect.scope
  const dataDir = options.dataDir
  const lock = yield* Semaphore.make(LOCK_PERMITS)
  const flights = new Map<string, Deferred.Deferred<EnsureOutcome, ProvisionError.ProvisionError>>()
  const io = Effect.mapError(ProvisionError.fromFileSystem)

  const exists = (target: string) => fs.exists(target).pipe(io)

  const listOrEmpty = (dir: string) => fs.readDirectory(dir).pipe(Effect.orElseSucceed(() => [] as Array<string>))

  const recover = Effect.gen(function* () {
    yield* fs.makeDirectory(dataDir.tmpZip, { recursive: true }).pipe(io)
    yield* fs.makeDirectory(dataDir.codeModules, { recursive: true }).pipe(io)
    let zips = 0
    for (const name of yield* listOrEmpty(dataDir.tmpZip)) {
      yield* fs.remove(path.join(dataDir.tmpZip, name), { recursive: true, force: true }).pipe(io)
      zips++
    }
    let stagingDirectories = 0
    for (const name of yield* listOrEmpty(dataDir.codeModules)) {
      if (GcPlan.stagingTarget(name) === undefined || flights.has(GcPlan.stagingTarget(name)!)) continue
      yield* fs.remove(path.join(dataDir.codeModules, name), { recursive: true, force: true }).pipe(io)
      stagingDirectories++
    }
    let temporaryLinks = 0
    for (const dk of yield* listOrEmpty(dataDir.dynakubes)) {
      if (!DataDir.isSafeComponent(dk)) continue
      for (const name of yield* listOrEmpty(dataDir.dynakube(dk))) {
        if (!isTemporaryLink(name)) continue
        yield* fs.remove(path.join(dataDir.dynakube(dk), name), { force: true }).pipe(io)
        temporaryLinks++
      }
    }
    const recovery: Recovery = { zips, stagingDirectories, temporaryLinks }
    if (zips + stagingDirectories + temporaryLinks > 0) {
      yield* Effect.logInfo("Removed leftovers of an interrupted install.").pipe(Effect.annotateLogs({ ...recovery }))
    }
    return recovery
  }).pipe(Effect.withSpan("CodeModuleStore.recover"))

  /** Download, extract, link `agent/bin/current`, rename into place. */
  const install = (dirName: string, fetch: (zipPath: string) => Effect.Effect<void, ProvisionError.ProvisionError>) =>
    Effect.gen(function* () {
      const destination = dataDir.codeModule(dirName)
      if (yield* exists(destination)) return "present" as const
      const started = yield* Clock.currentTimeMillis
      const zip = dataDir.tmpZipFile(dirName)
      yield* fs.makeDirectory(dataDir.tmpZip, { recursive: true }).pipe(io)
      yield* fs.makeDirectory(dataDir.codeModules, { recursive: true }).pipe(io)
      yield* fs.remove(zip, { force: true }).pipe(io)
      yield* fetch(zip)
      const zipSize = yield* fs.stat(zip).pipe(
        Effect.map((info) => Number(info.size)),
        io
      )
      yield* Metric.update(Metrics.downloadedBytes, zipSize)
      const downloadedAt = yield* Clock.currentTimeMillis
      let summary: ZipExtractor.ExtractionSummary | undefined
      yield* StagedInstall.installDirectory(destination, dirName, (staging) =>
        Effect.gen(function* () {
          summary = yield* ZipExtractor.extract(zip, staging, {
            extractSymlinks: options.extractSymlinks ?? false,
            ...(options.limits === undefined ? {} : { limits: options.limits })
          }).pipe(Effect.mapError(ProvisionError.fromExtraction))
          yield* linkCurrentVersion(staging).pipe(Effect.mapError((e) => ProvisionError.fileSystem(e.message)))
        })
      ).pipe(
        Effect.mapError((e) => (e._tag === "InstallError" ? ProvisionError.fromFileSystem(e) : e)),
        // A failed extraction must not leave its staging directory until the next start.
        Effect.tapError(() =>
          fs.remove(dataDir.codeModuleStaging(dirName), { recursive: true, force: true }).pipe(Effect.ignore)
        )
      )
      const finished = yield* Clock.currentTimeMillis
      yield* Metric.update(Metrics.installSeconds, (finished - started) / 1000)
      yield* Effect.logInfo("Installed the code module.").pipe(
        Effect.annotateLogs({
          codeModule: dirName,
          zipBytes: zipSize,
          files: summary?.files ?? 0,
          bytes: summary?.bytes ?? 0,
          downloadMillis: downloadedAt - started,
          extractMillis: finished - downloadedAt
        })
      )
      return "installed" as const
    }).pipe(
      Effect.ensuring(fs.remove(dataDir.tmpZipFile(dirName), { force: true }).pipe(Effect.ignore)),
      Effect.tap((outcome) =>
        outcome === "installed"
          ? Metric.update(Metric.withAttributes(Metrics.installs, { result: "installed" }), 1)
          : Effect.void
      ),
      Effect.tapError(() => Metric.update(Metric.withAttributes(Metrics.installs, { result: "failed" }), 1)),
      Effect.withSpan("CodeModuleStore.install"),
      Effect.annotateLogs({ codeModule: dirName }),
      Effect.provideService(FileSystem.FileSystem, fs)
    )

  const ensure = (dirName: string, fetch: (zipPath: string) => Effect.Effect<void, ProvisionError.ProvisionError>) =>
    Effect.suspend(() => {
      if (!DataDir.isSafeComponent(dirName)) {
        return Effect.fail(ProvisionError.fileSystem(`${JSON.stringify(dirName)} cannot name a code-module directory`))
      }
      const running = flights.get(dirName)
      if (running !== undefined) return Deferred.await(running)
      // Registered before the first await, so a second caller in the same tick joins this flight.
      const flight = Deferred.makeUnsafe<EnsureOutcome, ProvisionError.ProvisionError>()
      flights.set(dirName, flight)
      const run = install(dirName, fetch).pipe(
        Deferred.into(flight),
        Effect.ensuring(Effect.sync(() => flights.delete(dirName)))
      )
      return Effect.forkIn(run, scope).pipe(Effect.andThen(Deferred.await(flight)))
    }).pipe(Effect.withSpan("CodeModuleStore.ensure"))

  const pointLatest = (dynakube: string, dirName: string) =>
    Effect.gen(function* () {
      const link = dataDir.latestCodeModule(dynakube)
      const target = dataDir.codeModule(dirName)
      const current = yield* fs.readLink(link).pipe(Effect.option)
      if (Option.isSome(current) && path.resolve(path.dirname(link), current.value) === target) return false
      yield* fs.makeDirectory(dataDir.dynakube(dynakube), { recursive: true }).pipe(io)
      // Not a symlink (a directory left by something else): rename cannot replace it, so it goes first.
      const existing = yield* fs.lstat(link).pipe(Effect.option)
      if (Option.isSome(existing) && existing.value.type === "Directory") {
        yield* fs.remove(link, { recursive: true, force: true }).pipe(io)
      }
      const temporary = `${link}.tmp-${randomSuffix()}`
      yield* fs.symlink(target, temporary).pipe(io)
      yield* fs.rename(temporary, link).pipe(
        io,
        Effect.tapError(() => fs.remove(temporary, { force: true }).pipe(Effect.ignore))
      )
      yield* Effect.logInfo("Pointed the DynaKube's latest code module at the new version.").pipe(
        Effect.annotateLogs({
          dynakube,
          codeModule: dirName,
          previous: Option.match(current, { onNone: () => "", onSome: (p) => path.basename(p) })
        })
      )
      return true
    }).pipe(Effect.withSpan("CodeModuleStore.pointLatest"))

  const createDirectories = (dynakube: string) =>
    Effect.gen(function* () {
      yield* fs.makeDirectory(dataDir.dynakube(dynakube), { recursive: true }).pipe(io)
      yield* fs.makeDirectory(dataDir.codeModules, { recursive: true }).pipe(io)
    })

  return CodeModuleStore.of({
    dataDir,
    recover,
    ensure,
    pointLatest,
    createDirectories,
    inFlight: Effect.sync(() => new Set(flights.keys())),
    shared: (effect) => lock.withPermits(1)(effect),
    exclusive: (effect) => lock.withPermits(LOCK_PERMITS)(effect)
  })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: StoreOptions): Layer.Layer<CodeModuleStore, never, FileSystem.FileSystem> =>
  Layer.effect(CodeModuleStore, make(options))
