/**
 * The archive format: a gzip-compressed tar (`.tgz`) of text files, as the original's support archive. Entries are
 * written by `tar-stream` (a maintained, streaming tar writer with no native parts) and compressed by Node's zlib;
 * `read` is the inverse, used by tests and by anyone inspecting an archive programmatically.
 *
 * Every entry sits under one top-level folder (`prefix`), has mode 0644 and the archive's creation time.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { Writable } from "node:stream"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import * as zlib from "node:zlib"
import * as tar from "tar-stream"

/** One file of the archive. @category models @since 0.1.0 */
export interface Entry {
  /** Relative path, `/`-separated (`manifests/dynatrace/dynakubes/dk.yaml`). */
  readonly path: string
  readonly content: string
}

/** Writing or reading the archive failed (disk full, broken pipe, not a tgz). @category errors @since 0.1.0 */
export class ArchiveError extends Schema.TaggedError<ArchiveError>()("ArchiveError", {
  message: Schema.String
}) {}

const toError = (what: string) => (cause: unknown) =>
  new ArchiveError({ message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}` })

/**
 * Writes the entries as a tgz into `destination` (a file stream or stdout); succeeds when everything is flushed.
 * @category writing
 * @since 0.1.0
 */
export const write = (
  entries: ReadonlyArray<Entry>,
  destination: Writable,
  options: { readonly prefix: string; readonly mtime: Date }
): Effect.Effect<void, ArchiveError> =>
  Effect.tryPromise({
    try: async () => {
      const pack = tar.pack()
      const done = pipeline(pack, zlib.createGzip(), destination)
      for (const entry of entries) {
        const body = Buffer.from(entry.content, "utf8")
        await new Promise<void>((resolve, reject) =>
          pack.entry(
            { name: `${options.prefix}/${entry.path}`, size: body.length, mode: 0o644, mtime: options.mtime },
            body,
            (error) => (error ? reject(error) : resolve())
          )
        )
      }
      pack.finalize()
      await done
    },
    catch: toError("cannot write the support archive")
  })

/**
 * Reads a tgz into entries (paths as stored, with the prefix).
 * @category reading
 * @since 0.1.0
 */
export const read = (archive: Uint8Array): Effect.Effect<ReadonlyArray<Entry>, ArchiveError> =>
  Effect.tryPromise({
    try: async () => {
      const extract = tar.extract()
      const entries: Array<Entry> = []
      const consumed = (async () => {
        for await (const entry of extract) {
          const chunks: Array<Buffer> = []
          for await (const chunk of entry) chunks.push(chunk as Buffer)
          entries.push({ path: entry.header.name, content: Buffer.concat(chunks).toString("utf8") })
        }
      })()
      // Both together: when the input is broken both reject, and neither rejection may go unobserved.
      await Promise.all([pipeline(Readable.from([Buffer.from(archive)]), zlib.createGunzip(), extract), consumed])
      return entries
    },
    catch: toError("cannot read the support archive")
  })
