import { describe, expect, it } from "@effect/vitest"
import { isDeploymentReady, isUpToDate, storageVersionOf, targets } from "./CrdStorageMigration.ts"

describe("storageVersionOf", () => {
  it("is the version marked storage: true, whatever its position", () => {
    expect(storageVersionOf({ spec: { versions: [{ name: "v1beta5" }, { name: "v1beta6", storage: true }] } })).toBe(
      "v1beta6"
    )
    expect(storageVersionOf({ spec: { versions: [{ name: "v1beta5", storage: true }, { name: "v1beta6" }] } })).toBe(
      "v1beta5"
    )
  })

  it("is undefined for a CRD without one", () => {
    expect(storageVersionOf({ spec: { versions: [{ name: "v1", storage: false }] } })).toBeUndefined()
    expect(storageVersionOf({})).toBeUndefined()
  })
})

describe("isUpToDate", () => {
  it("only when storedVersions is exactly the storage version", () => {
    expect(isUpToDate(["v1beta6"], "v1beta6")).toBe(true)
    expect(isUpToDate(["v1beta5", "v1beta6"], "v1beta6")).toBe(false)
    expect(isUpToDate(["v1beta5"], "v1beta6")).toBe(false)
    expect(isUpToDate([], "v1beta6")).toBe(false)
  })
})

describe("isDeploymentReady", () => {
  const deployment = (
    generation: number,
    observed: number | undefined,
    replicas: number | undefined,
    ready?: number
  ) => ({
    metadata: { generation },
    spec: replicas === undefined ? {} : { replicas },
    status: {
      ...(observed === undefined ? {} : { observedGeneration: observed }),
      ...(ready === undefined ? {} : { readyReplicas: ready })
    }
  })

  it("needs the current generation observed and every wanted replica ready", () => {
    expect(isDeploymentReady(deployment(2, 2, 2, 2))).toBe(true)
    expect(isDeploymentReady(deployment(1, 1, undefined, 1))).toBe(true) // replicas default to 1
    expect(isDeploymentReady(deployment(3, 2, 2, 2))).toBe(false) // a rollout not seen yet
    expect(isDeploymentReady(deployment(2, 2, 2, 1))).toBe(false)
    expect(isDeploymentReady(deployment(1, undefined, 1, undefined))).toBe(false) // fresh, no status
    expect(isDeploymentReady(deployment(1, 1, 0, 0))).toBe(false) // scaled to zero serves nothing
  })
})

describe("targets", () => {
  it("are the DynaKube and EdgeConnect CRDs, with the matching resources", () => {
    expect(targets.map((t) => [t.crd, `${t.resource.plural}.${t.resource.group}`])).toEqual([
      ["dynakubes.dynatrace.com", "dynakubes.dynatrace.com"],
      ["edgeconnects.dynatrace.com", "edgeconnects.dynatrace.com"]
    ])
  })
})
