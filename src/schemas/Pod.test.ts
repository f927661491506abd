import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import * as T from "../programs/webhook/TestObjects.ts"
import * as Pod from "./Pod.ts"

// ---------------------------------------------------------------------------------------------------------------
// arbitraries: pod-shaped values where any field may be missing, of the wrong type, or joined by unknown keys

const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 3 }),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constant([{}]),
  fc.constant(Object.create(null) as unknown),
  fc.constant(new Date(0) as unknown)
)
/** Mostly the valid value, sometimes junk. */
const field = <A>(valid: fc.Arbitrary<A>) =>
  fc.oneof({ arbitrary: valid, weight: 25 }, { arbitrary: junk as fc.Arbitrary<unknown>, weight: 1 })
/** An object with these fields (each may be absent) and maybe unknown keys. */
const object = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .tuple(
      fc.record(fields, { requiredKeys: [], noNullPrototype: true }),
      fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 2,
        noNullPrototype: true
      })
    )
    .map(([typed, extra]) => ({ ...extra, ...typed }))
const list = (item: fc.Arbitrary<unknown>) => fc.array(field(item), { maxLength: 3 })
const str = fc.string({ maxLength: 4 })
const stringMap = fc.dictionary(str, field(str), { maxKeys: 3, noNullPrototype: true })
const securityContext = object({ runAsUser: field(fc.integer()), runAsGroup: field(fc.integer()) })
const container = object({
  name: field(str),
  image: field(str),
  args: field(list(str)),
  env: field(list(object({ name: field(str), value: field(str), valueFrom: fc.jsonValue({ maxDepth: 1 }) }))),
  volumeMounts: field(
    list(object({ name: field(str), mountPath: field(str), subPath: field(str), readOnly: field(fc.boolean()) }))
  ),
  securityContext: field(securityContext)
})
const metadata = object({
  name: field(str),
  generateName: field(str),
  namespace: field(str),
  uid: field(str),
  labels: field(stringMap),
  annotations: field(stringMap),
  ownerReferences: field(
    list(
      object({
        apiVersion: field(str),
        kind: field(str),
        name: field(str),
        uid: field(str),
        controller: field(fc.boolean())
      })
    )
  )
})
const spec = object({
  containers: field(list(container)),
  initContainers: field(list(container)),
  volumes: field(list(object({ name: field(str), emptyDir: fc.constant({}) }))),
  nodeName: field(str),
  securityContext: field(securityContext)
})
const pod = field(object({ apiVersion: field(str), kind: field(str), metadata: field(metadata), spec: field(spec) }))

// ---------------------------------------------------------------------------------------------------------------

describe("Pod.decodePod", () => {
  it("never accepts by hand what the schema refuses, and what it accepts decodes to an equal value", () => {
    let accepted = 0
    let refused = 0
    fc.assert(
      fc.property(pod, (value) => {
        const schema = Pod.decodePodWithSchema(value)
        if (Pod.isPlainPod(value)) {
          accepted++
          expect(Result.isSuccess(schema)).toBe(true)
          // toStrictEqual ignores key order but not `undefined`-valued keys or prototypes
          if (Result.isSuccess(schema)) expect(value).toStrictEqual(schema.success)
        } else {
          refused++
        }
        expect(Pod.decodePod(value)).toStrictEqual(Pod.isPlainPod(value) ? Result.succeed(value) : schema)
      }),
      { numRuns: 3000 }
    )
    // both branches were exercised, so the property says something
    expect(accepted).toBeGreaterThan(50)
    expect(refused).toBeGreaterThan(50)
  })

  it("checks by hand exactly the typed fields the schemas have (a field added there must be added to isPlainPod)", () => {
    const typed = (schema: { readonly schema: { readonly fields: object } }) => Object.keys(schema.schema.fields)
    expect({
      Pod: typed(Pod.Pod),
      ObjectMeta: typed(Pod.ObjectMeta),
      OwnerReference: typed(Pod.OwnerReference),
      PodSpec: typed(Pod.PodSpec),
      Container: typed(Pod.Container),
      EnvVar: typed(Pod.EnvVar),
      VolumeMount: typed(Pod.VolumeMount),
      SecurityContext: typed(Pod.SecurityContext),
      Volume: typed(Pod.Volume)
    }).toEqual({
      Pod: ["apiVersion", "kind", "metadata", "spec"],
      ObjectMeta: ["name", "generateName", "namespace", "uid", "labels", "annotations", "ownerReferences"],
      OwnerReference: ["apiVersion", "kind", "name", "uid", "controller"],
      PodSpec: ["containers", "initContainers", "volumes", "nodeName", "securityContext"],
      Container: ["name", "image", "args", "env", "volumeMounts", "securityContext"],
      EnvVar: ["name", "value", "valueFrom"],
      VolumeMount: ["name", "mountPath", "subPath", "readOnly"],
      SecurityContext: ["runAsUser", "runAsGroup"],
      Volume: ["name"]
    })
  })

  it("takes the shortcut for an ordinary pod from JSON, keeping the very object", () => {
    const raw: unknown = JSON.parse(JSON.stringify(T.realisticPod))
    expect(Pod.isPlainPod(raw)).toBe(true)
    const decoded = Pod.decodePod(raw)
    expect(Result.isSuccess(decoded) && decoded.success === raw).toBe(true)
  })

  it("reports schema errors for pods the shortcut refuses", () => {
    const decoded = Pod.decodePod({ metadata: { name: 1 }, spec: { containers: [] } })
    expect(Result.isFailure(decoded) && decoded.failure.message).toContain(`["metadata"]["name"]`)
    expect(Pod.isPlainPod({ metadata: {}, spec: { containers: [] } })).toBe(true)
    expect(Pod.isPlainPod({ metadata: [], spec: { containers: [] } })).toBe(false)
    expect(Pod.isPlainPod({ metadata: { labels: { a: 1 } }, spec: { containers: [] } })).toBe(false)
  })
})
