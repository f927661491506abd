import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Result } from "effect"
import { createPrivateKey, generateKeyPairSync } from "node:crypto"
import * as CertificateAuthority from "./CertificateAuthority.ts"
import type { CertData } from "./CertSecret.ts"
import * as Renewal from "./Renewal.ts"
import * as ServerCertificate from "./ServerCertificate.ts"
import * as WebhookIdentity from "./WebhookIdentity.ts"

const names = Result.getOrThrow(
  WebhookIdentity.serverNames({ namespace: "dynatrace", extraIpAddresses: ["127.0.0.1"] })
)
const threshold = Duration.hours(12)
const day = 86_400_000
const hour = 3_600_000
const t0 = Date.UTC(2026, 0, 1)

const makeCa = (now: number, validity = Duration.days(365)) =>
  CertificateAuthority.create({ commonName: names.commonName, now, validity })

const makeServer = (
  ca: CertificateAuthority.IssuedCa,
  now: number,
  serverNames: WebhookIdentity.ServerNames = names,
  validity = Duration.days(7)
) =>
  ServerCertificate.create({
    ca: { certificate: ca.certificate, signingKey: ca.signingKey },
    names: serverNames,
    now,
    validity
  })

/** A consistent Secret: CA issued at `caAt`, server certificate issued at `serverAt`. */
const secret = (caAt = t0, serverAt = caAt, caValidity = Duration.days(365)) =>
  Effect.gen(function* () {
    const ca = yield* makeCa(caAt, caValidity)
    const server = yield* makeServer(ca, serverAt)
    const data: CertData = {
      caCert: ca.certificate,
      caKey: ca.privateKey,
      serverCert: server.certificate,
      serverKey: server.privateKey
    }
    return { ca, server, data }
  })

const decide = (data: CertData, now: number, serverNames: WebhookIdentity.ServerNames = names) =>
  Renewal.decide({ data, now, renewalThreshold: threshold, names: serverNames })

const reasonOf = (decision: Renewal.RenewalDecision) => (decision._tag === "Keep" ? "Keep" : decision.reason)

/** SEC1 DER under the given PEM label (the original operator writes it under "PRIVATE KEY"). */
const asSec1 = (pkcs8Pem: string, label: string) => {
  const der = createPrivateKey(pkcs8Pem).export({ type: "sec1", format: "der" })
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n")
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
}

describe("Renewal.decide", () => {
  it.effect("keeps a fresh, consistent Secret and reports both expiries", () =>
    Effect.gen(function* () {
      const { ca, server, data } = yield* secret()
      const decision = decide(data, t0 + hour)
      assert.strictEqual(decision._tag, "Keep")
      if (decision._tag === "Keep") {
        assert.deepStrictEqual(decision.caNotAfter, ca.notAfter)
        assert.deepStrictEqual(decision.serverNotAfter, server.notAfter)
      }
    })
  )

  it.effect("regenerates everything when the CA is missing, broken, not a CA or not matching its key", () =>
    Effect.gen(function* () {
      const { server, data } = yield* secret()
      const other = yield* secret()
      const now = t0 + hour
      assert.strictEqual(reasonOf(decide({}, now)), "CaMissing")
      assert.strictEqual(reasonOf(decide({ ...data, caKey: undefined }, now)), "CaMissing")
      assert.strictEqual(reasonOf(decide({ ...data, caCert: "garbage" }, now)), "CaCertificateInvalid")
      assert.strictEqual(
        reasonOf(decide({ ...data, caCert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }, now)),
        "CaCertificateInvalid"
      )
      // A leaf where the CA should be.
      const leaf = decide({ ...data, caCert: server.certificate, caKey: server.privateKey }, now)
      assert.strictEqual(reasonOf(leaf), "CaCertificateInvalid")
      assert.strictEqual(leaf._tag === "RegenerateAll" ? leaf.message : "", "The CA certificate is not a CA")
      assert.strictEqual(
        reasonOf(decide({ ...data, caKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" }, now)),
        "CaKeyInvalid"
      )
      assert.strictEqual(reasonOf(decide({ ...data, caKey: other.data.caKey }, now)), "CaKeyInvalid")
      // The CA must be ECDSA P-256: an RSA key (even a valid one) is replaced.
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
        type: "pkcs8",
        format: "pem"
      })
      const notP256 = decide({ ...data, caKey: rsa.toString() }, now)
      assert.strictEqual(reasonOf(notP256), "CaKeyInvalid")
      assert.strictEqual(
        notP256._tag === "RegenerateAll" ? notP256.message : "",
        "The CA key is not an ECDSA P-256 key"
      )
    })
  )

  it.effect(
    "regenerates everything when the CA is not yet valid, expiring or expired; kept at exactly the threshold",
    () =>
      Effect.gen(function* () {
        // CA valid 30 days; the server certificate issued on day 29 ends with the CA (it never outlives it).
        const { ca, data } = yield* secret(t0, t0 + 29 * day, Duration.days(30))
        const boundary = ca.notAfter.getTime() - 12 * hour
        assert.strictEqual(reasonOf(decide(data, t0 - 1)), "CaNotYetValid")
        assert.strictEqual(reasonOf(decide(data, boundary)), "Keep")
        assert.strictEqual(reasonOf(decide(data, boundary + 1)), "CaExpiring")
        const expired = decide(data, ca.notAfter.getTime() + 1)
        assert.strictEqual(reasonOf(expired), "CaExpiring")
        assert.include(expired._tag === "RegenerateAll" ? expired.message : "", "expired at 2026-01-31T00:00:00.000Z")
      })
  )

  it.effect("renews only the server certificate when it is missing, broken, foreign or for other names", () =>
    Effect.gen(function* () {
      const { ca, data } = yield* secret()
      const other = yield* secret()
      const now = t0 + hour
      assert.strictEqual(reasonOf(decide({ ...data, serverCert: undefined }, now)), "ServerMissing")
      assert.strictEqual(reasonOf(decide({ ...data, serverKey: undefined }, now)), "ServerMissing")
      assert.strictEqual(
        reasonOf(decide({ ...data, serverCert: "not a certificate" }, now)),
        "ServerCertificateInvalid"
      )
      assert.strictEqual(reasonOf(decide({ ...data, serverKey: "not a key" }, now)), "ServerKeyInvalid")
      assert.strictEqual(reasonOf(decide({ ...data, serverKey: other.data.serverKey }, now)), "ServerKeyInvalid")
      // The original's key format (SEC1 under "PRIVATE KEY") cannot be loaded by Node's TLS: renew.
      assert.strictEqual(
        reasonOf(decide({ ...data, serverKey: asSec1(data.serverKey ?? "", "PRIVATE KEY") }, now)),
        "ServerKeyInvalid"
      )
      // Correctly labelled SEC1 is fine.
      assert.strictEqual(
        reasonOf(decide({ ...data, serverKey: asSec1(data.serverKey ?? "", "EC PRIVATE KEY") }, now)),
        "Keep"
      )
      assert.strictEqual(
        reasonOf(decide({ ...data, serverCert: other.data.serverCert, serverKey: other.data.serverKey }, now)),
        "ServerNotIssuedByCa"
      )
      const elsewhere = Result.getOrThrow(
        WebhookIdentity.serverNames({ namespace: "elsewhere", extraIpAddresses: ["127.0.0.1"] })
      )
      assert.strictEqual(reasonOf(decide(data, now, elsewhere)), "ServerNamesChanged")
      const moreIps = Result.getOrThrow(
        WebhookIdentity.serverNames({ namespace: "dynatrace", extraIpAddresses: ["127.0.0.1", "::1"] })
      )
      assert.strictEqual(reasonOf(decide(data, now, moreIps)), "ServerNamesChanged")
      // Same names in another order are the same names.
      assert.strictEqual(reasonOf(decide(data, now, { ...names, dnsNames: names.dnsNames.toReversed() })), "Keep")
      const future = yield* makeServer(ca, t0 + 2 * day)
      assert.strictEqual(
        reasonOf(decide({ ...data, serverCert: future.certificate, serverKey: future.privateKey }, t0 + day)),
        "ServerNotYetValid"
      )
    })
  )

  it.effect("renews the server certificate when less than the threshold is left; kept at exactly the threshold", () =>
    Effect.gen(function* () {
      const { server, data } = yield* secret()
      const boundary = server.notAfter.getTime() - 12 * hour
      assert.strictEqual(boundary, t0 + 7 * day - 12 * hour)
      assert.strictEqual(reasonOf(decide(data, boundary)), "Keep")
      const expiring = decide(data, boundary + 1)
      assert.strictEqual(reasonOf(expiring), "ServerExpiring")
      assert.strictEqual(
        expiring._tag === "RenewServer" ? expiring.message : "",
        "The server certificate expires at 2026-01-08T00:00:00.000Z"
      )
      assert.strictEqual(reasonOf(decide(data, server.notAfter.getTime() + day)), "ServerExpiring")
    })
  )

  it.effect("checks the CA before the server certificate", () =>
    Effect.gen(function* () {
      const { data } = yield* secret()
      assert.strictEqual(reasonOf(decide({ ...data, caCert: "x", serverCert: "y" }, t0 + hour)), "CaCertificateInvalid")
    })
  )

  it.effect("accepts a CA key in the original operator's format (SEC1 DER under PRIVATE KEY)", () =>
    Effect.gen(function* () {
      const { data } = yield* secret()
      const decision = decide({ ...data, caKey: asSec1(data.caKey ?? "", "PRIVATE KEY") }, t0 + hour)
      assert.strictEqual(decision._tag, "Keep")
    })
  )
})
