/**
 * `dynatrace-operator generate-metadata`: the init container of the OneAgent DaemonSet (spec §4.4) writes the node
 * metadata file the host agent reads (`dt_node_metadata.properties`):
 *
 * ```sh
 * dynatrace-operator generate-metadata --file /var/lib/dynatrace/.../dt_node_metadata.properties \
 *   --attributes k8s.cluster.name=prod,k8s.cluster.uid=…,k8s.node.name=node-1
 * ```
 *
 * Format, as the original writes it: the comma-separated `key=value` pairs, each trimmed, empty entries skipped,
 * one per line in the order given, every line ending with `\n`. Values may be empty and may contain `=` (only the
 * first one separates). Unlike the original, a pair with an empty key or a control character (newline, CR, NUL)
 * is refused too: it would not be one `key=value` line.
 *
 * The file is written atomically (`<file>.tmp`, then rename; parent directories created, mode 0644), so the agent
 * never reads half a file, and a bad `--attributes` leaves an existing file as it was.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import * as ConfigFiles from "../../init/ConfigFiles.ts"

/**
 * `--attributes` is not a list of `key=value` pairs.
 *
 * @category errors
 * @since 0.1.0
 */
export class MetadataAttributesError extends Schema.TaggedError<MetadataAttributesError>()("MetadataAttributesError", {
  message: Schema.String
}) {}

// Characters that would split one attribute over several lines (or end a C string early).
const controlCharacters = /[\r\n\0]/

/**
 * The file content for an `--attributes` value: one trimmed `key=value` per line, each ending with a newline.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseAttributes = (attributes: string): Effect.Effect<string, MetadataAttributesError> =>
  Effect.gen(function* () {
    if (attributes.trim() === "") {
      return yield* new MetadataAttributesError({ message: "--attributes must not be empty" })
    }
    const lines: Array<string> = []
    for (const entry of attributes.split(",")) {
      const pair = entry.trim()
      if (pair === "") continue
      if (controlCharacters.test(pair)) {
        return yield* new MetadataAttributesError({
          message: `invalid attribute ${JSON.stringify(pair)}: contains a line break or NUL character`
        })
      }
      const separator = pair.indexOf("=")
      if (separator < 0) {
        return yield* new MetadataAttributesError({ message: `invalid attribute "${pair}" (expected key=value)` })
      }
      if (pair.slice(0, separator).trim() === "") {
        return yield* new MetadataAttributesError({ message: `invalid attribute "${pair}": the key is empty` })
      }
      lines.push(pair)
    }
    if (lines.length === 0) {
      return yield* new MetadataAttributesError({ message: "--attributes contains no key=value pair" })
    }
    return lines.map((line) => `${line}\n`).join("")
  })

/**
 * Parses `attributes` and writes them to `file` atomically (mode 0644).
 *
 * @category writing
 * @since 0.1.0
 */
export const generateMetadata = Effect.fn("generate-metadata")(function* (file: string, attributes: string) {
  if (file.trim() === "") return yield* new MetadataAttributesError({ message: "--file must not be empty" })
  const content = yield* parseAttributes(attributes)
  yield* ConfigFiles.write(file, content, 0o644)
  yield* Effect.logInfo("Node metadata file written.").pipe(
    Effect.annotateLogs({ path: file, attributes: content.split("\n").length - 1 })
  )
})

const file = Flag.String("file").pipe(Flag.withDescription("Path of the metadata file to write."))
const attributes = Flag.String("attributes").pipe(
  Flag.withDescription("Comma-separated key=value attributes, written one per line.")
)

/** @category commands @since 0.1.0 */
export const generateMetadataCommand = Command.make("generate-metadata", { file, attributes }, (flags) =>
  generateMetadata(flags.file, flags.attributes)
).pipe(
  Command.withDescription(
    "Write the node metadata file of the host agent (OneAgent DaemonSet init container): --attributes k=v,… one per line into --file."
  )
)
