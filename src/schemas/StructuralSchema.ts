/**
 * Turns the JSON Schema (draft 2020-12) that `Schema.toJsonSchemaDocument` produces into a Kubernetes
 * *structural* OpenAPI v3 schema, the form a CustomResourceDefinition needs:
 *
 * - `$ref`s are inlined (a CRD schema cannot reference anything), `allOf` check groups are folded into their node;
 * - `anyOf [X, null]` becomes X with `nullable: true`; an int-or-string union becomes the one `anyOf` shape
 *   Kubernetes accepts, marked `x-kubernetes-int-or-string`;
 * - objects lose the `additionalProperties: true` Effect emits for open structs (Kubernetes prunes unknown fields
 *   instead); free-form objects and values become `x-kubernetes-preserve-unknown-fields: true`;
 * - draft 2020-12 keywords OpenAPI v3 lacks are rewritten (`const` -> `enum`, numeric `exclusiveMinimum` ->
 *   `minimum` + `exclusiveMinimum: true`) and the safe-integer bounds of `Schema.Int` are dropped.
 *
 * Anything it cannot express (tuples, unions of objects, unknown keywords) is a programming error in our schemas
 * and throws with the JSON path, so a bad schema fails `npm run generate` and the CRD tests instead of producing a
 * CRD the apiserver rejects.
 *
 * @since 0.1.0
 */

/**
 * A node of a CRD's `openAPIV3Schema` (`apiextensions.k8s.io/v1` JSONSchemaProps), as plain JSON.
 *
 * @category models
 * @since 0.1.0
 */
export interface JsonSchemaProps {
  readonly [key: string]: unknown
}

type Mutable = Record<string, unknown>

const isRecord = (u: unknown): u is Mutable => typeof u === "object" && u !== null && !Array.isArray(u)

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

/** Keys of JSONSchemaProps that we pass through after converting their children. */
const passThrough = new Set([
  "description",
  "type",
  "format",
  "title",
  "default",
  "maximum",
  "minimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "multipleOf",
  "enum",
  "maxProperties",
  "minProperties",
  "required",
  "nullable",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-embedded-resource"
])

/** draft 2020-12 keys with no OpenAPI v3 counterpart that carry no validation, dropped silently. */
const dropped = new Set(["$schema", "$id", "$comment", "examples", "readOnly", "writeOnly"])

const fail = (path: string, message: string): never => {
  throw new Error(`Cannot express the schema at ${path || "<root>"} in a CRD: ${message}`)
}

const foldCheckGroup = (node: Mutable, group: Mutable, path: string): void => {
  for (const [key, value] of Object.entries(group)) {
    const current = node[key]
    if (current === undefined) {
      node[key] = value
    } else if ((key === "minimum" || key === "minLength" || key === "minItems") && typeof value === "number") {
      node[key] = Math.max(current as number, value)
    } else if ((key === "maximum" || key === "maxLength" || key === "maxItems") && typeof value === "number") {
      node[key] = Math.min(current as number, value)
    } else if (key === "allOf" && Array.isArray(value)) {
      for (const inner of value) if (isRecord(inner)) foldCheckGroup(node, inner, path)
    } else if (JSON.stringify(current) !== JSON.stringify(value)) {
      fail(path, `conflicting values for '${key}' in an allOf group`)
    }
  }
}

const isFree = (u: unknown): boolean => u === true || (isRecord(u) && Object.keys(u).length === 0)

const isNullSchema = (u: unknown): boolean => isRecord(u) && u["type"] === "null" && Object.keys(u).length === 1

/**
 * Converts one node. `definitions` are the document's reference targets; `seen` guards against recursion (a CRD
 * cannot express recursive types).
 */
const convert = (input: unknown, definitions: Mutable, path: string, seen: ReadonlySet<string>): Mutable => {
  if (input === true || (isRecord(input) && Object.keys(input).length === 0)) {
    return { "x-kubernetes-preserve-unknown-fields": true }
  }
  if (!isRecord(input)) return fail(path, `unexpected schema ${JSON.stringify(input)}`)

  let node: Mutable = { ...input }

  // Inline references; sibling keywords (descriptions, defaults on the field) win over the target's.
  const ref = node["$ref"]
  if (typeof ref === "string") {
    const name = ref.replace(/^#\/(\$defs|definitions)\//, "")
    if (seen.has(name)) fail(path, `recursive reference to ${name}`)
    const target = definitions[name]
    if (!isRecord(target)) fail(path, `unresolved reference ${ref}`)
    const { $ref: _ignored, ...siblings } = node
    const inlined = convert(target, definitions, path, new Set([...seen, name]))
    return convert({ ...inlined, ...siblings }, definitions, path, seen)
  }

  // Fold check groups (`allOf` of constraint-only members) into the node.
  const allOf = node["allOf"]
  if (Array.isArray(allOf)) {
    delete node["allOf"]
    for (const member of allOf) {
      if (
        isRecord(member) &&
        member["type"] === "object" &&
        Object.keys(member).length === 2 &&
        isFree(member["additionalProperties"])
      ) {
        // The rest record of Schema.StructWithRest(..., [Record(String, Unknown)]): every other field is kept.
        node["x-kubernetes-preserve-unknown-fields"] = true
        continue
      }
      if (!isRecord(member) || member["type"] !== undefined || member["properties"] !== undefined) {
        fail(path, "allOf members other than check groups")
      }
      foldCheckGroup(node, member as Mutable, path)
    }
  }

  // Unions.
  const anyOf = node["anyOf"] ?? node["oneOf"]
  if (Array.isArray(anyOf)) {
    delete node["anyOf"]
    delete node["oneOf"]
    if (node["x-kubernetes-int-or-string"] === true) {
      const stringBranch = anyOf.find((b) => isRecord(b) && b["type"] === "string") as Mutable | undefined
      if (stringBranch?.["pattern"] !== undefined && node["pattern"] === undefined)
        node["pattern"] = stringBranch["pattern"]
      node["anyOf"] = [{ type: "integer" }, { type: "string" }]
    } else {
      const nonNull = anyOf.filter((b) => !isNullSchema(b))
      if (nonNull.length === 1 && anyOf.length === 2) {
        const { description, default: defaultValue, ...rest } = node
        node = { ...(nonNull[0] as Mutable), ...rest, nullable: true }
        if (description !== undefined) node["description"] = description
        if (defaultValue !== undefined) node["default"] = defaultValue
        return convert(node, definitions, path, seen)
      }
      const enums = nonNull.every((b) => isRecord(b) && Array.isArray(b["enum"]) && b["type"] === "string")
      if (!enums) fail(path, "unions other than X | null, int-or-string, or string literals")
      node["type"] = "string"
      node["enum"] = nonNull.flatMap((b) => (b as Mutable)["enum"] as Array<unknown>)
      if (nonNull.length !== anyOf.length) node["nullable"] = true
    }
  }

  // Struct({}) encodes as "anything but null": an object without fields.
  const not = node["not"]
  if (not !== undefined) {
    if (!isNullSchema(not)) fail(path, "'not' other than 'not null'")
    delete node["not"]
    if (node["type"] === undefined) node["type"] = "object"
  }

  const out: Mutable = {}
  for (const [key, value] of Object.entries(node)) {
    if (dropped.has(key)) continue
    switch (key) {
      case "const":
        out["enum"] = [value]
        break
      case "exclusiveMinimum":
      case "exclusiveMaximum":
        if (typeof value === "number") {
          out[key === "exclusiveMinimum" ? "minimum" : "maximum"] = value
          out[key] = true
        } else {
          out[key] = value
        }
        break
      case "properties": {
        if (!isRecord(value)) fail(path, "properties is not an object")
        const props: Mutable = {}
        for (const [name, child] of Object.entries(value as Mutable)) {
          props[name] = convert(child, definitions, `${path}.${name}`, seen)
        }
        out["properties"] = props
        break
      }
      case "items":
        out["items"] = convert(value, definitions, `${path}[]`, seen)
        break
      case "additionalProperties":
        // handled below, once we know whether the object has fields
        break
      case "anyOf":
        out["anyOf"] = value
        break
      case "uniqueItems":
        if (value === true) fail(path, "uniqueItems: true (use x-kubernetes-list-type: set)")
        break
      default:
        if (!passThrough.has(key)) fail(path, `unsupported keyword '${key}'`)
        out[key] = value
    }
  }

  const additional = node["additionalProperties"]
  const preserve = out["x-kubernetes-preserve-unknown-fields"] === true
  if (additional !== undefined && !preserve) {
    const free = isFree(additional)
    if (out["properties"] !== undefined) {
      // Open structs: Kubernetes prunes what the schema does not name, which is what we want.
      if (!free) fail(path, "an object with both fields and a typed index signature")
    } else if (free) {
      out["x-kubernetes-preserve-unknown-fields"] = true
    } else if (additional !== false) {
      out["additionalProperties"] = convert(additional, definitions, `${path}.*`, seen)
    }
  }

  // Integer bounds that only restate the number type.
  if (out["type"] === "integer") {
    if (out["minimum"] === -MAX_SAFE) delete out["minimum"]
    if (out["maximum"] === MAX_SAFE) delete out["maximum"]
    if (out["format"] === "int32" && out["minimum"] === INT32_MIN && out["maximum"] === INT32_MAX) {
      delete out["minimum"]
      delete out["maximum"]
    }
  }

  if (
    out["type"] === undefined &&
    out["x-kubernetes-int-or-string"] !== true &&
    out["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    fail(path, "no type")
  }
  return ordered(out)
}

/** Key order of the output: what a reader of the YAML looks for first. */
const keyOrder = [
  "type",
  "format",
  "description",
  "nullable",
  "default",
  "enum",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "required"
]

const rank = (key: string): number => {
  const i = keyOrder.indexOf(key)
  return i === -1 ? keyOrder.length : i
}

const ordered = (node: Mutable): Mutable =>
  Object.fromEntries(Object.entries(node).toSorted(([a], [b]) => rank(a) - rank(b)))

/**
 * Converts a JSON Schema document (as returned by `Schema.toJsonSchemaDocument`) into a structural schema.
 *
 * @category converting
 * @since 0.1.0
 */
export const toStructural = (document: { readonly schema: unknown; readonly definitions?: unknown }): JsonSchemaProps =>
  convert(document.schema, isRecord(document.definitions) ? document.definitions : {}, "", new Set())

/**
 * Lists the places where a schema breaks the structural rules Kubernetes checks, or is empty. Used by tests as an
 * independent check of {@link toStructural}'s output.
 *
 * @category validation
 * @since 0.1.0
 */
export const structuralViolations = (schema: JsonSchemaProps, path = ""): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const intOrString = schema["x-kubernetes-int-or-string"] === true
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true
  if (schema["type"] === undefined && !intOrString && !preserve) problems.push(`${path || "<root>"}: no type`)
  for (const key of ["$ref", "definitions", "$defs", "const", "allOf", "oneOf", "not"]) {
    if (schema[key] !== undefined) problems.push(`${path || "<root>"}: '${key}'`)
  }
  if (schema["anyOf"] !== undefined && !intOrString) problems.push(`${path || "<root>"}: anyOf without int-or-string`)
  if (schema["properties"] !== undefined && schema["additionalProperties"] !== undefined) {
    problems.push(`${path || "<root>"}: properties together with additionalProperties`)
  }
  if (schema["type"] === "array" && schema["items"] === undefined) problems.push(`${path}: array without items`)
  const props = schema["properties"]
  if (isRecord(props)) {
    for (const [name, child] of Object.entries(props)) {
      problems.push(...structuralViolations(child as JsonSchemaProps, `${path}.${name}`))
    }
  }
  if (isRecord(schema["items"])) problems.push(...structuralViolations(schema["items"], `${path}[]`))
  if (isRecord(schema["additionalProperties"])) {
    problems.push(...structuralViolations(schema["additionalProperties"], `${path}.*`))
  }
  return problems
}
