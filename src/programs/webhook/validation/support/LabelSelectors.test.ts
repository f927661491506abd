import { describe, expect, it } from "@effect/vitest"
import * as LabelSelectors from "./LabelSelectors.ts"

describe("LabelSelectors", () => {
  it("valid selectors have no problems", () => {
    expect(
      LabelSelectors.problems(
        {
          matchLabels: { "app.kubernetes.io/name": "x" },
          matchExpressions: [
            { key: "tier", operator: "In", values: ["a", "b"] },
            { key: "legacy", operator: "DoesNotExist" }
          ]
        },
        "s"
      )
    ).toEqual([])
    expect(LabelSelectors.problems(undefined, "s")).toEqual([])
  })

  it.each([
    [{ matchLabels: { "bad key": "x" } }, 's.matchLabels: key "bad key"'],
    [{ matchLabels: { k: "bad value" } }, 's.matchLabels["k"]: value "bad value"'],
    [{ matchExpressions: [{ key: "k", operator: "In" }] }, "s.matchExpressions[0].values: must be specified"],
    [{ matchExpressions: [{ key: "k", operator: "Exists", values: ["x"] }] }, "may not be specified"],
    [{ matchExpressions: [{ key: "k", operator: "Near", values: ["x"] }] }, '"Near" is not a valid selector operator'],
    [{ matchExpressions: [{ key: "k", operator: "In", values: ["a b"] }] }, 's.matchExpressions[0].values: "a b"']
  ])("reports %j", (selector, expected) => {
    expect(LabelSelectors.problems(selector, "s").join("\n")).toContain(expected)
  })

  it("matches like LabelSelectorAsSelector", () => {
    const m = LabelSelectors.compile({
      matchLabels: { team: "a" },
      matchExpressions: [
        { key: "env", operator: "NotIn", values: ["dev"] },
        { key: "inject", operator: "Exists" }
      ]
    })!
    expect(m({ team: "a", inject: "" })).toBe(true)
    expect(m({ team: "a", inject: "", env: "dev" })).toBe(false)
    expect(m({ team: "b", inject: "" })).toBe(false)
    expect(m({ team: "a" })).toBe(false)
    expect(LabelSelectors.compile({})!({})).toBe(true)
    expect(LabelSelectors.compile({ matchExpressions: [{ key: "k", operator: "In" }] })).toBeUndefined()
  })
})
