import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as ObjectSync from "./ObjectSync.ts"

describe("ObjectSync hashing", () => {
  it("FNV-32a matches the reference vectors", () => {
    assert.strictEqual(ObjectSync.fnv32a(""), "2166136261")
    assert.strictEqual(ObjectSync.fnv32a("a"), String(0xe40c292c))
    assert.strictEqual(ObjectSync.fnv32a("foobar"), String(0xbf9cf968))
  })

  it("the template hash ignores key order and its own annotation, and sees every value", () => {
    const json = fc.jsonValue()
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), fc.string(), (data, extra) => {
        const a = { metadata: { name: "x", annotations: { k: "v" } }, data }
        const reordered = {
          data: Object.fromEntries(Object.entries(data).toReversed()),
          metadata: { annotations: { k: "v" }, name: "x" }
        }
        assert.strictEqual(ObjectSync.templateHash(a), ObjectSync.templateHash(reordered))
        assert.strictEqual(ObjectSync.templateHash(ObjectSync.withTemplateHash(a)), ObjectSync.templateHash(a))
        const changed = { ...a, metadata: { ...a.metadata, labels: { extra } } }
        assert.notStrictEqual(ObjectSync.templateHash(changed), ObjectSync.templateHash(a))
      })
    )
  })
})
