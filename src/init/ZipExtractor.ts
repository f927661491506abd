/**
 * Safe, streaming extraction of a zip archive (a OneAgent code module) into a fresh directory.
 *
 * The archive comes from the network, so every entry is treated as hostile:
 * - names are decoded from the raw bytes and checked here (not only by yauzl): absolute names and names with a
 *   `..` component are refused (zip-slip), NUL bytes are refused, `./` and `//` are normalised away;
 * - files are created with `O_CREAT | O_EXCL | O_NOFOLLOW`, so nothing that already exists (and no symlink) is
 *   ever written through; duplicate names fail instead of overwriting;
 * - symlink entries are skipped unless asked for; when extracted, a target must be relative and stay inside the
 *   destination, no entry may live below a symlink entry, and the links are only created after every file is
 *   written, so no write can pass through one;
 * - limits (total uncompressed bytes, entry count) are checked against the central directory first (cheap, fails
 *   before anything is written) and again while the bytes flow, because headers can lie: an entry that inflates
 *   past its declared size, or a total past the limit, stops the extraction on the spot;
 * - CRC-32 of every file is verified;
 * - data is streamed entry by entry (the archive is never held in memory), with a few entries in flight at a time.
 *
 * Staging, atomic rename and crash recovery are `StagedInstall`'s job; this module only fills a directory.
 *
 * @since 0.1.0
 */
import { Effect, Option, Schema, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable, Transform, type TransformCallback } from "node:stream"
import { pipeline } from "node:stream/promises"
import * as zlib from "node:zlib"
import * as yauzl from "yauzl"

/**
 * Why an extraction was refused or failed.
 *
 * @category errors
 * @since 0.1.0
 */
export const ExtractionFailure = Schema.Literals([
  "ZipSlip",
  "AbsolutePath",
  "SymlinkEscape",
  "TooLarge",
  "TooManyEntries",
  "Corrupt",
  "Io"
])

/**
 * An archive that could not be extracted, and why. `entry` names the offending entry when there is one.
 *
 * @category errors
 * @since 0.1.0
 */
export class ExtractionError extends Schema.TaggedError<ExtractionError>()("ExtractionError", {
  reason: ExtractionFailure,
  archive: Schema.String,
  entry: Schema.optional(Schema.String),
  message: Schema.String
}) {}

/**
 * Upper bounds for one archive. The defaults are far above a full code module (a few hundred MB, some thousand
 * entries) and far below what would fill a node's disk.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExtractionLimits {
  readonly maxTotalBytes: number
  readonly maxEntries: number
}

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultLimits: ExtractionLimits = { maxTotalBytes: 4 * 1024 ** 3, maxEntries: 250_000 }

/**
 * @category models
 * @since 0.1.0
 */
export interface ExtractOptions {
  readonly limits?: ExtractionLimits
  /** Create symlink entries (those that stay inside the destination). Off: they are skipped and counted. */
  readonly extractSymlinks?: boolean
  /** Entries written at the same time (default 4). */
  readonly concurrency?: number
}

/**
 * What one extraction produced.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExtractionSummary {
  readonly files: number
  readonly directories: number
  readonly symlinks: number
  readonly skippedSymlinks: number
  readonly bytes: number
}

const S_IFMT = 0o170000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
const MAX_LINK_TARGET = 4096
/** Central-directory entries read per pull: bounds what is buffered ahead of the writers. */
const ENTRY_BATCH = 256
const MAX_BUFFER = 1024 * 1024
/** Big buffers for big entries (fewer syscalls), small ones for the many small files (less garbage). */
const bufferFor = (size: number) => Math.min(MAX_BUFFER, Math.max(16 * 1024, 2 ** Math.ceil(Math.log2(size + 1))))

/** An archive entry after its name and type have been checked. */
type Planned =
  | { readonly _tag: "Directory"; readonly name: string; readonly mode: number | undefined }
  | { readonly _tag: "File"; readonly name: string; readonly mode: number; readonly entry: yauzl.Entry }
  | { readonly _tag: "Symlink"; readonly name: string; readonly entry: yauzl.Entry }

const isUnixEntry = (entry: yauzl.Entry) => entry.versionMadeBy >> 8 === 3

/** Permission bits from the archive, without setuid/setgid/sticky and without group/other write. */
const permissions = (entry: yauzl.Entry): number | undefined => {
  if (!isUnixEntry(entry)) return undefined
  const perm = (entry.externalFileAttributes >>> 16) & 0o755
  return perm === 0 ? undefined : perm
}

/**
 * Checks an entry name and returns it normalised (relative, `/`-separated, no `.`/empty segments, no trailing
 * slash), or the reason it is refused. An empty result means "the destination itself" (e.g. `./`).
 *
 * @category validation
 * @since 0.1.0
 */
export const validateEntryName = (
  raw: string
):
  | { readonly _tag: "Ok"; readonly name: string }
  | { readonly _tag: "Refused"; readonly reason: "ZipSlip" | "AbsolutePath" | "Corrupt" } => {
  if (raw.includes("\0")) return { _tag: "Refused", reason: "Corrupt" }
  const name = raw.replace(/\\/g, "/")
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name)) return { _tag: "Refused", reason: "AbsolutePath" }
  const segments = name.split("/").filter((s) => s !== "" && s !== ".")
  if (segments.includes("..")) return { _tag: "Refused", reason: "ZipSlip" }
  return { _tag: "Ok", name: segments.join("/") }
}

/**
 * Whether a symlink at `linkName` (relative to the destination root) with `target` resolves inside the root.
 * Walks the target segment by segment from the link's directory. The kernel resolves a symlink before applying a
 * following `..`, so a lexical check alone is not enough (`a -> .` then `b -> a/..` escapes): once the walk has
 * passed through another link of the archive (`otherLinks`), any later `..` is refused.
 *
 * @category validation
 * @since 0.1.0
 */
export const linkStaysInside = (
  linkName: string,
  target: string,
  otherLinks: ReadonlySet<string> = new Set()
): boolean => {
  if (target === "" || target.includes("\0") || target.startsWith("/")) return false
  const dir = path.posix.dirname(linkName)
  const parts = dir === "." ? [] : dir.split("/")
  let throughLink = false
  for (const segment of target.split("/")) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") {
      if (parts.length === 0 || throughLink) return false
      parts.pop()
      continue
    }
    parts.push(segment)
    if (otherLinks.has(parts.join("/"))) throughLink = true
  }
  return true
}

const decodeName = (entry: yauzl.Entry): string => {
  const raw = entry.fileNameRaw as unknown as Buffer
  // yauzl's own decoding (UTF-8 flag, Info-ZIP unicode path field, CP437), without its validation: ours is below.
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false)
}

/**
 * yauzl's reader for the central directory, with a 1 MiB read-ahead block: yauzl reads every central directory
 * record with two tiny reads, which costs a thread-pool round trip each (over 300 ms for 3000 entries, 25 ms
 * with the block). Callbacks are deferred to a microtask so a walk over thousands of cached records never nests.
 */
class BlockReader extends yauzl.RandomAccessReader {
  private block = Buffer.alloc(0)
  private blockStart = 0
  private readonly fd: number
  constructor(fd: number) {
    super()
    this.fd = fd
  }
  override _readStreamForRange(start: number, end: number) {
    return fs.createReadStream("", { fd: this.fd, autoClose: false, start, end: end - 1 })
  }
  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void
  ) {
    const from = position - this.blockStart
    if (from >= 0 && from + length <= this.block.length) {
      this.block.copy(buffer, offset, from, from + length)
      queueMicrotask(() => callback(null))
      return
    }
    const block = Buffer.allocUnsafe(Math.max(length, MAX_BUFFER))
    fs.read(this.fd, block, 0, block.length, position, (err, n) => {
      if (err) return callback(err)
      if (n < length) return callback(new Error("unexpected end of file"))
      this.block = block.subarray(0, n)
      this.blockStart = position
      block.copy(buffer, offset, 0, length)
      callback(null)
    })
  }
  override close(callback: (err: Error | null) => void) {
    fs.close(this.fd, callback)
  }
}

const openArchive = (archive: string) =>
  Effect.callback<yauzl.ZipFile, ExtractionError>((resume) => {
    const failed = (err: Error) => {
      const reason = (err as NodeJS.ErrnoException).code === undefined ? "Corrupt" : "Io"
      resume(Effect.fail(new ExtractionError({ reason, archive, message: `Cannot open ${archive}: ${err.message}` })))
    }
    fs.open(archive, "r", (openErr, fd) => {
      if (openErr) return failed(openErr)
      fs.fstat(fd, (statErr, stat) => {
        if (statErr) return fs.close(fd, () => failed(statErr))
        const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false }
        yauzl.fromRandomAccessReader(new BlockReader(fd), stat.size, options, (zipErr, zip) => {
          if (zipErr) fs.close(fd, () => failed(zipErr))
          else resume(Effect.succeed(zip))
        })
      })
    })
  })

/**
 * The running checks of one entry's bytes: its own size against the declared size, the archive's total against
 * the limit, and the CRC-32. Fed chunk by chunk (streamed entries) or once (small entries).
 */
class Tally {
  private bytes = 0
  private crc = 0
  private readonly archive: string
  private readonly name: string
  private readonly entry: yauzl.Entry
  private readonly total: { value: number }
  private readonly max: number
  constructor(archive: string, name: string, entry: yauzl.Entry, total: { value: number }, max: number) {
    this.archive = archive
    this.name = name
    this.entry = entry
    this.total = total
    this.max = max
  }
  private refuse(reason: "TooLarge" | "Corrupt", message: string) {
    return new ExtractionError({ reason, archive: this.archive, entry: this.name, message })
  }
  /** The refusal for this chunk, if any. */
  add(chunk: Buffer): ExtractionError | undefined {
    this.bytes += chunk.length
    this.total.value += chunk.length
    if (this.bytes > this.entry.uncompressedSize) {
      return this.refuse(
        "Corrupt",
        `Entry ${this.name} inflates past its declared size of ${this.entry.uncompressedSize} bytes.`
      )
    }
    if (this.total.value > this.max)
      return this.refuse("TooLarge", `Archive expands past the limit of ${this.max} bytes.`)
    this.crc = zlib.crc32(chunk, this.crc)
    return undefined
  }
  /** The refusal once the entry's data has ended, if any. */
  end(): ExtractionError | undefined {
    if (this.bytes !== this.entry.uncompressedSize) {
      return this.refuse(
        "Corrupt",
        `Entry ${this.name} is truncated (${this.bytes} of ${this.entry.uncompressedSize} bytes).`
      )
    }
    if (this.crc >>> 0 !== this.entry.crc32 >>> 0)
      return this.refuse("Corrupt", `Entry ${this.name} fails its CRC-32 check.`)
    return undefined
  }
}

/** A `Tally` as a pass-through stream stage: it stops the pipeline at the first refused chunk. */
class Meter extends Transform {
  private readonly tally: Tally
  constructor(tally: Tally, highWaterMark: number) {
    super({ highWaterMark })
    this.tally = tally
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    const refused = this.tally.add(chunk)
    if (refused) done(refused)
    else done(null, chunk)
  }
  override _flush(done: TransformCallback) {
    done(this.tally.end())
  }
}

const asExtractionError = (archive: string, name: string | undefined, cause: unknown): ExtractionError => {
  if (cause instanceof ExtractionError) return cause
  const err = cause as NodeJS.ErrnoException
  if (err?.code === "EEXIST") {
    return new ExtractionError({
      reason: "Corrupt",
      archive,
      ...(name ? { entry: name } : {}),
      message: `Entry ${name} appears twice in ${archive}.`
    })
  }
  if (err?.code === "ELOOP") {
    return new ExtractionError({
      reason: "SymlinkEscape",
      archive,
      ...(name ? { entry: name } : {}),
      message: `Entry ${name} would be written through a symlink.`
    })
  }
  const reason = typeof err?.code === "string" && !err.code.startsWith("ERR_") ? "Io" : "Corrupt"
  const what = name === undefined ? archive : `${name} from ${archive}`
  return new ExtractionError({
    reason,
    archive,
    ...(name ? { entry: name } : {}),
    message: `Cannot extract ${what}: ${err?.message ?? String(cause)}`
  })
}

const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW
const LOCAL_HEADER = 30
const LOCAL_HEADER_SIGNATURE = 0x04034b50

/** Where the entry's data starts, from its local header (whose name and extra lengths may differ from the central one). */
const dataStart = async (
  file: fs.promises.FileHandle,
  entry: yauzl.Entry,
  archive: string,
  name: string
): Promise<number> => {
  const header = Buffer.alloc(LOCAL_HEADER)
  const { bytesRead } = await file.read(header, 0, LOCAL_HEADER, entry.relativeOffsetOfLocalHeader)
  if (bytesRead < LOCAL_HEADER || header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw new ExtractionError({
      reason: "Corrupt",
      archive,
      entry: name,
      message: `Entry ${name} has no valid local header.`
    })
  }
  return entry.relativeOffsetOfLocalHeader + LOCAL_HEADER + header.readUInt16LE(26) + header.readUInt16LE(28)
}

/**
 * Entries up to this size are read in one positioned read, inflated in one call and written in one call: for the
 * thousands of small files of a code module, the fixed cost of a stream pipeline per file dominates otherwise.
 */
const SMALL_ENTRY = 256 * 1024

const isSmall = (entry: yauzl.Entry) => entry.compressedSize <= SMALL_ENTRY && entry.uncompressedSize <= 4 * SMALL_ENTRY

/**
 * Positioned reads of small entries through a 1 MiB read-ahead block: consecutive small entries mostly share a
 * block, so a run of small files costs one read instead of two per file.
 */
class SmallReader {
  private block = Buffer.alloc(0)
  private blockStart = 0
  private readonly fd: number
  constructor(fd: number) {
    this.fd = fd
  }
  /** `length` bytes at `position` (fewer at the end of the file). The result may share memory with the block. */
  read(position: number, length: number): Buffer {
    const from = position - this.blockStart
    if (from >= 0 && from + length <= this.block.length) return this.block.subarray(from, from + length)
    const block = Buffer.allocUnsafe(Math.max(length, MAX_BUFFER))
    const n = fs.readSync(this.fd, block, 0, block.length, position)
    this.block = block.subarray(0, n)
    this.blockStart = position
    return this.block.subarray(0, Math.min(n, length))
  }
}

/**
 * A small entry's verified bytes, read synchronously: for small files the thread-pool round trips of async I/O
 * cost more than the I/O itself. Inflation is capped at the declared size, so a lying header cannot balloon.
 */
const readSmall = (reader: SmallReader, entry: yauzl.Entry, tally: Tally, archive: string, name: string): Buffer => {
  const corrupt = (message: string) => new ExtractionError({ reason: "Corrupt", archive, entry: name, message })
  const header = reader.read(entry.relativeOffsetOfLocalHeader, LOCAL_HEADER)
  if (header.length < LOCAL_HEADER || header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw corrupt(`Entry ${name} has no valid local header.`)
  }
  const start = entry.relativeOffsetOfLocalHeader + LOCAL_HEADER + header.readUInt16LE(26) + header.readUInt16LE(28)
  const raw = reader.read(start, entry.compressedSize)
  if (raw.length < entry.compressedSize) throw corrupt(`Entry ${name} is cut off by the end of the archive.`)
  let data: Buffer = raw
  if (entry.compressionMethod === 8) {
    try {
      data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) })
    } catch (cause) {
      throw cause instanceof RangeError
        ? corrupt(`Entry ${name} inflates past its declared size of ${entry.uncompressedSize} bytes.`)
        : corrupt(`Entry ${name} does not inflate: ${cause instanceof Error ? cause.message : String(cause)}`)
    }
  }
  const refused = tally.add(data) ?? tally.end()
  if (refused) throw refused
  return data
}

/** Creates a small file in one go (never through an existing file or symlink). */
const writeSmall = (target: string, data: Buffer, mode: number) => {
  const fd = fs.openSync(target, CREATE_FLAGS, mode)
  try {
    for (let offset = 0; offset < data.length;) offset += fs.writeSync(fd, data, offset)
  } finally {
    fs.closeSync(fd)
  }
}

async function* readRange(file: fs.promises.FileHandle, start: number, length: number, archive: string, name: string) {
  for (let position = start, left = length; left > 0;) {
    const chunk = Buffer.allocUnsafe(Math.min(MAX_BUFFER, left))
    const { bytesRead } = await file.read(chunk, 0, chunk.length, position)
    if (bytesRead === 0) {
      throw new ExtractionError({
        reason: "Corrupt",
        archive,
        entry: name,
        message: `Entry ${name} is cut off by the end of the archive.`
      })
    }
    position += bytesRead
    left -= bytesRead
    yield chunk.subarray(0, bytesRead)
  }
}

/** A large entry's bytes as stream stages (read with big positioned reads, inflated with big output chunks, metered). */
const streamLarge = async (
  file: fs.promises.FileHandle,
  entry: yauzl.Entry,
  tally: Tally,
  archive: string,
  name: string
) => {
  const start = await dataStart(file, entry, archive, name)
  // Positioned reads on the shared handle (an fs.ReadStream on a borrowed fd closes it when destroyed).
  const raw = Readable.from(readRange(file, start, entry.compressedSize, archive, name), { objectMode: false })
  const buffer = bufferFor(entry.uncompressedSize)
  const stages: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream> =
    entry.compressionMethod === 8 ? [raw, zlib.createInflateRaw({ chunkSize: buffer })] : [raw]
  return [...stages, new Meter(tally, buffer)]
}

/**
 * Extracts `archive` into `destination`, which must not exist yet or be empty. See the module comment for what
 * is refused. On failure the destination is left as it is (partially filled): the caller owns cleanup, which
 * `StagedInstall` does by extracting into a staging directory.
 *
 * @category extraction
 * @since 0.1.0
 */
export const extract = Effect.fn("ZipExtractor.extract")(function* (
  archive: string,
  destination: string,
  options: ExtractOptions = {}
) {
  const limits = options.limits ?? defaultLimits
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const extractSymlinks = options.extractSymlinks ?? false
  const refuse = (reason: typeof ExtractionFailure.Type, message: string, entry?: string) =>
    new ExtractionError({ reason, archive, message, ...(entry === undefined ? {} : { entry }) })

  const zip = yield* Effect.acquireRelease(openArchive(archive), (z) => Effect.sync(() => z.close()))
  // A second descriptor for the entry data (yauzl keeps its own for the central directory).
  const source = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => fs.promises.open(archive, "r"),
      catch: (cause) => asExtractionError(archive, undefined, cause)
    }),
    (file) => Effect.promise(() => file.close().catch(() => undefined))
  )
  const small = new SmallReader(source.fd)
  if (zip.entryCount > limits.maxEntries) {
    return yield* refuse("TooManyEntries", `Archive has ${zip.entryCount} entries; the limit is ${limits.maxEntries}.`)
  }
  yield* Effect.tryPromise({
    try: async () => {
      await fs.promises.mkdir(destination, { recursive: true })
      const existing = await fs.promises.readdir(destination)
      if (existing.length > 0) throw refuse("Io", `Cannot extract into ${destination}: it is not empty.`)
    },
    catch: (cause) => asExtractionError(archive, undefined, cause)
  })

  // Walks the central directory in batches pulled by the writers (so a huge directory is never buffered far ahead
  // of them); every entry is checked before any of its bytes are read.
  let declaredBytes = 0
  let seen = 0
  const plan = (entry: yauzl.Entry): Planned | ExtractionError | undefined => {
    seen++
    if (seen > limits.maxEntries) {
      return refuse("TooManyEntries", `Archive has more than ${limits.maxEntries} entries.`)
    }
    const raw = decodeName(entry)
    const checked = validateEntryName(raw)
    if (checked._tag === "Refused") {
      const message =
        checked.reason === "AbsolutePath"
          ? `Entry ${JSON.stringify(raw)} has an absolute path.`
          : checked.reason === "ZipSlip"
            ? `Entry ${JSON.stringify(raw)} points outside the destination.`
            : `Entry ${JSON.stringify(raw)} has an invalid name.`
      return refuse(checked.reason, message, raw)
    }
    const name = checked.name
    const type = isUnixEntry(entry) ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0
    if (entry.isEncrypted()) return refuse("Corrupt", `Entry ${name} is encrypted.`, name)
    declaredBytes += entry.uncompressedSize
    if (declaredBytes > limits.maxTotalBytes) {
      return refuse("TooLarge", `Archive declares more than the limit of ${limits.maxTotalBytes} bytes.`, name)
    }
    if (raw.endsWith("/") || type === S_IFDIR) {
      return name === "" ? undefined : { _tag: "Directory", name, mode: permissions(entry) }
    }
    if (name === "") return refuse("Corrupt", `Entry ${JSON.stringify(raw)} has no name.`, raw)
    if (type === S_IFLNK) return { _tag: "Symlink", name, entry }
    if (!entry.canDecodeFileData()) {
      return refuse("Corrupt", `Entry ${name} uses unsupported compression method ${entry.compressionMethod}.`, name)
    }
    return { _tag: "File", name, mode: permissions(entry) ?? 0o644, entry }
  }
  // An error outside a pull would otherwise be thrown by the emitter, and yauzl reads nothing after one.
  let zipError: ExtractionError | undefined
  zip.on("error", (err: Error) => void (zipError ??= asExtractionError(archive, undefined, err)))
  // Entries come in batches: one resumption per entry would cost an event-loop turn each.
  let ended = false
  const nextBatch = Effect.callback<ReadonlyArray<Planned>, ExtractionError>((resume) => {
    if (zipError !== undefined) return resume(Effect.fail(zipError))
    if (ended) return resume(Effect.succeed([]))
    const batch: Array<Planned> = []
    const settle = (result: Effect.Effect<ReadonlyArray<Planned>, ExtractionError>) => {
      zip.off("entry", onEntry)
      zip.off("end", onEnd)
      zip.off("error", onError)
      resume(result)
    }
    const onEntry = (entry: yauzl.Entry) => {
      const planned = plan(entry)
      if (planned instanceof ExtractionError) return settle(Effect.fail(planned))
      if (planned !== undefined) batch.push(planned)
      if (batch.length >= ENTRY_BATCH) settle(Effect.succeed(batch))
      else zip.readEntry()
    }
    const onEnd = () => {
      ended = true
      settle(Effect.succeed(batch))
    }
    const onError = (err: Error) => settle(Effect.fail(asExtractionError(archive, undefined, err)))
    zip.on("entry", onEntry)
    zip.once("end", onEnd)
    zip.once("error", onError)
    zip.readEntry()
  })
  const entries = Stream.paginate(undefined, () =>
    nextBatch.pipe(Effect.map((batch) => [batch, ended ? Option.none<undefined>() : Option.some(undefined)] as const))
  )

  const total = { value: 0 }
  const createdDirs = new Set<string>([""])
  const dirModes = new Map<string, number>()
  const links: Array<{ readonly name: string; readonly target: string }> = []
  const names = new Set<string>()
  let files = 0
  let skippedSymlinks = 0

  const ensureDir = async (rel: string) => {
    if (createdDirs.has(rel)) return
    await fs.promises.mkdir(path.join(destination, rel), { recursive: true, mode: 0o755 })
    // Record every ancestor too, so siblings do not repeat the syscall.
    for (let d = rel; d !== "." && d !== "" && !createdDirs.has(d); d = path.posix.dirname(d)) createdDirs.add(d)
  }

  const tallyOf = (item: { readonly name: string; readonly entry: yauzl.Entry }) =>
    new Tally(archive, item.name, item.entry, total, limits.maxTotalBytes)

  const writeFile = (item: Extract<Planned, { _tag: "File" }>) =>
    Effect.tryPromise({
      try: async (signal) => {
        await ensureDir(path.posix.dirname(item.name))
        const target = path.join(destination, item.name)
        if (isSmall(item.entry)) {
          const data = readSmall(small, item.entry, tallyOf(item), archive, item.name)
          writeSmall(target, data, item.mode)
        } else {
          const stages = await streamLarge(source, item.entry, tallyOf(item), archive, item.name)
          const file = await fs.promises.open(target, CREATE_FLAGS, item.mode)
          // The write stream owns (and closes) the file, also when the pipeline fails.
          await pipeline([...stages, file.createWriteStream({ highWaterMark: MAX_BUFFER })], { signal })
        }
        files++
      },
      catch: (cause) => asExtractionError(archive, item.name, cause)
    })

  const readLink = (item: Extract<Planned, { _tag: "Symlink" }>) =>
    Effect.tryPromise({
      try: async () => {
        if (item.entry.uncompressedSize > MAX_LINK_TARGET || !isSmall(item.entry)) {
          throw refuse("Corrupt", `Symlink ${item.name} has an oversized target.`, item.name)
        }
        const target = readSmall(small, item.entry, tallyOf(item), archive, item.name).toString("utf8")
        if (!linkStaysInside(item.name, target)) {
          throw refuse(
            "SymlinkEscape",
            `Symlink ${item.name} points outside the destination (${JSON.stringify(target)}).`,
            item.name
          )
        }
        links.push({ name: item.name, target })
      },
      catch: (cause) => asExtractionError(archive, item.name, cause)
    })

  const handle = (item: Planned): Effect.Effect<void, ExtractionError> => {
    names.add(item.name)
    switch (item._tag) {
      case "Directory":
        if (item.mode !== undefined) dirModes.set(item.name, item.mode)
        return Effect.tryPromise({
          try: () => ensureDir(item.name),
          catch: (cause) => asExtractionError(archive, item.name, cause)
        })
      case "File":
        return writeFile(item)
      case "Symlink":
        if (!extractSymlinks) {
          skippedSymlinks++
          return Effect.void
        }
        return readLink(item)
    }
  }

  yield* entries.pipe(Stream.mapEffect(handle, { concurrency }), Stream.runDrain)

  // No entry may sit below a symlink: creating it would have gone through the link once it exists. And a link
  // may not leave the root by way of another link.
  const linkNames = new Set(links.map((l) => l.name))
  for (const link of links) {
    if (!linkStaysInside(link.name, link.target, linkNames)) {
      return yield* refuse(
        "SymlinkEscape",
        `Symlink ${link.name} leaves the destination through another symlink.`,
        link.name
      )
    }
  }
  for (const name of names) {
    for (let d = path.posix.dirname(name); d !== "."; d = path.posix.dirname(d)) {
      if (linkNames.has(d)) {
        return yield* refuse("SymlinkEscape", `Entry ${name} lies below the symlink ${d}.`, name)
      }
    }
  }
  yield* Effect.tryPromise({
    try: async () => {
      for (const link of links) {
        await ensureDir(path.posix.dirname(link.name))
        await fs.promises.symlink(link.target, path.join(destination, link.name))
      }
      // Last, so a directory without write permission in the archive did not block its own entries. The owner
      // keeps full access, so the tree can always be replaced or removed later.
      for (const [dir, mode] of dirModes) await fs.promises.chmod(path.join(destination, dir), mode | 0o700)
    },
    catch: (cause) => asExtractionError(archive, undefined, cause)
  })

  return {
    files,
    directories: createdDirs.size - 1,
    symlinks: links.length,
    skippedSymlinks,
    bytes: total.value
  } satisfies ExtractionSummary
}, Effect.scoped)
