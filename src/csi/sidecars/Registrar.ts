/**
 * The node-driver registrar: registers the CSI driver with the kubelet through the kubelet's plugin watcher.
 *
 * The kubelet watches `<kubelet>/plugins_registry` (mounted at `/registration` in the `registrar` container) for
 * sockets. On `<dir>/<driver>-reg.sock` this serves `pluginregistration.Registration`:
 * - `GetInfo` → `{ type: "CSIPlugin", name: <driver>, endpoint: <kubelet registration path>, supported_versions:
 *   ["1.0.0"] }`; the endpoint is the driver's socket as the kubelet (on the host) sees it.
 * - `NotifyRegistrationStatus` → logged; when the kubelet says `plugin_registered: false`, `failed` fails with
 *   `RegistrationFailed` so the process exits non-zero and the container restarts (a fresh registration attempt).
 *
 * The driver name comes from the driver itself (`GetPluginInfo` over `--csi-address`), so the registrar never
 * registers a driver that is not running. A stale socket left by a crashed predecessor is removed before binding;
 * the socket is removed again when the layer's scope closes (SIGTERM).
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import { Context, Deferred, Effect, Layer, Option } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as DataDir from "../DataDir.ts"
import * as RegistrationProto from "./RegistrationProto.ts"
import { describe, SidecarError } from "./SidecarError.ts"

/** The CSI versions the driver speaks, as the kubelet expects them. @category constants @since 0.1.0 */
export const SupportedVersions: ReadonlyArray<string> = ["1.0.0"]

/** @category models @since 0.1.0 */
export interface Options {
  /** The driver name (from `GetPluginInfo`). */
  readonly driverName: string
  /** `--plugin-registration-path`: the directory the kubelet watches, as mounted here. */
  readonly pluginRegistrationPath: string
  /** `--kubelet-registration-path`: the driver's socket on the host, what `GetInfo` tells the kubelet. */
  readonly kubeletRegistrationPath: string
}

/** The running registration server. @category services @since 0.1.0 */
export class Registrar extends Context.Service<
  Registrar,
  {
    /** Absolute path of the registration socket. */
    readonly socketPath: string
    /** Never succeeds; fails when the kubelet reports a failed registration. */
    readonly failed: Effect.Effect<never, SidecarError>
  }
>()("dynatrace-operator/csi/sidecars/Registrar") {}

/**
 * `<pluginRegistrationPath>/<driverName>-reg.sock`, the name the kubelet's plugin watcher expects.
 *
 * @category naming
 * @since 0.1.0
 */
export const socketPathOf = (pluginRegistrationPath: string, driverName: string): string =>
  path.join(path.resolve(pluginRegistrationPath), `${driverName}-reg.sock`)

/** Removes `socketPath` when it is a socket (or absent); anything else there is an error, never deleted. */
const removeStaleSocket = (socketPath: string) =>
  Effect.tryPromise({
    try: async () => {
      const existing = await fs.lstat(socketPath).catch(() => undefined)
      if (existing !== undefined && !existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket`)
      await fs.rm(socketPath, { force: true })
    },
    catch: (e) => new SidecarError({ reason: "Listen", message: describe(e) })
  })

/**
 * Serves the Registration service for the lifetime of the layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Registrar, SidecarError> =>
  Layer.effect(
    Registrar,
    Effect.gen(function* () {
      if (!DataDir.isSafeComponent(options.driverName)) {
        return yield* new SidecarError({
          reason: "InvalidFlag",
          message: `driver name ${JSON.stringify(options.driverName)} cannot name a socket file`
        })
      }
      if (!path.isAbsolute(options.kubeletRegistrationPath)) {
        return yield* new SidecarError({
          reason: "InvalidFlag",
          message: `--kubelet-registration-path ${JSON.stringify(options.kubeletRegistrationPath)} must be an absolute path`
        })
      }
      const socketPath = socketPathOf(options.pluginRegistrationPath, options.driverName)
      const address = `unix://${socketPath}`
      const failure = yield* Deferred.make<never, SidecarError>()
      const context = yield* Effect.context<never>()
      const run = <A>(effect: Effect.Effect<A>) => Effect.runSyncWith(context)(effect)

      const info: RegistrationProto.PluginInfo = {
        type: RegistrationProto.CsiPluginType,
        name: options.driverName,
        endpoint: options.kubeletRegistrationPath,
        supported_versions: SupportedVersions
      }
      const handlers: RegistrationProto.RegistrationHandlers = {
        GetInfo: (_call, callback) => {
          run(Effect.logInfo("The kubelet asked for the plugin info.").pipe(Effect.annotateLogs({ ...info })))
          callback(null, info)
        },
        NotifyRegistrationStatus: (call, callback) => {
          const registered = call.request.plugin_registered === true
          const error = call.request.error ?? ""
          if (registered) {
            run(
              Effect.logInfo("The kubelet registered the CSI driver.").pipe(Effect.annotateLogs({ driver: info.name }))
            )
          } else {
            run(
              Effect.logError("The kubelet did not register the CSI driver.").pipe(
                Effect.annotateLogs({ driver: info.name, error }),
                Effect.andThen(
                  Deferred.fail(
                    failure,
                    new SidecarError({
                      reason: "RegistrationFailed",
                      message: `the kubelet did not register ${info.name}: ${error === "" ? "no reason given" : error}`
                    })
                  )
                )
              )
            )
          }
          callback(null, {})
        }
      }

      yield* Effect.acquireRelease(
        Effect.gen(function* () {
          yield* Effect.tryPromise({
            try: () => fs.mkdir(path.dirname(socketPath), { recursive: true }),
            catch: (e) => new SidecarError({ reason: "Listen", message: describe(e) })
          })
          yield* removeStaleSocket(socketPath)
          const server = new grpc.Server()
          server.addService(RegistrationProto.load().service, handlers)
          yield* Effect.callback<void, SidecarError>((resume) => {
            server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => {
              resume(
                error === null
                  ? Effect.void
                  : Effect.fail(
                      new SidecarError({ reason: "Listen", message: `cannot listen on ${address}: ${error.message}` })
                    )
              )
            })
          })
          // Only the owner (root, as the kubelet) may connect, as with the upstream registrar's umask.
          yield* Effect.promise(() => fs.chmod(socketPath, 0o700).catch(() => undefined))
          return server
        }),
        (server) =>
          Effect.callback<void>((resume) => server.tryShutdown(() => resume(Effect.void))).pipe(
            Effect.timeoutOption("5 seconds"),
            Effect.flatMap((done) => (Option.isSome(done) ? Effect.void : Effect.sync(() => server.forceShutdown()))),
            Effect.andThen(Effect.promise(() => fs.rm(socketPath, { force: true }))),
            Effect.andThen(Effect.logInfo("Registration server stopped.").pipe(Effect.annotateLogs({ socketPath })))
          )
      )
      yield* Effect.logInfo("Registration server listening.").pipe(
        Effect.annotateLogs({ socketPath, driver: info.name, endpoint: info.endpoint })
      )
      return Registrar.of({ socketPath, failed: Deferred.await(failure) })
    })
  )
