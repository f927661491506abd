import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { clusterReads, context, dynakube, messagesOf, spec } from "../ValidationFixtures.ts"
import * as T from "./TokenRules.ts"

describe("token rules", () => {
  it("the token Secret is spec.tokens or the DynaKube's name", () => {
    expect(T.secretName(undefined, "dk")).toBe("dk")
    expect(T.secretName("", "dk")).toBe("dk")
    expect(T.secretName("tokens", "dk")).toBe("tokens")
  })

  it("a platform token starts with dt0s16; an unreadable Secret is no platform token", () => {
    const reads = clusterReads({ secrets: { dk: { apiToken: "dt0s16.ABC.DEF" }, other: { apiToken: "dt0c01.X" } } })
    expect(Effect.runSync(T.readPlatformToken(reads.secret, undefined, "dk"))).toBe(true)
    expect(Effect.runSync(T.readPlatformToken(reads.secret, "other", "dk"))).toBe(false)
    expect(Effect.runSync(T.readPlatformToken(reads.secret, "missing", "dk"))).toBe(false)
  })

  it.each([
    [{ apiToken: "dt0c01.X", paasToken: "dt0c01.P" }, [T.messages.paasTokenUsed]],
    [{ apiToken: "dt0s16.X", paasToken: "dt0c01.P" }, [T.messages.paasTokenIgnored]],
    [{ apiToken: "dt0c01.X", paasToken: "" }, []],
    [{ apiToken: "dt0c01.X" }, []]
  ])("paasToken warning for %j", (data, expected) => {
    expect(
      messagesOf(T.deprecatedPaasToken, context(dynakube(spec({ tokens: "t" })), { cluster: { secrets: { t: data } } }))
    ).toEqual(expected)
  })

  it("no Secret, no warning", () => {
    expect(messagesOf(T.deprecatedPaasToken, context(dynakube()))).toEqual([])
  })
})
