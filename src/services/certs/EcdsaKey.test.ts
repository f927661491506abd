import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createPrivateKey, generateKeyPairSync, sign, verify } from "node:crypto"
import * as EcdsaKey from "./EcdsaKey.ts"

const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END ${label}-----\n`

describe("EcdsaKey", () => {
  it.effect("writes PKCS#8 PEM that Node and OpenSSL load as a P-256 key", () =>
    Effect.gen(function* () {
      const keys = yield* Effect.promise(() => EcdsaKey.generate())
      const text = yield* Effect.promise(() => EcdsaKey.toPem(keys.privateKey))
      const key = createPrivateKey(text)
      assert.isTrue(EcdsaKey.isP256(key))
      assert.match(text, /^-----BEGIN PRIVATE KEY-----\n/)
    })
  )

  it("reads PKCS#8, SEC1 and the original's SEC1-under-PRIVATE-KEY, and the key still signs", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
    const sec1 = privateKey.export({ type: "sec1", format: "der" })
    for (const text of [
      privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      pem("EC PRIVATE KEY", sec1),
      pem("PRIVATE KEY", sec1)
    ]) {
      const key = EcdsaKey.fromPem(text)
      assert.isDefined(key, text)
      if (key === undefined) continue
      assert.isTrue(EcdsaKey.isP256(key))
      assert.isTrue(verify("sha256", Buffer.from("x"), publicKey, sign("sha256", Buffer.from("x"), key)))
    }
  })

  it("returns undefined for anything else", () => {
    for (const text of [
      "",
      "garbage",
      pem("PRIVATE KEY", Buffer.from("nope")),
      "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----"
    ]) {
      assert.isUndefined(EcdsaKey.fromPem(text))
    }
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey
    const read = EcdsaKey.fromPem(p384.export({ type: "pkcs8", format: "pem" }).toString())
    assert.isTrue(read !== undefined && !EcdsaKey.isP256(read))
  })
})
