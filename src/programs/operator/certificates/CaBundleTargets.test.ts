import { assert, describe, it } from "@effect/vitest"
import * as CaBundleTargets from "./CaBundleTargets.ts"

const current = "Y3VycmVudA=="
const matches = (value: string | undefined) => value === current
const webhookCrd = (caBundle?: string): CaBundleTargets.CustomResourceDefinition => ({
  spec: {
    conversion: {
      strategy: "Webhook",
      webhook: { clientConfig: caBundle === undefined ? {} : { caBundle } }
    }
  }
})

describe("CaBundleTargets", () => {
  it("patches exactly the webhook entries whose caBundle differs, each guarded by its name", () => {
    const configuration: CaBundleTargets.WebhookConfiguration = {
      webhooks: [
        { name: "webhook.pod.dynatrace.com", clientConfig: { caBundle: current } },
        { name: "webhook.ns.dynatrace.com", clientConfig: {} },
        { name: "webhook.dk.dynatrace.com", clientConfig: { caBundle: "b2xk" } }
      ]
    }
    assert.deepStrictEqual(CaBundleTargets.outdatedWebhooks(configuration, matches), [1, 2])
    assert.deepStrictEqual(CaBundleTargets.patchWebhooks(configuration, matches, current), [
      { op: "test", path: "/webhooks/1/name", value: "webhook.ns.dynatrace.com" },
      { op: "add", path: "/webhooks/1/clientConfig/caBundle", value: current },
      { op: "test", path: "/webhooks/2/name", value: "webhook.dk.dynatrace.com" },
      { op: "add", path: "/webhooks/2/clientConfig/caBundle", value: current }
    ])
  })

  it("no patch when every entry (or none) already holds the bundle", () => {
    assert.deepStrictEqual(
      CaBundleTargets.patchWebhooks(
        { webhooks: [{ name: "a", clientConfig: { caBundle: current } }] },
        matches,
        current
      ),
      []
    )
    assert.deepStrictEqual(CaBundleTargets.patchWebhooks({}, matches, current), [])
  })

  it("CRDs get the bundle only when they convert through a webhook", () => {
    assert.deepStrictEqual(CaBundleTargets.patchCrd(webhookCrd(), matches, current), [
      { op: "test", path: "/spec/conversion/strategy", value: "Webhook" },
      { op: "add", path: "/spec/conversion/webhook/clientConfig/caBundle", value: current }
    ])
    assert.deepStrictEqual(CaBundleTargets.patchCrd(webhookCrd(current), matches, current), [])
    assert.deepStrictEqual(
      CaBundleTargets.patchCrd({ spec: { conversion: { strategy: "None" } } }, matches, current),
      []
    )
    assert.isFalse(CaBundleTargets.usesConversionWebhook({ spec: { conversion: { strategy: "Webhook" } } }))
  })
})
