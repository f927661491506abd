import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import * as WebhookIdentity from "./WebhookIdentity.ts"

describe("WebhookIdentity", () => {
  it("names the webhook Service in the namespace, plus extra names without duplicates", () => {
    const names = Result.getOrThrow(
      WebhookIdentity.serverNames({
        namespace: "dynatrace",
        extraDnsNames: ["Webhook.Example.com", "dynatrace-webhook.dynatrace.svc"],
        extraIpAddresses: ["127.0.0.1", "0:0:0:0:0:0:0:1", "::1"]
      })
    )
    assert.deepStrictEqual(names, {
      commonName: "dynatrace-webhook.dynatrace",
      dnsNames: [
        "dynatrace-webhook.dynatrace",
        "dynatrace-webhook.dynatrace.svc",
        "dynatrace-webhook.dynatrace.svc.cluster.local",
        "webhook.example.com"
      ],
      ipAddresses: ["127.0.0.1", "::1"]
    })
  })

  it("rejects namespaces, DNS names and IPs that cannot be in a certificate", () => {
    for (const identity of [
      { namespace: "" },
      { namespace: "UPPER" },
      { namespace: "a".repeat(64) },
      { namespace: "-leading" },
      { namespace: "ok", extraDnsNames: ["under_score.example"] },
      { namespace: "ok", extraDnsNames: [""] },
      { namespace: "ok", extraIpAddresses: ["localhost"] },
      { namespace: "ok", extraIpAddresses: ["1.2.3"] }
    ]) {
      const result = WebhookIdentity.serverNames(identity)
      assert.isTrue(Result.isFailure(result), JSON.stringify(identity))
      if (Result.isFailure(result)) assert.strictEqual(result.failure.reason._tag, "InvalidIdentity")
    }
  })

  it("property: any string namespace gives names or a typed error, never a throw", () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string()), fc.array(fc.string()), (namespace, dns, ips) => {
        const result = WebhookIdentity.serverNames({ namespace, extraDnsNames: dns, extraIpAddresses: ips })
        return Result.isSuccess(result) || result.failure.reason._tag === "InvalidIdentity"
      })
    )
  })

  it("canonicalIp compresses IPv6 and keeps IPv4", () => {
    assert.strictEqual(WebhookIdentity.canonicalIp("0:0:0:0:0:0:0:1"), "::1")
    assert.strictEqual(WebhookIdentity.canonicalIp("FE80:0:0:0:0:0:0:1"), "fe80::1")
    assert.strictEqual(WebhookIdentity.canonicalIp("10.0.0.1"), "10.0.0.1")
    assert.isUndefined(WebhookIdentity.canonicalIp("10.0.0.256"))
  })
})
