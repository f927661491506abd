import { describe, expect, it } from "@effect/vitest"
import * as GoPath from "./GoPath.ts"

describe("GoPath", () => {
  it.each([
    ["", "."],
    ["/", "/"],
    ["/a//b/./c/..", "/a/b"],
    ["/../x", "/x"],
    ["a/../../b", "../b"],
    ["./", "."]
  ])("clean(%s) = %s", (path, cleaned) => {
    expect(GoPath.clean(path)).toBe(cleaned)
  })

  it.each([
    ["/tmp", "/tmp", "."],
    ["/tmp", "/tmp/x", "x"],
    ["/tmp", "/tmpx", "../tmpx"],
    ["/tmp", "/", ".."],
    ["/var/ssl-certs/dynatrace", "/var/ssl-certs", ".."],
    ["/var/ssl-certs/dynatrace", "/var", "../.."],
    ["/a/b", "/c/d", "../../c/d"],
    ["/tmp", "relative", undefined],
    ["/tmp", "", undefined]
  ])("rel(%s, %s) = %s", (base, target, expected) => {
    expect(GoPath.rel(base, target)).toBe(expected)
  })
})
