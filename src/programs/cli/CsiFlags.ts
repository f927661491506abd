/**
 * The flags the CSI driver's commands share (`csi-server`, `csi-provisioner`, `csi-init`,
 * `csi-node-driver-registrar`, `livenessprobe`), defined once so their names, descriptions and defaults agree.
 * Where the containers of the CSI DaemonSet differ (the env a flag falls back to, a default port), the command
 * passes that in.
 *
 * @since 0.1.0
 */
import { Config } from "effect"
import { Flag } from "effect/cli"
import * as DataDir from "../../csi/DataDir.ts"

/** A flag that falls back to `env` when given, else stays as it is. */
const withEnv = (flag: Flag.Flag<string>, env: string | undefined): Flag.Flag<string> =>
  env === undefined ? flag : flag.pipe(Flag.withFallbackConfig(Config.String(env)))

/** `--data-dir`: the driver's data directory on the node (default `/data`), with an optional env fallback. */
export const dataDir = (env?: string) =>
  withEnv(
    Flag.String("data-dir").pipe(
      Flag.withDescription(`The driver's data directory (${DataDir.DriverName}/data on the node).`)
    ),
    env
  ).pipe(Flag.withDefault(DataDir.DefaultRoot))

/** `--node-id` (env `KUBE_NODE_NAME`): the node this container runs on; `what` says what it is used for. */
export const nodeId = (what: string) =>
  Flag.String("node-id").pipe(Flag.withDescription(what), Flag.withFallbackConfig(Config.String("KUBE_NODE_NAME")))

/** `--endpoint` (env `CSI_ENDPOINT`): the unix socket the driver serves on. */
export const endpoint = Flag.String("endpoint").pipe(
  Flag.withDescription("The CSI endpoint: a unix socket, e.g. unix:///csi/csi.sock."),
  Flag.withFallbackConfig(Config.String("CSI_ENDPOINT")),
  Flag.withDefault("unix:///tmp/csi.sock")
)

/** `--metrics-bind-address` (env `METRICS_BIND_ADDRESS`): each container has its own default port. */
export const metricsBindAddress = (defaultAddress: string) =>
  Flag.String("metrics-bind-address").pipe(
    Flag.withDescription("Where Prometheus metrics are served ([host]:port, 0 disables)."),
    Flag.withFallbackConfig(Config.String("METRICS_BIND_ADDRESS")),
    Flag.withDefault(defaultAddress)
  )

/** `--csi-address`: the driver's socket as the sidecars mount it. */
export const csiAddress = Flag.String("csi-address").pipe(
  Flag.withDescription("The CSI driver's socket as mounted here."),
  Flag.withDefault("/csi/csi.sock")
)

/** A flag kept only so the original's command lines still parse (`csi-init --node-id … --endpoint …`). */
export const unused = (name: string) =>
  Flag.String(name).pipe(Flag.withDescription("Unused (compatibility)."), Flag.optional)
