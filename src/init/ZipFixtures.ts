/**
 * Test fixtures: zip archives built in memory with yazl, plus byte-level patches for the hostile archives yazl
 * refuses to write (names with `..` or a leading `/`, headers that lie about sizes). Used by the extraction,
 * staged-install and bootstrap tests; not part of the binary.
 *
 * @since 0.1.0
 */
import * as yazl from "yazl"

/**
 * One entry of a fixture archive. `mode` is a full unix mode (type bits included, e.g. `0o120777` for a symlink,
 * whose data is the link target).
 *
 * @category models
 * @since 0.1.0
 */
export type FixtureEntry =
  | { readonly name: string; readonly data: Buffer | string; readonly mode?: number; readonly compress?: boolean }
  | { readonly name: string; readonly directory: true; readonly mode?: number }

/**
 * Builds a zip archive in memory.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeZip = (entries: ReadonlyArray<FixtureEntry>): Promise<Buffer> => {
  const zip = new yazl.ZipFile()
  for (const entry of entries) {
    if ("directory" in entry) {
      zip.addEmptyDirectory(entry.name, entry.mode === undefined ? {} : { mode: entry.mode })
    } else {
      const data = typeof entry.data === "string" ? Buffer.from(entry.data) : entry.data
      zip.addBuffer(data, entry.name, {
        ...(entry.mode === undefined ? {} : { mode: entry.mode }),
        ...(entry.compress === undefined ? {} : { compress: entry.compress })
      })
    }
  }
  zip.end()
  return new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk))
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)))
    zip.outputStream.on("error", reject)
  })
}

/**
 * Replaces every occurrence of an entry name (local and central headers) with another of the same byte length.
 * This is how the zip-slip fixtures get names yazl would never write.
 *
 * @category patches
 * @since 0.1.0
 */
export const renameEntry = (zip: Buffer, from: string, to: string): Buffer => {
  const a = Buffer.from(from)
  const b = Buffer.from(to)
  if (a.length !== b.length) throw new Error("renameEntry needs names of equal byte length")
  const out = Buffer.from(zip)
  let found = 0
  for (let at = out.indexOf(a); at !== -1; at = out.indexOf(a, at + a.length)) {
    b.copy(out, at)
    found++
  }
  if (found === 0) throw new Error(`entry ${from} not found`)
  return out
}

const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50

/**
 * Makes the headers of `name` declare `size` uncompressed bytes (both the local and the central header), leaving
 * the data as it is: the lying-header bomb.
 *
 * @category patches
 * @since 0.1.0
 */
export const declareSize = (zip: Buffer, name: string, size: number): Buffer => {
  const out = Buffer.from(zip)
  const nameBytes = Buffer.from(name)
  let patched = 0
  for (let at = 0; at + 46 <= out.length; at++) {
    const sig = out.readUInt32LE(at)
    if (sig === CENTRAL_SIGNATURE) {
      const len = out.readUInt16LE(at + 28)
      if (len === nameBytes.length && out.subarray(at + 46, at + 46 + len).equals(nameBytes)) {
        out.writeUInt32LE(size, at + 24)
        patched++
      }
    } else if (sig === LOCAL_SIGNATURE) {
      const len = out.readUInt16LE(at + 26)
      if (len === nameBytes.length && out.subarray(at + 30, at + 30 + len).equals(nameBytes)) {
        out.writeUInt32LE(size, at + 22)
        patched++
      }
    }
  }
  if (patched === 0) throw new Error(`entry ${name} not found`)
  return out
}
