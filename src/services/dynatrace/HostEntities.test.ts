import { assert, describe, it } from "@effect/vitest"
import { entityIdForIp } from "./HostEntities.ts"

describe("entityIdForIp", () => {
  const hosts = [
    { entityId: "HOST-1", networkZoneId: "default", ipAddresses: ["10.0.0.1"] },
    { entityId: "HOST-2", networkZoneId: "eu", ipAddresses: ["10.0.0.1"] },
    { entityId: "HOST-3", ipAddresses: ["10.0.0.3"] }
  ]
  it("matches the IP inside the DynaKube's network zone (no zone = default)", () => {
    assert.strictEqual(entityIdForIp(hosts, "10.0.0.1", undefined), "HOST-1")
    assert.strictEqual(entityIdForIp(hosts, "10.0.0.1", "eu"), "HOST-2")
    assert.strictEqual(entityIdForIp(hosts, "10.0.0.3", ""), "HOST-3")
    assert.strictEqual(entityIdForIp(hosts, "10.0.0.3", "eu"), undefined)
  })
})
