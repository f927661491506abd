/**
 * `dynatrace-operator csi-init`: Prepare the CSI driver's data directory on the node (init container of the CSI DaemonSet).
 * (Not implemented yet: being written.)
 */
import { Effect } from "effect"
import { Command } from "effect/cli"

export const csiInitCommand = Command.make("csi-init", {}, () =>
  Effect.die(new Error("csi-init is not implemented yet"))
).pipe(
  Command.withDescription("Prepare the CSI driver's data directory on the node (init container of the CSI DaemonSet).")
)
