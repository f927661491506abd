/**
 * The ConversionReview handler: round trips for every version pair (samples and objects derived from the CRD
 * schemas), review-level behaviour (uid and apiVersion echoed, order kept, one bad object fails the review, v1beta1
 * reviews), bad bodies, metrics, and a property that arbitrary JSON never makes it fail or throw.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Metric } from "effect"
import * as fc from "fast-check"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parse } from "yaml"
import type { JsonObject } from "../../../schemas/ConversionSupport.ts"
import { fromSchema } from "../../../schemas/CrdArbitrary.ts"
import { dynaKubeCrd, edgeConnectCrd, type Crd } from "../../../schemas/Crds.ts"
import type { JsonSchemaProps } from "../../../schemas/StructuralSchema.ts"
import {
  conversions,
  convertReview,
  handleConversion,
  isBadReview,
  type BadReview,
  type ConversionReviewRequest,
  type ConversionReviewResponse
} from "./ConversionHandler.ts"

const samples = join(import.meta.dirname, "../../../../manifests/samples")
const sample = (file: string): JsonObject => parse(readFileSync(join(samples, file), "utf8"))

const reviewOf = (
  objects: ReadonlyArray<unknown>,
  desiredAPIVersion: string,
  apiVersion: ConversionReviewRequest["apiVersion"] = "apiextensions.k8s.io/v1"
): ConversionReviewRequest => ({
  apiVersion,
  kind: "ConversionReview",
  request: { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", desiredAPIVersion, objects }
})

const run = (body: unknown) => Effect.runSync(handleConversion(body))

const converted = (answer: ConversionReviewResponse | BadReview): ReadonlyArray<JsonObject> => {
  if (isBadReview(answer)) throw new Error("bad review")
  expect(answer.response.result).toEqual({ status: "Success" })
  return answer.response.convertedObjects as ReadonlyArray<JsonObject>
}

const pairs = [
  ["DynaKube", "dynatrace.com/v1beta5", "dynatrace.com/v1beta6"],
  ["EdgeConnect", "dynatrace.com/v1alpha1", "dynatrace.com/v1alpha2"]
] as const

const schemaOf = (crd: Crd, version: string): JsonSchemaProps =>
  (crd["spec"] as { versions: Array<{ name: string; schema: { openAPIV3Schema: JsonSchemaProps } }> }).versions.find(
    (v) => v.name === version
  )!.schema.openAPIV3Schema

const arbitraryOf = (crd: Crd, apiVersion: string, kind: string) =>
  fromSchema(schemaOf(crd, apiVersion.split("/")[1]!), {
    metadata: fc.record({ name: fc.constantFrom("a", "b"), namespace: fc.constant("dynatrace"), uid: fc.uuid() })
  }).map((o) => ({ ...(o as JsonObject), apiVersion, kind }))

describe("ConversionReview round trips", () => {
  it.each([
    ["dynakube-classicfullstack-v1beta5.yaml", "dynatrace.com/v1beta6"],
    ["dynakube-cloudnative.yaml", "dynatrace.com/v1beta5"],
    ["dynakube-applicationmonitoring.yaml", "dynatrace.com/v1beta5"],
    ["edgeconnect-v1alpha1.yaml", "dynatrace.com/v1alpha2"],
    ["edgeconnect.yaml", "dynatrace.com/v1alpha1"]
  ])("%s there and back (to %s)", (file, other) => {
    const original = sample(file)
    const [there] = converted(run(reviewOf([original], other)))
    expect(there!["apiVersion"]).toBe(other)
    expect(there!["metadata"]).toMatchObject({ name: (original["metadata"] as JsonObject)["name"] })
    const [back] = converted(run(reviewOf([there], original["apiVersion"] as string)))
    expect(back).toEqual(original)
  })

  for (const [kind, spoke, hub] of pairs) {
    for (const [from, to] of [
      [spoke, hub],
      [hub, spoke],
      [spoke, spoke],
      [hub, hub]
    ] as const) {
      it(`${kind} ${from} -> ${to} -> ${from} keeps every field (CRD-derived objects)`, () => {
        const crd = kind === "DynaKube" ? dynaKubeCrd() : edgeConnectCrd()
        fc.assert(
          fc.property(fc.array(arbitraryOf(crd, from, kind), { minLength: 1, maxLength: 3 }), (objects) => {
            const there = converted(run(reviewOf(objects, to)))
            expect(there.map((o) => o["apiVersion"])).toEqual(objects.map(() => to))
            const back = converted(run(reviewOf(there, from)))
            expect(back).toEqual(objects)
          }),
          { numRuns: 60 }
        )
      })
    }
  }
})

describe("ConversionReview handling", () => {
  it("echoes uid and apiVersion, keeps the order of mixed kinds", () => {
    const dk = sample("dynakube-cloudnative.yaml")
    const ec = sample("edgeconnect.yaml")
    const answer = run(reviewOf([dk, ec, dk], "dynatrace.com/v1beta6", "apiextensions.k8s.io/v1beta1"))
    if (isBadReview(answer)) throw new Error("bad review")
    expect(answer.apiVersion).toBe("apiextensions.k8s.io/v1beta1")
    expect(answer.kind).toBe("ConversionReview")
    expect(answer.response.uid).toBe("705ab4f5-6393-11e8-b7cc-42010a800002")
    // EdgeConnect has no v1beta6: the whole review fails and names the object.
    expect(answer.response.result.status).toBe("Failure")
    expect(answer.response.result.message).toMatch(
      /^EdgeConnect dynatrace\/\S+ cannot be converted to dynatrace.com\/v1beta6: /
    )
    expect(answer.response.convertedObjects).toEqual([])
  })

  it.each([
    [[42], /^object 0 cannot be converted/],
    [
      [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" } }],
      /^ConfigMap cm cannot be converted .*not a dynatrace.com kind/
    ],
    [
      [{ apiVersion: "dynatrace.com/v1beta1", kind: "DynaKube" }],
      /^DynaKube 0 cannot be converted .*v1beta1 is not a served version/
    ]
  ])("fails the review for %j", (objects, message) => {
    const answer = run(reviewOf(objects, "dynatrace.com/v1beta6"))
    if (isBadReview(answer)) throw new Error("bad review")
    expect(answer.response.result.status).toBe("Failure")
    expect(answer.response.result.message).toMatch(message)
  })

  it("an empty review succeeds with no objects", () => {
    expect(convertReview(reviewOf([], "dynatrace.com/v1beta5")).response).toEqual({
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      convertedObjects: [],
      result: { status: "Success" }
    })
  })

  it.each([
    null,
    {},
    { apiVersion: "apiextensions.k8s.io/v1", kind: "ConversionReview" },
    {
      apiVersion: "apiextensions.k8s.io/v2",
      kind: "ConversionReview",
      request: { uid: "u", desiredAPIVersion: "x", objects: [] }
    },
    { apiVersion: "apiextensions.k8s.io/v1", kind: "ConversionReview", request: { uid: "u", objects: [] } }
  ])("%j is a bad review", (body) => {
    const answer = run(body)
    expect(isBadReview(answer)).toBe(true)
  })

  it("counts conversions by kind, versions and result", () => {
    const success = Metric.withAttributes(conversions, {
      kind: "DynaKube",
      from: "dynatrace.com/v1beta5",
      to: "dynatrace.com/v1beta6",
      result: "success"
    })
    const before = Effect.runSync(Metric.value(success)).count
    run(reviewOf([sample("dynakube-classicfullstack-v1beta5.yaml")], "dynatrace.com/v1beta6"))
    expect(Number(Effect.runSync(Metric.value(success)).count) - Number(before)).toBe(1)
  })

  it("never fails or throws, whatever the body", () => {
    const objects = fc.array(
      fc.oneof(
        fc.jsonValue(),
        fc.record({
          apiVersion: fc.constantFrom("dynatrace.com/v1beta5", "dynatrace.com/v1beta6", "dynatrace.com/v1alpha1", "x"),
          kind: fc.constantFrom("DynaKube", "EdgeConnect", "Pod"),
          metadata: fc.jsonValue(),
          spec: fc.jsonValue()
        })
      ),
      { maxLength: 3 }
    )
    const body = fc.oneof(
      fc.jsonValue(),
      fc
        .tuple(
          objects,
          fc.constantFrom("dynatrace.com/v1beta5", "dynatrace.com/v1beta6", "dynatrace.com/v1alpha2", "bogus")
        )
        .map(([o, to]) => reviewOf(o, to))
    )
    fc.assert(
      fc.property(body, (b) => {
        const exit = Effect.runSyncExit(handleConversion(b))
        expect(Exit.isSuccess(exit)).toBe(true)
        if (Exit.isSuccess(exit)) JSON.stringify(exit.value)
      }),
      { numRuns: 500 }
    )
  })
})
