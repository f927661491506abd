import { Duration } from "effect"
import { describe, expect, it } from "vitest"
import * as DataDir from "../DataDir.ts"
import * as ProvisionPlan from "./ProvisionPlan.ts"

const version = "1.311.54.20250317-111439"

/** A DynaKube with one OneAgent mode, a status and annotations. */
const dynakube = (
  mode: "classicFullStack" | "hostMonitoring" | "cloudNativeFullStack" | "applicationMonitoring" | undefined,
  options: {
    readonly version?: string
    readonly codeModulesImage?: string
    readonly annotations?: Record<string, string>
  } = {}
): ProvisionPlan.ProvisionerDynaKube => ({
  metadata: { name: "dk", namespace: "dynatrace", annotations: options.annotations ?? {} },
  spec: {
    apiUrl: "https://abc12345.live.dynatrace.com/api",
    oneAgent:
      mode === undefined
        ? {}
        : {
            [mode]: options.codeModulesImage === undefined ? {} : { codeModulesImage: options.codeModulesImage }
          }
  },
  status: options.version === undefined ? {} : { codeModules: { version: options.version } }
})

const enabled = { csiDriverEnabled: true }

describe("ProvisionPlan.plan (spec §5.5 steps 2–7)", () => {
  it("installs the status version for both app-injection modes", () => {
    for (const mode of ["cloudNativeFullStack", "applicationMonitoring"] as const) {
      expect(ProvisionPlan.plan(dynakube(mode, { version }), enabled)).toEqual({
        _tag: "Install",
        version,
        dirName: version
      })
    }
  })

  it("waits (1 min) while status.codeModules.version is missing or blank", () => {
    expect(ProvisionPlan.plan(dynakube("applicationMonitoring"), enabled)).toEqual({ _tag: "WaitForStatus" })
    expect(ProvisionPlan.plan(dynakube("applicationMonitoring", { version: "  " }), enabled)).toEqual({
      _tag: "WaitForStatus"
    })
    expect(ProvisionPlan.defaultRequeues.short).toEqual(Duration.minutes(1))
  })

  it("cleans up only in migration mode, whatever the DynaKube wants", () => {
    expect(ProvisionPlan.plan(dynakube("cloudNativeFullStack", { version }), { csiDriverEnabled: false })).toEqual({
      _tag: "CleanupOnly",
      reason: "MigrationMode",
      createDirectories: false
    })
  })

  it("cleans up only when neither app injection nor a read-only host agent is wanted", () => {
    for (const mode of ["classicFullStack", undefined] as const) {
      expect(ProvisionPlan.plan(dynakube(mode, { version }), enabled)).toEqual({
        _tag: "CleanupOnly",
        reason: "NotNeeded",
        createDirectories: false
      })
    }
  })

  it("creates the DynaKube's directory for a host agent without app injection, installs nothing", () => {
    expect(ProvisionPlan.plan(dynakube("hostMonitoring", { version }), enabled)).toEqual({
      _tag: "CleanupOnly",
      reason: "NoAppInjection",
      createDirectories: true
    })
  })

  it("refuses a custom codeModulesImage and the node-image-pull flag (not implemented), naming them", () => {
    const image = ProvisionPlan.plan(
      dynakube("cloudNativeFullStack", { version, codeModulesImage: "registry.example.com/cm:1" }),
      enabled
    )
    expect(image._tag).toBe("Unsupported")
    expect(image._tag === "Unsupported" && image.message).toMatch(/codeModulesImage/)
    const job = ProvisionPlan.plan(
      dynakube("applicationMonitoring", {
        version,
        annotations: { [ProvisionPlan.nodeImagePullAnnotation]: "true" }
      }),
      enabled
    )
    expect(job._tag === "Unsupported" && job.message).toMatch(/node-image-pull/)
    // "false" is the default and changes nothing.
    expect(
      ProvisionPlan.plan(
        dynakube("applicationMonitoring", {
          version,
          annotations: { [ProvisionPlan.nodeImagePullAnnotation]: "false" }
        }),
        enabled
      )._tag
    ).toBe("Install")
  })

  it("treats null mode objects as unset (Go nil pointers)", () => {
    const dk: ProvisionPlan.ProvisionerDynaKube = {
      metadata: { name: "dk" },
      spec: { oneAgent: { cloudNativeFullStack: null, applicationMonitoring: {} } },
      status: { codeModules: { version } }
    }
    expect(ProvisionPlan.needsOf(dk)).toEqual({ appInjection: true, readOnlyHostAgent: false })
    expect(ProvisionPlan.plan(dk, enabled)._tag).toBe("Install")
  })

  it("names the version directory with DataDir (a version that is not a plain name becomes base64url)", () => {
    const odd = "1.2.3/../../etc"
    const decided = ProvisionPlan.plan(dynakube("applicationMonitoring", { version: odd }), enabled)
    expect(decided._tag).toBe("Install")
    if (decided._tag !== "Install") return
    expect(decided.version).toBe(odd)
    expect(decided.dirName).toBe(DataDir.codeModuleDirName(odd))
    expect(decided.dirName).not.toContain("/")
    expect(DataDir.make("/data").codeModule(decided.dirName)).toBe(`/data/codemodules/${decided.dirName}`)
  })

  it("needs per mode", () => {
    expect(ProvisionPlan.needsOf(dynakube("cloudNativeFullStack"))).toEqual({
      appInjection: true,
      readOnlyHostAgent: true
    })
    expect(ProvisionPlan.needsOf(dynakube("hostMonitoring"))).toEqual({
      appInjection: false,
      readOnlyHostAgent: true
    })
    expect(ProvisionPlan.needsOf(dynakube("classicFullStack"))).toEqual({
      appInjection: false,
      readOnlyHostAgent: false
    })
  })
})

describe("provisioner paths (DataDir)", () => {
  it("stages next to the version directory and downloads into tmp_zip", () => {
    const d = DataDir.make("/data")
    expect(d.codeModuleStaging(version)).toBe(`/data/codemodules/.${version}.staging`)
    expect(d.tmpZipFile(version)).toBe(`/data/tmp_zip/${version}.zip`)
    expect(() => d.codeModuleStaging("../x")).toThrow()
    expect(() => d.tmpZipFile("a/b")).toThrow()
  })
})
