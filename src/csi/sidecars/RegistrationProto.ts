/**
 * The kubelet's plugin-registration gRPC API (`pluginregistration.Registration`), loaded from
 * `registration.proto` beside this file, with the TypeScript shape of its messages as @grpc/proto-loader decodes
 * them (same options as `CsiProto.ts`). The kubelet is the client: it calls `GetInfo` on every socket that
 * appears in its `plugins_registry` directory and then `NotifyRegistrationStatus` with the outcome.
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { fileURLToPath } from "node:url"
import { loaderOptions } from "../CsiProto.ts"

/** Path of the proto file. @category constants @since 0.1.0 */
export const protoPath = fileURLToPath(new URL("./registration.proto", import.meta.url))

/** `PluginInfo.type` of a CSI driver. @category constants @since 0.1.0 */
export const CsiPluginType = "CSIPlugin"

export type InfoRequest = Record<string, never>

export interface PluginInfo {
  readonly type: string
  readonly name: string
  readonly endpoint: string
  readonly supported_versions: ReadonlyArray<string>
}

/** Sent by the kubelet; every field may be absent on the wire (proto3 defaults fill them in). */
export interface RegistrationStatus {
  readonly plugin_registered?: boolean
  readonly error?: string
}

export type RegistrationStatusResponse = Record<string, never>

/** The Registration service's handlers. @category models @since 0.1.0 */
export interface RegistrationHandlers extends grpc.UntypedServiceImplementation {
  GetInfo: grpc.handleUnaryCall<InfoRequest, PluginInfo>
  NotifyRegistrationStatus: grpc.handleUnaryCall<RegistrationStatus, RegistrationStatusResponse>
}

let loaded: grpc.ServiceClientConstructor | undefined

/**
 * The `Registration` service: `.service` for a server, `new Registration(address, credentials)` for a client
 * (tests play the kubelet with it). Loaded once.
 *
 * @category constructors
 * @since 0.1.0
 */
export const load = (): grpc.ServiceClientConstructor => {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync(protoPath, loaderOptions)
    const root = grpc.loadPackageDefinition(definition) as unknown as {
      pluginregistration: { Registration: grpc.ServiceClientConstructor }
    }
    loaded = root.pluginregistration.Registration
  }
  return loaded
}
