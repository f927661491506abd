import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import * as TenantClients from "./TenantClients.ts"

describe("TenantClients", () => {
  const base = { apiUrl: "https://abc.live.dynatrace.com/api", apiToken: Redacted.make("dt0c01.A.B") }

  it("the fingerprint sees token values (a rotated token rebuilds the client), not key order", () => {
    const a = TenantClients.fingerprint(base)
    assert.strictEqual(a, TenantClients.fingerprint({ apiToken: Redacted.make("dt0c01.A.B"), apiUrl: base.apiUrl }))
    assert.notStrictEqual(a, TenantClients.fingerprint({ ...base, apiToken: Redacted.make("dt0c01.A.C") }))
    assert.notStrictEqual(a, TenantClients.fingerprint({ ...base, proxy: Redacted.make("http://p:1") }))
    assert.notStrictEqual(a, TenantClients.fingerprint({ ...base, requestThresholdMinutes: 0 }))
  })

  it("the fingerprint is a digest: no token text in it", () => {
    const print = TenantClients.fingerprint(base)
    assert.match(print, /^[0-9a-f]{64}$/)
    assert.notInclude(print, "dt0c01")
  })
})
