import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parseAllDocuments } from "yaml"
import { version as operatorVersion } from "../programs/cli/Version.ts"
import { allCrdsYaml, type Crd, crdFiles, dtPrometheusCrd, dynaKubeCrd, edgeConnectCrd, toYaml } from "./Crds.ts"
import { type JsonSchemaProps, structuralViolations } from "./StructuralSchema.ts"

interface Version {
  readonly name: string
  readonly served: boolean
  readonly storage: boolean
  readonly deprecated?: boolean
  readonly deprecationWarning?: string
  readonly additionalPrinterColumns: ReadonlyArray<Record<string, string>>
  readonly subresources: unknown
  readonly schema: { readonly openAPIV3Schema: JsonSchemaProps }
}
const spec = (crd: Crd) => crd["spec"] as { names: Record<string, unknown>; versions: Array<Version>; conversion: any }
const version = (crd: Crd, name: string) => spec(crd).versions.find((v) => v.name === name)!
const at = (schema: JsonSchemaProps, path: string): JsonSchemaProps =>
  path.split(".").reduce((s, p) => (s["properties"] as Record<string, JsonSchemaProps>)[p]!, schema)

/** Every named property, with its path. */
const properties = (schema: JsonSchemaProps, path = ""): Array<[string, JsonSchemaProps]> => [
  ...Object.entries((schema["properties"] as Record<string, JsonSchemaProps>) ?? {}).flatMap(([k, c]) => [
    [`${path}.${k}`, c] as [string, JsonSchemaProps],
    ...properties(c, `${path}.${k}`)
  ]),
  ...(schema["items"] ? properties(schema["items"] as JsonSchemaProps, `${path}[]`) : []),
  ...(schema["additionalProperties"] ? properties(schema["additionalProperties"] as JsonSchemaProps, `${path}.*`) : [])
]

describe("generated CRDs", () => {
  it("match the files in manifests/crds (run `npm run generate` after changing a schema)", () => {
    for (const { name, crd } of crdFiles()) {
      const onDisk = readFileSync(join(import.meta.dirname, "../../manifests/crds", name), "utf8")
      expect(onDisk, `manifests/crds/${name} is stale: run npm run generate`).toBe(toYaml(crd))
    }
  })

  it("are structural: every level typed, no references, unions or open objects with fields", () => {
    for (const crd of [dynaKubeCrd(), edgeConnectCrd(), dtPrometheusCrd()]) {
      for (const v of spec(crd).versions) expect(structuralViolations(v.schema.openAPIV3Schema)).toEqual([])
    }
  })

  it("document every field for kubectl explain", () => {
    for (const crd of [dynaKubeCrd(), edgeConnectCrd(), dtPrometheusCrd()]) {
      for (const v of spec(crd).versions) {
        const undocumented = properties(v.schema.openAPIV3Schema)
          .filter(([path, s]) => path !== ".metadata" && s["description"] === undefined)
          .map(([path]) => path)
        expect(undocumented).toEqual([])
      }
    }
  })

  it("name DynaKube as the original does, with v1beta6 stored and v1beta5 deprecated", () => {
    const crd = dynaKubeCrd()
    expect((crd["metadata"] as Record<string, string>)["name"]).toBe("dynakubes.dynatrace.com")
    expect(spec(crd).names).toEqual({
      kind: "DynaKube",
      listKind: "DynaKubeList",
      plural: "dynakubes",
      singular: "dynakube",
      shortNames: ["dk", "dks"],
      categories: ["dynatrace"]
    })
    expect(spec(crd).versions.map((v) => [v.name, v.served, v.storage, v.deprecated ?? false])).toEqual([
      ["v1beta5", true, false, true],
      ["v1beta6", true, true, false]
    ])
    expect(version(crd, "v1beta5").deprecationWarning).toContain("v1beta6")
    for (const v of spec(crd).versions) {
      expect(v.subresources).toEqual({ status: {} })
      expect(v.additionalPrinterColumns.map((c) => [c["name"], c["jsonPath"]])).toEqual([
        ["ApiUrl", ".spec.apiUrl"],
        ["Status", ".status.phase"],
        ["Age", ".metadata.creationTimestamp"]
      ])
    }
  })

  it("name EdgeConnect as the original does, with v1alpha2 stored", () => {
    const crd = edgeConnectCrd()
    expect(spec(crd).names["shortNames"]).toEqual(["ec", "ecs"])
    expect(spec(crd).names["categories"]).toEqual(["dynatrace"])
    expect(spec(crd).versions.map((v) => [v.name, v.storage])).toEqual([
      ["v1alpha1", false],
      ["v1alpha2", true]
    ])
    expect(version(crd, "v1alpha2").additionalPrinterColumns.map((c) => c["jsonPath"])).toEqual([
      ".spec.apiServer",
      ".status.phase",
      ".metadata.creationTimestamp"
    ])
  })

  it("name DTPrometheus as the original does: v1alpha1 only, stored, without conversion", () => {
    const crd = dtPrometheusCrd()
    expect((crd["metadata"] as Record<string, string>)["name"]).toBe("dtprometheuses.dynatrace.com")
    expect(spec(crd).names).toEqual({
      kind: "DTPrometheus",
      listKind: "DTPrometheusList",
      plural: "dtprometheuses",
      singular: "dtprometheus",
      shortNames: ["dtp", "dtps"],
      categories: ["dynatrace"]
    })
    expect(spec(crd).versions.map((v) => [v.name, v.served, v.storage])).toEqual([["v1alpha1", true, true]])
    expect(spec(crd).conversion).toBeUndefined()
    expect(spec(dtPrometheusCrd({ conversion: "Webhook", namespace: "ops" })).conversion).toBeUndefined()
    const v1 = version(crd, "v1alpha1")
    expect(v1.subresources).toEqual({ status: {} })
    expect(v1.additionalPrinterColumns.map((c) => [c["name"], c["jsonPath"]])).toEqual([
      ["DynaKube", ".spec.dynaKubeName"],
      ["Status", ".status.phase"],
      ["Age", ".metadata.creationTimestamp"]
    ])
    const schema = v1.schema.openAPIV3Schema
    expect(schema["required"]).toEqual(["spec"])
    expect(at(schema, "spec")["required"]).toEqual(["dynaKubeName"])
    expect(at(schema, "spec.dynaKubeName")).toMatchObject({ type: "string", minLength: 1 })
    expect(at(schema, "spec.dynatracePreset")).toEqual({ type: "object", description: expect.any(String) })
    expect(at(schema, "spec.targetAllocator")["default"]).toEqual({})
    expect(at(schema, "spec.scraper")["default"]).toEqual({})
    expect(at(schema, "spec.gateway")).not.toHaveProperty("default")
    expect(at(schema, "spec.targetAllocator.scrapeInterval")).toMatchObject({
      type: "string",
      format: "duration",
      default: "60s"
    })
    expect(at(schema, "spec.scraper.targetsPollInterval")).toMatchObject({ format: "duration", default: "60s" })
    expect(at(schema, "spec.targetAllocator.scrapeCRSelector")["default"]).toEqual({
      matchLabels: { "prometheus.dynatrace.com": "true" }
    })
    expect(at(schema, "spec.gateway.imagePullPolicy")["enum"]).toEqual(["IfNotPresent", "Always", "Never"])
    expect(at(schema, "spec.gateway.updateStrategy.rollingUpdate.partition")["format"]).toBe("int32")
    expect(at(schema, "spec.scraper.updateStrategy.rollingUpdate.maxSurge")["x-kubernetes-int-or-string"]).toBe(true)
    expect(at(schema, "spec.gateway.affinity")["x-kubernetes-preserve-unknown-fields"]).toBe(true)
    expect(at(schema, "status.conditions")["x-kubernetes-list-map-keys"]).toEqual(["type"])
  })

  it("carry the operator's version as app.kubernetes.io/version, unless turned off (the chart adds its own)", () => {
    for (const { crd } of crdFiles()) {
      expect((crd["metadata"] as { labels: Record<string, string> }).labels).toEqual({
        "app.kubernetes.io/version": operatorVersion
      })
    }
    for (const { crd } of crdFiles({ versionLabel: false })) expect(crd["metadata"]).not.toHaveProperty("labels")
    // The label survives the YAML round trip as a string, as the operator reads it.
    const docs = parseAllDocuments(allCrdsYaml()).map((d) => d.toJS() as Crd)
    for (const doc of docs) {
      expect((doc["metadata"] as { labels: Record<string, unknown> }).labels["app.kubernetes.io/version"]).toBe(
        operatorVersion
      )
    }
  })

  it("point conversion at the webhook service, in the namespace given", () => {
    expect(spec(dynaKubeCrd()).conversion).toEqual({
      strategy: "Webhook",
      webhook: {
        clientConfig: { service: { namespace: "dynatrace", name: "dynatrace-webhook", path: "/convert" } },
        conversionReviewVersions: ["v1", "v1beta1"]
      }
    })
    expect(spec(edgeConnectCrd({ namespace: "monitoring" })).conversion.webhook.clientConfig.service.namespace).toBe(
      "monitoring"
    )
    expect(spec(dynaKubeCrd({ conversion: "None" })).conversion).toEqual({ strategy: "None" })
  })

  it("carry the wire constraints and defaults of the spec", () => {
    const v6 = version(dynaKubeCrd(), "v1beta6").schema.openAPIV3Schema
    expect(v6["required"]).toEqual(["spec"])
    expect(at(v6, "spec.apiUrl")).toMatchObject({ type: "string", maxLength: 128 })
    expect(at(v6, "spec")["required"]).toEqual(["apiUrl"])
    expect(at(v6, "spec.dynatraceApiRequestThreshold")).toMatchObject({ type: "integer", default: 15 })
    expect(at(v6, "spec.oneAgent.cloudNativeFullStack")).toMatchObject({ type: "object", nullable: true })
    expect(at(v6, "spec.oneAgent.cloudNativeFullStack.dnsPolicy")["default"]).toBe("ClusterFirstWithHostNet")
    expect(at(v6, "spec.oneAgent.classicFullStack.imagePullPolicy")["enum"]).toEqual([
      "IfNotPresent",
      "Always",
      "Never"
    ])
    expect(at(v6, "spec.oneAgent.classicFullStack.args")["x-kubernetes-list-type"]).toBe("set")
    expect(at(v6, "spec.activeGate.replicas")).toMatchObject({ type: "integer", format: "int32", default: 1 })
    expect(at(v6, "spec.activeGate.rollingUpdate.maxUnavailable")).toEqual({
      description: expect.any(String),
      "x-kubernetes-int-or-string": true,
      anyOf: [{ type: "integer" }, { type: "string" }]
    })
    expect(at(v6, "spec.extensions.databases")).toMatchObject({
      minItems: 1,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["id"]
    })
    expect((at(v6, "spec.extensions.databases")["items"] as JsonSchemaProps)["properties"]).toMatchObject({
      id: { type: "string", maxLength: 8, pattern: "^[a-z0-9]+(-[a-z0-9]+)*$" }
    })
    expect(at(v6, "spec.metadataEnrichment.enabled")).not.toHaveProperty("default") // absent = off, as in the original
    expect(at(v6, "status.oneAgent.healthcheck")).toMatchObject({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true
    })
    expect(at(v6, "status.conditions")["x-kubernetes-list-map-keys"]).toEqual(["type"])
    expect(at(v6, "spec.activeGate.volumes")["items"]).toMatchObject({
      type: "object",
      required: ["name"],
      "x-kubernetes-preserve-unknown-fields": true
    })

    const v5 = version(dynaKubeCrd(), "v1beta5").schema.openAPIV3Schema
    expect(at(v5, "spec.oneAgent.hostMonitoring.autoUpdate")["type"]).toBe("boolean")
    expect(at(v5, "spec.extensions")).toEqual({ type: "object", description: expect.any(String) })
    expect(at(v5, "spec.oneAgent.hostMonitoring")["properties"] as object).not.toHaveProperty("rollingUpdate")

    const ec1 = version(edgeConnectCrd(), "v1alpha1").schema.openAPIV3Schema
    expect(at(ec1, "spec.serviceAccountName")["default"]).toBe("dynatrace-edgeconnect")
    expect(at(ec1, "spec.hostRestrictions")["type"]).toBe("string")
    const ec2 = version(edgeConnectCrd(), "v1alpha2").schema.openAPIV3Schema
    expect(at(ec2, "spec")["required"]).toEqual(["apiServer", "oauth"])
    expect(at(ec2, "spec.hostRestrictions")["type"]).toBe("array")
    expect(at(ec2, "spec.autoUpdate")["default"]).toBe(true)
  })

  it("print as one multi-document YAML stream with a generated header", () => {
    const text = allCrdsYaml({ namespace: "ops" })
    expect(text.startsWith("# Generated")).toBe(true)
    const docs = parseAllDocuments(text).map((d) => d.toJS() as Crd)
    expect(docs.map((d) => (d["metadata"] as Record<string, string>)["name"])).toEqual([
      "dynakubes.dynatrace.com",
      "edgeconnects.dynatrace.com",
      "dtprometheuses.dynatrace.com"
    ])
    expect(docs[0]).toEqual(dynaKubeCrd({ namespace: "ops" }))
  })
})
