import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import * as ConnectionInfo from "./ConnectionInfo.ts"

describe("ConnectionInfo", () => {
  it("trims, de-duplicates and joins OneAgent endpoints with ';' in tenant order", () => {
    const info = ConnectionInfo.fromOneAgent({
      tenantUUID: " abc ",
      tenantToken: Redacted.make("t"),
      communicationEndpoints: [" https://b/communication", "https://a/communication", "https://b/communication ", ""]
    })
    assert.strictEqual(info.tenantUUID, "abc")
    assert.deepStrictEqual(info.communicationEndpoints, ["https://b/communication", "https://a/communication"])
    assert.strictEqual(info.endpoints, "https://b/communication;https://a/communication")
    assert.isFalse(ConnectionInfo.isEmpty(info))
  })

  it("splits the ActiveGate endpoint string", () => {
    const info = ConnectionInfo.fromActiveGate({
      tenantUUID: "abc",
      tenantToken: Redacted.make("t"),
      communicationEndpoints: "https://x;https://y;"
    })
    assert.deepStrictEqual(info.communicationEndpoints, ["https://x", "https://y"])
  })

  it("is empty without tenant UUID, token or endpoints", () => {
    assert.isTrue(ConnectionInfo.isEmpty(ConnectionInfo.empty))
    assert.isTrue(
      ConnectionInfo.isEmpty(ConnectionInfo.fromOneAgent({ tenantUUID: "abc", communicationEndpoints: ["https://x"] }))
    )
    assert.isTrue(
      ConnectionInfo.isEmpty(
        ConnectionInfo.fromOneAgent({
          tenantUUID: "abc",
          tenantToken: Redacted.make("t"),
          communicationEndpoints: null
        })
      )
    )
  })
})
