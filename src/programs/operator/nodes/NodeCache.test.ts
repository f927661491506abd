import { assert, describe, it } from "@effect/vitest"
import * as NodeCache from "./NodeCache.ts"

const t0 = Date.parse("2026-11-24T10:00:00.250Z")

describe("NodeCache", () => {
  it("writes entries in the original's JSON shape (Go times, zero time for never)", () => {
    assert.strictEqual(
      NodeCache.encodeEntry({ instance: "dk", ip: "10.0.0.1", seen: t0 }),
      '{"seen":"2026-11-24T10:00:00.250Z","marked":"0001-01-01T00:00:00Z","ip":"10.0.0.1","instance":"dk"}'
    )
    assert.strictEqual(
      NodeCache.encodeEntry({ instance: "dk", ip: "10.0.0.1", seen: t0, marked: t0 + 1000 }),
      '{"seen":"2026-11-24T10:00:00.250Z","marked":"2026-11-24T10:00:01.250Z","ip":"10.0.0.1","instance":"dk"}'
    )
  })

  it("reads what the original writes (nanoseconds, time zones, zero time) and round-trips its own", () => {
    const go =
      '{"instance":"dk","ip":"10.0.0.2","seen":"2026-11-24T11:00:00.123456789+01:00","marked":"0001-01-01T00:00:00Z"}'
    assert.deepStrictEqual(NodeCache.decodeEntry(go), {
      instance: "dk",
      ip: "10.0.0.2",
      seen: Date.parse("2026-11-24T10:00:00.123Z")
    })
    const entry = { instance: "dk", ip: "10.0.0.1", seen: t0, marked: t0 + 5 }
    assert.deepStrictEqual(NodeCache.decodeEntry(NodeCache.encodeEntry(entry)), entry)
  })

  it("drops entries that are not entries", () => {
    for (const text of ["", "nope", "[]", "null", '{"ip":"1.2.3.4"}', '{"seen":"yesterday"}']) {
      assert.isUndefined(NodeCache.decodeEntry(text), text)
    }
  })

  it("reads a ConfigMap: valid entries and the prune annotation", () => {
    const state = NodeCache.fromConfigMap({
      metadata: { annotations: { [NodeCache.lastUpdatedAnnotation]: "2026-11-24T10:00:00Z" } },
      data: {
        "node-a": NodeCache.encodeEntry({ instance: "dk", ip: "10.0.0.1", seen: t0 }),
        "node-b": "garbage"
      }
    })
    assert.deepStrictEqual([...state.entries.keys()], ["node-a"])
    assert.strictEqual(state.lastUpdated, Date.parse("2026-11-24T10:00:00Z"))
    assert.deepStrictEqual(NodeCache.fromConfigMap(undefined), { entries: new Map() })
  })

  it("data keys are sorted, the annotation has no fractions", () => {
    const data = NodeCache.toData(
      new Map([
        ["z", { instance: "dk", ip: "1", seen: t0 }],
        ["a", { instance: "dk", ip: "2", seen: t0 }]
      ])
    )
    assert.deepStrictEqual(Object.keys(data), ["a", "z"])
    assert.strictEqual(NodeCache.formatAnnotationTime(t0), "2026-11-24T10:00:00Z")
  })
})
