/**
 * `dynatrace-operator csi-node-driver-registrar`: Register the CSI driver with the kubelet (plugin registration socket).
 * (Not implemented yet: being written.)
 */
import { Effect } from "effect"
import { Command } from "effect/cli"

export const csiNodeDriverRegistrarCommand = Command.make("csi-node-driver-registrar", {}, () =>
  Effect.die(new Error("csi-node-driver-registrar is not implemented yet"))
).pipe(Command.withDescription("Register the CSI driver with the kubelet (plugin registration socket)."))
