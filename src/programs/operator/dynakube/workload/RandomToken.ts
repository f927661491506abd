/**
 * Random tokens in the Dynatrace access-token format the operator makes itself (the extensions' `eec.token` and
 * `datasource.token`, the KSPM token): `<prefix>.<24 characters>.<64 characters>`, each portion the RFC 4648 base32
 * text of as many random bytes, cut to length — as the original makes them.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
const publicPortionLength = 24
const privatePortionLength = 64

/**
 * RFC 4648 base32 (standard alphabet, with padding) of `bytes`.
 * @category encoding
 * @since 0.1.0
 */
export const base32 = (bytes: Uint8Array): string => {
  let out = ""
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += base32Alphabet[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
    buffer &= (1 << bits) - 1
  }
  if (bits > 0) out += base32Alphabet[(buffer << (5 - bits)) & 31]
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=")
}

/** `length` characters of base32 text over `length` random bytes. */
const portion = (length: number, random: (size: number) => Uint8Array): string =>
  base32(random(length)).slice(0, length)

/**
 * A new token `<prefix>.<24 chars>.<64 chars>`. `random` is the source of random bytes (tests pass a fixed one).
 * @category constructors
 * @since 0.1.0
 */
export const randomToken = (prefix: string, random: (size: number) => Uint8Array = randomBytes): string =>
  `${prefix}.${portion(publicPortionLength, random)}.${portion(privatePortionLength, random)}`
