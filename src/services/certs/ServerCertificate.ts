/**
 * The webhook server certificate: a fresh ECDSA P-256 key, signed by the operator's CA, for the webhook Service's DNS
 * names (and any extra DNS names / IP addresses), usable only for TLS server authentication.
 *
 * Its `notAfter` never passes the CA's: a leaf that outlives its issuer would be rejected by clients for the rest of
 * its life anyway, and the renewal decision replaces both when the CA nears its end.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import type { CertsError } from "./CertsError.ts"
import * as EcdsaKey from "./EcdsaKey.ts"
import { attempt, type Issued, validityWindow } from "./Issued.ts"
import { type ServerNames, subject } from "./WebhookIdentity.ts"
import { ecdsaP256, x509 } from "./X509.ts"

/** The CA that signs: its certificate (PEM) and private key (a WebCrypto signing key). @category models @since 0.1.0 */
export interface Signer {
  readonly certificate: string
  readonly signingKey: CryptoKey
}

/** @category models @since 0.1.0 */
export interface ServerRequest {
  readonly ca: Signer
  readonly names: ServerNames
  /** Epoch milliseconds from the Clock. */
  readonly now: number
  readonly validity: Duration.Duration
}

/**
 * Creates a new key pair and a certificate for `names` signed by `ca`.
 * @category constructors
 * @since 0.1.0
 */
export const create = (request: ServerRequest): Effect.Effect<Issued, CertsError> =>
  attempt("createServerCertificate", async () => {
    const caCert = new x509.X509Certificate(request.ca.certificate)
    const keys = await EcdsaKey.generate()
    const window = validityWindow(request.now, request.validity)
    const notAfter = window.notAfter > caCert.notAfter ? caCert.notAfter : window.notAfter
    // Reuse the CA's own key identifier when it has one, so chains built by key id always match.
    const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)
    const authorityKeyId =
      caKeyId === null
        ? await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey)
        : new x509.AuthorityKeyIdentifierExtension(caKeyId.keyId)
    const certificate = await x509.X509CertificateGenerator.create({
      subject: subject(request.names.commonName),
      // The CA's subject as parsed (not re-typed) keeps the issuer bytes identical to the CA's subject bytes.
      issuer: caCert.subjectName,
      notBefore: window.notBefore,
      notAfter,
      signingAlgorithm: ecdsaP256,
      publicKey: keys.publicKey,
      signingKey: request.ca.signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([
          ...request.names.dnsNames.map((value) => ({ type: "dns" as const, value })),
          ...request.names.ipAddresses.map((value) => ({ type: "ip" as const, value }))
        ]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        authorityKeyId
      ]
    })
    return {
      certificate: certificate.toString("pem") + "\n",
      privateKey: await EcdsaKey.toPem(keys.privateKey),
      notBefore: window.notBefore,
      notAfter
    }
  })
