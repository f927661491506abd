import { describe, expect, it } from "@effect/vitest"
import { context, dynakube, messagesOf, named, spec } from "../ValidationFixtures.ts"
import * as N from "./NameRules.ts"

describe("name rule", () => {
  it("limits follow the suffixes of derived objects", () => {
    expect([
      N.maxNameLength,
      N.maxNameLengthWithExtensions,
      N.maxNameLengthWithTelemetryIngest,
      N.maxNameLengthWithKspm
    ]).toEqual([40, 31, 37, 35])
  })

  it.each([
    ["dk", {}, []],
    ["a".repeat(40), {}, []],
    ["a".repeat(41), {}, [N.messages.tooLong(40, undefined)]],
    [
      "a".repeat(32),
      { extensions: { prometheus: {} } },
      [N.messages.tooLong(31, "With extensions, some objects need a shorter name.")]
    ],
    [
      "a".repeat(38),
      { telemetryIngest: {} },
      [N.messages.tooLong(37, "With OpenTelemetry collectors, some objects need a shorter name.")]
    ],
    [
      "a".repeat(36),
      { kspm: {}, extensions: { prometheus: {} } },
      [N.messages.tooLong(31, "With KSPM, some objects need a shorter name.")]
    ],
    ["Dk", {}, [N.messages.notDns1035]],
    ["1dk", {}, [N.messages.notDns1035]],
    ["dk.x", {}, [N.messages.notDns1035]]
  ] as const)("%s", (name, features, expected) => {
    expect(messagesOf(N.invalidName, context(dynakube(named(name), spec(features))))).toEqual(expected)
  })

  it("a generateName create (no name yet) is not checked", () => {
    expect(messagesOf(N.invalidName, context(dynakube(named(""))))).toEqual([])
  })
})
