/**
 * A small promise-based CSI client for the Identity and Node services: what the kubelet and the sidecars do, for
 * tests (the pod walk plays the kubelet with it), benchmarks and troubleshooting. A failed call rejects with the
 * grpc-js `ServiceError` (`code`, `details`).
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import * as Proto from "./CsiProto.ts"

/** A connected client. @category models @since 0.1.0 */
export interface CsiClient {
  readonly getPluginInfo: () => Promise<Proto.GetPluginInfoResponse>
  readonly getPluginCapabilities: () => Promise<Proto.GetPluginCapabilitiesResponse>
  readonly probe: () => Promise<Proto.ProbeResponse>
  readonly nodeGetInfo: () => Promise<Proto.NodeGetInfoResponse>
  readonly nodeGetCapabilities: () => Promise<Proto.NodeGetCapabilitiesResponse>
  readonly nodePublishVolume: (request: Proto.NodePublishVolumeRequest) => Promise<Proto.NodePublishVolumeResponse>
  readonly nodeUnpublishVolume: (
    request: Proto.NodeUnpublishVolumeRequest
  ) => Promise<Proto.NodeUnpublishVolumeResponse>
  /** Any Node method by name, e.g. `NodeStageVolume`. */
  readonly callNode: (method: string, request: object) => Promise<unknown>
  readonly close: () => void
}

type UnaryMethod = (request: object, callback: (error: grpc.ServiceError | null, response: unknown) => void) => void

const invoke = <Res>(client: grpc.Client, method: string, request: object): Promise<Res> =>
  new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method]
    if (fn === undefined) return reject(new Error(`no such CSI method ${method}`))
    fn.call(client, request, (error, response) => (error === null ? resolve(response as Res) : reject(error)))
  })

/**
 * Connects to `address` (`unix:///path/csi.sock`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const connect = (address: string): CsiClient => {
  const csi = Proto.load()
  const credentials = grpc.credentials.createInsecure()
  const identity = new csi.Identity(address, credentials)
  const node = new csi.Node(address, credentials)
  return {
    getPluginInfo: () => invoke(identity, "GetPluginInfo", {}),
    getPluginCapabilities: () => invoke(identity, "GetPluginCapabilities", {}),
    probe: () => invoke(identity, "Probe", {}),
    nodeGetInfo: () => invoke(node, "NodeGetInfo", {}),
    nodeGetCapabilities: () => invoke(node, "NodeGetCapabilities", {}),
    nodePublishVolume: (request) => invoke(node, "NodePublishVolume", request),
    nodeUnpublishVolume: (request) => invoke(node, "NodeUnpublishVolume", request),
    callNode: (method, request) => invoke(node, method, request),
    close: () => {
      identity.close()
      node.close()
    }
  }
}
