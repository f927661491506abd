import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { PassThrough } from "node:stream"
import * as zlib from "node:zlib"
import * as Archive from "./Archive.ts"

/** A Writable that collects what it gets. */
const sink = () => {
  const stream = new PassThrough()
  const chunks: Array<Buffer> = []
  stream.on("data", (chunk: Buffer) => chunks.push(chunk))
  return { stream, bytes: () => Buffer.concat(chunks) }
}

describe("Archive", () => {
  it.effect("writes a gzip'd tar that reads back entry by entry, under the prefix", () =>
    Effect.gen(function* () {
      const out = sink()
      const entries = [
        { path: "a.txt", content: "hello\n" },
        { path: "logs/pod/container.log", content: "line 1\nline 2\n" },
        { path: "empty.txt", content: "" },
        { path: "unicode.txt", content: "Grüße ✓\n".repeat(1000) }
      ]
      yield* Archive.write(entries, out.stream, { prefix: "support", mtime: new Date("2026-01-02T03:04:05Z") })
      const bytes = out.bytes()
      // gzip magic, and a tar inside (ustar at offset 257).
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b])
      expect(zlib.gunzipSync(bytes).subarray(257, 262).toString()).toBe("ustar")
      const read = yield* Archive.read(bytes)
      expect(read).toEqual(entries.map((e) => ({ path: `support/${e.path}`, content: e.content })))
    })
  )

  it.effect("reading something that is not a tgz fails with ArchiveError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Archive.read(Buffer.from("not an archive")))
      expect(error._tag).toBe("ArchiveError")
      expect(error.message).toContain("cannot read the support archive")
    })
  )
})
