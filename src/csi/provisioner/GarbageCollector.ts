/**
 * Runs the provisioner's garbage collection (the rules are `GcPlan.ts`): read the data directory and the kernel
 * mount table into a snapshot, decide, delete. At most once per `CLEANUP_PERIOD` (default 30 min) from ordinary
 * reconciles, immediately after a DynaKube was deleted (spec §5.5).
 *
 * The whole run holds the store's exclusive lock, so no install is between its rename and its link switch while the
 * snapshot is taken and the deletions happen. Failures never fail a reconcile (as in the original, which ignores
 * them): a path that cannot be deleted is logged and tried again next time.
 *
 * Which code modules are in use comes from the mount table: the lower dir of every overlay mounted by the CSI
 * server (read with `CsiMetrics.countVersions`, the same reading the server's version gauge uses). The provisioner
 * must therefore see the mounts of the server, which the DaemonSet arranges with mount propagation on the shared
 * data directory.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, FileSystem, Layer, Metric, Option } from "effect"
import * as path from "node:path"
import { type MountInfo, NodeFs } from "../../services/NodeFs.ts"
import * as CsiMetrics from "../CsiMetrics.ts"
import * as DataDir from "../DataDir.ts"
import { CodeModuleStore } from "./CodeModuleStore.ts"
import * as GcPlan from "./GcPlan.ts"
import * as Metrics from "./ProvisionerMetrics.ts"

/**
 * What one collection did.
 *
 * @category models
 * @since 0.1.0
 */
export interface GcResult {
  readonly removed: ReadonlyArray<GcPlan.Removal>
  readonly failed: ReadonlyArray<GcPlan.Removal>
  readonly keptCodeModules: ReadonlyArray<string>
}

/**
 * @category services
 * @since 0.1.0
 */
export class GarbageCollector extends Context.Service<
  GarbageCollector,
  {
    /** Collects if the last collection is at least one period ago (or there was none); `None` = skipped. */
    readonly runThrottled: (live: ReadonlyArray<GcPlan.LiveDynaKube>) => Effect.Effect<Option.Option<GcResult>>
    /** Collects now (after a DynaKube deletion) and restarts the period. */
    readonly runNow: (live: ReadonlyArray<GcPlan.LiveDynaKube>) => Effect.Effect<GcResult>
  }
>()("dynatrace-operator/csi/provisioner/GarbageCollector") {}

/** Whether `dir` (relative to the data root, e.g. `_dynakubes/dk/osagent`) is the source of some mount. */
const isBindSource = (mounts: ReadonlyArray<MountInfo>, relative: string): boolean =>
  mounts.some((m) => m.root.endsWith(`/${relative}`) || m.root.includes(`/${relative}/`) || m.root === `/${relative}`)

/**
 * Reads the snapshot `GcPlan.plan` decides on.
 *
 * @category snapshot
 * @since 0.1.0
 */
export const snapshot = Effect.fn("GarbageCollector.snapshot")(function* (
  dataDir: DataDir.DataDir,
  inFlight: ReadonlySet<string>
) {
  const fs = yield* FileSystem.FileSystem
  const nodeFs = yield* NodeFs
  const mounts = yield* nodeFs.mounts
  const real = (p: string) => fs.realPath(p).pipe(Effect.orElseSucceed(() => p))
  const rootReal = yield* real(dataDir.root)
  const codeModulesReal = yield* real(dataDir.codeModules)
  // Mount points below the root, in the DataDir's spelling of the root.
  const mountPoints = mounts
    .map((m) => m.mountPoint)
    .filter((mp) => mp === rootReal || mp.startsWith(`${rootReal}/`))
    .map((mp) => dataDir.root + mp.slice(rootReal.length))
  const mountedCodeModules = new Set([
    ...CsiMetrics.countVersions(mounts, codeModulesReal).keys(),
    ...CsiMetrics.countVersions(mounts, dataDir.codeModules).keys()
  ])

  const entries = (dir: string) => fs.readDirectoryEntries(dir).pipe(Effect.orElseSucceed(() => []))
  const exists = (p: string) =>
    fs.lstat(p).pipe(
      Effect.as(true),
      Effect.orElseSucceed(() => false)
    )

  const topLevel: Array<GcPlan.TopLevelEntry> = []
  for (const entry of yield* entries(dataDir.root)) {
    const isDirectory = entry.type === "Directory"
    if (!isDirectory || DataDir.KnownTopLevelNames.includes(entry.name) || !DataDir.isSafeComponent(entry.name)) {
      topLevel.push({ name: entry.name, isDirectory })
      continue
    }
    const dir = path.join(dataDir.root, entry.name)
    const hasRun = yield* exists(path.join(dir, "run"))
    const hasOsAgent = yield* exists(dataDir.legacyOsAgent(entry.name))
    if (!hasRun && !hasOsAgent) {
      topLevel.push({ name: entry.name, isDirectory })
      continue
    }
    const runVolumes = (yield* entries(path.join(dir, "run")))
      .filter((volume) => DataDir.isSafeComponent(volume.name))
      .map((volume) => ({
        volumeId: volume.name,
        mapped: mountPoints.includes(dataDir.legacyMapped(entry.name, volume.name))
      }))
    topLevel.push({
      name: entry.name,
      isDirectory,
      legacy: {
        hasRun,
        hasOsAgent,
        osAgentInUse: isBindSource(mounts, `${entry.name}/${DataDir.OsAgentDirName}`),
        runVolumes
      }
    })
  }

  const dynakubeDirs: Array<GcPlan.DynakubeDirState> = []
  for (const entry of yield* entries(dataDir.dynakubes)) {
    if (!DataDir.isSafeComponent(entry.name)) continue
    const isDirectory = entry.type === "Directory"
    let latest: GcPlan.LatestLink = { _tag: "Absent" }
    if (isDirectory) {
      const link = dataDir.latestCodeModule(entry.name)
      if (yield* exists(link)) {
        const target = yield* fs.readLink(link).pipe(Effect.option)
        if (Option.isNone(target)) latest = { _tag: "Elsewhere" }
        else {
          const resolved = path.resolve(path.dirname(link), target.value)
          const parent = path.dirname(resolved)
          latest =
            parent === dataDir.codeModules || parent === codeModulesReal
              ? { _tag: "CodeModule", dirName: path.basename(resolved) }
              : { _tag: "Elsewhere" }
        }
      }
    }
    dynakubeDirs.push({
      name: entry.name,
      isDirectory,
      latest,
      hasOsAgent: isDirectory && (yield* exists(dataDir.osAgent(entry.name))),
      osAgentInUse: isBindSource(mounts, `${DataDir.DynakubesDirName}/${entry.name}/${DataDir.OsAgentDirName}`)
    })
  }

  const codeModules = (yield* entries(dataDir.codeModules)).map((entry) => entry.name)
  return {
    topLevel,
    dynakubeDirs,
    codeModules,
    mountedCodeModules,
    inFlight,
    mountPoints
  } satisfies GcPlan.FsSnapshot
})

/**
 * @category models
 * @since 0.1.0
 */
export interface GcOptions {
  /** `CLEANUP_PERIOD` (default 30 min). */
  readonly period: Duration.Duration
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fn("GarbageCollector.make")(function* (options: GcOptions) {
  const fs = yield* FileSystem.FileSystem
  const nodeFs = yield* NodeFs
  const store = yield* CodeModuleStore
  const dataDir = store.dataDir
  let lastRun: number | undefined

  const collect = (live: ReadonlyArray<GcPlan.LiveDynaKube>) =>
    store.exclusive(
      Effect.gen(function* () {
        lastRun = yield* Clock.currentTimeMillis
        const state = yield* snapshot(dataDir, yield* store.inFlight)
        const decided = GcPlan.plan(dataDir, state, live)
        const removed: Array<GcPlan.Removal> = []
        const failed: Array<GcPlan.Removal> = []
        for (const removal of decided.removals) {
          const outcome = yield* fs.remove(removal.path, { recursive: true, force: true }).pipe(Effect.result)
          if (outcome._tag === "Failure") {
            failed.push(removal)
            yield* Effect.logWarning("Could not remove an unused path; will retry at the next clean-up.").pipe(
              Effect.annotateLogs({ path: removal.path, kind: removal.kind, error: outcome.failure.message })
            )
            continue
          }
          removed.push(removal)
          yield* Metric.update(Metric.withAttributes(Metrics.gcRemoved, { kind: removal.kind }), 1)
          yield* Effect.logInfo("Removed an unused path.").pipe(
            Effect.annotateLogs({ path: removal.path, kind: removal.kind })
          )
        }
        for (const dir of decided.removeIfEmpty) {
          const rest = yield* fs.readDirectory(dir).pipe(Effect.option)
          if (Option.isSome(rest) && rest.value.length === 0) yield* fs.remove(dir).pipe(Effect.ignore)
        }
        yield* Metric.update(Metrics.codeModules, decided.keptCodeModules.length)
        return { removed, failed, keptCodeModules: decided.keptCodeModules } satisfies GcResult
      }).pipe(
        Effect.provideService(FileSystem.FileSystem, fs),
        Effect.provideService(NodeFs, nodeFs),
        Effect.withSpan("GarbageCollector.collect")
      )
    )

  const runThrottled = (live: ReadonlyArray<GcPlan.LiveDynaKube>) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (lastRun !== undefined && now - lastRun < Duration.toMillis(options.period)) return Option.none<GcResult>()
      return Option.some(yield* collect(live))
    })

  return GarbageCollector.of({ runThrottled, runNow: collect })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: GcOptions
): Layer.Layer<GarbageCollector, never, FileSystem.FileSystem | NodeFs | CodeModuleStore> =>
  Layer.effect(GarbageCollector, make(options))
