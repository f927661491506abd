import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as CertSecret from "./CertSecret.ts"

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

describe("CertSecret", () => {
  it("uses the original's Secret name and data keys", () => {
    assert.strictEqual(CertSecret.secretName, "dynatrace-webhook-certs")
    assert.deepStrictEqual(Object.values(CertSecret.dataKeys).toSorted(), [
      "ca.crt",
      "ca.crt.old",
      "ca.key",
      "tls.crt",
      "tls.key"
    ])
  })

  it("reads base64 data; missing, empty and blank entries read as absent; other keys are ignored", () => {
    const data = CertSecret.fromSecretData({
      "ca.crt": b64("CA"),
      "ca.key": "",
      "tls.crt": b64("  \n"),
      "tls.key": b64("KEY"),
      other: b64("x")
    })
    assert.deepStrictEqual(data, { caCert: "CA", serverKey: "KEY" })
    assert.deepStrictEqual(CertSecret.fromSecretData(undefined), {})
  })

  it("writes all entries as base64, keeps unknown keys, drops ca.crt.old when there is none", () => {
    const previous = { "ca.crt.old": b64("OLD"), "keep.me": "a2VlcA==", "tls.crt": b64("stale") }
    const data = CertSecret.toSecretData(
      { caCert: "CA", caKey: "CAKEY", serverCert: "CRT", serverKey: "KEY" },
      previous
    )
    assert.deepStrictEqual(data, {
      "keep.me": "a2VlcA==",
      "ca.crt": b64("CA"),
      "ca.key": b64("CAKEY"),
      "tls.crt": b64("CRT"),
      "tls.key": b64("KEY")
    })
    assert.strictEqual(
      CertSecret.toSecretData({ caCert: "A", caKey: "B", caCertOld: "C", serverCert: "D", serverKey: "E" })[
        "ca.crt.old"
      ],
      b64("C")
    )
  })

  it("property: fromSecretData(toSecretData(certs)) gives the certs back", () => {
    const text = fc.string({ minLength: 1 }).filter((s) => s.trim() !== "")
    fc.assert(
      fc.property(
        fc.record({
          caCert: text,
          caKey: text,
          serverCert: text,
          serverKey: text,
          caCertOld: fc.option(text, { nil: undefined })
        }),
        (certs) => {
          const back = CertSecret.fromSecretData(CertSecret.toSecretData(certs))
          return (
            back.caCert === certs.caCert &&
            back.caKey === certs.caKey &&
            back.serverCert === certs.serverCert &&
            back.serverKey === certs.serverKey &&
            back.caCertOld === certs.caCertOld
          )
        }
      )
    )
  })

  it("sameData compares entries, not object identity", () => {
    assert.isTrue(CertSecret.sameData({ a: "1", b: "2" }, { b: "2", a: "1" }))
    assert.isFalse(CertSecret.sameData({ a: "1" }, { a: "1", b: "2" }))
    assert.isFalse(CertSecret.sameData(undefined, { a: "1" }))
    assert.isTrue(CertSecret.sameData(undefined, {}))
  })
})
