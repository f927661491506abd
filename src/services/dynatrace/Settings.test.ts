import { assert, describe, it } from "@effect/vitest"
import * as Settings from "./Settings.ts"

describe("Settings", () => {
  it("writes the Kubernetes cluster object in both schema versions", () => {
    assert.deepStrictEqual(Settings.kubernetesClusterObject("prod", "uid-1"), {
      schemaId: "builtin:cloud.kubernetes",
      schemaVersion: "3.0.0",
      value: { label: "prod", clusterId: "uid-1", clusterIdEnabled: true, enabled: true }
    })
    assert.deepStrictEqual(Settings.kubernetesClusterObject("prod", "uid-1", "1.0.27").value, {
      label: "prod",
      clusterId: "uid-1",
      clusterIdEnabled: true,
      enabled: true,
      cloudApplicationPipelineEnabled: true
    })
    assert.strictEqual(Settings.kubernetesClusterQuery("uid-1").filter, "value.clusterId='uid-1'")
  })

  it("writes the app-transition object scoped to the cluster ME", () => {
    assert.deepStrictEqual(Settings.appTransitionObject("KUBERNETES_CLUSTER-1"), {
      schemaId: "builtin:app-transition.kubernetes",
      schemaVersion: "1.0.1",
      scope: "KUBERNETES_CLUSTER-1",
      value: { kubernetesAppOptions: { enableKubernetesApp: true } }
    })
  })

  it("reads enrichment rules of both schemas, keeping order and dropping unusable old-style rules", () => {
    const current = {
      items: [
        {
          value: {
            rules: [
              { type: "LABEL", source: "a", target: "x" },
              { type: "ANNOTATION", source: "b", target: "y" }
            ]
          }
        }
      ]
    }
    assert.deepStrictEqual(Settings.rulesFromMetadataEnrichment(current), [
      { type: "LABEL", source: "a", target: "x" },
      { type: "ANNOTATION", source: "b", target: "y" }
    ])
    const old = {
      items: [
        { value: { type: "LABEL", valueSource: "a", target: "x" } },
        { value: { type: "LABEL", valueSource: "c", target: "z", condition: "k8s.namespace.name == 'x'" } },
        { value: { type: "LABEL", valueSource: "d", target: "" } },
        { value: { type: "CONTAINER_NAME", valueSource: "e", target: "w" } }
      ]
    }
    assert.deepStrictEqual(Settings.rulesFromIngestEnrichment(old), [{ type: "LABEL", source: "a", target: "x" }])
    assert.isTrue(
      Settings.usesIngestEnrichmentSchema({ items: [{ value: { useIngestEnrichmentConfigSchema: true } }] })
    )
    assert.isFalse(Settings.usesIngestEnrichmentSchema(current))
  })
})
