import * as protoLoader from "@grpc/proto-loader"
import { describe, expect, it } from "vitest"
import * as Proto from "./CsiProto.ts"

interface FieldDescriptor {
  readonly name: string
  readonly number: number
  readonly label: string
  readonly type: string
}

const definition = protoLoader.loadSync(Proto.protoPath, Proto.loaderOptions)
const fields = (message: string) =>
  Object.fromEntries(
    (definition[`csi.v1.${message}`] as { type: { field: Array<FieldDescriptor> } }).type.field.map((f) => [
      f.name,
      `${f.number} ${f.label === "LABEL_REPEATED" ? "repeated " : ""}${f.type}`
    ])
  )

describe("csi.proto", () => {
  it("serves the csi.v1 Identity and Node methods under their wire paths", () => {
    const csi = Proto.load()
    expect(
      Object.values(csi.Identity.service)
        .map((m) => m.path)
        .toSorted()
    ).toEqual(["/csi.v1.Identity/GetPluginCapabilities", "/csi.v1.Identity/GetPluginInfo", "/csi.v1.Identity/Probe"])
    expect(
      Object.values(csi.Node.service)
        .map((m) => m.path)
        .toSorted()
    ).toEqual(
      [
        "NodeExpandVolume",
        "NodeGetCapabilities",
        "NodeGetInfo",
        "NodeGetVolumeStats",
        "NodePublishVolume",
        "NodeStageVolume",
        "NodeUnpublishVolume",
        "NodeUnstageVolume"
      ].map((m) => `/csi.v1.Node/${m}`)
    )
  })

  it("has the CSI field numbers and types the handlers rely on", () => {
    expect(fields("NodePublishVolumeRequest")).toEqual({
      volume_id: "1 TYPE_STRING",
      publish_context: "2 repeated TYPE_MESSAGE",
      staging_target_path: "3 TYPE_STRING",
      target_path: "4 TYPE_STRING",
      volume_capability: "5 TYPE_MESSAGE",
      readonly: "6 TYPE_BOOL",
      secrets: "7 repeated TYPE_MESSAGE",
      volume_context: "8 repeated TYPE_MESSAGE"
    })
    expect(fields("NodeUnpublishVolumeRequest")).toEqual({ volume_id: "1 TYPE_STRING", target_path: "2 TYPE_STRING" })
    expect(fields("VolumeCapability")).toEqual({
      block: "1 TYPE_MESSAGE",
      mount: "2 TYPE_MESSAGE",
      access_mode: "3 TYPE_MESSAGE"
    })
    expect(fields("GetPluginInfoResponse")).toEqual({
      name: "1 TYPE_STRING",
      vendor_version: "2 TYPE_STRING",
      manifest: "3 repeated TYPE_MESSAGE"
    })
    expect(fields("ProbeResponse")).toEqual({ ready: "1 TYPE_MESSAGE" })
    expect(fields("NodeGetInfoResponse")).toEqual({
      node_id: "1 TYPE_STRING",
      max_volumes_per_node: "2 TYPE_INT64",
      accessible_topology: "3 TYPE_MESSAGE"
    })
    expect(fields("NodeGetCapabilitiesResponse")).toEqual({ capabilities: "1 repeated TYPE_MESSAGE" })
  })
})
