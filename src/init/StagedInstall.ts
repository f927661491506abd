/**
 * Installing a tree (an extracted code module) so that it is either complete or absent, and so that a re-run
 * after a crash (kill -9, OOM, node reboot) finishes the job instead of trusting a half-written tree.
 *
 * The commit point is a completion marker, `.dynatrace-install-complete`, holding a stamp (e.g. the version):
 * - `installDirectory(destination, …)`: the tree is built in `<parent>/.<name>.staging`, the marker is written
 *   into it, and the staging directory is renamed onto `destination` in one atomic step. A leftover staging
 *   directory, or a destination without the right marker, is removed and rebuilt.
 * - `populateDirectory(directory, …)`: for a directory that cannot be replaced because it is a mount point (the
 *   init container's `/mnt/bin` emptyDir, whose parent is on a read-only root filesystem). The tree is built in
 *   `<directory>/.dynatrace-staging`, its top-level entries are renamed into `directory` (each rename atomic),
 *   and the marker is written last (itself via rename). Until the marker exists, the content does not count:
 *   a re-run clears the directory and starts over. Nobody reads the directory before the init container has
 *   finished, so the marker is the only thing that must be atomic.
 *
 * Both report whether the tree was already there (`"present"`) or was installed now (`"installed"`).
 *
 * @since 0.1.0
 */
import { Effect, FileSystem, Schema } from "effect"
import * as path from "node:path"

/**
 * A staging or rename step failed (I/O); the message names the path.
 *
 * @category errors
 * @since 0.1.0
 */
export class InstallError extends Schema.TaggedError<InstallError>()("InstallError", {
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * @category models
 * @since 0.1.0
 */
export type InstallOutcome = "present" | "installed"

/**
 * The marker's file name.
 *
 * @category constants
 * @since 0.1.0
 */
export const markerName = ".dynatrace-install-complete"

/**
 * The staging directory of `populateDirectory`, inside the directory itself.
 *
 * @category constants
 * @since 0.1.0
 */
export const populateStagingName = ".dynatrace-staging"

const io =
  (target: string, what: string) =>
  (cause: { readonly message: string }): InstallError =>
    new InstallError({ path: target, message: `Cannot ${what} ${target}: ${cause.message}` })

/**
 * Whether `directory` holds a marker with exactly `stamp`.
 *
 * @category queries
 * @since 0.1.0
 */
export const isComplete = Effect.fn("StagedInstall.isComplete")(function* (directory: string, stamp: string) {
  const fs = yield* FileSystem.FileSystem
  const marker = path.join(directory, markerName)
  return yield* fs.readFileString(marker).pipe(
    Effect.map((content) => content === stamp),
    Effect.catch(() => Effect.succeed(false))
  )
})

const writeMarker = Effect.fn("StagedInstall.writeMarker")(function* (directory: string, stamp: string) {
  const fs = yield* FileSystem.FileSystem
  const marker = path.join(directory, markerName)
  const tmp = `${marker}.tmp`
  yield* fs.writeFileString(tmp, stamp, { mode: 0o644 }).pipe(Effect.mapError(io(tmp, "write")))
  yield* fs.rename(tmp, marker).pipe(Effect.mapError(io(marker, "write")))
})

const removeIfPresent = (fs: FileSystem.FileSystem, target: string) =>
  fs.remove(target, { recursive: true, force: true }).pipe(Effect.mapError(io(target, "remove")))

/**
 * Builds the tree with `populate(staging)` and renames it onto `destination` atomically (see the module comment).
 * `destination`'s parent must be writable.
 *
 * @category install
 * @since 0.1.0
 */
export const installDirectory = <E, R>(
  destination: string,
  stamp: string,
  populate: (staging: string) => Effect.Effect<void, E, R>
): Effect.Effect<InstallOutcome, E | InstallError, R | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if (yield* isComplete(destination, stamp)) return "present" as const
    const staging = path.join(path.dirname(destination), `.${path.basename(destination)}.staging`)
    yield* removeIfPresent(fs, staging)
    yield* fs.makeDirectory(staging, { recursive: true }).pipe(Effect.mapError(io(staging, "create")))
    yield* populate(staging)
    yield* writeMarker(staging, stamp)
    // Incomplete or stale content: nothing may survive into the new tree.
    yield* removeIfPresent(fs, destination)
    yield* fs.rename(staging, destination).pipe(Effect.mapError(io(destination, "rename into")))
    return "installed" as const
  }).pipe(Effect.withSpan("StagedInstall.installDirectory"))

/**
 * Fills the mount point `directory` with the tree built by `populate(staging)` (see the module comment). Without
 * a matching marker, everything in `directory` is removed first: the directory belongs to the installer alone.
 *
 * @category install
 * @since 0.1.0
 */
export const populateDirectory = <E, R>(
  directory: string,
  stamp: string,
  populate: (staging: string) => Effect.Effect<void, E, R>
): Effect.Effect<InstallOutcome, E | InstallError, R | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if (yield* isComplete(directory, stamp)) return "present" as const
    yield* fs.makeDirectory(directory, { recursive: true }).pipe(Effect.mapError(io(directory, "create")))
    // The marker goes first: from here on the directory does not count as complete.
    yield* removeIfPresent(fs, path.join(directory, markerName))
    for (const name of yield* fs.readDirectory(directory).pipe(Effect.mapError(io(directory, "list")))) {
      yield* removeIfPresent(fs, path.join(directory, name))
    }
    const staging = path.join(directory, populateStagingName)
    yield* fs.makeDirectory(staging).pipe(Effect.mapError(io(staging, "create")))
    yield* populate(staging)
    for (const name of yield* fs.readDirectory(staging).pipe(Effect.mapError(io(staging, "list")))) {
      yield* fs
        .rename(path.join(staging, name), path.join(directory, name))
        .pipe(Effect.mapError(io(path.join(directory, name), "move into")))
    }
    yield* removeIfPresent(fs, staging)
    yield* writeMarker(directory, stamp)
    return "installed" as const
  }).pipe(Effect.withSpan("StagedInstall.populateDirectory"))
