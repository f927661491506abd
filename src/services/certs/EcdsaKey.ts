/**
 * ECDSA P-256 private keys: generation, PEM export and tolerant PEM import.
 *
 * Keys are written as PKCS#8 under `-----BEGIN PRIVATE KEY-----`, which Node, OpenSSL and Go all read. The original
 * operator writes SEC1 DER under the same `PRIVATE KEY` label (Go reads it, OpenSSL does not); the importer accepts
 * that as well as `EC PRIVATE KEY`, so a secret written by the original keeps its CA after an upgrade.
 *
 * @since 0.1.0
 */
import { createPrivateKey, type KeyObject, webcrypto } from "node:crypto"
import { ecdsaP256, x509 } from "./X509.ts"

/** A freshly generated extractable key pair. @category constructors @since 0.1.0 */
export const generate = (): Promise<CryptoKeyPair> =>
  webcrypto.subtle.generateKey(ecdsaP256, true, ["sign", "verify"]) as Promise<CryptoKeyPair>

/** PKCS#8 PEM (`PRIVATE KEY`). @category encoding @since 0.1.0 */
export const toPem = async (key: CryptoKey): Promise<string> =>
  `${x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY")}\n`

const pemBlock = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/

const tryKey = (make: () => KeyObject): KeyObject | undefined => {
  try {
    return make()
  } catch {
    return undefined
  }
}

/**
 * Reads a private key from PEM (PKCS#8, SEC1, or SEC1 mislabelled as `PRIVATE KEY`); `undefined` when it is none of
 * them.
 * @category decoding
 * @since 0.1.0
 */
export const fromPem = (pem: string): KeyObject | undefined => {
  const block = pemBlock.exec(pem)
  if (block === null) return undefined
  const der = Buffer.from((block[2] ?? "").replace(/\s+/g, ""), "base64")
  if (der.length === 0) return undefined
  return (
    tryKey(() => createPrivateKey({ key: der, format: "der", type: "pkcs8" })) ??
    tryKey(() => createPrivateKey({ key: der, format: "der", type: "sec1" }))
  )
}

/** Whether the key is an EC key on P-256, the only kind the operator signs with. @category predicates @since 0.1.0 */
export const isP256 = (key: KeyObject): boolean =>
  key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1"

/** The key as a WebCrypto signing key (for @peculiar/x509). @category conversions @since 0.1.0 */
export const toSigningKey = (key: KeyObject): CryptoKey =>
  key.toCryptoKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]) as CryptoKey
