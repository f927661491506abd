import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { declareSize, makeZip, renameEntry } from "./ZipFixtures.ts"
import * as ZipExtractor from "./ZipExtractor.ts"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zip-extractor-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** Writes the archive into a fresh temp dir and returns the archive path and a destination below a `jail` dir. */
const setup = (zip: Buffer) => {
  const root = tempDir()
  const archive = path.join(root, "module.zip")
  fs.writeFileSync(archive, zip)
  const jail = path.join(root, "jail")
  fs.mkdirSync(jail)
  return { root, archive, jail, destination: path.join(jail, "out") }
}

const extractError = (archive: string, destination: string, options?: ZipExtractor.ExtractOptions) =>
  ZipExtractor.extract(archive, destination, options).pipe(Effect.flip)

/** Every path below `dir`, relative, sorted. */
const tree = (dir: string): Array<string> =>
  fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as Array<string>).toSorted() : []

describe("ZipExtractor.extract", () => {
  it.effect("extracts files, directories and permissions", () =>
    Effect.gen(function* () {
      const big = crypto.randomBytes(700 * 1024) // above the small-entry threshold: streamed
      const zip = yield* Effect.promise(() =>
        makeZip([
          { name: "agent/", directory: true, mode: 0o40755 },
          { name: "agent/lib64/liboneagentproc.so", data: "ELF", mode: 0o100755 },
          { name: "agent/conf/ruxitagentproc.conf", data: "[general]\nkey value\n", mode: 0o100644 },
          { name: "agent/big.bin", data: big },
          { name: "agent/stored.txt", data: "not deflated", compress: false },
          { name: "./agent//dotted.txt", data: "normalised" },
          { name: "agent/empty", data: "" }
        ])
      )
      const { archive, destination } = setup(zip)
      const summary = yield* ZipExtractor.extract(archive, destination)
      expect(summary).toEqual({
        files: 6,
        directories: 3,
        symlinks: 0,
        skippedSymlinks: 0,
        bytes: big.length + 3 + 20 + 12 + 10
      })
      expect(tree(destination)).toEqual([
        "agent",
        "agent/big.bin",
        "agent/conf",
        "agent/conf/ruxitagentproc.conf",
        "agent/dotted.txt",
        "agent/empty",
        "agent/lib64",
        "agent/lib64/liboneagentproc.so",
        "agent/stored.txt"
      ])
      expect(fs.readFileSync(path.join(destination, "agent/big.bin")).equals(big)).toBe(true)
      expect(fs.readFileSync(path.join(destination, "agent/stored.txt"), "utf8")).toBe("not deflated")
      expect(fs.statSync(path.join(destination, "agent/lib64/liboneagentproc.so")).mode & 0o777).toBe(0o755)
    })
  )

  it.effect("extracts every one of thousands of entries (nothing dropped with entries in flight)", () =>
    Effect.gen(function* () {
      const entries = Array.from({ length: 2000 }, (_, i) => ({ name: `d${i % 7}/f${i}.txt`, data: `content ${i}` }))
      const zip = yield* Effect.promise(() => makeZip(entries))
      const { archive, destination } = setup(zip)
      const summary = yield* ZipExtractor.extract(archive, destination, { concurrency: 8 })
      expect(summary.files).toBe(2000)
      for (const entry of entries) {
        expect(fs.readFileSync(path.join(destination, entry.name), "utf8")).toBe(entry.data)
      }
    })
  )

  it.effect("drops setuid bits and group/other write from the archive's modes", () =>
    Effect.gen(function* () {
      const zip = yield* Effect.promise(() => makeZip([{ name: "x", data: "x", mode: 0o104777 }]))
      const { archive, destination } = setup(zip)
      yield* ZipExtractor.extract(archive, destination)
      expect(fs.statSync(path.join(destination, "x")).mode & 0o7777).toBe(0o755)
    })
  )

  it.effect("refuses a destination that is not empty", () =>
    Effect.gen(function* () {
      const zip = yield* Effect.promise(() => makeZip([{ name: "a", data: "a" }]))
      const { archive, destination } = setup(zip)
      fs.mkdirSync(destination)
      fs.writeFileSync(path.join(destination, "stale"), "")
      const error = yield* extractError(archive, destination)
      expect(error.reason).toBe("Io")
      expect(error.message).toContain("not empty")
    })
  )

  describe("zip-slip", () => {
    it.effect("refuses ../ names and writes nothing outside", () =>
      Effect.gen(function* () {
        const zip = renameEntry(
          yield* Effect.promise(() => makeZip([{ name: "XX/XX/evil.txt", data: "pwned" }])),
          "XX/XX/evil.txt",
          "../../evil.txt"
        )
        const { root, archive, jail, destination } = setup(zip)
        const error = yield* extractError(archive, destination)
        expect(error).toMatchObject({ _tag: "ExtractionError", reason: "ZipSlip", entry: "../../evil.txt" })
        expect(fs.existsSync(path.join(root, "evil.txt"))).toBe(false)
        expect(fs.existsSync(path.join(jail, "evil.txt"))).toBe(false)
      })
    )

    it.effect("refuses a .. hidden in the middle and a backslash variant", () =>
      Effect.gen(function* () {
        for (const evil of ["a/../../evil", "..\\..\\evil"]) {
          const placeholder = "p".repeat(evil.length)
          const zip = renameEntry(
            yield* Effect.promise(() => makeZip([{ name: placeholder, data: "x" }])),
            placeholder,
            evil
          )
          const { archive, destination } = setup(zip)
          const error = yield* extractError(archive, destination)
          expect(error.reason).toBe("ZipSlip")
        }
      })
    )

    it.effect("refuses absolute names", () =>
      Effect.gen(function* () {
        const { root } = setup(Buffer.alloc(0))
        const target = path.join(root, "abs-evil")
        const placeholder = "p".repeat(target.length)
        const zip = renameEntry(
          yield* Effect.promise(() => makeZip([{ name: placeholder, data: "x" }])),
          placeholder,
          target
        )
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination)
        expect(error.reason).toBe("AbsolutePath")
        expect(fs.existsSync(target)).toBe(false)
      })
    )
  })

  describe("symlinks", () => {
    const LINK = 0o120777

    it.effect("are skipped unless asked for", () =>
      Effect.gen(function* () {
        const zip = yield* Effect.promise(() =>
          makeZip([
            { name: "agent/bin/1.2.3/x", data: "x" },
            { name: "agent/bin/current", data: "1.2.3", mode: LINK }
          ])
        )
        const { archive, destination } = setup(zip)
        const summary = yield* ZipExtractor.extract(archive, destination)
        expect(summary.skippedSymlinks).toBe(1)
        expect(fs.existsSync(path.join(destination, "agent/bin/current"))).toBe(false)
      })
    )

    it.effect("inside the destination are created when asked for", () =>
      Effect.gen(function* () {
        const zip = yield* Effect.promise(() =>
          makeZip([
            { name: "agent/bin/current", data: "1.2.3", mode: LINK },
            { name: "agent/bin/1.2.3/x", data: "x" }
          ])
        )
        const { archive, destination } = setup(zip)
        const summary = yield* ZipExtractor.extract(archive, destination, { extractSymlinks: true })
        expect(summary.symlinks).toBe(1)
        expect(fs.readlinkSync(path.join(destination, "agent/bin/current"))).toBe("1.2.3")
        expect(fs.readFileSync(path.join(destination, "agent/bin/current/x"), "utf8")).toBe("x")
      })
    )

    it.effect("pointing out of the destination are refused", () =>
      Effect.gen(function* () {
        for (const target of ["../../../etc", "/etc/passwd", "b/../../../x"]) {
          const zip = yield* Effect.promise(() => makeZip([{ name: "a/link", data: target, mode: LINK }]))
          const { archive, destination } = setup(zip)
          const error = yield* extractError(archive, destination, { extractSymlinks: true })
          expect(error).toMatchObject({ reason: "SymlinkEscape", entry: "a/link" })
          expect(fs.existsSync(path.join(destination, "a/link"))).toBe(false)
        }
      })
    )

    it.effect("escaping through another link is refused (a -> ., b -> a/..)", () =>
      Effect.gen(function* () {
        const zip = yield* Effect.promise(() =>
          makeZip([
            { name: "a", data: ".", mode: LINK },
            { name: "b", data: "a/..", mode: LINK }
          ])
        )
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination, { extractSymlinks: true })
        expect(error).toMatchObject({ reason: "SymlinkEscape", entry: "b" })
        expect(fs.existsSync(path.join(destination, "b"))).toBe(false)
      })
    )

    it.effect("an entry below a symlink is refused, whatever the order", () =>
      Effect.gen(function* () {
        const zip = yield* Effect.promise(() =>
          makeZip([
            { name: "sub/file", data: "x" },
            { name: "l", data: "sub", mode: LINK },
            { name: "l/evil", data: "y" }
          ])
        )
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination, { extractSymlinks: true })
        expect(error).toMatchObject({ reason: "SymlinkEscape", entry: "l/evil" })
      })
    )
  })

  describe("limits", () => {
    it.effect("a size bomb is refused from the headers before anything is written", () =>
      Effect.gen(function* () {
        const zip = yield* Effect.promise(() => makeZip([{ name: "bomb", data: Buffer.alloc(8 * 1024 * 1024) }]))
        expect(zip.length).toBeLessThan(64 * 1024) // zeros compress well: that is the bomb
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination, {
          limits: { maxTotalBytes: 1024 * 1024, maxEntries: 10 }
        })
        expect(error.reason).toBe("TooLarge")
        expect(tree(destination)).toEqual([])
      })
    )

    it.effect("an entry inflating past its declared size is stopped while streaming (small entry)", () =>
      Effect.gen(function* () {
        const zip = declareSize(
          yield* Effect.promise(() => makeZip([{ name: "liar", data: Buffer.alloc(4 * 1024 * 1024) }])),
          "liar",
          1000
        )
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination)
        expect(error).toMatchObject({ reason: "Corrupt", entry: "liar" })
        expect(error.message).toContain("declared size")
        expect(fs.existsSync(path.join(destination, "liar"))).toBe(false)
      })
    )

    it.effect("an entry inflating past its declared size is stopped while streaming (streamed entry)", () =>
      Effect.gen(function* () {
        const data = crypto.randomBytes(6 * 1024 * 1024) // incompressible: compressed size well above the small path
        const zip = declareSize(yield* Effect.promise(() => makeZip([{ name: "liar", data }])), "liar", 1024 * 1024)
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination)
        expect(error).toMatchObject({ reason: "Corrupt", entry: "liar" })
        // Stopped at the lie, not after writing everything.
        expect(fs.statSync(path.join(destination, "liar")).size).toBeLessThanOrEqual(1024 * 1024)
      })
    )

    it.effect("lying headers never get more than the limit written", () =>
      Effect.gen(function* () {
        const data = crypto.randomBytes(3 * 1024 * 1024)
        // Each header says 1 MiB (3 MiB in all, under the 3.5 MiB limit); the data is 3 MiB each.
        let zip = yield* Effect.promise(() =>
          makeZip([
            { name: "one", data },
            { name: "two", data },
            { name: "six", data }
          ])
        )
        for (const name of ["one", "two", "six"]) zip = declareSize(zip, name, 1024 * 1024)
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination, {
          limits: { maxTotalBytes: 3.5 * 1024 * 1024, maxEntries: 10 }
        })
        expect(["Corrupt", "TooLarge"]).toContain(error.reason)
        const written = tree(destination).reduce((sum, f) => sum + fs.statSync(path.join(destination, f)).size, 0)
        expect(written).toBeLessThanOrEqual(3.5 * 1024 * 1024)
      })
    )

    it.effect("an entry-count bomb is refused", () =>
      Effect.gen(function* () {
        const zip = yield* Effect.promise(() =>
          makeZip(Array.from({ length: 500 }, (_, i) => ({ name: `f${i}`, data: "" })))
        )
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination, { limits: { maxTotalBytes: 1024, maxEntries: 100 } })
        expect(error.reason).toBe("TooManyEntries")
        expect(tree(destination)).toEqual([])
      })
    )
  })

  describe("corrupt archives", () => {
    it.effect("a CRC mismatch is refused", () =>
      Effect.gen(function* () {
        const zip = Buffer.from(
          yield* Effect.promise(() => makeZip([{ name: "f", data: "hello world", compress: false }]))
        )
        zip[zip.indexOf("hello world")] = "j".charCodeAt(0)
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination)
        expect(error).toMatchObject({ reason: "Corrupt", entry: "f" })
        expect(error.message).toContain("CRC")
      })
    )

    it.effect("a duplicate name is refused instead of overwriting", () =>
      Effect.gen(function* () {
        const zip = renameEntry(
          yield* Effect.promise(() =>
            makeZip([
              { name: "aaa", data: "one" },
              { name: "bbb", data: "two" }
            ])
          ),
          "bbb",
          "aaa"
        )
        const { archive, destination } = setup(zip)
        const error = yield* extractError(archive, destination, { concurrency: 1 })
        expect(error).toMatchObject({ reason: "Corrupt", entry: "aaa" })
      })
    )

    it.effect("a file that is not a zip is a clear error", () =>
      Effect.gen(function* () {
        const { archive, destination } = setup(Buffer.from("<html>not a zip</html>"))
        const error = yield* extractError(archive, destination)
        expect(error.reason).toBe("Corrupt")
        expect(error.message).toContain(archive)
      })
    )
  })
})

describe("validateEntryName", () => {
  it("normalises or refuses, and an accepted name never resolves outside the destination", () => {
    const segment = fc.constantFrom("a", "b", "..", ".", "", "c:", "\\..", "x\\..\\..")
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.boolean(), (segments, leadingSlash) => {
        const raw = (leadingSlash ? "/" : "") + segments.join("/")
        const result = ZipExtractor.validateEntryName(raw)
        if (result._tag === "Ok") {
          const resolved = path.resolve("/dest", result.name)
          expect(resolved === "/dest" || resolved.startsWith("/dest/")).toBe(true)
          expect(result.name.split("/")).not.toContain("..")
        }
      })
    )
  })
})

describe("linkStaysInside", () => {
  it("follows the target segment by segment", () => {
    expect(ZipExtractor.linkStaysInside("agent/bin/current", "1.2.3")).toBe(true)
    expect(ZipExtractor.linkStaysInside("agent/bin/current", "../lib64")).toBe(true)
    expect(ZipExtractor.linkStaysInside("agent/current", "../../x")).toBe(false)
    expect(ZipExtractor.linkStaysInside("a", "/abs")).toBe(false)
    expect(ZipExtractor.linkStaysInside("b", "a/x", new Set(["a"]))).toBe(true)
    expect(ZipExtractor.linkStaysInside("d/b", "../a/../x", new Set(["a"]))).toBe(false)
  })
})
