import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { X509Certificate } from "node:crypto"
import * as CertificateAuthority from "./CertificateAuthority.ts"
import * as EcdsaKey from "./EcdsaKey.ts"
import { x509 } from "./X509.ts"

const now = Date.UTC(2026, 10, 24, 12, 0, 0, 750)

describe("CertificateAuthority", () => {
  it.effect("creates a self-signed ECDSA P-256 CA with the original's subject, valid from now for the duration", () =>
    Effect.gen(function* () {
      const ca = yield* CertificateAuthority.create({
        commonName: "dynatrace-webhook.dynatrace",
        now,
        validity: Duration.days(365)
      })
      const cert = new X509Certificate(ca.certificate)
      assert.isTrue(cert.ca)
      assert.isTrue(cert.checkIssued(cert))
      assert.isTrue(cert.verify(cert.publicKey))
      assert.strictEqual(
        cert.subject,
        "C=AT\nST=UA\nL=Linz\nO=Dynatrace\nOU=OneAgent Webhook\nCN=dynatrace-webhook.dynatrace"
      )
      assert.strictEqual(cert.issuer, cert.subject)
      assert.strictEqual(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1")
      assert.strictEqual(cert.signatureAlgorithm, "ecdsa-with-SHA256")
      // Whole seconds: the 750 ms are dropped, and notAfter is exactly 365 days later.
      assert.strictEqual(cert.validFromDate.getTime(), Date.UTC(2026, 10, 24, 12, 0, 0))
      assert.strictEqual(
        cert.validToDate.getTime() - cert.validFromDate.getTime(),
        Duration.toMillis(Duration.days(365))
      )
      assert.deepStrictEqual(ca.notBefore, cert.validFromDate)
      assert.deepStrictEqual(ca.notAfter, cert.validToDate)

      const parsed = new x509.X509Certificate(ca.certificate)
      const constraints = parsed.getExtension(x509.BasicConstraintsExtension)
      assert.isTrue(constraints?.ca === true && constraints.critical && constraints.pathLength === 0)
      const usages = parsed.getExtension(x509.KeyUsagesExtension)
      assert.isTrue(usages?.critical)
      assert.strictEqual(
        usages?.usages,
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
      )
      assert.isNotNull(parsed.getExtension(x509.SubjectKeyIdentifierExtension))

      const key = EcdsaKey.fromPem(ca.privateKey)
      assert.isDefined(key)
      if (key !== undefined) {
        assert.isTrue(EcdsaKey.isP256(key))
        assert.isTrue(cert.checkPrivateKey(key))
      }
      assert.match(ca.privateKey, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/)
    })
  )

  it.effect("serials are positive, at most 128 bits, and differ between certificates", () =>
    Effect.gen(function* () {
      const serials = new Set<string>()
      for (let i = 0; i < 8; i++) {
        const ca = yield* CertificateAuthority.create({
          commonName: "dynatrace-webhook.x",
          now,
          validity: Duration.days(7)
        })
        const serial = new X509Certificate(ca.certificate).serialNumber
        // Node prints the INTEGER's content octets: a leading 00 only when the top bit would make it negative.
        const value = BigInt(`0x${serial}`)
        assert.isTrue(value > 0n && value < 2n ** 128n, serial)
        assert.isTrue(serial.length <= 32 || (serial.length === 34 && serial.startsWith("00")), serial)
        serials.add(serial)
      }
      assert.strictEqual(serials.size, 8)
    })
  )
})
