/**
 * File-system calls of the publish path that cost one system call each, where Effect's `FileSystem` makes several:
 *
 * - `realPath` is `realpath(3)` in one thread-pool job. `FileSystem.realPath` uses Node's JavaScript `realpath`,
 *   which `lstat`s every component of the path in its own job: ~8 jobs for a kubelet target path. With 200
 *   publishes at once those jobs queued on libuv's 4 threads were the largest share of a publish's time.
 * - `unlinkIfPresent` / `removeEmptyDirIfPresent` are `unlink(2)` / `rmdir(2)`; `FileSystem.remove` goes through
 *   Node's `rm`, which `lstat`s first (and walks the tree when recursive).
 *
 * Failures keep the error code (`ENOENT`, `EACCES`, …) so callers decide what "not there" means.
 *
 * @since 0.1.0
 */
import { Effect, Option, Schema } from "effect"
import * as fs from "node:fs/promises"

/** A file-system call failed. @category errors @since 0.1.0 */
export class FsCallError extends Schema.TaggedError<FsCallError>()("FsCallError", {
  call: Schema.String,
  path: Schema.String,
  /** The errno name, e.g. `ENOENT`; `UNKNOWN` when Node gave none. */
  code: Schema.String,
  message: Schema.String
}) {}

const errorOf = (call: string, path: string) => (cause: unknown) => {
  const code =
    typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
      ? cause.code
      : "UNKNOWN"
  return new FsCallError({
    call,
    path,
    code,
    message: `${call} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`
  })
}

const isAbsent = (e: FsCallError) => e.code === "ENOENT" || e.code === "ENOTDIR"

/**
 * The canonical path of `path` (every symlink resolved), in one call.
 *
 * @category calls
 * @since 0.1.0
 */
export const realPath = (path: string): Effect.Effect<string, FsCallError> =>
  Effect.tryPromise({ try: () => fs.realpath(path), catch: errorOf("realpath", path) })

/**
 * `realPath`, or `None` when `path` (or a symlink on the way) does not exist.
 *
 * @category calls
 * @since 0.1.0
 */
export const realPathIfPresent = (path: string): Effect.Effect<Option.Option<string>, FsCallError> =>
  realPath(path).pipe(
    Effect.map(Option.some),
    Effect.catchIf(isAbsent, () => Effect.succeed(Option.none<string>()))
  )

/**
 * Removes a file or symlink; `false` when there was none.
 *
 * @category calls
 * @since 0.1.0
 */
export const unlinkIfPresent = (path: string): Effect.Effect<boolean, FsCallError> =>
  Effect.tryPromise({ try: () => fs.unlink(path), catch: errorOf("unlink", path) }).pipe(
    Effect.as(true),
    Effect.catchIf(isAbsent, () => Effect.succeed(false))
  )

/**
 * Removes an empty directory; `false` when there was none. A directory that is not empty fails with `ENOTEMPTY`.
 *
 * @category calls
 * @since 0.1.0
 */
export const removeEmptyDirIfPresent = (path: string): Effect.Effect<boolean, FsCallError> =>
  Effect.tryPromise({ try: () => fs.rmdir(path), catch: errorOf("rmdir", path) }).pipe(
    Effect.as(true),
    Effect.catchIf(isAbsent, () => Effect.succeed(false))
  )
