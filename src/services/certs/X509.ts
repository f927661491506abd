/**
 * The one place that loads @peculiar/x509: it needs the `reflect-metadata` polyfill imported first (its dependency
 * injection container reads decorator metadata) and a WebCrypto provider, Node's own. Every certs module imports
 * `x509` from here instead of from the package.
 *
 * @since 0.1.0
 */
import "reflect-metadata"
import * as x509 from "@peculiar/x509"
import { webcrypto } from "node:crypto"

// Node's webcrypto is a complete WebCrypto; the cast bridges Node's and the DOM lib's declarations of it.
x509.cryptoProvider.set(webcrypto as unknown as Crypto)

export { x509 }

/** ECDSA over P-256 with SHA-256: the only key and signature type the operator issues (spec §2.4). @since 0.1.0 */
export const ecdsaP256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const
