/**
 * `support-archive`: collects (`Collect.ts`), scrubs every file with the secret values seen while collecting
 * (`Redaction.ts`), adds `support-archive.log`, and writes the tgz (`Archive.ts`) to a file or stdout.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import type { Writable } from "node:stream"
import * as Archive from "./Archive.ts"
import * as Collect from "./Collect.ts"
import * as Redaction from "./Redaction.ts"

/** Top folder of every entry. @category constants @since 0.1.0 */
export const prefix = "dynatrace-operator-support-archive"

const pad = (n: number) => String(n).padStart(2, "0")

/** `operator-support-archive-2026_11_24-17_05_09.tgz`, the original's naming. @category naming @since 0.1.0 */
export const fileName = (now: Date): string => {
  const date = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}`
  const time = `${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`
  return `operator-support-archive-${date}-${time}.tgz`
}

/** What was written. @category models @since 0.1.0 */
export interface Written {
  readonly files: ReadonlyArray<string>
  readonly notes: ReadonlyArray<string>
}

/** Scrubs the collected files and adds the collection log. @category assembling @since 0.1.0 */
export const assemble = (collected: Collect.Collected, now: Date): ReadonlyArray<Archive.Entry> => {
  const scrubber = Redaction.makeScrubber(collected.secretValues)
  const log = [
    `Support archive created ${now.toISOString()}: ${collected.entries.length} files collected, and this log.`,
    `Secret values are redacted (${Redaction.placeholder}): Secret data by key, and ${scrubber.size} known values wherever they appear.`,
    ...collected.notes.map((n) => `- ${n}`)
  ].join("\n")
  return [...collected.entries, { path: "support-archive.log", content: `${log}\n` }].map((entry) => ({
    path: entry.path,
    content: scrubber.scrub(entry.content)
  }))
}

/**
 * Collects, scrubs and writes the archive into `destination`.
 * @category running
 * @since 0.1.0
 */
export const run = Effect.fn("SupportArchive.run")(function* (options: Collect.CollectOptions, destination: Writable) {
  const now = new Date(yield* Clock.currentTimeMillis)
  const collected = yield* Collect.collect(options)
  const entries = assemble(collected, now)
  yield* Archive.write(entries, destination, { prefix, mtime: now })
  const written: Written = { files: entries.map((e) => e.path), notes: collected.notes }
  return written
})
