import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as EdgeConnectRules from "../edgeconnect/EdgeConnectRules.ts"
import * as DynaKubeRules from "./DynaKubeRules.ts"

const all = [
  ...DynaKubeRules.errors,
  ...DynaKubeRules.warnings,
  ...DynaKubeRules.updateErrors,
  ...EdgeConnectRules.errors
]

describe("the rule lists", () => {
  it("rule ids are unique", () => {
    const ids = all.map((r) => r.rule)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("error lists hold errors and the warning list warnings", () => {
    expect(DynaKubeRules.errors.every((r) => r.severity === "Error")).toBe(true)
    expect(DynaKubeRules.updateErrors.every((r) => r.severity === "Error")).toBe(true)
    expect(EdgeConnectRules.errors.every((r) => r.severity === "Error")).toBe(true)
    expect(DynaKubeRules.warnings.every((r) => r.severity === "Warning")).toBe(true)
  })

  it("have as many rules as the original (56 errors, 25 warnings, 1 update rule; 10 EdgeConnect rules)", () => {
    expect([
      DynaKubeRules.errors.length,
      DynaKubeRules.warnings.length,
      DynaKubeRules.updateErrors.length,
      EdgeConnectRules.errors.length
    ]).toEqual([56, 25, 1, 10])
  })

  it("docs/validation.md documents every rule id", () => {
    const docs = readFileSync(join(import.meta.dirname, "../../../../../docs/validation.md"), "utf8")
    const missing = all.map((r) => r.rule).filter((id) => !docs.includes(`\`${id}\``))
    expect(missing).toEqual([])
  })
})
