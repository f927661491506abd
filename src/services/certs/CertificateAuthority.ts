/**
 * The operator's own certificate authority: a self-signed ECDSA P-256 root that signs only the webhook server
 * certificate (`pathlen:0`, key usage certificate and CRL signing).
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import type { CertsError } from "./CertsError.ts"
import * as EcdsaKey from "./EcdsaKey.ts"
import { attempt, type Issued, validityWindow } from "./Issued.ts"
import { subject } from "./WebhookIdentity.ts"
import { ecdsaP256, x509 } from "./X509.ts"

/** @category models @since 0.1.0 */
export interface CaRequest {
  /** Subject CN, `dynatrace-webhook.<ns>` as in the original. */
  readonly commonName: string
  /** Epoch milliseconds from the Clock. */
  readonly now: number
  readonly validity: Duration.Duration
}

/** A new CA: what goes into the Secret, plus its key ready to sign the server certificate. @category models @since 0.1.0 */
export interface IssuedCa extends Issued {
  readonly signingKey: CryptoKey
}

/**
 * Creates a new CA key pair and its self-signed certificate, valid from `now` for `validity`.
 * @category constructors
 * @since 0.1.0
 */
export const create = (request: CaRequest): Effect.Effect<IssuedCa, CertsError> =>
  attempt("createCa", async () => {
    const keys = await EcdsaKey.generate()
    const { notBefore, notAfter } = validityWindow(request.now, request.validity)
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      name: subject(request.commonName),
      notBefore,
      notAfter,
      signingAlgorithm: ecdsaP256,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)
      ]
    })
    return {
      certificate: certificate.toString("pem") + "\n",
      privateKey: await EcdsaKey.toPem(keys.privateKey),
      notBefore,
      notAfter,
      signingKey: keys.privateKey
    }
  })
