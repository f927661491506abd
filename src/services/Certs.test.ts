import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, Layer } from "effect"
import { TestClock } from "effect/testing"
import { X509Certificate } from "node:crypto"
import { createServer, request } from "node:https"
import type { AddressInfo } from "node:net"
import { CaBundle, CertDurations, Certs, type CertSecret } from "./Certs.ts"

const identity = { namespace: "dynatrace", extraIpAddresses: ["127.0.0.1"] }
const day = 86_400_000
const hour = 3_600_000

const withCerts = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide(Certs.layerWith(CertDurations.defaults)))

const decoded = (data: CertSecret.SecretData, key: string) => Buffer.from(data[key] ?? "", "base64").toString("utf8")

const pemBlocks = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []

const fromEnv = (env: Record<string, string>) =>
  Effect.gen(function* () {
    const certs = yield* Certs
    return yield* certs.generate(identity)
  }).pipe(Effect.provide(Certs.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))))

describe("Certs", () => {
  it.effect("the first ensure creates CA and server certificate from the Clock's now", () =>
    withCerts(
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.UTC(2026, 10, 24, 8, 30))
        const certs = yield* Certs
        const result = yield* certs.ensure(identity, undefined)
        assert.strictEqual(result.decision._tag, "RegenerateAll")
        assert.strictEqual(result.decision._tag === "RegenerateAll" ? result.decision.reason : "", "CaMissing")
        assert.isTrue(result.changed)
        assert.deepStrictEqual(Object.keys(result.data).toSorted(), ["ca.crt", "ca.key", "tls.crt", "tls.key"])
        const ca = new X509Certificate(decoded(result.data, "ca.crt"))
        const server = new X509Certificate(decoded(result.data, "tls.crt"))
        assert.strictEqual(ca.validFromDate.getTime(), Date.UTC(2026, 10, 24, 8, 30))
        assert.strictEqual(ca.validToDate.getTime() - ca.validFromDate.getTime(), 365 * day)
        assert.strictEqual(server.validToDate.getTime() - server.validFromDate.getTime(), 7 * day)
        assert.isTrue(server.checkIssued(ca) && server.verify(ca.publicKey))
        assert.deepStrictEqual(result.caNotAfter, ca.validToDate)
        assert.deepStrictEqual(result.serverNotAfter, server.validToDate)
        assert.strictEqual(Buffer.from(result.caBundle, "base64").toString("utf8"), decoded(result.data, "ca.crt"))
      })
    )
  )

  it.effect("decision table over time: keep → renew server → keep → regenerate all (old CA kept in the bundle)", () =>
    withCerts(
      Effect.gen(function* () {
        const certs = yield* Certs
        const first = yield* certs.ensure(identity, { "unrelated.key": "a2VlcA==" })
        assert.isTrue(first.changed)
        assert.strictEqual(first.data["unrelated.key"], "a2VlcA==")

        // Fresh → keep, the very same data object, nothing to write.
        yield* TestClock.setTime(hour)
        const fresh = yield* certs.ensure(identity, first.data)
        assert.strictEqual(fresh.decision._tag, "Keep")
        assert.isFalse(fresh.changed)
        assert.strictEqual(fresh.data, first.data)
        assert.strictEqual(fresh.caBundle, first.caBundle)

        // Exactly 12 h before the server certificate ends → still kept; one millisecond later → renewed.
        yield* TestClock.setTime(7 * day - 12 * hour)
        assert.strictEqual((yield* certs.decide(identity, first.data))._tag, "Keep")
        yield* TestClock.setTime(7 * day - 12 * hour + 1)
        const renewed = yield* certs.ensure(identity, first.data)
        assert.strictEqual(renewed.decision._tag, "RenewServer")
        assert.strictEqual(renewed.decision._tag === "RenewServer" ? renewed.decision.reason : "", "ServerExpiring")
        assert.isTrue(renewed.changed)
        assert.strictEqual(renewed.data["ca.crt"], first.data["ca.crt"])
        assert.strictEqual(renewed.data["ca.key"], first.data["ca.key"])
        assert.notStrictEqual(renewed.data["tls.crt"], first.data["tls.crt"])
        assert.notStrictEqual(renewed.data["tls.key"], first.data["tls.key"])
        assert.strictEqual(renewed.data["unrelated.key"], "a2VlcA==")
        assert.strictEqual(renewed.caBundle, first.caBundle)
        assert.strictEqual(renewed.serverNotAfter.getTime(), 7 * day - 12 * hour + 7 * day)

        // Exactly 12 h before the CA ends → kept (if the server certificate is fresh); one ms later → all new.
        const caEnd = 365 * day
        yield* TestClock.setTime(caEnd - 13 * hour)
        const late = yield* certs.ensure(identity, renewed.data)
        // The renewed server certificate would outlive the CA: it ends with the CA instead.
        assert.strictEqual(late.decision._tag, "RenewServer")
        assert.strictEqual(late.serverNotAfter.getTime(), caEnd)
        yield* TestClock.setTime(caEnd - 12 * hour)
        // The server certificate ends with the CA, so at the CA's threshold both are at theirs: kept.
        assert.strictEqual((yield* certs.decide(identity, late.data))._tag, "Keep")
        yield* TestClock.setTime(caEnd - 12 * hour + 1)
        const rotated = yield* certs.ensure(identity, late.data)
        assert.strictEqual(rotated.decision._tag, "RegenerateAll")
        assert.strictEqual(rotated.decision._tag === "RegenerateAll" ? rotated.decision.reason : "", "CaExpiring")
        assert.strictEqual(rotated.data["ca.crt.old"], late.data["ca.crt"])
        assert.notStrictEqual(rotated.data["ca.crt"], late.data["ca.crt"])
        assert.strictEqual(rotated.data["unrelated.key"], "a2VlcA==")

        // The bundle trusts the new CA first and the old one second: both the old and the new server certificate verify.
        const bundle = pemBlocks(Buffer.from(rotated.caBundle, "base64").toString("utf8"))
        assert.deepStrictEqual(bundle, [decoded(rotated.data, "ca.crt").trim(), decoded(late.data, "ca.crt").trim()])
        const trusted = bundle.map((pem) => new X509Certificate(pem))
        for (const server of [decoded(late.data, "tls.crt"), decoded(rotated.data, "tls.crt")]) {
          const cert = new X509Certificate(server)
          assert.isTrue(trusted.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey)))
        }

        // After the rotation the Secret is kept as it is, old CA included.
        const after = yield* certs.ensure(identity, rotated.data)
        assert.strictEqual(after.decision._tag, "Keep")
        assert.isFalse(after.changed)
        assert.strictEqual(after.certificates.caCertOld, decoded(late.data, "ca.crt"))
        assert.strictEqual(after.caBundle, rotated.caBundle)
      })
    )
  )

  it.effect("corrupt data regenerates everything; a broken old CA is dropped, not carried into the bundle", () =>
    withCerts(
      Effect.gen(function* () {
        const certs = yield* Certs
        const garbage = Buffer.from("not a certificate").toString("base64")
        const result = yield* certs.ensure(identity, { "ca.crt": garbage, "ca.key": garbage, "tls.crt": garbage })
        assert.strictEqual(
          result.decision._tag === "RegenerateAll" ? result.decision.reason : "",
          "CaCertificateInvalid"
        )
        assert.isUndefined(result.data["ca.crt.old"])
        assert.isUndefined(result.certificates.caCertOld)
        assert.strictEqual(pemBlocks(Buffer.from(result.caBundle, "base64").toString("utf8")).length, 1)
        assert.strictEqual((yield* certs.decide(identity, result.data))._tag, "Keep")
      })
    )
  )

  it.effect("a changed identity renews the server certificate under the same CA", () =>
    withCerts(
      Effect.gen(function* () {
        const certs = yield* Certs
        const first = yield* certs.ensure({ namespace: "dynatrace" }, undefined)
        const second = yield* certs.ensure(identity, first.data)
        assert.strictEqual(second.decision._tag === "RenewServer" ? second.decision.reason : "", "ServerNamesChanged")
        assert.strictEqual(second.data["ca.crt"], first.data["ca.crt"])
        assert.strictEqual(new X509Certificate(decoded(second.data, "tls.crt")).checkIP("127.0.0.1"), "127.0.0.1")
      })
    )
  )

  it.effect("an invalid identity is a typed error, not a crash", () =>
    withCerts(
      Effect.gen(function* () {
        const certs = yield* Certs
        for (const bad of [
          { namespace: "Not_A_Namespace" },
          { namespace: "" },
          { namespace: "ok", extraIpAddresses: ["300.1.1.1"] },
          { namespace: "ok", extraDnsNames: ["bad name"] }
        ]) {
          const exit = yield* Effect.exit(certs.ensure(bad, undefined))
          assert.isTrue(Exit.isFailure(exit))
          const error = Exit.isFailure(exit) ? exit.cause : undefined
          assert.include(String(error), "InvalidIdentity")
        }
      })
    )
  )

  it.effect("durations come from DT_WEBHOOK_CERTS_*; invalid ones fail the layer", () =>
    Effect.gen(function* () {
      const short = yield* fromEnv({ DT_WEBHOOK_CERTS_ROOT_DURATION: "720h", DT_WEBHOOK_CERTS_SERVER_DURATION: "36h" })
      const ca = new X509Certificate(short.caCert)
      const server = new X509Certificate(short.serverCert)
      assert.strictEqual(ca.validToDate.getTime() - ca.validFromDate.getTime(), 30 * day)
      assert.strictEqual(server.validToDate.getTime() - server.validFromDate.getTime(), 36 * hour)

      const failed = yield* Effect.exit(fromEnv({ DT_WEBHOOK_CERTS_SERVER_DURATION: "12h" }))
      assert.isTrue(Exit.isFailure(failed))
      assert.include(String(Exit.isFailure(failed) ? failed.cause : ""), "CertDurationsError")

      const direct = yield* Effect.exit(
        Certs.layerWith({ ...CertDurations.defaults, requeueAfter: Duration.hours(12) }).pipe(
          Layer.build,
          Effect.scoped
        )
      )
      assert.isTrue(Exit.isFailure(direct))
    })
  )

  it.live("a real HTTPS server with the server certificate is trusted by a client that trusts only the CA", () =>
    withCerts(
      Effect.gen(function* () {
        const certs = yield* Certs
        const ours = yield* certs.ensure(identity, undefined)
        const other = yield* certs.ensure(identity, undefined)
        const server = createServer(
          { cert: ours.certificates.serverCert, key: ours.certificates.serverKey, minVersion: "TLSv1.3" },
          (_req, res) => res.end("ok")
        )
        yield* Effect.acquireRelease(
          Effect.callback<void>((resume) => {
            server.listen(0, "127.0.0.1", () => resume(Effect.void))
          }),
          () => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
        )
        const port = (server.address() as AddressInfo).port

        const get = (ca: string, servername?: string) =>
          Effect.callback<{ status?: number; body?: string; error?: string }>((resume) => {
            const req = request(
              { host: "127.0.0.1", port, path: "/", ca, agent: false, ...(servername ? { servername } : {}) },
              (res) => {
                let body = ""
                res.on("data", (chunk: Buffer) => (body += chunk.toString()))
                res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body })))
              }
            )
            req.on("error", (error: NodeJS.ErrnoException) =>
              resume(Effect.succeed({ error: error.code ?? error.message }))
            )
            req.end()
          })

        // By IP (127.0.0.1 SAN), as the apiserver does when the webhook is registered by URL.
        assert.deepStrictEqual(yield* get(CaBundle.pem(ours.certificates)), { status: 200, body: "ok" })
        // By service name (SNI + hostname check), as the apiserver does in a cluster.
        assert.deepStrictEqual(yield* get(CaBundle.pem(ours.certificates), "dynatrace-webhook.dynatrace.svc"), {
          status: 200,
          body: "ok"
        })
        const foreign = yield* get(CaBundle.pem(other.certificates))
        assert.strictEqual(foreign.error, "UNABLE_TO_VERIFY_LEAF_SIGNATURE")
        const wrongName = yield* get(CaBundle.pem(ours.certificates), "dynatrace-webhook.elsewhere.svc")
        assert.strictEqual(wrongName.error, "ERR_TLS_CERT_ALTNAME_INVALID")
      })
    )
  )
})
