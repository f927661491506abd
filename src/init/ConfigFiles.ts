/**
 * Writing one file into the shared config volume (`--config-directory`, `/mnt/config`): parent directories are
 * created (0755), the content goes to `<file>.tmp` first and is renamed onto `<file>`, so an application
 * container (or a re-run after a crash) never sees half a file. The mode is exact because the process umask is 0
 * (spec §4.2).
 *
 * @since 0.1.0
 */
import { Effect, FileSystem, Schema } from "effect"
import * as path from "node:path"

/**
 * A config file could not be written.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * Writes `content` to `file` atomically with `mode` (default 0644).
 *
 * @category writers
 * @since 0.1.0
 */
export const write = Effect.fn("ConfigFiles.write")(function* (
  file: string,
  content: string | Uint8Array,
  mode: number = 0o644
) {
  const fs = yield* FileSystem.FileSystem
  const fail = (cause: { readonly message: string }) =>
    new ConfigFileError({ path: file, message: `Cannot write ${file}: ${cause.message}` })
  yield* fs.makeDirectory(path.dirname(file), { recursive: true, mode: 0o755 }).pipe(Effect.mapError(fail))
  const tmp = `${file}.tmp`
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content
  yield* fs.writeFile(tmp, bytes, { mode }).pipe(Effect.mapError(fail))
  // A file left by an earlier run keeps its old mode through writeFile; this makes the mode exact.
  yield* fs.chmod(tmp, mode).pipe(Effect.mapError(fail))
  yield* fs.rename(tmp, file).pipe(Effect.mapError(fail))
})
