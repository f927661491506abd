import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { parse } from "yaml"
import { convert, servedApiVersions } from "./Conversion.ts"
import * as DynaKubeV1beta5 from "./DynaKubeV1beta5.ts"
import * as DynaKubeV1beta6 from "./DynaKubeV1beta6.ts"
import * as EdgeConnectV1alpha1 from "./EdgeConnectV1alpha1.ts"
import * as EdgeConnectV1alpha2 from "./EdgeConnectV1alpha2.ts"

const dir = join(import.meta.dirname, "../../manifests/samples")
const schemas: Record<string, Schema.Top & Schema.Decoder<unknown>> = {
  [DynaKubeV1beta5.apiVersion]: DynaKubeV1beta5.DynaKube,
  [DynaKubeV1beta6.apiVersion]: DynaKubeV1beta6.DynaKube,
  [EdgeConnectV1alpha1.apiVersion]: EdgeConnectV1alpha1.EdgeConnect,
  [EdgeConnectV1alpha2.apiVersion]: EdgeConnectV1alpha2.EdgeConnect
}
const samples = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .map((file) => ({ file, object: parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown> }))

describe("manifests/samples", () => {
  it("has a sample of every served version", () => {
    expect(new Set(samples.map((s) => s.object["apiVersion"]))).toEqual(new Set(Object.keys(schemas)))
  })

  it.each(samples)("$file decodes with its version's schema, with no field the schema does not know", ({ object }) => {
    const schema = schemas[object["apiVersion"] as string]!
    const decoded = Schema.decodeUnknownResult(schema)(object, { onExcessProperty: "error" })
    if (Result.isFailure(decoded)) throw new Error(decoded.failure.message)
    expect(decoded.success).toEqual(object)
  })

  it.each(samples)("$file converts to every other served version and back unchanged", ({ object }) => {
    for (const target of servedApiVersions(object["kind"] as string)) {
      const there = Result.getOrThrow(convert(object, target))
      expect(Schema.is(schemas[target]!)(there)).toBe(true)
      expect(Result.getOrThrow(convert(there, object["apiVersion"] as string))).toEqual(object)
    }
  })
})

describe("schema checks beyond the CRD", () => {
  it("reject what the apiserver would reject too", () => {
    const dk = samples.find((s) => s.file === "dynakube-cloudnative.yaml")!.object as DynaKubeV1beta6.DynaKube
    const bad = (spec: object) => Schema.is(DynaKubeV1beta6.DynaKube)({ ...dk, spec: { ...dk.spec, ...spec } })
    expect(bad({})).toBe(true)
    expect(bad({ apiUrl: `https://${"a".repeat(130)}` })).toBe(false)
    expect(bad({ dynatraceApiRequestThreshold: 70000 })).toBe(false)
    expect(bad({ oneAgent: { hostMonitoring: { imagePullPolicy: "Sometimes" } } })).toBe(false)
    expect(bad({ extensions: { databases: [{ id: "toolongid" }] } })).toBe(false)
    expect(bad({ activeGate: { replicas: 1.5 } })).toBe(false)
  })
})
