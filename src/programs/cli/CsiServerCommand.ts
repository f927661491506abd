/**
 * `dynatrace-operator csi-server`: the CSI driver's gRPC Identity and Node services on a unix socket (spec §5,
 * §7), run by the `server` container of the CSI DaemonSet:
 *
 *   csi-server --endpoint=unix:///csi/csi.sock --node-id=$(KUBE_NODE_NAME)
 *
 * | flag                       | env fallback               | default                 |
 * |----------------------------|----------------------------|-------------------------|
 * | `--endpoint`               | `CSI_ENDPOINT`             | `unix:///tmp/csi.sock`  |
 * | `--node-id`                | `KUBE_NODE_NAME`           | required                |
 * | `--data-dir`               | `CSI_SERVER_DATA_DIR`      | `/data`                 |
 * | `--kubelet-dir`            | `KUBELET_DIR`              | `/var/lib/kubelet`      |
 * | `--max-requests`           | `GRPC_MAX_REQUESTS_LIMIT`  | `20`                    |
 * | `--metrics-bind-address`   | `METRICS_BIND_ADDRESS`     | `:8080` (`0` disables)  |
 *
 * Health: the `livenessprobe` sidecar calls the CSI `Probe` over the socket for its `:9808/healthz`; this process
 * serves Prometheus metrics only. SIGTERM closes the server gracefully (calls in flight get 5 s) and removes the
 * socket.
 */
import { Config, Effect, FileSystem, Layer } from "effect"
import { Command, Flag } from "effect/cli"
import * as path from "node:path"
import * as CsiMetrics from "../../csi/CsiMetrics.ts"
import * as CsiServer from "../../csi/CsiServer.ts"
import * as DataDir from "../../csi/DataDir.ts"
import * as IdentityService from "../../csi/IdentityService.ts"
import * as NodeService from "../../csi/NodeService.ts"
import * as NodeFs from "../../services/NodeFs.ts"
import * as Probes from "../../services/Probes.ts"
import * as CsiFlags from "./CsiFlags.ts"
import { version } from "./Version.ts"

const endpoint = CsiFlags.endpoint
const nodeId = CsiFlags.nodeId("The Kubernetes node this driver runs on (NodeGetInfo).")
const dataDir = CsiFlags.dataDir("CSI_SERVER_DATA_DIR")
const kubeletDir = Flag.String("kubelet-dir").pipe(
  Flag.withDescription("The kubelet's root directory; publish targets must be under its pods/ directory."),
  Flag.withFallbackConfig(Config.String("KUBELET_DIR")),
  Flag.withDefault("/var/lib/kubelet")
)
const maxRequests = Flag.Int("max-requests").pipe(
  Flag.withDescription("Publish/unpublish calls allowed in flight; more get ResourceExhausted."),
  Flag.withFallbackConfig(Config.Int("GRPC_MAX_REQUESTS_LIMIT")),
  Flag.withDefault(NodeService.DefaultMaxInFlight)
)
const metricsBindAddress = CsiFlags.metricsBindAddress(":8080")

/** Fails with a one-line reason when a flag value cannot work. */
const check = (problem: string | undefined) =>
  problem === undefined ? Effect.void : Effect.fail(new CsiServer.CsiServerError({ message: problem }))

export const csiServerCommand = Command.make(
  "csi-server",
  { endpoint, nodeId, dataDir, kubeletDir, maxRequests, metricsBindAddress },
  Effect.fn("csi-server")(function* (flags) {
    yield* check(flags.nodeId.trim() === "" ? "--node-id (or KUBE_NODE_NAME) must not be empty" : undefined)
    yield* check(DataDir.validateRoot(flags.dataDir))
    yield* check(
      path.isAbsolute(flags.kubeletDir)
        ? undefined
        : `--kubelet-dir ${JSON.stringify(flags.kubeletDir)} must be absolute`
    )
    yield* check(flags.maxRequests >= 1 ? undefined : "--max-requests must be at least 1")
    const metricsAddress = yield* Probes.parseBindAddress(flags.metricsBindAddress)
    yield* CsiServer.parseEndpoint(flags.endpoint)

    const fs = yield* FileSystem.FileSystem
    const layout = DataDir.make(flags.dataDir)
    const podsDir = path.join(path.resolve(flags.kubeletDir), "pods")
    yield* fs
      .makeDirectory(layout.root, { recursive: true })
      .pipe(
        Effect.mapError((e) => new CsiServer.CsiServerError({ message: `cannot create ${layout.root}: ${e.message}` }))
      )
    if (!(yield* fs.exists(podsDir).pipe(Effect.orElseSucceed(() => false)))) {
      yield* Effect.logWarning(
        "The kubelet pods directory does not exist; every publish will fail until it does."
      ).pipe(Effect.annotateLogs({ podsDir }))
    }

    const server = CsiServer.layer({ endpoint: flags.endpoint }).pipe(
      Layer.provide(IdentityService.layer(version)),
      Layer.provide(
        NodeService.layer({ nodeId: flags.nodeId, dataDir: layout, podsDir, maxInFlight: flags.maxRequests })
      )
    )
    yield* Effect.logInfo("Starting CSI server.").pipe(
      Effect.annotateLogs({
        driver: DataDir.DriverName,
        version,
        nodeId: flags.nodeId,
        dataDir: layout.root,
        podsDir,
        maxRequests: flags.maxRequests
      })
    )
    const logBackend = Layer.effectDiscard(
      Effect.gen(function* () {
        const mounts = yield* NodeFs.NodeFs
        yield* Effect.logInfo("Mounts go through the node's mount API.").pipe(
          Effect.annotateLogs({ backend: mounts.backend })
        )
      })
    )
    return yield* Layer.launch(
      Layer.mergeAll(logBackend, server, CsiMetrics.layer(layout), Probes.metricsServer(metricsAddress)).pipe(
        Layer.provide(NodeFs.layer)
      )
    )
  })
).pipe(
  Command.withDescription(
    "Serve the CSI Identity and Node services for csi.oneagent.dynatrace.com: publishes code modules (mode app, overlayfs) and host-agent storage (mode host) into pods."
  )
)
