import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Conditions from "./Conditions.ts"

const t0 = Date.parse("2026-11-24T10:00:00Z")
const t1 = Date.parse("2026-11-24T11:30:00.750Z")

describe("Conditions", () => {
  it("a new condition gets the current time and generation, appended", () => {
    const first = Conditions.set(
      [],
      { type: "Tokens", status: "True", reason: "TokenReady", message: "ok" },
      { now: t0, generation: 3 }
    )
    const both = Conditions.set(
      first,
      { type: "PullSecret", status: "True", reason: "SecretCreated", message: "" },
      { now: t1 }
    )
    assert.deepStrictEqual(
      both.map((c) => c.type),
      ["Tokens", "PullSecret"]
    )
    assert.deepStrictEqual(first[0], {
      type: "Tokens",
      status: "True",
      reason: "TokenReady",
      message: "ok",
      lastTransitionTime: "2026-11-24T10:00:00Z",
      observedGeneration: 3
    })
    assert.strictEqual(both[1]!.lastTransitionTime, "2026-11-24T11:30:00Z")
  })

  it("lastTransitionTime moves only when status changes", () => {
    const start = Conditions.set(
      [],
      { type: "Tokens", status: "True", reason: "TokenReady", message: "a" },
      { now: t0 }
    )
    const sameStatus = Conditions.set(
      start,
      { type: "Tokens", status: "True", reason: "TokenReady", message: "b" },
      { now: t1 }
    )
    assert.strictEqual(sameStatus[0]!.lastTransitionTime, "2026-11-24T10:00:00Z")
    assert.strictEqual(sameStatus[0]!.message, "b")
    const flipped = Conditions.set(
      sameStatus,
      { type: "Tokens", status: "False", reason: "TokenError", message: "c" },
      { now: t1 }
    )
    assert.strictEqual(flipped[0]!.lastTransitionTime, "2026-11-24T11:30:00Z")
  })

  it("remove and find", () => {
    const list = Conditions.set([], { type: "A", status: "True", reason: "R", message: "" }, { now: t0 })
    assert.strictEqual(Conditions.find(list, "A")?.reason, "R")
    assert.isUndefined(Conditions.find(Conditions.remove(list, "A"), "A"))
    assert.strictEqual(Conditions.remove(list, "B"), list, "unchanged lists are returned as-is")
  })

  it("recomputing the same conditions is a no-op (steady state writes nothing)", () => {
    const update = fc.record({
      type: fc.constantFrom("A", "B", "C"),
      status: fc.constantFrom("True" as const, "False" as const, "Unknown" as const),
      reason: fc.string(),
      message: fc.string()
    })
    fc.assert(
      fc.property(
        fc.uniqueArray(update, { selector: (u) => u.type }),
        fc.integer({ min: 0, max: 2e12 }),
        fc.integer({ min: 0, max: 2e12 }),
        (updates, a, b) => {
          const once = updates.reduce<ReadonlyArray<Conditions.Condition>>(
            (acc, u) => Conditions.set(acc, u, { now: a }),
            []
          )
          const twice = updates.reduce((acc, u) => Conditions.set(acc, u, { now: b }), once)
          assert.deepStrictEqual(twice, once)
        }
      )
    )
  })
})
