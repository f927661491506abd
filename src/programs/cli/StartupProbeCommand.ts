/**
 * `dynatrace-operator startup-probe`: Exit 0 once the cluster DNS resolves kubernetes.default.svc (startup probes).
 * (Not implemented yet: being written.)
 */
import { Effect } from "effect"
import { Command } from "effect/cli"

export const startupProbeCommand = Command.make("startup-probe", {}, () =>
  Effect.die(new Error("startup-probe is not implemented yet"))
).pipe(Command.withDescription("Exit 0 once the cluster DNS resolves kubernetes.default.svc (startup probes)."))
