import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as FeatureFlags from "./FeatureFlags.ts"

const key = FeatureFlags.ignoredNamespacesKey

describe("FeatureFlags", () => {
  it("parses booleans as Go's strconv.ParseBool, anything else is the default", () => {
    for (const yes of ["1", "t", "T", "TRUE", "true", "True"]) expect(FeatureFlags.parseBool(yes)).toBe(true)
    for (const no of ["0", "f", "F", "FALSE", "false", "False"]) expect(FeatureFlags.parseBool(no)).toBe(false)
    for (const other of ["yes", "tRUE", " true", "", undefined]) expect(FeatureFlags.parseBool(other)).toBeUndefined()
    expect(FeatureFlags.bool({ x: "nope" }, "x", true)).toBe(true)
    expect(FeatureFlags.bool(undefined, "x", false)).toBe(false)
  })

  it("reads ignored-namespaces as Go's json.Unmarshal into []string", () => {
    const defaults = FeatureFlags.defaultIgnoredNamespaces("dynatrace")
    expect(FeatureFlags.ignoredNamespacePatterns(undefined, "dynatrace")).toEqual(defaults)
    expect(FeatureFlags.ignoredNamespacePatterns({ [key]: "" }, "dynatrace")).toEqual(defaults)
    expect(FeatureFlags.ignoredNamespacePatterns({ [key]: "not json" }, "dynatrace")).toEqual(defaults)
    expect(FeatureFlags.ignoredNamespacePatterns({ [key]: "[1]" }, "dynatrace")).toEqual(defaults)
    expect(FeatureFlags.ignoredNamespacePatterns({ [key]: "null" }, "dynatrace")).toEqual([])
    expect(FeatureFlags.ignoredNamespacePatterns({ [key]: '["^team-a$"]' }, "dynatrace")).toEqual(["^team-a$"])
  })

  it("drops patterns that do not compile and keeps the rest", () => {
    expect(FeatureFlags.compilePatterns(["(", "^ok$"]).map(String)).toEqual(["/^ok$/"])
  })

  it("never throws, whatever the annotation holds", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const patterns = FeatureFlags.ignoredNamespacePatterns({ [key]: text }, "dynatrace")
        FeatureFlags.compilePatterns(patterns)
      })
    )
  })
})
