import { describe, expect, it } from "vitest"
import * as DataDir from "./DataDir.ts"

describe("DataDir", () => {
  const d = DataDir.make("/data")

  it("lays out the node directory as spec §5.3", () => {
    expect(d.codeModule("1.299.0.20240101-000000")).toBe("/data/codemodules/1.299.0.20240101-000000")
    expect(d.latestCodeModule("dk")).toBe("/data/_dynakubes/dk/latest-codemodule")
    expect(d.osAgent("dk")).toBe("/data/_dynakubes/dk/osagent")
    expect(d.podInfoLink("dk", "shop", "app-1")).toBe("/data/_dynakubes/dk/appmounts/shop/app-1")
    expect(d.overlayUpper("csi-1")).toBe("/data/appmounts/csi-1/var")
    expect(d.overlayWork("csi-1")).toBe("/data/appmounts/csi-1/work")
    expect(d.mountStart("csi-1")).toBe("/data/appmounts/csi-1/mount-start")
    expect(d.podInfoFile("csi-1")).toBe("/data/appmounts/csi-1/var/pod-info")
    expect(d.jobWork("codemodule-download-1a2b")).toBe("/data/work/codemodule-download-1a2b")
    expect(d.tmpZip).toBe("/data/tmp_zip")
    expect(d.legacyMapped("tenant1", "csi-1")).toBe("/data/tenant1/run/csi-1/mapped")
    expect(DataDir.nodeRoot("/var/lib/kubelet")).toBe("/var/lib/kubelet/plugins/csi.oneagent.dynatrace.com/data")
  })

  it("names code-module directories by version, or base64url of an image URI (one path component)", () => {
    expect(DataDir.codeModuleDirName("1.299.0.20240101-000000")).toBe("1.299.0.20240101-000000")
    const image = "registry.example.com/dynatrace/codemodules:1.299.0@sha256:abc"
    const name = DataDir.codeModuleDirName(image)
    expect(name).not.toContain("/")
    expect(DataDir.isSafeComponent(name)).toBe(true)
    expect(Buffer.from(name, "base64url").toString("utf8")).toBe(image)
  })

  it("never builds a path outside the root from an unsafe name", () => {
    for (const bad of ["..", ".", "", "a/b", "../etc", "x\0y"]) {
      expect(() => d.appMount(bad), bad).toThrow(/not a safe path component/)
      expect(() => d.osAgent(bad), bad).toThrow(/not a safe path component/)
      expect(() => d.podInfoLink("dk", bad, "p"), bad).toThrow(/not a safe path component/)
    }
  })

  it("refuses roots that would break overlayfs options", () => {
    expect(DataDir.validateRoot("/data")).toBeUndefined()
    expect(DataDir.validateRoot("data")).toMatch(/absolute/)
    expect(DataDir.validateRoot("/da,ta")).toMatch(/must not contain/)
    expect(DataDir.validateRoot("/da:ta")).toMatch(/must not contain/)
    expect(() => DataDir.make("/a:b")).toThrow()
  })
})
