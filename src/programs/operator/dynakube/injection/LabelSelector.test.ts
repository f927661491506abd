import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as LabelSelector from "./LabelSelector.ts"

type Selector = LabelSelector.LabelSelector

const check = (selector: Selector, labels: Record<string, string> | undefined) =>
  LabelSelector.selectorMatches(selector, labels)

const expr = (operator: string, values?: Array<string>) => ({
  matchExpressions: [{ key: "tier", operator, ...(values === undefined ? {} : { values }) }]
})
const validKey = (k: string) => /^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k)
const validValue = (v: string) => v === "" || /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(v)

describe("LabelSelector", () => {
  it("an empty selector matches everything, also objects without labels", () => {
    assert.isTrue(check({}, undefined))
    assert.isTrue(check({ matchLabels: {}, matchExpressions: [] }, { a: "b" }))
  })

  it("matchLabels needs every pair", () => {
    const selector = { matchLabels: { team: "a", env: "prod" } }
    assert.isTrue(check(selector, { team: "a", env: "prod", extra: "x" }))
    assert.isFalse(check(selector, { team: "a" }))
    assert.isFalse(check(selector, { team: "a", env: "dev" }))
    assert.isTrue(check({ matchLabels: { flag: "" } }, { flag: "" }))
    assert.isFalse(check({ matchLabels: { flag: "" } }, {}))
  })

  it("In / NotIn / Exists / DoesNotExist, with absent labels as apimachinery treats them", () => {
    assert.isTrue(check(expr("In", ["web", "api"]), { tier: "api" }))
    assert.isFalse(check(expr("In", ["web", "api"]), { tier: "db" }))
    assert.isFalse(check(expr("In", ["web"]), {}))
    assert.isTrue(check(expr("NotIn", ["db"]), { tier: "web" }))
    assert.isFalse(check(expr("NotIn", ["db"]), { tier: "db" }))
    assert.isTrue(check(expr("NotIn", ["db"]), {}), "NotIn holds when the label is absent")
    assert.isTrue(check(expr("Exists"), { tier: "" }))
    assert.isFalse(check(expr("Exists"), {}))
    assert.isTrue(check(expr("DoesNotExist"), {}))
    assert.isFalse(check(expr("DoesNotExist"), { tier: "x" }))
  })

  it("matchLabels and matchExpressions must all hold", () => {
    const selector = {
      matchLabels: { app: "shop" },
      matchExpressions: [{ key: "dynatrace.com/inject", operator: "NotIn", values: ["false"] }]
    }
    assert.isTrue(check(selector, { app: "shop" }))
    assert.isFalse(check(selector, { app: "shop", "dynatrace.com/inject": "false" }))
    assert.isFalse(check(selector, { "dynatrace.com/inject": "true" }))
  })

  it("selectors the apiserver would refuse compile to Invalid and match nothing", () => {
    const invalid: ReadonlyArray<[Selector, RegExp]> = [
      [{ matchExpressions: [{ key: "a", operator: "in", values: ["x"] }] }, /not a valid label selector operator/],
      [{ matchExpressions: [{ key: "a", operator: "In", values: [] }] }, /at least one value/],
      [{ matchExpressions: [{ key: "a", operator: "NotIn" }] }, /at least one value/],
      [{ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, /must not have values/],
      [{ matchExpressions: [{ key: "bad key", operator: "Exists" }] }, /invalid label key/],
      [{ matchExpressions: [{ key: "UPPER.example/x", operator: "Exists" }] }, /prefix must be a DNS subdomain/],
      [{ matchLabels: { a: "-starts-with-dash" } }, /invalid label value/],
      [{ matchLabels: { ["x".repeat(64)]: "v" } }, /invalid label key/]
    ]
    for (const [selector, message] of invalid) {
      const compiled = LabelSelector.compile(selector)
      assert.strictEqual(compiled._tag, "Invalid", JSON.stringify(selector))
      if (compiled._tag === "Invalid") assert.match(compiled.message, message)
      assert.isFalse(LabelSelector.matches(compiled, { a: "x", "bad key": "x" }))
    }
    assert.strictEqual(LabelSelector.compile({ matchLabels: { "example.com/team": "a_b.c-1" } })._tag, "Valid")
  })

  // A reference written from the API documentation, evaluated on the raw selector (no compilation).
  const operators = new Set(["In", "NotIn", "Exists", "DoesNotExist"])
  const reference = (selector: Selector, labels: Record<string, string>): boolean => {
    const labelPairs = Object.entries(selector.matchLabels ?? {})
    const expressions = selector.matchExpressions ?? []
    const valid =
      labelPairs.every(([k, v]) => validKey(k) && validValue(v)) &&
      expressions.every((e) => {
        const values = e.values ?? []
        if (!validKey(e.key) || !operators.has(e.operator)) return false
        if (e.operator === "In" || e.operator === "NotIn") return values.length > 0 && values.every(validValue)
        return values.length === 0
      })
    if (!valid) return false
    const has = (k: string) => Object.keys(labels).includes(k)
    return (
      labelPairs.every(([k, v]) => has(k) && labels[k] === v) &&
      expressions.every((e) => {
        const values = e.values ?? []
        switch (e.operator) {
          case "In":
            return has(e.key) && values.includes(labels[e.key]!)
          case "NotIn":
            return !(has(e.key) && values.includes(labels[e.key]!))
          case "Exists":
            return has(e.key)
          default:
            return !has(e.key)
        }
      })
    )
  }

  const key = fc.constantFrom("app", "tier", "example.com/team", "bad key", "x/")
  const value = fc.constantFrom("a", "b", "c", "", "-bad")
  const labels = fc.dictionary(key, value, { maxKeys: 4 })
  const selector: fc.Arbitrary<Selector> = fc.record(
    {
      matchLabels: fc.dictionary(key, value, { maxKeys: 2 }),
      matchExpressions: fc.array(
        fc.record(
          {
            key,
            operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist", "Bogus"),
            values: fc.array(value, { maxLength: 3 })
          },
          { requiredKeys: ["key", "operator"] }
        ),
        { maxLength: 3 }
      )
    },
    { requiredKeys: [] }
  )

  it("agrees with the reference on any selector and labels (property)", () => {
    fc.assert(
      fc.property(selector, labels, (s, l) => {
        assert.strictEqual(check(s, l), reference(s, l), JSON.stringify({ s, l }))
      }),
      { numRuns: 2000 }
    )
  })

  it("adding a requirement never widens the match; NotIn is the complement of In (property)", () => {
    fc.assert(
      fc.property(selector, labels, key, fc.array(value, { minLength: 1, maxLength: 3 }), (s, l, k, vs) => {
        const extra = { key: k, operator: "In", values: vs }
        const narrowed = { ...s, matchExpressions: [...(s.matchExpressions ?? []), extra] }
        if (check(narrowed, l)) assert.isTrue(check(s, l))
        const inSel = LabelSelector.compile({ matchExpressions: [extra] })
        const notInSel = LabelSelector.compile({ matchExpressions: [{ ...extra, operator: "NotIn" }] })
        if (inSel._tag === "Valid") {
          assert.strictEqual(LabelSelector.matches(notInSel, l), !LabelSelector.matches(inSel, l))
        }
      })
    )
  })
})
