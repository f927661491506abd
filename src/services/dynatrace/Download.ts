/**
 * Writing a code-module zip from a response to disk, checked (spec §5.5, §4.2).
 *
 * The body is streamed chunk by chunk into a temporary file beside the destination (`<destination>.partial-<n>`),
 * hashing as it goes, so a 200 MB module never sits in memory. Then:
 * - the byte count must equal `Content-Length` (when the tenant sent one) — a shorter body is a broken transfer;
 * - the SHA-256 must equal `expectedSha256` when the caller knows it;
 * - the file must be a readable zip (its central directory parses);
 * and only then is it renamed onto the destination. On any failure or interruption the temporary file is removed.
 *
 * @since 0.1.0
 */
import { Effect, Exit, FileSystem, Stream } from "effect"
import type { PlatformError } from "effect/PlatformError"
import type { HttpClientResponse } from "effect/http"
import { createHash, randomBytes } from "node:crypto"
import yauzl from "yauzl"

/** What a finished download produced. */
export interface DownloadResult {
  /** Where the zip now is. */
  readonly path: string
  /** Bytes written. */
  readonly size: number
  /** Hex SHA-256 of the file (the original logs it). */
  readonly sha256: string
}

/** Integrity checks the caller asks for. */
export interface DownloadChecks {
  readonly expectedSha256?: string | undefined
}

/** A download that arrived but is not right; `transient` = worth fetching again. */
export class DownloadProblem {
  readonly _tag = "DownloadProblem"
  readonly problem: string
  readonly transient: boolean
  constructor(problem: string, transient: boolean) {
    this.problem = problem
    this.transient = transient
  }
}

/** Opens the zip's central directory and closes it again; fails when it is not a zip. */
export const verifyZip = (path: string): Effect.Effect<void, DownloadProblem> =>
  Effect.callback<void, DownloadProblem>((resume) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error !== null || zip === undefined) {
        resume(
          Effect.fail(
            new DownloadProblem(`downloaded file is not a valid zip archive (${error?.message ?? "unreadable"})`, false)
          )
        )
        return
      }
      zip.close()
      resume(Effect.void)
    })
  })

/**
 * Streams `response`'s body to `destination` with the checks above. Body read errors stay in the response's error
 * type `E` (the client maps them); file-system errors are `PlatformError`.
 * @since 0.1.0
 */
export const writeResponse = <E>(
  response: {
    readonly stream: Stream.Stream<Uint8Array, E>
    readonly headers: HttpClientResponse.HttpClientResponse["headers"]
  },
  destination: string,
  checks: DownloadChecks = {}
): Effect.Effect<DownloadResult, E | DownloadProblem | PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const temporary = `${destination}.partial-${randomBytes(6).toString("hex")}`
    const hash = createHash("sha256")
    let size = 0
    const counted = response.stream.pipe(
      Stream.map((chunk) => {
        hash.update(chunk)
        size += chunk.byteLength
        return chunk
      })
    )
    const written = Effect.gen(function* () {
      yield* Stream.run(counted, fs.sink(temporary))
      const declared = response.headers["content-length"]
      if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== size) {
        return yield* Effect.fail(
          new DownloadProblem(`download cut short: received ${size} of ${declared} bytes`, true)
        )
      }
      const sha256 = hash.digest("hex")
      if (checks.expectedSha256 !== undefined && checks.expectedSha256.toLowerCase() !== sha256) {
        return yield* Effect.fail(new DownloadProblem(`download checksum mismatch: got sha256 ${sha256}`, false))
      }
      yield* verifyZip(temporary)
      yield* fs.rename(temporary, destination)
      return { path: destination, size, sha256 }
    })
    return yield* written.pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit) ? Effect.void : fs.remove(temporary, { force: true }).pipe(Effect.ignore)
      )
    )
  })
