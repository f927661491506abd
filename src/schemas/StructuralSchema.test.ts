import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { IntOrString, Int32, Opaque, Volume } from "./Kubernetes.ts"
import { structuralViolations, toStructural } from "./StructuralSchema.ts"

const structural = (schema: Schema.Top) =>
  toStructural(Schema.toJsonSchemaDocument(schema, { includeAnnotationKey: (k) => k.startsWith("x-kubernetes-") }))

const field = (schema: Schema.Top) =>
  (structural(Schema.Struct({ f: Schema.optionalKey(schema) }))["properties"] as Record<string, unknown>)["f"]

describe("toStructural", () => {
  it("drops the open-struct marker and keeps required fields", () => {
    expect(structural(Schema.Struct({ a: Schema.String, b: Schema.optionalKey(Schema.Boolean) }))).toEqual({
      type: "object",
      required: ["a"],
      properties: { a: { type: "string" }, b: { type: "boolean" } }
    })
  })

  it("turns X | null into a nullable X with the field's description", () => {
    expect(field(Schema.NullOr(Schema.String).annotate({ description: "d" }))).toEqual({
      type: "string",
      description: "d",
      nullable: true
    })
  })

  it("gives int-or-string the one anyOf shape Kubernetes accepts", () => {
    expect(field(IntOrString)).toEqual({
      "x-kubernetes-int-or-string": true,
      anyOf: [{ type: "integer" }, { type: "string" }]
    })
  })

  it("folds check groups and drops the bounds that only restate the integer type", () => {
    expect(field(Schema.Int)).toEqual({ type: "integer" })
    expect(field(Int32)).toEqual({ type: "integer", format: "int32" })
    expect(field(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5 })))).toEqual({
      type: "integer",
      minimum: 1,
      maximum: 5
    })
    expect(field(Schema.Int.check(Schema.isGreaterThan(0)))).toEqual({
      type: "integer",
      minimum: 0,
      exclusiveMinimum: true
    })
  })

  it("keeps string constraints and turns constants into enums", () => {
    expect(field(Schema.String.check(Schema.isMaxLength(3), Schema.isPattern(/^a+$/u)))).toEqual({
      type: "string",
      maxLength: 3,
      pattern: "^a+$"
    })
    expect(field(Schema.Literal("x"))).toEqual({ type: "string", enum: ["x"] })
  })

  it("marks free-form values and objects to keep unknown fields", () => {
    expect(field(Schema.Unknown)).toEqual({ "x-kubernetes-preserve-unknown-fields": true })
    expect(field(Opaque)).toEqual({ type: "object", "x-kubernetes-preserve-unknown-fields": true })
    expect(field(Volume)).toMatchObject({
      type: "object",
      required: ["name"],
      "x-kubernetes-preserve-unknown-fields": true
    })
    expect(field(Schema.Struct({}))).toEqual({ type: "object" })
    expect(field(Schema.Record(Schema.String, Schema.Int))).toEqual({
      type: "object",
      additionalProperties: { type: "integer" }
    })
  })

  it("inlines references, letting the field's description win", () => {
    const Ref = Schema.Struct({ a: Schema.String }).annotate({ identifier: "Ref", description: "the type" })
    const out = structural(Schema.Struct({ r: Ref, s: Schema.optionalKey(Ref.annotate({ description: "the field" })) }))
    expect(JSON.stringify(out)).not.toContain("$ref")
    expect(structuralViolations(out)).toEqual([])
    expect((out["properties"] as any).s.description).toBe("the field")
  })

  it("refuses what a CRD cannot express, naming the path", () => {
    expect(() => structural(Schema.Struct({ u: Schema.Union([Schema.String, Schema.Boolean]) }))).toThrow(/at \.u/)
    expect(() => structural(Schema.Struct({ t: Schema.Tuple([Schema.String]) }))).toThrow(/at \.t/)
  })
})

describe("structuralViolations", () => {
  it("finds untyped nodes, references and unions", () => {
    expect(
      structuralViolations({
        type: "object",
        properties: { a: {}, b: { $ref: "#/x", type: "string" }, c: { type: "string", anyOf: [{ type: "string" }] } }
      })
    ).toEqual([".a: no type", ".b: '$ref'", ".c: anyOf without int-or-string"])
  })
})
