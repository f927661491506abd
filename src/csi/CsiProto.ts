/**
 * The `csi.v1` Identity and Node services, loaded from `csi.proto` beside this file, and the TypeScript shape of
 * their messages as @grpc/proto-loader decodes them (`keepCase`, enums and 64-bit integers as strings, defaults
 * filled in, a virtual field naming the set member of each `oneof`).
 *
 * The types are written by hand rather than generated: two services and a dozen messages are easier to read
 * here than 40 generated files, and `CsiProto.test.ts` checks them against the loaded descriptors.
 * Requests are typed as `Partial`: a request comes from another process, so handlers treat every field as
 * possibly absent.
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { fileURLToPath } from "node:url"

/** Path of the proto file. @category constants @since 0.1.0 */
export const protoPath = fileURLToPath(new URL("./csi.proto", import.meta.url))

/** proto-loader options shared by the server and test clients. @category constants @since 0.1.0 */
export const loaderOptions: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true
}

/** `map<string, string>` fields. */
export type StringMap = Readonly<Record<string, string>>

export type AccessMode =
  | "UNKNOWN"
  | "SINGLE_NODE_WRITER"
  | "SINGLE_NODE_READER_ONLY"
  | "MULTI_NODE_READER_ONLY"
  | "MULTI_NODE_SINGLE_WRITER"
  | "MULTI_NODE_MULTI_WRITER"
  | "SINGLE_NODE_SINGLE_WRITER"
  | "SINGLE_NODE_MULTI_WRITER"

export interface MountVolume {
  readonly fs_type?: string
  readonly mount_flags?: ReadonlyArray<string>
  readonly volume_mount_group?: string
}

export interface VolumeCapability {
  readonly block?: Record<string, never> | null
  readonly mount?: MountVolume | null
  readonly access_mode?: { readonly mode?: AccessMode } | null
  /** Which member of the `access_type` oneof is set (decoded requests only). */
  readonly access_type?: "block" | "mount"
}

// Identity -----------------------------------------------------------------------------------------------------

export type GetPluginInfoRequest = Record<string, never>
export interface GetPluginInfoResponse {
  readonly name: string
  readonly vendor_version: string
  readonly manifest?: StringMap
}

export type GetPluginCapabilitiesRequest = Record<string, never>
export interface PluginCapability {
  readonly service?: {
    readonly type: "UNKNOWN" | "CONTROLLER_SERVICE" | "VOLUME_ACCESSIBILITY_CONSTRAINTS" | "GROUP_CONTROLLER_SERVICE"
  }
  readonly volume_expansion?: { readonly type: "UNKNOWN" | "ONLINE" | "OFFLINE" }
}
export interface GetPluginCapabilitiesResponse {
  readonly capabilities: ReadonlyArray<PluginCapability>
}

export type ProbeRequest = Record<string, never>
export interface ProbeResponse {
  readonly ready?: { readonly value: boolean } | null
}

// Node ---------------------------------------------------------------------------------------------------------

export interface NodePublishVolumeRequest {
  readonly volume_id?: string
  readonly publish_context?: StringMap
  readonly staging_target_path?: string
  readonly target_path?: string
  readonly volume_capability?: VolumeCapability | null
  readonly readonly?: boolean
  readonly secrets?: StringMap
  readonly volume_context?: StringMap
}
export type NodePublishVolumeResponse = Record<string, never>

export interface NodeUnpublishVolumeRequest {
  readonly volume_id?: string
  readonly target_path?: string
}
export type NodeUnpublishVolumeResponse = Record<string, never>

export interface NodeStageVolumeRequest {
  readonly volume_id?: string
  readonly publish_context?: StringMap
  readonly staging_target_path?: string
  readonly volume_capability?: VolumeCapability | null
  readonly secrets?: StringMap
  readonly volume_context?: StringMap
}
export interface NodeUnstageVolumeRequest {
  readonly volume_id?: string
  readonly staging_target_path?: string
}
export interface NodeGetVolumeStatsRequest {
  readonly volume_id?: string
  readonly volume_path?: string
  readonly staging_target_path?: string
}
export interface NodeExpandVolumeRequest {
  readonly volume_id?: string
  readonly volume_path?: string
}

export type NodeGetCapabilitiesRequest = Record<string, never>
export interface NodeServiceCapability {
  readonly rpc?: {
    readonly type:
      | "UNKNOWN"
      | "STAGE_UNSTAGE_VOLUME"
      | "GET_VOLUME_STATS"
      | "EXPAND_VOLUME"
      | "VOLUME_CONDITION"
      | "SINGLE_NODE_MULTI_WRITER"
      | "VOLUME_MOUNT_GROUP"
  }
}
export interface NodeGetCapabilitiesResponse {
  readonly capabilities: ReadonlyArray<NodeServiceCapability>
}

export type NodeGetInfoRequest = Record<string, never>
export interface NodeGetInfoResponse {
  readonly node_id: string
  /** int64, carried as a decimal string. */
  readonly max_volumes_per_node: string
  readonly accessible_topology?: { readonly segments: StringMap } | null
}

type Empty = Record<string, never>

/** The Identity service's handlers. @category models @since 0.1.0 */
export interface IdentityHandlers extends grpc.UntypedServiceImplementation {
  GetPluginInfo: grpc.handleUnaryCall<GetPluginInfoRequest, GetPluginInfoResponse>
  GetPluginCapabilities: grpc.handleUnaryCall<GetPluginCapabilitiesRequest, GetPluginCapabilitiesResponse>
  Probe: grpc.handleUnaryCall<ProbeRequest, ProbeResponse>
}

/** The Node service's handlers. @category models @since 0.1.0 */
export interface NodeHandlers extends grpc.UntypedServiceImplementation {
  NodeStageVolume: grpc.handleUnaryCall<NodeStageVolumeRequest, Empty>
  NodeUnstageVolume: grpc.handleUnaryCall<NodeUnstageVolumeRequest, Empty>
  NodePublishVolume: grpc.handleUnaryCall<NodePublishVolumeRequest, NodePublishVolumeResponse>
  NodeUnpublishVolume: grpc.handleUnaryCall<NodeUnpublishVolumeRequest, NodeUnpublishVolumeResponse>
  NodeGetVolumeStats: grpc.handleUnaryCall<NodeGetVolumeStatsRequest, Empty>
  NodeExpandVolume: grpc.handleUnaryCall<NodeExpandVolumeRequest, Empty>
  NodeGetCapabilities: grpc.handleUnaryCall<NodeGetCapabilitiesRequest, NodeGetCapabilitiesResponse>
  NodeGetInfo: grpc.handleUnaryCall<NodeGetInfoRequest, NodeGetInfoResponse>
}

/** The loaded package: service definitions and client constructors. @category models @since 0.1.0 */
export interface CsiPackage {
  readonly Identity: grpc.ServiceClientConstructor
  readonly Node: grpc.ServiceClientConstructor
}

let loaded: CsiPackage | undefined

/**
 * Loads `csi.proto` once (synchronously: it is a local file read at start-up).
 *
 * @category constructors
 * @since 0.1.0
 */
export const load = (): CsiPackage => {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync(protoPath, loaderOptions)
    const root = grpc.loadPackageDefinition(definition) as unknown as { csi: { v1: CsiPackage } }
    loaded = root.csi.v1
  }
  return loaded
}
