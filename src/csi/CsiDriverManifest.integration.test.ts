/**
 * manifests/csi/csidriver.yaml against the real kube-apiserver: it is a valid CSIDriver and says what spec §5.1
 * says (name, attachRequired, podInfoOnMount, Ephemeral only).
 */
import { KubeConfig, StorageV1Api, type V1CSIDriver } from "@kubernetes/client-node"
import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import * as DataDir from "./DataDir.ts"

describe("CSIDriver manifest", () => {
  it("is accepted by the apiserver and matches the driver", async () => {
    const manifest = parse(fs.readFileSync("manifests/csi/csidriver.yaml", "utf8")) as V1CSIDriver
    expect(manifest.metadata?.name).toBe(DataDir.DriverName)

    const kc = new KubeConfig()
    kc.loadFromFile(process.env["KUBECONFIG"]!)
    const storage = kc.makeApiClient(StorageV1Api)
    await storage.deleteCSIDriver({ name: DataDir.DriverName }).catch(() => undefined)
    try {
      await storage.createCSIDriver({ body: manifest })
      const stored = await storage.readCSIDriver({ name: DataDir.DriverName })
      expect(stored.spec).toMatchObject({
        attachRequired: false,
        podInfoOnMount: true,
        volumeLifecycleModes: ["Ephemeral"]
      })
    } finally {
      await storage.deleteCSIDriver({ name: DataDir.DriverName }).catch(() => undefined)
    }
  })
})
