/**
 * Test support: fast-check arbitraries of custom-resource objects, derived from the structural OpenAPI schema of
 * a CRD version (the one `Crds.ts` generates). Every field of the schema can appear, every value respects the
 * schema's types, enums, patterns, lengths and list types, and free-form (`x-kubernetes-preserve-unknown-fields`)
 * nodes get arbitrary extra JSON — so a property over these objects also covers fields no code path names.
 *
 * Deriving from the CRD schema rather than from the Effect Schema avoids Effect's own arbitrary engine (stack.md
 * pitfall 6) and tests exactly the shape the apiserver lets through.
 *
 * @since 0.1.0
 */
import * as fc from "fast-check"
import type { JsonSchemaProps } from "./StructuralSchema.ts"

const small = { maxLength: 3 } as const

/** Short strings (with the odd comma, slash and unicode character, which conversions must survive). */
const text = fc.string({ maxLength: 8, unit: fc.constantFrom("a", "b", "z", "0", "-", ".", ",", "/", " ", "é", "~") })

/** Arbitrary JSON for free-form nodes. */
const freeJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)))
const freeObject = fc.dictionary(text, freeJson, { maxKeys: 3 })

const props = (schema: JsonSchemaProps): Record<string, JsonSchemaProps> =>
  (schema["properties"] as Record<string, JsonSchemaProps> | undefined) ?? {}

/**
 * An arbitrary of values valid for `schema`. `overrides` replaces the arbitrary at a property path (e.g.
 * `"metadata"`, `"spec.oneAgent"`).
 *
 * @category arbitraries
 * @since 0.1.0
 */
export const fromSchema = (
  schema: JsonSchemaProps,
  overrides: Readonly<Record<string, fc.Arbitrary<unknown>>> = {},
  path = ""
): fc.Arbitrary<unknown> => {
  const override = overrides[path]
  if (override !== undefined) return override
  const base = baseArbitrary(schema, overrides, path)
  return schema["nullable"] === true
    ? fc.oneof({ weight: 5, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) })
    : base
}

const baseArbitrary = (
  schema: JsonSchemaProps,
  overrides: Readonly<Record<string, fc.Arbitrary<unknown>>>,
  path: string
): fc.Arbitrary<unknown> => {
  if (Array.isArray(schema["enum"])) return fc.constantFrom(...(schema["enum"] as Array<unknown>))
  if (schema["x-kubernetes-int-or-string"] === true) {
    return typeof schema["pattern"] === "string"
      ? fc.oneof(
          fc.nat(1000),
          fc.stringMatching(new RegExp(schema["pattern"] as string)).filter((s) => s.length < 12)
        )
      : fc.oneof(fc.nat(100), fc.constantFrom("25%", "1", "x"))
  }
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true
  switch (schema["type"]) {
    case "string": {
      if (typeof schema["pattern"] === "string") {
        const max = typeof schema["maxLength"] === "number" ? (schema["maxLength"] as number) : 20
        return fc.stringMatching(new RegExp(schema["pattern"] as string)).filter((s) => s.length <= Math.min(max, 20))
      }
      if (schema["format"] === "date-time") {
        return fc
          .date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true })
          .map((d) => `${d.toISOString().slice(0, 19)}Z`)
      }
      const maxLength = Math.min(typeof schema["maxLength"] === "number" ? (schema["maxLength"] as number) : 8, 8)
      const minLength = typeof schema["minLength"] === "number" ? (schema["minLength"] as number) : 0
      return fc.string({ minLength, maxLength, unit: fc.constantFrom("a", "b", "Z", "0", "-", ".", ",", "/", "é") })
    }
    case "integer": {
      const min = typeof schema["minimum"] === "number" ? (schema["minimum"] as number) : -1000
      const max = typeof schema["maximum"] === "number" ? (schema["maximum"] as number) : 100000
      return fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 100000) })
    }
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
    case "boolean":
      return fc.boolean()
    case "array": {
      const items = fromSchema(schema["items"] as JsonSchemaProps, overrides, `${path}[]`)
      const minLength = typeof schema["minItems"] === "number" ? (schema["minItems"] as number) : 0
      const options = { minLength, maxLength: Math.max(minLength, 3) }
      if (schema["x-kubernetes-list-type"] === "set")
        return fc.uniqueArray(items, { ...options, comparator: "SameValue" })
      if (schema["x-kubernetes-list-type"] === "map") {
        const keys = schema["x-kubernetes-list-map-keys"] as ReadonlyArray<string>
        return fc.uniqueArray(items, {
          ...options,
          selector: (item) => JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k]))
        })
      }
      return fc.array(items, options)
    }
    case "object": {
      const properties = props(schema)
      if (Object.keys(properties).length > 0) {
        const record = fc.record(
          Object.fromEntries(
            Object.entries(properties).map(([name, child]) => [
              name,
              fromSchema(child, overrides, path === "" ? name : `${path}.${name}`)
            ])
          ),
          { requiredKeys: (schema["required"] as Array<string> | undefined) ?? [] }
        )
        if (!preserve) return record
        // Unknown extra fields next to the known ones.
        return fc.tuple(record, freeObject).map(([known, extra]) => ({
          ...Object.fromEntries(Object.entries(extra).filter(([k]) => !Object.hasOwn(properties, k))),
          ...known
        }))
      }
      if (schema["additionalProperties"] !== undefined) {
        return fc.dictionary(
          text,
          fromSchema(schema["additionalProperties"] as JsonSchemaProps, overrides, `${path}.*`),
          {
            maxKeys: small.maxLength
          }
        )
      }
      return preserve ? freeObject : fc.constant({})
    }
    default:
      if (preserve) return freeJson
      throw new Error(`No arbitrary for the schema at ${path}: ${JSON.stringify(schema).slice(0, 200)}`)
  }
}
