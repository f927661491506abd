/**
 * The provisioner's garbage collection (spec §5.5 "Garbage collection") as a pure function: from a snapshot of the
 * node's data directory, its mount table and the DynaKubes that exist, to the list of paths to delete.
 *
 * Rules, in the spec's order:
 * 1. Unknown top-level directories under the data directory go (not `codemodules`, `_dynakubes`, `appmounts`,
 *    `work`, `tmp_zip`, and not a legacy tenant directory, i.e. one holding `run/` or `osagent/`). Plain files stay.
 * 2. Legacy app volumes `<tenant>/run/<volumeID>` whose `mapped` overlay is no longer mounted go; then the empty
 *    `run/` and tenant directories.
 * 3. Host-agent directories (`_dynakubes/<dk>/osagent`, legacy `<tenant>/osagent`) go when nothing mounts them and
 *    no DynaKube with a read-only host agent uses them.
 * 4. `_dynakubes/<dk>` of a DynaKube that no longer exists goes (its `latest-codemodule` link with it); if something
 *    under it is still mounted, only the link goes.
 * 5. A directory in `codemodules/` stays only if it is the lower dir of a mounted overlay (an app volume in use),
 *    the target of the `latest-codemodule` link of an existing DynaKube with app injection, or being installed
 *    right now. Everything else there goes, including staging leftovers of installs that are not running.
 *
 * One guard over all rules: nothing at or above a mount point is ever deleted (`rm -rf` through a mount would
 * delete what is mounted there); such a path stays until the next run.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import * as DataDir from "../DataDir.ts"

/**
 * Where a `latest-codemodule` link leads.
 *
 * @category models
 * @since 0.1.0
 */
export type LatestLink =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "CodeModule"; readonly dirName: string }
  /** Outside `codemodules/` (or not a symlink): protects nothing. */
  | { readonly _tag: "Elsewhere" }

/**
 * One `_dynakubes/<dk>` directory.
 *
 * @category models
 * @since 0.1.0
 */
export interface DynakubeDirState {
  readonly name: string
  /** False for a stray file in `_dynakubes/`. */
  readonly isDirectory: boolean
  readonly latest: LatestLink
  readonly hasOsAgent: boolean
  /** The `osagent` directory is the source of a bind mount (a host agent uses it). */
  readonly osAgentInUse: boolean
}

/**
 * One legacy (≤ 1.4) tenant directory `<root>/<tenantUUID>`.
 *
 * @category models
 * @since 0.1.0
 */
export interface LegacyTenantState {
  readonly hasOsAgent: boolean
  readonly osAgentInUse: boolean
  /** Volumes under `run/`, each with whether its `mapped` overlay is mounted. */
  readonly runVolumes: ReadonlyArray<{ readonly volumeId: string; readonly mapped: boolean }>
  readonly hasRun: boolean
}

/**
 * One entry directly under the data directory.
 *
 * @category models
 * @since 0.1.0
 */
export interface TopLevelEntry {
  readonly name: string
  readonly isDirectory: boolean
  /** Set when the directory holds `run/` or `osagent/`. */
  readonly legacy?: LegacyTenantState | undefined
}

/**
 * What the data directory and the mount table look like.
 *
 * @category models
 * @since 0.1.0
 */
export interface FsSnapshot {
  readonly topLevel: ReadonlyArray<TopLevelEntry>
  readonly dynakubeDirs: ReadonlyArray<DynakubeDirState>
  /** Entry names in `codemodules/`. */
  readonly codeModules: ReadonlyArray<string>
  /** Code-module directory names that are the lower dir of a mounted overlay. */
  readonly mountedCodeModules: ReadonlySet<string>
  /** Code-module directory names being installed now (their staging directories stay too). */
  readonly inFlight: ReadonlySet<string>
  /** Every mount point at or below the data directory (absolute, same form as the DataDir's paths). */
  readonly mountPoints: ReadonlyArray<string>
}

/**
 * A DynaKube that exists (from the informer).
 *
 * @category models
 * @since 0.1.0
 */
export interface LiveDynaKube {
  readonly name: string
  readonly appInjection: boolean
  readonly readOnlyHostAgent: boolean
  /** Tenant UUID from `spec.apiUrl` (legacy host directories are named after it), if it can be read. */
  readonly tenantUuid?: string | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export type RemovalKind =
  | "UnknownDirectory"
  | "LegacyVolume"
  | "LegacyOsAgent"
  | "OsAgent"
  | "DynakubeDirectory"
  | "LatestLink"
  | "CodeModule"
  | "Staging"

/**
 * One path to delete (recursively), and why.
 *
 * @category models
 * @since 0.1.0
 */
export interface Removal {
  readonly kind: RemovalKind
  readonly path: string
}

/**
 * The deletions, in order; `removeIfEmpty` runs after them (legacy `run/` and tenant directories, deepest first).
 *
 * @category models
 * @since 0.1.0
 */
export interface GcPlan {
  readonly removals: ReadonlyArray<Removal>
  readonly removeIfEmpty: ReadonlyArray<string>
  /** Code-module directories that stay (for the log and the gauge). */
  readonly keptCodeModules: ReadonlyArray<string>
}

/**
 * The tenant UUID in an API URL: `https://<uuid>.live.dynatrace.com/api` (first host label) or Managed
 * `https://<host>/e/<uuid>/api`.
 *
 * @category parsing
 * @since 0.1.0
 */
export const tenantUuidFromApiUrl = (apiUrl: string | undefined): string | undefined => {
  if (apiUrl === undefined) return undefined
  try {
    const url = new URL(apiUrl)
    const managed = /\/e\/([^/]+)(?:\/|$)/.exec(url.pathname)?.[1]
    const candidate = managed ?? url.hostname.split(".")[0]
    return candidate !== undefined && DataDir.isSafeComponent(candidate) ? candidate : undefined
  } catch {
    return undefined
  }
}

const stagingPattern = /^\.(.+)\.staging$/

/**
 * The version directory a staging directory is built for (`.1.2.3.staging` → `1.2.3`), if it is one.
 *
 * @category parsing
 * @since 0.1.0
 */
export const stagingTarget = (name: string): string | undefined => stagingPattern.exec(name)?.[1]

/**
 * Decides what garbage collection deletes.
 *
 * @category decisions
 * @since 0.1.0
 */
export const plan = (dataDir: DataDir.DataDir, snapshot: FsSnapshot, live: ReadonlyArray<LiveDynaKube>): GcPlan => {
  const removals: Array<Removal> = []
  const mountedBelow = (target: string) =>
    snapshot.mountPoints.some((mp) => mp === target || mp.startsWith(`${target}/`))
  const removeIfEmpty: Array<string> = []
  const liveByName = new Map(live.map((dk) => [dk.name, dk]))
  const known = new Set(DataDir.KnownTopLevelNames)
  const legacyHostTenants = new Set(
    live.filter((dk) => dk.readOnlyHostAgent && dk.tenantUuid !== undefined).map((dk) => dk.tenantUuid!)
  )

  // 1–3 (legacy): the top level.
  for (const entry of snapshot.topLevel) {
    if (!entry.isDirectory || known.has(entry.name) || !DataDir.isSafeComponent(entry.name)) continue
    const tenantDir = path.join(dataDir.root, entry.name)
    if (entry.legacy === undefined) {
      removals.push({ kind: "UnknownDirectory", path: tenantDir })
      continue
    }
    for (const volume of entry.legacy.runVolumes) {
      if (volume.mapped || !DataDir.isSafeComponent(volume.volumeId)) continue
      removals.push({ kind: "LegacyVolume", path: dataDir.legacyVolume(entry.name, volume.volumeId) })
    }
    if (entry.legacy.hasOsAgent && !entry.legacy.osAgentInUse && !legacyHostTenants.has(entry.name)) {
      removals.push({ kind: "LegacyOsAgent", path: dataDir.legacyOsAgent(entry.name) })
    }
    if (entry.legacy.hasRun) removeIfEmpty.push(path.join(tenantDir, "run"))
    removeIfEmpty.push(tenantDir)
  }

  // 3–4: `_dynakubes/<dk>`.
  const protectedModules = new Set<string>()
  for (const dir of snapshot.dynakubeDirs) {
    if (!DataDir.isSafeComponent(dir.name)) continue
    const dk = liveByName.get(dir.name)
    if (dk === undefined) {
      if (!mountedBelow(dataDir.dynakube(dir.name)) && !dir.osAgentInUse) {
        removals.push({ kind: "DynakubeDirectory", path: dataDir.dynakube(dir.name) })
      } else if (dir.latest._tag !== "Absent") {
        removals.push({ kind: "LatestLink", path: dataDir.latestCodeModule(dir.name) })
      }
      continue
    }
    if (!dir.isDirectory) continue
    if (dk.appInjection && dir.latest._tag === "CodeModule") protectedModules.add(dir.latest.dirName)
    if (dir.hasOsAgent && !dk.readOnlyHostAgent && !dir.osAgentInUse) {
      removals.push({ kind: "OsAgent", path: dataDir.osAgent(dir.name) })
    }
  }

  // 5: `codemodules/`.
  const kept: Array<string> = []
  for (const name of snapshot.codeModules) {
    if (!DataDir.isSafeComponent(name)) continue
    const target = stagingTarget(name)
    if (target !== undefined) {
      if (!snapshot.inFlight.has(target)) {
        removals.push({ kind: "Staging", path: path.join(dataDir.codeModules, name) })
      }
      continue
    }
    if (snapshot.mountedCodeModules.has(name) || protectedModules.has(name) || snapshot.inFlight.has(name)) {
      kept.push(name)
      continue
    }
    removals.push({ kind: "CodeModule", path: dataDir.codeModule(name) })
  }

  // The guard: never delete through a mount point.
  return {
    removals: removals.filter((removal) => !mountedBelow(removal.path)),
    removeIfEmpty,
    keptCodeModules: kept.toSorted()
  }
}
