/**
 * `csi-init` as a process against the shared real control plane: the legacy host-agent directory of a DynaKube
 * with a read-only host agent (found through the apiserver, tenant from its API URL) is linked into the current
 * layout; a DynaKube without a host agent and a tenant without a DynaKube are left alone.
 */
import { Effect, ManagedRuntime } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as OperatorTestKit from "../../programs/operator/testkit/OperatorTestKit.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import * as DataDir from "../DataDir.ts"
import * as TestKit from "./SidecarTestKit.ts"

const kube = ManagedRuntime.make(KubeClient.layer)
const dirs = TestKit.tempDirs()
const namespace = OperatorTestKit.uniqueName("csi-init")

beforeAll(async () => {
  await kube.runPromise(
    Effect.gen(function* () {
      yield* OperatorTestKit.installCrd
      yield* OperatorTestKit.createNamespace(namespace)
      yield* OperatorTestKit.applyDynaKube(namespace, "cloud", {
        apiUrl: "https://tenant1.live.dynatrace.com/api",
        oneAgent: { cloudNativeFullStack: {} }
      })
      yield* OperatorTestKit.applyDynaKube(namespace, "apps", {
        apiUrl: "https://tenant2.live.dynatrace.com/api",
        oneAgent: { applicationMonitoring: {} }
      })
    })
  )
}, 120_000)

afterAll(async () => {
  await kube.runPromise(OperatorTestKit.deleteNamespace(namespace))
  await kube.dispose()
  dirs.cleanup()
})

describe("csi-init with a control plane", () => {
  it("links the legacy host-agent directory of a DynaKube with a read-only host agent", async () => {
    const dataDir = DataDir.make(path.join(dirs.make("initk-"), "data"))
    for (const tenant of ["tenant1", "tenant2", "tenant3"]) {
      fs.mkdirSync(dataDir.legacyOsAgent(tenant), { recursive: true })
    }
    const env = { PATH: process.env.PATH ?? "", KUBECONFIG: process.env.KUBECONFIG ?? "", POD_NAMESPACE: namespace }
    const proc = TestKit.run(["csi-init", `--data-dir=${dataDir.root}`], env)
    expect(await proc.exited, proc.output()).toBe(0)

    expect(fs.readlinkSync(dataDir.osAgent("cloud"))).toBe(dataDir.legacyOsAgent("tenant1"))
    expect(fs.existsSync(dataDir.dynakube("apps"))).toBe(false)
    expect(fs.readdirSync(dataDir.dynakubes)).toEqual(["cloud"])
    expect(proc.logs().find((l) => l.message === "Prepared the CSI data directory.")?.annotations).toMatchObject({
      migrated: 1
    })
    expect(proc.logs().map((l) => l.message)).not.toContain("Could not list the DynaKubes.")
  }, 120_000)
})
