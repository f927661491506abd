import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { dynakube, operator } from "../oneagent/WorkloadFixtures.ts"
import { base32 } from "../workload/RandomToken.ts"
import { buildTokenSecret, isToken, newToken, tokenSecretData, tokenSecretHash } from "./KspmToken.ts"

describe("KspmToken", () => {
  it("base32 is RFC 4648 (standard alphabet, padded)", () => {
    const text = (s: string) => base32(Buffer.from(s, "utf8"))
    assert.strictEqual(text(""), "")
    assert.strictEqual(text("f"), "MY======")
    assert.strictEqual(text("fo"), "MZXQ====")
    assert.strictEqual(text("foo"), "MZXW6===")
    assert.strictEqual(text("foob"), "MZXW6YQ=")
    assert.strictEqual(text("fooba"), "MZXW6YTB")
    assert.strictEqual(text("foobar"), "MZXW6YTBOI======")
  })

  it("a new token is dt0n01.<24 base32 chars>.<64 base32 chars>, and two tokens differ", () => {
    const a = Redacted.value(newToken())
    const b = Redacted.value(newToken())
    assert.isTrue(isToken(a), a.slice(0, 7))
    assert.isTrue(isToken(b))
    assert.notStrictEqual(a, b)
    const [prefix, pub, priv] = a.split(".")
    assert.strictEqual(prefix, "dt0n01")
    assert.strictEqual(pub?.length, 24)
    assert.strictEqual(priv?.length, 64)
  })

  it("the portions are the base32 text of as many random bytes, cut to length", () => {
    const token = Redacted.value(newToken((size) => new Uint8Array(size).fill(0xff)))
    assert.strictEqual(token, `dt0n01.${"7".repeat(24)}.${"7".repeat(64)}`)
    const zeros = Redacted.value(newToken((size) => new Uint8Array(size)))
    assert.strictEqual(zeros, `dt0n01.${"A".repeat(24)}.${"A".repeat(64)}`)
  })

  it("isToken rejects other shapes", () => {
    assert.isFalse(isToken("dt0c01.ABC.DEF"))
    assert.isFalse(isToken(`dt0n01.${"a".repeat(24)}.${"A".repeat(64)}`))
    assert.isFalse(isToken(`dt0n01.${"A".repeat(25)}.${"A".repeat(64)}`))
  })

  it("the hash is FNV-1 over the JSON of the base64 data (the original's hasher over map[string][]byte)", () => {
    const data = tokenSecretData(Redacted.make("dt0n01.X.Y"))
    assert.deepStrictEqual(data, { "kspm-token": Buffer.from("dt0n01.X.Y").toString("base64") })
    // FNV-1 32 of the bytes of {"kspm-token":"ZHQwbjAxLlguWQ=="}, computed independently below.
    let h = 0x811c9dc5
    for (const byte of Buffer.from(`{"kspm-token":"ZHQwbjAxLlguWQ=="}`)) h = (Math.imul(h, 0x01000193) ^ byte) >>> 0
    assert.strictEqual(tokenSecretHash(data), String(h))
    assert.notStrictEqual(tokenSecretHash(tokenSecretData(Redacted.make("dt0n01.X.Z"))), tokenSecretHash(data))
  })

  it("the Secret is <dk>-kspm-token, Opaque, owned, with the operator's kspm labels", () => {
    const secret = buildTokenSecret({ dynakube: dynakube(), operator, token: Redacted.make("dt0n01.A.B") })
    assert.strictEqual(secret.metadata.name, "dk-kspm-token")
    assert.strictEqual(secret.metadata.namespace, "dynatrace")
    assert.strictEqual(secret.type, "Opaque")
    assert.deepStrictEqual(secret.metadata.labels, {
      "app.kubernetes.io/name": "dynatrace-operator",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/component": "kspm",
      "app.kubernetes.io/version": "1.7.0"
    })
    assert.strictEqual(secret.metadata.ownerReferences?.[0]?.controller, true)
    assert.strictEqual(Buffer.from(secret.data["kspm-token"] ?? "", "base64").toString(), "dt0n01.A.B")
    assert.notProperty(secret.metadata, "annotations")
  })
})
