import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import * as Auth from "./Auth.ts"

const classic = Redacted.make("dt0c01.AAAAAAAAAAAAAAAAAAAAAAAA.BBBB")
const paas = Redacted.make("dt0c01.PAASPAASPAASPAASPAASPAAS.CCCC")
const platform = Redacted.make("dt0s16.PLATFORMPLATFORMPLATFORM.DDDD")

describe("Auth", () => {
  it("uses Api-Token for classic and platform tokens alike (spec §6.1)", () => {
    assert.strictEqual(Redacted.value(Auth.authorization(classic)), `Api-Token ${Redacted.value(classic)}`)
    assert.strictEqual(Redacted.value(Auth.authorization(platform)), `Api-Token ${Redacted.value(platform)}`)
    assert.strictEqual(String(Auth.authorization(classic)), "<redacted>")
  })

  it("picks the PaaS token: paasToken unless absent or the API token is a platform token", () => {
    assert.strictEqual(Auth.effectivePaasToken({ apiToken: classic, paasToken: paas }), paas)
    assert.strictEqual(Auth.effectivePaasToken({ apiToken: classic }), classic)
    assert.strictEqual(Auth.effectivePaasToken({ apiToken: platform, paasToken: paas }), platform)
    assert.isTrue(Auth.isPlatformToken(platform))
    assert.isFalse(Auth.isPlatformToken(classic))
    assert.strictEqual(Auth.tokenInSlot({ apiToken: classic }, "dataIngestToken"), undefined)
  })

  it("names the slots whose value cannot go into a header, never the values", () => {
    assert.deepStrictEqual(Auth.invalidTokenSlots({ apiToken: classic, paasToken: paas }), [])
    assert.deepStrictEqual(
      Auth.invalidTokenSlots({
        apiToken: Redacted.make(" dt0c01.X"),
        paasToken: Redacted.make("dt0c01.X\n"),
        dataIngestToken: Redacted.make("")
      }),
      ["apiToken", "paasToken", "dataIngestToken"]
    )
  })

  it("scrubs secrets, also percent-encoded, from text", () => {
    const password = Redacted.make("p@ss word")
    assert.strictEqual(
      Auth.scrub(`token ${Redacted.value(classic)} and p%40ss%20word and p@ss word`, [classic, password]),
      "token <redacted> and <redacted> and <redacted>"
    )
  })
})
