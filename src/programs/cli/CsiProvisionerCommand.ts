/**
 * `dynatrace-operator csi-provisioner`: the CSI driver's provisioner (spec §5.5, §7), run by the `provisioner`
 * container of the CSI DaemonSet:
 *
 *   csi-provisioner --health-probe-bind-address=:10090
 *
 * It downloads and extracts the code modules the node's DynaKubes need into `<data>/codemodules/<version>`, points
 * `<data>/_dynakubes/<dk>/latest-codemodule` at them, and removes what nothing uses any more. Settings: see
 * `src/csi/provisioner/ProvisionerConfig.ts` and docs/csi-provisioner.md.
 */
import { Config, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import * as ProvisionerConfig from "../../csi/provisioner/ProvisionerConfig.ts"
import * as ProvisionerMain from "../../csi/provisioner/ProvisionerMain.ts"
import * as CsiFlags from "./CsiFlags.ts"
import { version } from "./Version.ts"

const dataDir = CsiFlags.dataDir("CSI_DATA_DIR")
const namespace = Flag.String("namespace").pipe(
  Flag.withDescription("The namespace whose DynaKubes are provisioned (the operator's)."),
  Flag.withFallbackConfig(Config.String("POD_NAMESPACE")),
  Flag.withDefault("dynatrace")
)
const nodeId = CsiFlags.nodeId("The node this provisioner runs on (for logs).").pipe(Flag.withDefault(""))
const healthProbeBindAddress = Flag.String("health-probe-bind-address").pipe(
  Flag.withDescription("Where /livez and /readyz are served ([host]:port, 0 disables)."),
  Flag.withFallbackConfig(Config.String("HEALTH_PROBE_BIND_ADDRESS")),
  Flag.withDefault(":10090")
)
const metricsBindAddress = CsiFlags.metricsBindAddress(":8090")

const optionalEnv = (name: string) => Config.String(name).pipe(Config.withDefault(undefined))

const env = Config.all({
  cleanupPeriod: optionalEnv("CLEANUP_PERIOD"),
  connectionTimeout: optionalEnv("DT_CLIENT_CONNECTION_TIMEOUT"),
  extractCodeModulesImageLinks: optionalEnv("DT_EXTRACT_CODEMODULES_IMAGE_LINKS"),
  modulesJson: optionalEnv("modules.json")
})

export const csiProvisionerCommand = Command.make(
  "csi-provisioner",
  { dataDir, namespace, nodeId, healthProbeBindAddress, metricsBindAddress },
  Effect.fn("csi-provisioner")(function* (flags) {
    const config = yield* ProvisionerConfig.fromRaw({ ...flags, nodeName: flags.nodeId, ...(yield* env), version })
    return yield* ProvisionerMain.run(config)
  })
).pipe(
  Command.withDescription(
    "Download and extract the code modules the node's DynaKubes need (once per version), keep each DynaKube's latest-codemodule link current, and remove unused versions for csi.oneagent.dynatrace.com."
  )
)
