import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as CaBundle from "./CaBundle.ts"
import * as CertificateAuthority from "./CertificateAuthority.ts"

const ca = (commonName: string) =>
  CertificateAuthority.create({ commonName, now: Date.UTC(2026, 0, 1), validity: Duration.days(30) })

describe("CaBundle", () => {
  it.effect("is ca.crt, then ca.crt.old when it is a CA certificate", () =>
    Effect.gen(function* () {
      const current = (yield* ca("new")).certificate
      const old = (yield* ca("old")).certificate
      assert.strictEqual(CaBundle.pem({ caCert: current }), current)
      assert.strictEqual(CaBundle.pem({ caCert: current, caCertOld: old }), current + old)
      // Broken, empty or duplicate old entries would not add trust; a broken one would break the whole bundle.
      assert.strictEqual(CaBundle.pem({ caCert: current, caCertOld: "garbage" }), current)
      assert.strictEqual(CaBundle.pem({ caCert: current, caCertOld: "" }), current)
      assert.strictEqual(CaBundle.pem({ caCert: current, caCertOld: current }), current)
    })
  )

  it.effect("bytes and base64 carry the same PEM; matchesBase64 compares a caBundle field as read from the API", () =>
    Effect.gen(function* () {
      const certs = { caCert: (yield* ca("new")).certificate, caCertOld: (yield* ca("old")).certificate }
      const pem = CaBundle.pem(certs)
      assert.strictEqual(Buffer.from(CaBundle.bytes(certs)).toString("utf8"), pem)
      assert.strictEqual(Buffer.from(CaBundle.base64(certs), "base64").toString("utf8"), pem)
      assert.isTrue(CaBundle.matchesBase64(CaBundle.base64(certs), certs))
      assert.isFalse(CaBundle.matchesBase64(undefined, certs))
      assert.isFalse(CaBundle.matchesBase64(CaBundle.base64({ caCert: certs.caCert }), certs))
    })
  )
})
