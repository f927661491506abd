/**
 * The CSI gRPC server: Identity and Node services on a unix socket, the kubelet's (and the sidecars') only way in.
 *
 * - The server lives in a scope: it binds when the layer is built (removing a stale socket a crashed predecessor
 *   left behind) and, when the scope closes, stops accepting calls, lets calls in flight finish for up to
 *   `shutdownTimeout` (then cuts them), and removes the socket file.
 * - Each call runs as an Effect with the services the layer was built with (logger, clock, NodeFs…). A
 *   `CsiError` becomes its gRPC status; a defect becomes `Internal` with its message and an error log line,
 *   never a crash of the process.
 * - Endpoints use the forms the original's flags take: `unix:///csi/csi.sock`, `unix:/csi/csi.sock`, or a plain
 *   absolute path. Only unix sockets are served.
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import { Cause, Context, Duration, Effect, Exit, Layer, Option, Schema } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as CsiError from "./CsiError.ts"
import * as Proto from "./CsiProto.ts"
import { IdentityService } from "./IdentityService.ts"
import { NodeService } from "./NodeService.ts"

/** The server could not start (bad endpoint, socket in use, bind failure). @category errors @since 0.1.0 */
export class CsiServerError extends Schema.TaggedError<CsiServerError>()("CsiServerError", {
  message: Schema.String
}) {}

/** Server options. @category models @since 0.1.0 */
export interface Options {
  /** `unix:///path/csi.sock`, `unix:/path/csi.sock` or `/path/csi.sock`. */
  readonly endpoint: string
  /** How long calls in flight may run on after shutdown begins; default 5 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
}

/** The running server. @category services @since 0.1.0 */
export class CsiServer extends Context.Service<
  CsiServer,
  {
    /** Absolute path of the unix socket. */
    readonly socketPath: string
    /** The address clients dial, `unix:///…`. */
    readonly address: string
  }
>()("dynatrace-operator/csi/CsiServer") {}

/**
 * The socket path of an endpoint.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseEndpoint = (endpoint: string): Effect.Effect<string, CsiServerError> => {
  const text = endpoint.trim()
  const rest = text.startsWith("unix://")
    ? text.slice("unix://".length)
    : text.startsWith("unix:")
      ? text.slice(5)
      : text
  if (/^[a-z][a-z0-9+.-]*:/i.test(rest) || rest === "" || !path.isAbsolute(rest) || rest.includes("\0")) {
    return Effect.fail(
      new CsiServerError({
        message: `endpoint ${JSON.stringify(endpoint)} is not a unix socket with an absolute path (e.g. unix:///csi/csi.sock)`
      })
    )
  }
  return Effect.succeed(path.normalize(rest))
}

const methodLogLevel = (code: CsiError.Code) => {
  switch (code) {
    case "Unavailable":
    case "ResourceExhausted":
    case "Aborted":
      return "Info" as const
    case "Internal":
      return "Error" as const
    default:
      return "Warn" as const
  }
}

/** Turns an Effect-returning handler into a grpc-js unary handler that runs with `context`. */
const unary =
  <Req extends object, Res>(
    context: Context.Context<never>,
    method: string,
    handle: (request: Req) => Effect.Effect<Res, CsiError.CsiError>
  ): grpc.handleUnaryCall<Req, Res> =>
  (call, callback) => {
    const request = call.request as Req & { readonly volume_id?: unknown }
    const volumeId = typeof request.volume_id === "string" ? request.volume_id : undefined
    const program = handle(call.request).pipe(
      Effect.tapError((error) =>
        Effect.logWithLevel(methodLogLevel(error.code))(`${method} failed.`).pipe(
          Effect.annotateLogs({ code: error.code, error: error.message })
        )
      ),
      Effect.tapDefect((defect) =>
        Effect.logError(`${method} failed unexpectedly.`).pipe(
          Effect.annotateLogs({ error: defect instanceof Error ? defect.message : String(defect) })
        )
      ),
      Effect.annotateLogs(volumeId === undefined ? { method } : { method, volumeId })
    )
    void Effect.runPromiseExitWith(context)(program).then((exit) => {
      if (Exit.isSuccess(exit)) return callback(null, exit.value)
      const error = Cause.findErrorOption(exit.cause)
      if (Option.isSome(error)) return callback(CsiError.toServiceError(error.value))
      if (Cause.hasInterruptsOnly(exit.cause)) {
        return callback({ code: grpc.status.UNAVAILABLE, details: "the driver is shutting down" })
      }
      const defect = Cause.squash(exit.cause)
      callback({
        code: grpc.status.INTERNAL,
        details: defect instanceof Error ? defect.message : `unexpected failure: ${String(defect)}`
      })
    })
  }

const notImplemented = (method: string) =>
  Effect.fail(CsiError.unimplemented(`${method} is not implemented: this driver only publishes ephemeral volumes`))

/**
 * Serves the Identity and Node services on the endpoint's unix socket for the lifetime of the layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<CsiServer, CsiServerError, IdentityService | NodeService> =>
  Layer.effect(
    CsiServer,
    Effect.gen(function* () {
      const socketPath = yield* parseEndpoint(options.endpoint)
      const address = `unix://${socketPath}`
      const identity = yield* IdentityService
      const node = yield* NodeService
      const context = yield* Effect.context<never>()
      const csi = Proto.load()

      const identityHandlers: Proto.IdentityHandlers = {
        GetPluginInfo: unary(context, "GetPluginInfo", () => identity.getPluginInfo),
        GetPluginCapabilities: unary(context, "GetPluginCapabilities", () => identity.getPluginCapabilities),
        Probe: unary(context, "Probe", () => identity.probe)
      }
      const nodeHandlers: Proto.NodeHandlers = {
        NodePublishVolume: unary(context, "NodePublishVolume", node.publish),
        NodeUnpublishVolume: unary(context, "NodeUnpublishVolume", node.unpublish),
        NodeGetInfo: unary(context, "NodeGetInfo", () => node.getInfo),
        NodeGetCapabilities: unary(context, "NodeGetCapabilities", () => node.getCapabilities),
        NodeStageVolume: unary(context, "NodeStageVolume", () => notImplemented("NodeStageVolume")),
        NodeUnstageVolume: unary(context, "NodeUnstageVolume", () => notImplemented("NodeUnstageVolume")),
        NodeGetVolumeStats: unary(context, "NodeGetVolumeStats", () => notImplemented("NodeGetVolumeStats")),
        NodeExpandVolume: unary(context, "NodeExpandVolume", () => notImplemented("NodeExpandVolume"))
      }

      const removeSocket = Effect.promise(() => fs.rm(socketPath, { force: true }))
      yield* Effect.acquireRelease(
        Effect.gen(function* () {
          yield* Effect.tryPromise({
            try: async () => {
              await fs.mkdir(path.dirname(socketPath), { recursive: true })
              const existing = await fs.lstat(socketPath).catch(() => undefined)
              if (existing !== undefined && !existing.isSocket()) {
                throw new Error(`${socketPath} exists and is not a socket`)
              }
              // A socket file left by a previous run would make bind fail with EADDRINUSE.
              await fs.rm(socketPath, { force: true })
            },
            catch: (e) => new CsiServerError({ message: e instanceof Error ? e.message : String(e) })
          })
          const server = new grpc.Server()
          server.addService(csi.Identity.service, identityHandlers)
          server.addService(csi.Node.service, nodeHandlers)
          yield* Effect.callback<void, CsiServerError>((resume) => {
            server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => {
              resume(
                error === null
                  ? Effect.void
                  : Effect.fail(new CsiServerError({ message: `cannot listen on ${address}: ${error.message}` }))
              )
            })
          })
          return server
        }),
        (server) =>
          Effect.callback<void>((resume) => server.tryShutdown(() => resume(Effect.void))).pipe(
            Effect.timeoutOption(options.shutdownTimeout ?? "5 seconds"),
            Effect.flatMap((done) =>
              Option.isSome(done)
                ? Effect.void
                : Effect.logWarning("CSI calls did not finish in time; closing them.").pipe(
                    Effect.andThen(Effect.sync(() => server.forceShutdown()))
                  )
            ),
            Effect.andThen(removeSocket),
            Effect.andThen(Effect.logInfo("CSI server stopped.").pipe(Effect.annotateLogs({ endpoint: address })))
          )
      )
      yield* Effect.logInfo("CSI server listening.").pipe(Effect.annotateLogs({ endpoint: address }))
      return CsiServer.of({ socketPath, address })
    })
  )
