import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Result } from "effect"
import { execFileSync, spawnSync } from "node:child_process"
import { X509Certificate } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as CertificateAuthority from "./CertificateAuthority.ts"
import * as EcdsaKey from "./EcdsaKey.ts"
import * as ServerCertificate from "./ServerCertificate.ts"
import * as WebhookIdentity from "./WebhookIdentity.ts"
import { x509 } from "./X509.ts"

const names = Result.getOrThrow(
  WebhookIdentity.serverNames({ namespace: "dynatrace", extraIpAddresses: ["127.0.0.1", "::1"] })
)

const issue = (now: number, caValidity = Duration.days(365), serverValidity = Duration.days(7)) =>
  Effect.gen(function* () {
    const ca = yield* CertificateAuthority.create({ commonName: names.commonName, now, validity: caValidity })
    const server = yield* ServerCertificate.create({
      ca: { certificate: ca.certificate, signingKey: ca.signingKey },
      names,
      now,
      validity: serverValidity
    })
    return { ca, server }
  })

const opensslAvailable = spawnSync("openssl", ["version"]).status === 0
if (!opensslAvailable) console.warn("ServerCertificate.test: openssl not found on PATH, skipping the openssl checks")

const openssl = (args: ReadonlyArray<string>) => {
  const run = spawnSync("openssl", args, { encoding: "utf8" })
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` }
}

describe("ServerCertificate", () => {
  it.effect("is signed by the CA, for the webhook service names and extra IPs, for server auth only", () =>
    Effect.gen(function* () {
      const now = Date.UTC(2026, 10, 24, 12, 0, 0)
      const { ca, server } = yield* issue(now)
      const caCert = new X509Certificate(ca.certificate)
      const cert = new X509Certificate(server.certificate)

      assert.isTrue(cert.checkIssued(caCert))
      assert.isTrue(cert.verify(caCert.publicKey))
      assert.isFalse(cert.ca)
      assert.strictEqual(cert.subject, caCert.subject)
      assert.strictEqual(cert.issuer, caCert.subject)
      assert.strictEqual(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1")
      assert.strictEqual(cert.signatureAlgorithm, "ecdsa-with-SHA256")
      assert.strictEqual(
        cert.subjectAltName,
        "DNS:dynatrace-webhook.dynatrace, DNS:dynatrace-webhook.dynatrace.svc, DNS:dynatrace-webhook.dynatrace.svc.cluster.local, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
      )
      assert.strictEqual(cert.checkHost("dynatrace-webhook.dynatrace.svc"), "dynatrace-webhook.dynatrace.svc")
      assert.isUndefined(cert.checkHost("dynatrace-webhook.other.svc"))
      assert.strictEqual(cert.checkIP("127.0.0.1"), "127.0.0.1")
      assert.isUndefined(cert.checkIP("10.0.0.1"))
      // Node lists the extended key usages here: TLS server authentication only.
      assert.deepStrictEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1"])
      assert.strictEqual(cert.validFromDate.getTime(), now)
      assert.strictEqual(cert.validToDate.getTime(), now + Duration.toMillis(Duration.days(7)))

      const parsed = new x509.X509Certificate(server.certificate)
      const constraints = parsed.getExtension(x509.BasicConstraintsExtension)
      assert.isTrue(constraints?.ca === false && constraints.critical)
      const usages = parsed.getExtension(x509.KeyUsagesExtension)
      assert.isTrue(usages?.critical && usages.usages === x509.KeyUsageFlags.digitalSignature)
      const caKeyId = new x509.X509Certificate(ca.certificate).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId
      assert.strictEqual(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId)

      const key = EcdsaKey.fromPem(server.privateKey)
      assert.isTrue(key !== undefined && cert.checkPrivateKey(key))
    })
  )

  it.effect("never outlives its CA", () =>
    Effect.gen(function* () {
      const now = Date.UTC(2026, 0, 1)
      const { ca, server } = yield* issue(now, Duration.days(2), Duration.days(7))
      assert.strictEqual(server.notAfter.getTime(), ca.notAfter.getTime())
      assert.strictEqual(new X509Certificate(server.certificate).validToDate.getTime(), ca.notAfter.getTime())
    })
  )

  it.effect.skipIf(!opensslAvailable)(
    "(needs openssl) openssl verifies the chain for sslserver, the hostnames and 127.0.0.1",
    () =>
      Effect.gen(function* () {
        const { ca, server } = yield* issue(Date.now())
        const other = yield* issue(Date.now())
        const dir = mkdtempSync(join(tmpdir(), "certs-openssl-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        writeFileSync(join(dir, "ca.crt"), ca.certificate)
        writeFileSync(join(dir, "other-ca.crt"), other.ca.certificate)
        writeFileSync(join(dir, "tls.crt"), server.certificate)
        writeFileSync(join(dir, "tls.key"), server.privateKey)
        const verify = (...extra: Array<string>) =>
          openssl(["verify", "-CAfile", join(dir, "ca.crt"), "-purpose", "sslserver", ...extra, join(dir, "tls.crt")])

        for (const host of names.dnsNames) {
          const result = verify("-verify_hostname", host)
          assert.isTrue(result.ok, result.output)
        }
        assert.isTrue(verify("-verify_ip", "127.0.0.1").ok)
        const wrongHost = verify("-verify_hostname", "dynatrace-webhook.elsewhere.svc")
        assert.isFalse(wrongHost.ok)
        assert.include(wrongHost.output, "hostname mismatch")
        const wrongCa = openssl(["verify", "-CAfile", join(dir, "other-ca.crt"), join(dir, "tls.crt")])
        assert.isFalse(wrongCa.ok)
        assert.include(wrongCa.output, "unable to get local issuer certificate")
        // The key file is a valid PKCS#8 EC key that belongs to the certificate.
        assert.include(openssl(["pkey", "-in", join(dir, "tls.key"), "-check", "-noout"]).output, "Key is valid")
        const keyPub = execFileSync("openssl", ["pkey", "-in", join(dir, "tls.key"), "-pubout"], { encoding: "utf8" })
        const certPub = execFileSync("openssl", ["x509", "-in", join(dir, "tls.crt"), "-pubkey", "-noout"], {
          encoding: "utf8"
        })
        assert.strictEqual(keyPub, certPub)
        const text = openssl(["x509", "-in", join(dir, "tls.crt"), "-noout", "-text"]).output
        assert.include(text, "ASN1 OID: prime256v1")
        assert.include(text, "TLS Web Server Authentication")
        assert.include(text, "CA:FALSE")
      })
  )

  it.effect.skipIf(!opensslAvailable)(
    "(needs openssl) can be signed by a CA made elsewhere (openssl, UTF8String names)",
    () =>
      Effect.gen(function* () {
        const dir = mkdtempSync(join(tmpdir(), "certs-foreign-ca-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        const made = openssl([
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-days",
          "30",
          "-subj",
          "/O=Elsewhere/CN=foreign-ca",
          "-keyout",
          join(dir, "ca.key"),
          "-out",
          join(dir, "ca.crt")
        ])
        assert.isTrue(made.ok, made.output)
        const caKey = EcdsaKey.fromPem(readFileSync(join(dir, "ca.key"), "utf8"))
        assert.isDefined(caKey)
        if (caKey === undefined) return
        const server = yield* ServerCertificate.create({
          ca: { certificate: readFileSync(join(dir, "ca.crt"), "utf8"), signingKey: EcdsaKey.toSigningKey(caKey) },
          names,
          now: Date.now(),
          validity: Duration.days(7)
        })
        writeFileSync(join(dir, "tls.crt"), server.certificate)
        const result = openssl([
          "verify",
          "-CAfile",
          join(dir, "ca.crt"),
          "-purpose",
          "sslserver",
          join(dir, "tls.crt")
        ])
        assert.isTrue(result.ok, result.output)
      })
  )
})
