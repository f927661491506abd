import { describe, expect, it } from "@effect/vitest"
import * as Check from "./Check.ts"
import * as ClusterChecks from "./ClusterChecks.ts"
import { clusterFacts, crd } from "./TestFacts.ts"

const labelled = (label: string) =>
  clusterFacts((f) => ({
    ...f,
    dynakubeCrd: Check.found(crd("dynakubes.dynatrace.com", ["v1beta6"], "v1beta6", { versionLabel: label }))
  }))

describe("ClusterChecks", () => {
  it("a healthy install passes every cluster check", () => {
    const verdicts = ClusterChecks.all(clusterFacts())
    expect(verdicts.map((v) => [v.id, v.status])).toEqual([
      ["namespace", "pass"],
      ["crd-dynakube", "pass"],
      ["crd-edgeconnect", "pass"],
      ["crd-version", "skip"],
      ["operator", "pass"],
      ["dynakubes", "pass"]
    ])
    expect(ClusterChecks.dynakubeCrd(clusterFacts()).message).toContain("served: v1beta5, v1beta6; stored: v1beta6")
  })

  it("a missing namespace fails and skips what lives in it", () => {
    const verdicts = ClusterChecks.all(clusterFacts((f) => ({ ...f, namespaceExists: Check.notFound })))
    expect(verdicts.find((v) => v.id === "namespace")).toMatchObject({ status: "fail" })
    expect(verdicts.find((v) => v.id === "namespace")?.message).toContain("--namespace")
    expect(verdicts.find((v) => v.id === "dynakubes")?.status).toBe("skip")
    expect(verdicts.find((v) => v.id === "operator")?.status).toBe("skip")
  })

  it("an unreadable namespace fails with the reason", () => {
    const v = ClusterChecks.namespace(clusterFacts((f) => ({ ...f, namespaceExists: Check.failed("Forbidden: no") })))
    expect(v).toMatchObject({ status: "fail", message: expect.stringContaining("Forbidden: no") })
  })

  it("the DynaKube CRD: missing, not established, hub not served, other storage version", () => {
    const missing = ClusterChecks.dynakubeCrd(clusterFacts((f) => ({ ...f, dynakubeCrd: Check.notFound })))
    expect(missing).toMatchObject({ status: "fail", message: expect.stringContaining("is not installed") })
    const pending = ClusterChecks.dynakubeCrd(
      clusterFacts((f) => ({
        ...f,
        dynakubeCrd: Check.found(crd("dynakubes.dynatrace.com", ["v1beta6"], "v1beta6", { established: false }))
      }))
    )
    expect(pending).toMatchObject({ status: "fail", message: expect.stringContaining("not established") })
    const old = ClusterChecks.dynakubeCrd(
      clusterFacts((f) => ({
        ...f,
        dynakubeCrd: Check.found(crd("dynakubes.dynatrace.com", ["v1beta4", "v1beta5"], "v1beta5"))
      }))
    )
    expect(old).toMatchObject({ status: "fail", message: expect.stringContaining("does not serve v1beta6") })
    const storage = ClusterChecks.dynakubeCrd(
      clusterFacts((f) => ({
        ...f,
        dynakubeCrd: Check.found(crd("dynakubes.dynatrace.com", ["v1beta5", "v1beta6"], "v1beta5"))
      }))
    )
    expect(storage).toMatchObject({ status: "warn", message: expect.stringContaining("stores v1beta5") })
  })

  it("a missing EdgeConnect CRD is only a warning", () => {
    const v = ClusterChecks.edgeConnectCrd(clusterFacts((f) => ({ ...f, edgeConnectCrd: Check.notFound })))
    expect(v).toMatchObject({ status: "warn", message: expect.stringContaining("Only EdgeConnect needs it") })
  })

  it("CRD version labels are compared with the running operator's version", () => {
    expect(ClusterChecks.crdVersion(labelled("0.1.0")).status).toBe("pass")
    const other = ClusterChecks.crdVersion(labelled("1.9.0"))
    expect(other).toMatchObject({ status: "warn", message: expect.stringContaining("dynakubes.dynatrace.com (1.9.0)") })
    // Without an operator Deployment, this binary's version counts.
    const noDeployment = ClusterChecks.crdVersion(
      clusterFacts(
        (f) => ({ ...f, operatorDeployment: Check.notFound }),
        (f) => ({
          ...f,
          dynakubeCrd: Check.found(crd("dynakubes.dynatrace.com", ["v1beta6"], "v1beta6", { versionLabel: "0.1.0" }))
        })
      )
    )
    expect(noDeployment.status).toBe("pass")
  })

  it("the operator Deployment: missing, unavailable, scaled to zero", () => {
    expect(
      ClusterChecks.operatorDeployment(clusterFacts((f) => ({ ...f, operatorDeployment: Check.notFound }))).status
    ).toBe("fail")
    const down = clusterFacts((f) => ({
      ...f,
      operatorDeployment: Check.found({ replicas: 1, available: 0, versionLabel: "0.1.0", image: undefined })
    }))
    expect(ClusterChecks.operatorDeployment(down)).toMatchObject({
      status: "fail",
      message: expect.stringContaining("no available pod")
    })
    const zero = clusterFacts((f) => ({
      ...f,
      operatorDeployment: Check.found({ replicas: 0, available: 0, versionLabel: undefined, image: "op:1" })
    }))
    expect(ClusterChecks.operatorDeployment(zero)).toMatchObject({
      status: "warn",
      message: expect.stringContaining("op:1")
    })
  })

  it("DynaKubes: none, the requested one missing, the requested one present", () => {
    expect(ClusterChecks.dynakubes(clusterFacts((f) => ({ ...f, dynakubes: Check.found([]) }))).status).toBe("fail")
    const missing = clusterFacts((f) => ({ ...f, requestedDynaKube: "other" }))
    expect(ClusterChecks.dynakubes(missing)).toMatchObject({
      status: "fail",
      message: "DynaKube dynatrace/other does not exist."
    })
    expect(ClusterChecks.dynakubesToCheck(missing)).toEqual([])
    const present = clusterFacts((f) => ({ ...f, dynakubes: Check.found(["a", "b"]), requestedDynaKube: "b" }))
    expect(ClusterChecks.dynakubes(present).status).toBe("pass")
    expect(ClusterChecks.dynakubesToCheck(present)).toEqual(["b"])
    expect(ClusterChecks.dynakubesToCheck(clusterFacts((f) => ({ ...f, dynakubes: Check.found(["a", "b"]) })))).toEqual(
      ["a", "b"]
    )
  })
})
