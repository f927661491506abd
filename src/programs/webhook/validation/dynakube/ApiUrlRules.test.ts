import { describe, expect, it } from "@effect/vitest"
import { context, dynakube, messagesOf, spec, updateContext } from "../ValidationFixtures.ts"
import * as A from "./ApiUrlRules.ts"

const withUrl = (apiUrl: string) => dynakube(spec({ apiUrl }))

describe("API URL rules", () => {
  it.each([
    ["https://abc12345.live.dynatrace.com/api", [], []],
    ["", [A.messages.noApiUrl], [A.messages.invalidApiUrl]],
    [A.exampleApiUrl, [A.messages.noApiUrl], []],
    ["https://abc12345.live.dynatrace.com", [], [A.messages.invalidApiUrl]],
    ["https://abc12345.live.dynatrace.com/api/", [], [A.messages.invalidApiUrl]],
    ["https://managed.example.com/e/abc/api", [], []],
    ["https://abc12345.apps.dynatrace.com", [], []],
    ["https://abc12345.apps.dynatrace.com/ui", [], []],
    ["https://.../api", [], [A.messages.invalidApiUrl]],
    ["https:///api", [], [A.messages.invalidApiUrl]],
    ["https://abc 123.live.dynatrace.com/api", [], [A.messages.invalidApiUrl]],
    ["://abc/api", [], [A.messages.invalidApiUrl]]
  ])("%s", (apiUrl, noUrl, invalid) => {
    const ctx = context(withUrl(apiUrl))
    expect(messagesOf(A.noApiUrl, ctx)).toEqual(noUrl)
    expect(messagesOf(A.invalidApiUrl, ctx)).toEqual(invalid)
  })

  it.each([
    ["https://abc.live.dynatrace.com/api", "https://abc.live.dynatrace.com/api", []],
    ["https://abc.live.dynatrace.com/api", "https://abc.apps.dynatrace.com", []],
    ["https://abc.live.dynatrace.com/api", "http://abc.other.example.com:8080/api", []],
    ["https://abc.live.dynatrace.com/api", "https://xyz.live.dynatrace.com/api", [A.messages.mutatedApiUrl]]
  ])("update %s -> %s", (before, after, expected) => {
    expect(messagesOf(A.mutatedApiUrl, updateContext(withUrl(before), withUrl(after)))).toEqual(expected)
  })

  it.each([
    ["https://abc.apps.dynatrace.com", "https://abc.live.dynatrace.com/api"],
    ["https://abc.dev.apps.dynatracelabs.com/ui", "https://abc.dev.dynatracelabs.com/api"],
    ["https://abc.apps.dynatrace.com:8443/x?y=1", "https://abc.live.dynatrace.com:8443/api?y=1"],
    ["https://abc.live.dynatrace.com/api", "https://abc.live.dynatrace.com/api"]
  ])("toSecondGen(%s) = %s", (input, output) => {
    expect(A.toSecondGen(input)).toBe(output)
  })
})
