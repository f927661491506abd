import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Finding from "./Finding.ts"

describe("Finding", () => {
  const rule = Finding.error("sample", (n: number) => (n > 1 ? "too big" : undefined))
  const many = Finding.warning("many", (n: number) => Array.from({ length: n }, (_, i) => `w${i}`))
  const effectful = Finding.error("effectful", (n: number) => Effect.succeed(n === 0 ? "zero" : undefined))

  it("validators name themselves and their severity", () => {
    expect([rule.rule, rule.severity, many.severity]).toEqual(["sample", "Error", "Warning"])
  })

  it("checks may return nothing, one message, several, or an Effect of them", () => {
    expect(Effect.runSync(rule(1))).toEqual([])
    expect(Effect.runSync(rule(2))).toEqual([{ _tag: "Error", rule: "sample", message: "too big" }])
    expect(Effect.runSync(many(2)).map((f) => f.message)).toEqual(["w0", "w1"])
    expect(Effect.runSync(effectful(0))).toEqual([{ _tag: "Error", rule: "effectful", message: "zero" }])
  })

  it("runAll keeps the order of the rules", () => {
    expect(Effect.runSync(Finding.runAll([many, rule, effectful], 2)).map((f) => f.rule)).toEqual([
      "many",
      "many",
      "sample"
    ])
  })

  it("summarize numbers the errors like the original", () => {
    const errors = [
      { _tag: "Error", rule: "a", message: "first" },
      { _tag: "Error", rule: "b", message: "second" }
    ] as const
    expect(Finding.summarize(errors, "DynaKube")).toBe("\n2 error(s) found in the DynaKube\n 1. first\n 2. second")
  })
})
