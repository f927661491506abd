import { describe, expect, it } from "@effect/vitest"
import * as ImageReference from "./ImageReference.ts"

const digest = `sha256:${"a".repeat(64)}`

describe("ImageReference.isValid", () => {
  it.each([
    "nginx",
    "nginx:1.25",
    "docker.io/dynatrace/dynatrace-operator:v1.0",
    "registry.example.com:5000/team/agent:1.2.3-raw",
    "localhost:5000/x/y",
    `quay.io/org/img@${digest}`,
    `quay.io/org/img:tag@${digest}`,
    "abc12345.live.dynatrace.com/linux/oneagent:1.300.0",
    // An empty tag is not checked (it means latest), as in go-containerregistry.
    "repo:"
  ])("accepts %s", (ref) => {
    expect(ImageReference.isValid(ref)).toBe(true)
  })

  it.each([
    "",
    "a",
    "Upper/Case",
    "repo:bad tag",
    `repo@sha256:${"a".repeat(63)}`,
    "repo@a@b",
    "registry.example.com:port/x",
    "has space/x",
    `repo:${"t".repeat(128)}`
  ])("refuses %s", (ref) => {
    expect(ImageReference.isValid(ref)).toBe(false)
  })
})
