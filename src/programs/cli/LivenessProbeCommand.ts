/**
 * `dynatrace-operator livenessprobe`: `/healthz` for the CSI driver's `server` container (spec §5.1, §7), in
 * place of the upstream livenessprobe sidecar; the work is in `csi/sidecars/LivenessProbe.ts`.
 *
 *   livenessprobe --csi-address=/csi/csi.sock --health-port=9808 --probe-timeout=9s
 *
 * | flag              | default         | |
 * |-------------------|-----------------|---|
 * | `--csi-address`   | `/csi/csi.sock` | the driver's socket as mounted here |
 * | `--health-port`   | `9808`          | HTTP port of `/healthz` (all interfaces) |
 * | `--probe-timeout` | `9s`            | deadline of each CSI `Probe` call (Go duration) |
 *
 * Runs until SIGTERM (exit 0).
 */
import { Duration, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as DriverClient from "../../csi/sidecars/DriverClient.ts"
import * as LivenessProbe from "../../csi/sidecars/LivenessProbe.ts"
import { SidecarError } from "../../csi/sidecars/SidecarError.ts"
import * as GoDuration from "../../services/certs/GoDuration.ts"
import * as CsiFlags from "./CsiFlags.ts"

const csiAddress = CsiFlags.csiAddress
const healthPort = Flag.Int("health-port").pipe(
  Flag.withDescription("The port /healthz is served on."),
  Flag.withDefault(9808)
)
const probeTimeout = Flag.String("probe-timeout").pipe(
  Flag.withDescription("Deadline of each CSI Probe call (Go duration, e.g. 9s)."),
  Flag.withDefault("9s")
)

export const livenessProbeCommand = Command.make(
  "livenessprobe",
  { csiAddress, healthPort, probeTimeout },
  Effect.fn("livenessprobe")(function* (flags) {
    const timeout = GoDuration.parse(flags.probeTimeout)
    if (Option.isNone(timeout) || Duration.toMillis(timeout.value) <= 0) {
      return yield* new SidecarError({
        reason: "InvalidFlag",
        message: `--probe-timeout ${JSON.stringify(flags.probeTimeout)} is not a positive Go duration`
      })
    }
    if (!Number.isInteger(flags.healthPort) || flags.healthPort < 1 || flags.healthPort > 65535) {
      return yield* new SidecarError({
        reason: "InvalidFlag",
        message: `--health-port ${flags.healthPort} is not a port (1-65535)`
      })
    }
    const address = yield* DriverClient.parseAddress(flags.csiAddress)
    return yield* Layer.launch(
      LivenessProbe.layer({ csiAddress: address, port: flags.healthPort, probeTimeout: timeout.value })
    )
  })
).pipe(Command.withDescription("Serve /healthz for the CSI driver by calling its Probe over gRPC."))
