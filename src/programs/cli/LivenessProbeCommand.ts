/**
 * `dynatrace-operator livenessprobe`: Serve /healthz for the CSI driver by calling its Probe over gRPC.
 * (Not implemented yet: being written.)
 */
import { Effect } from "effect"
import { Command } from "effect/cli"

export const livenessProbeCommand = Command.make("livenessprobe", {}, () =>
  Effect.die(new Error("livenessprobe is not implemented yet"))
).pipe(Command.withDescription("Serve /healthz for the CSI driver by calling its Probe over gRPC."))
