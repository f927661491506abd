import { describe, expect, it } from "@effect/vitest"
import * as GoSemver from "./GoSemver.ts"

describe("GoSemver", () => {
  it.each([
    ["v1", true],
    ["v1.2", true],
    ["v1.2.3", true],
    ["v1.2.3-rc.1+build.5", true],
    ["v0.0.0", true],
    ["v1.2.3-20240101-000000", true],
    ["1.2.3", false],
    ["v01.2.3", false],
    ["v1.02.3", false],
    ["v1.2.3-01", false],
    ["v1.2-pre", false],
    ["v1.2.3.4", false],
    ["v1.2.3-", false],
    ["v", false]
  ])("isValid(%s) = %s", (version, valid) => {
    expect(GoSemver.isValid(version)).toBe(valid)
  })

  it.each([
    ["1.2.3.20240101-000000", true],
    ["1.2.3", true],
    ["", true],
    ["01.2.3.20240101-000000", false],
    ["1x2x3x20240101-000000", false]
  ])("isSemverConvertible(%s) = %s", (version, ok) => {
    expect(GoSemver.isSemverConvertible(version)).toBe(ok)
  })
})
