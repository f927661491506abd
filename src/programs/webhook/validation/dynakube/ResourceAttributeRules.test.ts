import { describe, expect, it } from "@effect/vitest"
import { context, dynakube, messagesOf, spec } from "../ValidationFixtures.ts"
import * as R from "./ResourceAttributeRules.ts"

const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]))

describe("resource attribute rules", () => {
  it.each([
    ["a.b/c", "a.b_c"],
    ["k8s.cluster.name", "k8s.cluster.name"],
    ["__x__", "x"],
    ["!!!", ""],
    ["é-x", "_-x".replace(/^[^a-zA-Z0-9]+/u, "")]
  ])("sanitizeKey(%s) = %s", (key, sanitized) => {
    expect(R.sanitizeKey(key)).toBe(sanitized)
  })

  it("syntax errors name the key or value", () => {
    const ctx = context(dynakube(spec({ resourceAttributes: { "bad key": "v", ok: "bad value" } })))
    const [message] = messagesOf(R.invalidGlobal, ctx)
    expect(message).toMatch(/^spec\.resourceAttributes has invalid entries: invalid key "bad key": /)
    expect(message).toContain('invalid value "bad value" for key "ok"')
    expect(
      messagesOf(R.invalidGlobal, context(dynakube(spec({ resourceAttributes: { "team.io/owner": "a" } }))))
    ).toEqual([])
  })

  it("OneAgent and OTLP sets are checked merged over the global ones, only when they add something", () => {
    const global = spec({ resourceAttributes: { "bad key": "v" } })
    expect(
      messagesOf(R.invalidOneAgent, context(dynakube(global, spec({ oneAgent: { applicationMonitoring: {} } }))))
    ).toEqual([])
    expect(
      messagesOf(
        R.invalidOneAgent,
        context(
          dynakube(global, spec({ oneAgent: { applicationMonitoring: { additionalResourceAttributes: { a: "b" } } } }))
        )
      )
    ).toEqual([
      expect.stringMatching(
        /^spec\.oneAgent\.\*\.additionalResourceAttributes has invalid entries: invalid key "bad key"/
      )
    ])
    expect(
      messagesOf(
        R.invalidOtlp,
        context(dynakube(spec({ otlpExporterConfiguration: { additionalResourceAttributes: { "x y": "1" } } })))
      )
    ).toEqual([
      expect.stringContaining(
        'spec.otlpExporterConfiguration.additionalResourceAttributes has invalid entries: invalid key "x y"'
      )
    ])
  })

  it("keys that sanitise to nothing, too long or to the same key are errors; renames are warnings", () => {
    const attrs = { "a/b": "1", a_b: "2", "!!": "3", [`x${"y".repeat(63)}`]: "4" }
    const ctx = context(dynakube(spec({ resourceAttributes: attrs })))
    expect(messagesOf(R.unusableGlobalKeys, ctx)).toEqual([
      `spec.resourceAttributes has invalid keys: key "!!" would be dropped: no valid characters remain after sanitising, keys "a/b" and "a_b" both sanitise to "a_b"; rename one of them, key "x${"y".repeat(63)}" sanitises to "x${"y".repeat(63)}", longer than the 63-character limit of annotation names`
    ])
    expect(messagesOf(R.renamedGlobalKeys, ctx)).toEqual([
      'spec.resourceAttributes has keys that will be renamed automatically: key "a/b" will be renamed to "a_b". Consider renaming them in the DynaKube to avoid confusion.'
    ])
  })

  it("more than 10 attributes is a warning", () => {
    expect(messagesOf(R.tooManyGlobal, context(dynakube(spec({ resourceAttributes: many(10) }))))).toEqual([])
    expect(messagesOf(R.tooManyGlobal, context(dynakube(spec({ resourceAttributes: many(11) }))))).toEqual([
      expect.stringMatching(/^The DynaKube defines 11 global resource attributes, more than the recommended 10\./)
    ])
    expect(
      messagesOf(
        R.tooManyOtlp,
        context(
          dynakube(
            spec({
              resourceAttributes: many(8),
              otlpExporterConfiguration: { additionalResourceAttributes: { z1: "1", z2: "2", z3: "3" } }
            })
          )
        )
      )
    ).toEqual([expect.stringContaining("defines 11 resource attributes for the OTLP exporter configuration")])
  })
})
