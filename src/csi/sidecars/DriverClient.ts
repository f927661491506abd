/**
 * How the sidecars call the CSI driver over its socket: `GetPluginInfo` for the driver name (the registrar at
 * start) and `Probe` with a deadline (the liveness probe, per HTTP request). Every call gets a fresh connection
 * that is closed afterwards, so a restarted driver (new socket inode) is reached on the next call.
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import { Duration, Effect, Schedule } from "effect"
import * as CsiServer from "../CsiServer.ts"
import * as Proto from "../CsiProto.ts"
import { describe, SidecarError } from "./SidecarError.ts"

/**
 * The gRPC address of a `--csi-address` value (`/csi/csi.sock`, `unix:/csi/csi.sock` or `unix:///csi/csi.sock`).
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseAddress = (csiAddress: string): Effect.Effect<string, SidecarError> =>
  CsiServer.parseEndpoint(csiAddress).pipe(
    Effect.map((socketPath) => `unix://${socketPath}`),
    Effect.mapError(
      (e) => new SidecarError({ reason: "InvalidFlag", message: e.message.replace(/^endpoint/, "--csi-address") })
    )
  )

type UnaryMethod = (
  request: object,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void
) => void

/** One Identity call on a connection of its own, failing after `timeout`. */
const callIdentity = <Res>(address: string, method: string, timeout: Duration.Input) =>
  Effect.acquireUseRelease(
    Effect.sync(() => new (Proto.load().Identity)(address, grpc.credentials.createInsecure())),
    (client) =>
      Effect.callback<Res, SidecarError>((resume) => {
        const fn = (client as unknown as Record<string, UnaryMethod>)[method]!
        const deadline = new Date(Date.now() + Duration.toMillis(Duration.fromInputUnsafe(timeout)))
        fn.call(client, {}, { deadline }, (error, response) =>
          resume(
            error === null
              ? Effect.succeed(response as Res)
              : Effect.fail(
                  new SidecarError({
                    reason: "DriverUnreachable",
                    message: `${method} on ${address} failed: ${describe(error)}`
                  })
                )
          )
        )
      }),
    (client) => Effect.sync(() => client.close())
  )

/**
 * The driver's name from `GetPluginInfo`.
 *
 * @category calls
 * @since 0.1.0
 */
export const getDriverName = Effect.fn("DriverClient.getDriverName")(function* (
  address: string,
  timeout: Duration.Input = "10 seconds"
) {
  const info = yield* callIdentity<Proto.GetPluginInfoResponse>(address, "GetPluginInfo", timeout)
  if (info.name === "") {
    return yield* new SidecarError({ reason: "DriverUnreachable", message: `the driver at ${address} has no name` })
  }
  return info.name
})

/**
 * `getDriverName`, retried until the driver answers: the sidecars start together with the driver, which may need
 * a few seconds to create its socket. Each failure is logged; the delay grows to at most 5 s.
 *
 * @category calls
 * @since 0.1.0
 */
export const waitForDriverName = (address: string) =>
  getDriverName(address).pipe(
    Effect.tapError((error) =>
      Effect.logWarning("Waiting for the CSI driver.").pipe(Effect.annotateLogs({ error: error.message }))
    ),
    Effect.retry(Schedule.min([Schedule.exponential("200 millis", 2), Schedule.spaced("5 seconds")]))
  )

/**
 * Calls `Probe`: succeeds when the driver is ready, fails with `DriverUnreachable` (no answer within `timeout`, or
 * an error status) or `DriverNotReady` (it answered ready = false). An absent `ready` field means ready, as the
 * CSI spec says.
 *
 * @category calls
 * @since 0.1.0
 */
export const probe = Effect.fn("DriverClient.probe")(function* (address: string, timeout: Duration.Input) {
  const response = yield* callIdentity<Proto.ProbeResponse>(address, "Probe", timeout)
  if (response.ready !== undefined && response.ready !== null && !response.ready.value) {
    return yield* new SidecarError({ reason: "DriverNotReady", message: "driver is not ready" })
  }
})
