/**
 * The CSI liveness probe: an HTTP `/healthz` that asks the driver whether it is healthy. The kubelet's
 * `livenessProbe` of the driver's `server` container points at it (`:9808/healthz` in the chart), so a driver that
 * stops answering on its socket is restarted even though its process is still alive.
 *
 * Each request calls CSI `Probe` over the socket with `probeTimeout` as the gRPC deadline:
 * - 200 `ok` when the driver answers ready,
 * - 500 with the reason otherwise (`driver is not ready`, or why the call failed: no socket, deadline exceeded…).
 *
 * @since 0.1.0
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Cause, Context, Duration, Effect, Layer } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import * as DriverClient from "./DriverClient.ts"
import { describe, SidecarError } from "./SidecarError.ts"

/** The path the kubelet probes. @category constants @since 0.1.0 */
export const HealthPath = "/healthz"

/** @category models @since 0.1.0 */
export interface Options {
  /** The driver's gRPC address, `unix:///csi/csi.sock` (see `DriverClient.parseAddress`). */
  readonly csiAddress: string
  /** `--health-port`; 0 picks a free port (tests). */
  readonly port: number
  /** Where to listen; all interfaces by default, as the kubelet probes the pod IP. */
  readonly host?: string | undefined
  /** The deadline of each Probe call. */
  readonly probeTimeout: Duration.Duration
}

/** The running probe server. @category services @since 0.1.0 */
export class LivenessProbe extends Context.Service<
  LivenessProbe,
  {
    /** The port it listens on (the bound one when `port` was 0). */
    readonly port: number
  }
>()("dynatrace-operator/csi/sidecars/LivenessProbe") {}

/**
 * The answer to one `/healthz` request.
 *
 * @category handlers
 * @since 0.1.0
 */
export const check = (options: Pick<Options, "csiAddress" | "probeTimeout">) =>
  DriverClient.probe(options.csiAddress, options.probeTimeout).pipe(
    Effect.as(HttpServerResponse.text("ok")),
    Effect.catch((error) =>
      Effect.logWarning("The CSI driver failed its health check.").pipe(
        Effect.annotateLogs({ reason: error.reason, error: error.message }),
        Effect.as(HttpServerResponse.text(error.message, { status: 500 }))
      )
    )
  )

/**
 * Serves `/healthz` for the lifetime of the layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<LivenessProbe, SidecarError> => {
  const routes = HttpRouter.add("GET", HealthPath, check(options))
  const info = Layer.effect(
    LivenessProbe,
    Effect.gen(function* () {
      const address = (yield* HttpServer.HttpServer).address
      const port = address._tag === "UnixPathAddress" ? options.port : address.port
      yield* Effect.logInfo("Liveness probe listening.").pipe(
        Effect.annotateLogs({ port, path: HealthPath, csiAddress: options.csiAddress })
      )
      return LivenessProbe.of({ port })
    })
  )
  return Layer.mergeAll(HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }), info).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { host: options.host ?? "0.0.0.0", port: options.port })),
    Layer.catchCause((cause) =>
      Layer.effect(
        LivenessProbe,
        Effect.fail(
          new SidecarError({
            reason: "Listen",
            message: `cannot serve ${HealthPath} on port ${options.port}: ${describe(Cause.squash(cause))}`
          })
        )
      )
    ),
    Layer.fresh
  )
}
