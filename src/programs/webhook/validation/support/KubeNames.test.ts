import { describe, expect, it } from "@effect/vitest"
import * as KubeNames from "./KubeNames.ts"

describe("KubeNames", () => {
  it.each([
    ["dynakube", true],
    ["a-1", true],
    ["1abc", false],
    ["abc-", false],
    ["Abc", false],
    ["a".repeat(63), true],
    ["a".repeat(64), false]
  ])("isDns1035Label(%s) = %s", (value, ok) => {
    expect(KubeNames.isDns1035Label(value)).toBe(ok)
  })

  it.each([
    ["app", true],
    ["app.kubernetes.io/name", true],
    ["k8s.cluster.name", true],
    ["a/b/c", false],
    ["/name", false],
    ["prefix/", false],
    ["-bad", false],
    ["UPPER.example.com/x", false],
    ["x".repeat(64), false],
    ["has space", false]
  ])("isQualifiedName(%s) = %s", (value, ok) => {
    expect(KubeNames.isQualifiedName(value)).toBe(ok)
  })

  it.each([
    ["", true],
    ["prod", true],
    ["v1.2_3-x", true],
    ["-x", false],
    ["a b", false],
    ["v".repeat(64), false]
  ])("isLabelValue(%s) = %s", (value, ok) => {
    expect(KubeNames.isLabelValue(value)).toBe(ok)
  })
})
