import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { CaBundle, CertDurations, Certs, type CertSecret } from "../../services/Certs.ts"
import * as Check from "./Check.ts"
import { crd, entry, webhookFacts } from "./TestFacts.ts"
import * as WebhookChecks from "./WebhookChecks.ts"

const issued = Date.UTC(2026, 5, 1, 12, 0)
const hour = 3_600_000
const day = 24 * hour

/** Real certificates from the certificate service, issued at `issued`. */
const generate = (namespace = "dynatrace") =>
  Effect.gen(function* () {
    yield* TestClock.setTime(issued)
    const certs = yield* Certs
    return yield* certs.generate({ namespace })
  }).pipe(Effect.provide(Certs.layerWith(CertDurations.defaults)))

/** Webhook facts whose configurations and CRD carry the bundle of `certs`, checked at `now`. */
const consistent = (certs: CertSecret.WebhookCertificates, now: number, certData: CertSecret.CertData = certs) => {
  const bundle = CaBundle.base64(certs)
  return webhookFacts((f) => ({
    ...f,
    now,
    certSecret: Check.found(certData),
    mutating: Check.found([entry("webhook.pod.dynatrace.com", bundle), entry("webhook.ns.dynatrace.com", bundle)]),
    validating: Check.found([entry("v1beta6.dynakube.webhook.dynatrace.com", bundle)]),
    dynakubeCrd: Check.found(
      crd("dynakubes.dynatrace.com", ["v1beta5", "v1beta6"], "v1beta6", {
        conversionStrategy: "Webhook",
        conversionService: "dynatrace/dynatrace-webhook",
        conversionCaBundle: bundle
      })
    )
  }))
}

describe("WebhookChecks", () => {
  it.effect("fresh certificates with matching caBundles pass every webhook check", () =>
    Effect.gen(function* () {
      const certs = yield* generate()
      const verdicts = WebhookChecks.all(consistent(certs, issued + hour))
      expect(verdicts.map((v) => [v.id, v.status])).toEqual([
        ["webhook-deployment", "pass"],
        ["webhook-endpoints", "pass"],
        ["mutating-webhook-configuration", "pass"],
        ["validating-webhook-configuration", "pass"],
        ["crd-conversion", "pass"],
        ["webhook-certificate", "pass"],
        ["webhook-ca-bundle", "pass"]
      ])
      expect(verdicts.find((v) => v.id === "webhook-ca-bundle")?.message).toBe(
        "All 4 caBundles match the CA in dynatrace-webhook-certs."
      )
    })
  )

  it.effect("an expired server certificate fails; one inside the renewal threshold warns", () =>
    Effect.gen(function* () {
      const certs = yield* generate()
      // The server certificate lives 7 days; the threshold is 12 h.
      const expired = WebhookChecks.certificate(consistent(certs, issued + 8 * day))
      expect(expired).toMatchObject({
        status: "fail",
        message: expect.stringContaining("The server certificate expired at")
      })
      const soon = WebhookChecks.certificate(consistent(certs, issued + 7 * day - 2 * hour))
      expect(soon).toMatchObject({ status: "warn", message: expect.stringContaining("renewal is due") })
    })
  )

  it.effect("an expired CA fails", () =>
    Effect.gen(function* () {
      const certs = yield* generate()
      const v = WebhookChecks.certificate(consistent(certs, issued + 400 * day))
      expect(v).toMatchObject({ status: "fail", message: expect.stringContaining("The CA certificate expired at") })
    })
  )

  it.effect("a certificate not yet valid, a foreign server certificate and a broken CA fail", () =>
    Effect.gen(function* () {
      const certs = yield* generate()
      const other = yield* generate()
      expect(WebhookChecks.certificate(consistent(certs, issued - day)).message).toContain("not valid before")
      const foreign = WebhookChecks.certificate(
        consistent(certs, issued + hour, { ...certs, serverCert: other.serverCert, serverKey: other.serverKey })
      )
      expect(foreign).toMatchObject({ status: "fail", message: expect.stringContaining("not signed by the CA") })
      const broken = WebhookChecks.certificate(consistent(certs, issued + hour, { ...certs, caCert: "garbage" }))
      expect(broken).toMatchObject({ status: "fail", message: expect.stringContaining("cannot be parsed") })
      const noCa = WebhookChecks.certificate(consistent(certs, issued + hour, { serverCert: certs.serverCert }))
      expect(noCa.message).toContain("holds no CA")
    })
  )

  it.effect("a server certificate for another namespace does not name this Service", () =>
    Effect.gen(function* () {
      const certs = yield* generate("elsewhere")
      const v = WebhookChecks.certificate(consistent(certs, issued + hour))
      expect(v).toMatchObject({
        status: "fail",
        message: expect.stringContaining("does not name dynatrace-webhook.dynatrace")
      })
    })
  )

  it.effect("a caBundle that differs from the Secret's CA fails and names where", () =>
    Effect.gen(function* () {
      const certs = yield* generate()
      const other = yield* generate()
      const facts = consistent(certs, issued + hour)
      const stale = {
        ...facts,
        validating: Check.found([entry("v1beta6.dynakube.webhook.dynatrace.com", CaBundle.base64(other))])
      }
      const v = WebhookChecks.caBundle(stale)
      expect(v.status).toBe("fail")
      expect(v.message).toContain(
        "ValidatingWebhookConfiguration dynatrace-webhook (v1beta6.dynakube.webhook.dynatrace.com)"
      )
      expect(v.message).not.toContain("MutatingWebhookConfiguration")
    })
  )

  it("a missing certificate Secret fails and skips the bundle comparison", () => {
    const facts = webhookFacts()
    expect(WebhookChecks.certificate(facts)).toMatchObject({
      status: "fail",
      message: expect.stringContaining("does not exist")
    })
    expect(WebhookChecks.caBundle(facts).status).toBe("skip")
  })

  it("reachability: no Service, no ready endpoint, no available pod", () => {
    expect(WebhookChecks.endpoints(webhookFacts((f) => ({ ...f, service: Check.notFound }))).status).toBe("fail")
    const noReady = WebhookChecks.endpoints(
      webhookFacts((f) => ({ ...f, endpoints: Check.found({ ready: 0, total: 2 }) }))
    )
    expect(noReady).toMatchObject({
      status: "fail",
      message: expect.stringContaining("no ready endpoint (2 in total)")
    })
    expect(WebhookChecks.endpoints(webhookFacts((f) => ({ ...f, endpoints: Check.notFound }))).status).toBe("fail")
    const down = webhookFacts((f) => ({
      ...f,
      deployment: Check.found({ replicas: 2, available: 0, versionLabel: undefined, image: undefined })
    }))
    expect(WebhookChecks.deployment(down).status).toBe("fail")
    const half = webhookFacts((f) => ({
      ...f,
      deployment: Check.found({ replicas: 2, available: 1, versionLabel: undefined, image: undefined })
    }))
    expect(WebhookChecks.deployment(half).status).toBe("warn")
  })

  it("configurations: missing, an entry without caBundle, an entry calling another Service", () => {
    expect(WebhookChecks.mutatingConfiguration(webhookFacts((f) => ({ ...f, mutating: Check.notFound }))).status).toBe(
      "fail"
    )
    const noBundle = webhookFacts((f) => ({
      ...f,
      mutating: Check.found([entry("webhook.pod.dynatrace.com", undefined)])
    }))
    expect(WebhookChecks.mutatingConfiguration(noBundle).message).toBe(
      "MutatingWebhookConfiguration dynatrace-webhook has no caBundle in webhook.pod.dynatrace.com."
    )
    const elsewhere = webhookFacts((f) => ({
      ...f,
      validating: Check.found([entry("v1beta6.dynakube.webhook.dynatrace.com", "Y2E=", "other/dynatrace-webhook")])
    }))
    expect(WebhookChecks.validatingConfiguration(elsewhere)).toMatchObject({
      status: "fail",
      message: expect.stringContaining("calls other/dynatrace-webhook")
    })
  })

  it("CRD conversion: None warns, Webhook without caBundle or to another Service fails", () => {
    const none = webhookFacts((f) => ({
      ...f,
      dynakubeCrd: Check.found(crd("dynakubes.dynatrace.com", ["v1beta6"], "v1beta6"))
    }))
    expect(WebhookChecks.crdConversion(none).status).toBe("warn")
    const noBundle = webhookFacts((f) => ({
      ...f,
      dynakubeCrd: Check.found(
        crd("dynakubes.dynatrace.com", ["v1beta6"], "v1beta6", {
          conversionStrategy: "Webhook",
          conversionService: "dynatrace/dynatrace-webhook"
        })
      )
    }))
    expect(WebhookChecks.crdConversion(noBundle).message).toContain("no caBundle")
    const other = webhookFacts((f) => ({
      ...f,
      dynakubeCrd: Check.found(
        crd("dynakubes.dynatrace.com", ["v1beta6"], "v1beta6", {
          conversionStrategy: "Webhook",
          conversionService: "x/y",
          conversionCaBundle: "Y2E="
        })
      )
    }))
    expect(WebhookChecks.crdConversion(other).message).toContain("converts through x/y")
  })
})
