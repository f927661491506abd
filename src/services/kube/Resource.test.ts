import { assert, describe, it } from "@effect/vitest"
import * as Resource from "./Resource.ts"
import * as Resources from "./Resources.ts"

describe("Resource paths", () => {
  it("core group lives under /api, others under /apis", () => {
    assert.strictEqual(Resource.objectPath(Resources.ConfigMap, "cm", "ns"), "/api/v1/namespaces/ns/configmaps/cm")
    assert.strictEqual(
      Resource.objectPath(Resources.Deployment, "d", "ns", "status"),
      "/apis/apps/v1/namespaces/ns/deployments/d/status"
    )
    assert.strictEqual(
      Resource.collectionPath(Resources.DynaKube, "dynatrace"),
      "/apis/dynatrace.com/v1beta6/namespaces/dynatrace/dynakubes"
    )
  })

  it("cluster-scoped resources and all-namespace collections have no namespace segment", () => {
    assert.strictEqual(Resource.objectPath(Resources.Namespace, "ns", "ignored"), "/api/v1/namespaces/ns")
    assert.strictEqual(Resource.collectionPath(Resources.Secret), "/api/v1/secrets")
    assert.strictEqual(
      Resource.objectPath(Resources.CustomResourceDefinition, "dynakubes.dynatrace.com"),
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/dynakubes.dynatrace.com"
    )
  })

  it("escapes names", () => {
    assert.strictEqual(
      Resource.objectPath(Resources.ConfigMap, "a/b?c", "ns"),
      "/api/v1/namespaces/ns/configmaps/a%2Fb%3Fc"
    )
  })

  it("labels and apiVersions", () => {
    assert.strictEqual(Resource.label(Resources.ConfigMap), "configmaps")
    assert.strictEqual(Resource.label(Resources.EdgeConnect, "status"), "dynatrace.com/edgeconnects/status")
    assert.strictEqual(Resource.apiVersion(Resources.Secret), "v1")
    assert.strictEqual(Resource.apiVersion(Resources.Lease), "coordination.k8s.io/v1")
  })
})
