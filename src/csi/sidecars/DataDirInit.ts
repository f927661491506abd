/**
 * `csi-init`: prepares the CSI driver's data directory before the driver's containers start (spec §5.1, §5.3).
 *
 * 1. Creates the layout of `DataDir.ts`: the root and its `codemodules/`, `_dynakubes/`, `appmounts/`, `work/`
 *    and `tmp_zip/` directories; `appmounts/` gets mode 0755 even when it already existed with another mode (pods
 *    running as any user must traverse it to reach their overlay).
 * 2. Migrates app volumes of the legacy (≤ 1.4) layout that are still mounted: for each overlay mounted at
 *    `<root>/<tenant>/run/<volumeID>/mapped`, `appmounts/<volumeID>` becomes a symlink to
 *    `<root>/<tenant>/run/<volumeID>`, so the current driver finds (and later unpublishes) the volume.
 * 3. Migrates legacy host-agent storage: for each DynaKube with a read-only host agent whose tenant still has
 *    `<root>/<tenant>/osagent`, `_dynakubes/<dk>/osagent` becomes a symlink to it, so the host agent keeps its
 *    state. Skipped when the DynaKubes could not be listed (the caller passes `None`).
 *
 * Idempotent: an existing `appmounts/<volumeID>` or `_dynakubes/<dk>/osagent` is never touched, so a second run
 * changes nothing. Only step 1 can fail the init container; a migration that fails is logged and skipped, as a
 * node with a half-migrated volume is still better served by a running driver than by a crash loop.
 *
 * @since 0.1.0
 */
import { Effect, FileSystem, Option } from "effect"
import * as path from "node:path"
import type { MountInfo } from "../../services/NodeFs.ts"
import * as DataDir from "../DataDir.ts"
import { SidecarError } from "./SidecarError.ts"

/** A DynaKube that uses a read-only host agent, with the tenant its legacy directory is named after. @category models @since 0.1.0 */
export interface HostAgentDynaKube {
  readonly name: string
  readonly tenantUuid: string
}

/** One symlink the migration creates: `link` → `target`. @category models @since 0.1.0 */
export interface Migration {
  readonly kind: "AppMount" | "HostDir"
  readonly link: string
  readonly target: string
}

/** What a run did. @category models @since 0.1.0 */
export interface Report {
  /** Directories of the layout that did not exist before. */
  readonly created: ReadonlyArray<string>
  readonly migrated: ReadonlyArray<Migration>
}

/** @category models @since 0.1.0 */
export interface Input {
  /** The mount table (`/proc/self/mountinfo`). */
  readonly mounts: ReadonlyArray<MountInfo>
  /** DynaKubes with a read-only host agent; `None` when they could not be listed. */
  readonly hostAgentDynaKubes: Option.Option<ReadonlyArray<HostAgentDynaKube>>
}

/**
 * The app-volume symlinks the mount table asks for: one per overlay mounted at a legacy
 * `<root>/<tenant>/run/<volumeID>/mapped`. Whether the link already exists is checked when it is made.
 *
 * @category decisions
 * @since 0.1.0
 */
export const appMountMigrations = (
  dataDir: DataDir.DataDir,
  mounts: ReadonlyArray<MountInfo>
): ReadonlyArray<Migration> => {
  const seen = new Set<string>()
  const migrations: Array<Migration> = []
  for (const mount of mounts) {
    if (mount.fsType !== "overlay") continue
    const relative = path.relative(dataDir.root, mount.mountPoint)
    const parts = relative.split(path.sep)
    if (relative.startsWith("..") || path.isAbsolute(relative) || parts.length !== 4) continue
    const [tenant, run, volumeId, mapped] = parts as [string, string, string, string]
    if (run !== "run" || mapped !== "mapped" || DataDir.KnownTopLevelNames.includes(tenant)) continue
    if (!DataDir.isSafeComponent(tenant) || !DataDir.isSafeComponent(volumeId) || seen.has(volumeId)) continue
    seen.add(volumeId)
    migrations.push({
      kind: "AppMount",
      link: dataDir.appMount(volumeId),
      target: dataDir.legacyVolume(tenant, volumeId)
    })
  }
  return migrations
}

/** Fails the init container: the layout could not be created. */
const fatal = (action: string, p: string) =>
  Effect.mapError(
    (e: { readonly message: string }) =>
      new SidecarError({ reason: "DataDir", message: `cannot ${action} ${p}: ${e.message}` })
  )

/**
 * Runs the three steps on `dataDir`.
 *
 * @category running
 * @since 0.1.0
 */
export const run = Effect.fn("DataDirInit.run")(function* (dataDir: DataDir.DataDir, input: Input) {
  const fs = yield* FileSystem.FileSystem
  const exists = (p: string) =>
    fs.lstat(p).pipe(
      Effect.as(true),
      Effect.orElseSucceed(() => false)
    )
  // 1. The layout.
  const created: Array<string> = []
  for (const dir of [
    dataDir.root,
    dataDir.codeModules,
    dataDir.dynakubes,
    dataDir.appMounts,
    dataDir.work,
    dataDir.tmpZip
  ]) {
    if (yield* exists(dir)) continue
    yield* fs.makeDirectory(dir, { recursive: true, mode: 0o755 }).pipe(fatal("create", dir))
    created.push(dir)
  }
  yield* fs.chmod(dataDir.appMounts, 0o755).pipe(fatal("set the mode of", dataDir.appMounts))

  // 2. and 3. The legacy volumes and host directories.
  const wanted: Array<Migration> = [...appMountMigrations(dataDir, input.mounts)]
  if (Option.isNone(input.hostAgentDynaKubes)) {
    yield* Effect.logWarning("Skipped the migration of legacy host-agent directories: the DynaKubes are unknown.")
  } else {
    for (const dk of input.hostAgentDynaKubes.value) {
      if (!DataDir.isSafeComponent(dk.name) || !DataDir.isSafeComponent(dk.tenantUuid)) continue
      const legacy = dataDir.legacyOsAgent(dk.tenantUuid)
      if (!(yield* exists(legacy))) continue
      wanted.push({ kind: "HostDir", link: dataDir.osAgent(dk.name), target: legacy })
    }
  }

  const migrated: Array<Migration> = []
  for (const migration of wanted) {
    if (yield* exists(migration.link)) continue
    const done = yield* fs.makeDirectory(path.dirname(migration.link), { recursive: true, mode: 0o755 }).pipe(
      Effect.andThen(fs.symlink(migration.target, migration.link)),
      Effect.as(true),
      Effect.catch((error) =>
        Effect.logError("Could not migrate a legacy directory.").pipe(
          Effect.annotateLogs({
            kind: migration.kind,
            link: migration.link,
            target: migration.target,
            error: error.message
          }),
          Effect.as(false)
        )
      )
    )
    if (!done) continue
    migrated.push(migration)
    yield* Effect.logInfo("Migrated a legacy directory to the current layout.").pipe(
      Effect.annotateLogs({ kind: migration.kind, link: migration.link, target: migration.target })
    )
  }
  return { created, migrated } satisfies Report
})
