import { describe, expect, it } from "vitest"
import * as CsiMetrics from "./CsiMetrics.ts"

const overlay = (version: string, vol: string) => ({
  mountPoint: `/pods/${vol}/mount`,
  root: "/",
  fsType: "overlay",
  source: "overlay",
  superOptions: `rw,lowerdir=/data/codemodules/${version},upperdir=/data/appmounts/${vol}/var,workdir=/data/appmounts/${vol}/work`
})

describe("CsiMetrics.countVersions", () => {
  it("counts overlay mounts per code-module version from their lowerdir", () => {
    const counts = CsiMetrics.countVersions(
      [
        overlay("1.2.3", "a"),
        overlay("1.2.3", "b"),
        overlay("1.3.0", "c"),
        { ...overlay("9.9.9", "d"), superOptions: "rw,lowerdir=/elsewhere/9.9.9,upperdir=/u,workdir=/w" },
        { ...overlay("1.2.3", "e"), fsType: "ext4" }
      ],
      "/data/codemodules"
    )
    expect(Object.fromEntries(counts)).toEqual({ "1.2.3": 2, "1.3.0": 1 })
  })
})
