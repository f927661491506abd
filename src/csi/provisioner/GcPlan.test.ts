import { describe, expect, it } from "vitest"
import * as DataDir from "../DataDir.ts"
import * as GcPlan from "./GcPlan.ts"

const d = DataDir.make("/data")
const v1 = "1.309.66.20250221-141500"
const v2 = "1.310.52.20250307-092100"
const v3 = "1.311.54.20250317-111439"

const dkDir = (name: string, overrides: Partial<GcPlan.DynakubeDirState> = {}): GcPlan.DynakubeDirState => ({
  name,
  isDirectory: true,
  latest: { _tag: "Absent" },
  hasOsAgent: false,
  osAgentInUse: false,
  ...overrides
})

const pointsAt = (dirName: string): GcPlan.LatestLink => ({ _tag: "CodeModule", dirName })

const snapshot = (overrides: Partial<GcPlan.FsSnapshot> = {}): GcPlan.FsSnapshot => ({
  topLevel: [],
  dynakubeDirs: [],
  codeModules: [],
  mountedCodeModules: new Set(),
  inFlight: new Set(),
  mountPoints: [],
  ...overrides
})

const live = (name: string, overrides: Partial<GcPlan.LiveDynaKube> = {}): GcPlan.LiveDynaKube => ({
  name,
  appInjection: true,
  readOnlyHostAgent: false,
  ...overrides
})

const paths = (plan: GcPlan.GcPlan) => plan.removals.map((r) => `${r.kind} ${r.path}`).toSorted()

describe("GcPlan.plan: code modules", () => {
  it("keeps the latest of every DynaKube with app injection, removes the rest", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        dynakubeDirs: [dkDir("a", { latest: pointsAt(v2) }), dkDir("b", { latest: pointsAt(v3) })],
        codeModules: [v1, v2, v3]
      }),
      [live("a"), live("b")]
    )
    expect(paths(plan)).toEqual([`CodeModule /data/codemodules/${v1}`])
    expect(plan.keptCodeModules).toEqual([v2, v3])
  })

  it("keeps a version that is the lower dir of a mounted overlay although no DynaKube points at it", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        dynakubeDirs: [dkDir("a", { latest: pointsAt(v3) })],
        codeModules: [v1, v2, v3],
        mountedCodeModules: new Set([v1])
      }),
      [live("a")]
    )
    expect(paths(plan)).toEqual([`CodeModule /data/codemodules/${v2}`])
    expect(plan.keptCodeModules).toEqual([v1, v3])
  })

  it("does not protect the latest of a DynaKube without app injection, nor of one that is gone", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        dynakubeDirs: [dkDir("host", { latest: pointsAt(v1) }), dkDir("gone", { latest: pointsAt(v2) })],
        codeModules: [v1, v2]
      }),
      [live("host", { appInjection: false, readOnlyHostAgent: true })]
    )
    expect(paths(plan)).toEqual([
      `CodeModule /data/codemodules/${v1}`,
      `CodeModule /data/codemodules/${v2}`,
      "DynakubeDirectory /data/_dynakubes/gone"
    ])
  })

  it("keeps versions and staging directories of installs in flight; removes other staging leftovers", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        codeModules: [v1, `.${v1}.staging`, `.${v2}.staging`, v3],
        inFlight: new Set([v1, v3])
      }),
      []
    )
    expect(paths(plan)).toEqual([`Staging /data/codemodules/.${v2}.staging`])
    expect(plan.keptCodeModules).toEqual([v1, v3])
  })

  it("a link leading outside codemodules/ protects nothing", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({ dynakubeDirs: [dkDir("a", { latest: { _tag: "Elsewhere" } })], codeModules: [v1] }),
      [live("a")]
    )
    expect(paths(plan)).toEqual([`CodeModule /data/codemodules/${v1}`])
  })

  it("is empty for an idle, tidy node", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        topLevel: DataDir.KnownTopLevelNames.map((name) => ({ name, isDirectory: true })),
        dynakubeDirs: [dkDir("a", { latest: pointsAt(v1) })],
        codeModules: [v1]
      }),
      [live("a")]
    )
    expect(plan.removals).toEqual([])
    expect(plan.removeIfEmpty).toEqual([])
  })
})

describe("GcPlan.plan: DynaKube and host directories", () => {
  it("removes the directory of a deleted DynaKube, or only its link while something below is mounted", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        dynakubeDirs: [
          dkDir("gone", { latest: pointsAt(v1) }),
          dkDir("gone-mounted", { latest: pointsAt(v1), hasOsAgent: true }),
          dkDir("gone-in-use", { latest: pointsAt(v1), hasOsAgent: true, osAgentInUse: true })
        ],
        mountPoints: ["/data/_dynakubes/gone-mounted/osagent"]
      }),
      []
    )
    expect(paths(plan)).toEqual([
      "DynakubeDirectory /data/_dynakubes/gone",
      "LatestLink /data/_dynakubes/gone-in-use/latest-codemodule",
      "LatestLink /data/_dynakubes/gone-mounted/latest-codemodule"
    ])
  })

  it("removes a host dir only when its DynaKube has no read-only host agent any more and nothing uses it", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        dynakubeDirs: [
          dkDir("cloudnative", { hasOsAgent: true }),
          dkDir("appmon-unused", { hasOsAgent: true }),
          dkDir("appmon-in-use", { hasOsAgent: true, osAgentInUse: true }),
          dkDir("appmon-mounted", { hasOsAgent: true })
        ],
        mountPoints: ["/data/_dynakubes/appmon-mounted/osagent"]
      }),
      [
        live("cloudnative", { readOnlyHostAgent: true }),
        live("appmon-unused"),
        live("appmon-in-use"),
        live("appmon-mounted")
      ]
    )
    expect(paths(plan)).toEqual(["OsAgent /data/_dynakubes/appmon-unused/osagent"])
  })
})

describe("GcPlan.plan: top level and legacy layout", () => {
  it("removes unknown top-level directories, keeps known ones, legacy tenant dirs and plain files", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        topLevel: [
          { name: "codemodules", isDirectory: true },
          { name: "_dynakubes", isDirectory: true },
          { name: "appmounts", isDirectory: true },
          { name: "work", isDirectory: true },
          { name: "tmp_zip", isDirectory: true },
          { name: "csi.db", isDirectory: false },
          { name: "junk", isDirectory: true },
          { name: "junk-mounted", isDirectory: true },
          {
            name: "tenant1",
            isDirectory: true,
            legacy: { hasRun: true, hasOsAgent: false, osAgentInUse: false, runVolumes: [] }
          }
        ],
        mountPoints: ["/data/junk-mounted/x"]
      }),
      []
    )
    expect(paths(plan)).toEqual(["UnknownDirectory /data/junk"])
    expect(plan.removeIfEmpty).toEqual(["/data/tenant1/run", "/data/tenant1"])
  })

  it("removes legacy volumes whose mapped overlay is not mounted, and unused legacy host dirs", () => {
    const plan = GcPlan.plan(
      d,
      snapshot({
        topLevel: [
          {
            name: "tenant1",
            isDirectory: true,
            legacy: {
              hasRun: true,
              hasOsAgent: true,
              osAgentInUse: false,
              runVolumes: [
                { volumeId: "csi-old", mapped: false },
                { volumeId: "csi-live", mapped: true }
              ]
            }
          },
          {
            name: "tenant2",
            isDirectory: true,
            legacy: { hasRun: false, hasOsAgent: true, osAgentInUse: false, runVolumes: [] }
          }
        ],
        mountPoints: ["/data/tenant1/run/csi-live/mapped"]
      }),
      // tenant2's host dir still belongs to a DynaKube with a read-only host agent on that tenant.
      [live("dk", { readOnlyHostAgent: true, tenantUuid: "tenant2" })]
    )
    expect(paths(plan)).toEqual(["LegacyOsAgent /data/tenant1/osagent", "LegacyVolume /data/tenant1/run/csi-old"])
  })
})

describe("GcPlan helpers", () => {
  it("reads the tenant UUID of SaaS and Managed API URLs", () => {
    expect(GcPlan.tenantUuidFromApiUrl("https://abc12345.live.dynatrace.com/api")).toBe("abc12345")
    expect(GcPlan.tenantUuidFromApiUrl("https://managed.example.com/e/0f1e2d3c/api")).toBe("0f1e2d3c")
    expect(GcPlan.tenantUuidFromApiUrl("not a url")).toBeUndefined()
    expect(GcPlan.tenantUuidFromApiUrl(undefined)).toBeUndefined()
  })

  it("recognises staging directory names", () => {
    expect(GcPlan.stagingTarget(`.${v1}.staging`)).toBe(v1)
    expect(GcPlan.stagingTarget(v1)).toBeUndefined()
    expect(GcPlan.stagingTarget(".staging")).toBeUndefined()
  })
})
