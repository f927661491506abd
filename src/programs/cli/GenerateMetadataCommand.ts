/**
 * `dynatrace-operator generate-metadata`: Write the node metadata file of the host agent (OneAgent DaemonSet init container).
 * (Not implemented yet: being written.)
 */
import { Effect } from "effect"
import { Command } from "effect/cli"

export const generateMetadataCommand = Command.make("generate-metadata", {}, () =>
  Effect.die(new Error("generate-metadata is not implemented yet"))
).pipe(Command.withDescription("Write the node metadata file of the host agent (OneAgent DaemonSet init container)."))
