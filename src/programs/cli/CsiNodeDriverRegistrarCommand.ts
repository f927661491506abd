/**
 * `dynatrace-operator csi-node-driver-registrar`: registers the CSI driver with the kubelet (spec §5.1, §7), in
 * place of the upstream node-driver-registrar sidecar; the work is in `csi/sidecars/Registrar.ts`.
 *
 *   csi-node-driver-registrar --csi-address=/csi/csi.sock --kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)
 *
 * | flag                          | env fallback           | default |
 * |-------------------------------|------------------------|---------|
 * | `--csi-address`               | –                      | `/csi/csi.sock` |
 * | `--plugin-registration-path`  | –                      | `/registration` |
 * | `--kubelet-registration-path` | `DRIVER_REG_SOCK_PATH` | `/var/lib/kubelet/plugins/csi.oneagent.dynatrace.com/csi.sock` |
 *
 * Waits until the driver answers `GetPluginInfo`, then serves `<plugin-registration-path>/<driver>-reg.sock` until
 * SIGTERM (exit 0, socket removed) or until the kubelet reports a failed registration (exit 1).
 */
import { Config, Effect, Layer } from "effect"
import { Command, Flag } from "effect/cli"
import * as DataDir from "../../csi/DataDir.ts"
import * as DriverClient from "../../csi/sidecars/DriverClient.ts"
import * as Registrar from "../../csi/sidecars/Registrar.ts"
import * as CsiFlags from "./CsiFlags.ts"

const csiAddress = CsiFlags.csiAddress
const pluginRegistrationPath = Flag.String("plugin-registration-path").pipe(
  Flag.withDescription("The kubelet's plugin registration directory as mounted here."),
  Flag.withDefault("/registration")
)
const kubeletRegistrationPath = Flag.String("kubelet-registration-path").pipe(
  Flag.withDescription("The CSI driver's socket on the node, as the kubelet reaches it."),
  Flag.withFallbackConfig(Config.String("DRIVER_REG_SOCK_PATH")),
  Flag.withDefault(`/var/lib/kubelet/plugins/${DataDir.DriverName}/csi.sock`)
)

export const csiNodeDriverRegistrarCommand = Command.make(
  "csi-node-driver-registrar",
  { csiAddress, pluginRegistrationPath, kubeletRegistrationPath },
  Effect.fn("csi-node-driver-registrar")(function* (flags) {
    const address = yield* DriverClient.parseAddress(flags.csiAddress)
    const driverName = yield* DriverClient.waitForDriverName(address)
    yield* Effect.logInfo("The CSI driver is running.").pipe(Effect.annotateLogs({ driver: driverName, address }))
    return yield* Effect.gen(function* () {
      const registrar = yield* Registrar.Registrar
      return yield* registrar.failed
    }).pipe(
      Effect.provide(
        Layer.fresh(
          Registrar.layer({
            driverName,
            pluginRegistrationPath: flags.pluginRegistrationPath,
            kubeletRegistrationPath: flags.kubeletRegistrationPath
          })
        )
      )
    )
  })
).pipe(Command.withDescription("Register the CSI driver with the kubelet (plugin registration socket)."))
