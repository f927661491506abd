/**
 * The self-signed server certificate the operator makes for its in-cluster TLS endpoints when the user gives none
 * (the ActiveGate's automatic certificate, the Extension Execution Controller's): as the original makes both, RSA
 * with SHA-256 (4096 bits unless a test asks for fewer), subject `C=AT, ST=UA, L=Linz, O=Dynatrace, OU=Operator,
 * CN=<first DNS name>`, the DNS names (then IPs) as SANs, key usage key/data encipherment, extended key usage
 * server auth, a random positive 128-bit serial, valid 100 years from the current second (never rotated).
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import { webcrypto } from "node:crypto"
import type { CertsError } from "../../../../services/certs/CertsError.ts"
import { attempt } from "../../../../services/certs/Issued.ts"
import { x509 } from "../../../../services/certs/X509.ts"

/** Validity: 100 years, i.e. it does not expire in practice. */
const validityMillis = 100 * 365 * 24 * 60 * 60 * 1000

/** A random positive 128-bit serial number, hex. */
const randomSerial = (): string => {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16))
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01 // positive, and no leading zero byte to strip
  return Buffer.from(bytes).toString("hex")
}

/**
 * What the certificate is made for.
 * @category models
 * @since 0.1.0
 */
export interface SelfSignedCertificateInput {
  /** Names the operation in a `CertsError` (e.g. `createActiveGateCertificate`). */
  readonly operation: string
  /** The DNS SANs; the first is also the subject's CN. */
  readonly dnsNames: ReadonlyArray<string>
  /** IP SANs (already validated by the caller). */
  readonly ips?: ReadonlyArray<string> | undefined
  readonly modulusLength: number
}

/**
 * The certificate and its PKCS#8 key, both PEM with a trailing newline.
 * @category models
 * @since 0.1.0
 */
export interface SelfSignedCertificate {
  readonly certificate: string
  readonly privateKey: string
}

/**
 * Makes a new key and self-signed server certificate; `CertsError(GenerationFailed)` when WebCrypto fails.
 * @category constructors
 * @since 0.1.0
 */
export const makeSelfSignedCertificate = (
  input: SelfSignedCertificateInput
): Effect.Effect<SelfSignedCertificate, CertsError> =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    return yield* attempt(input.operation, async () => {
      const algorithm = {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: input.modulusLength,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256"
      }
      const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair
      const notBefore = new Date(Math.floor(now / 1000) * 1000)
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: randomSerial(),
        name: [
          { C: ["AT"] },
          { ST: ["UA"] },
          { L: ["Linz"] },
          { O: ["Dynatrace"] },
          { OU: ["Operator"] },
          { CN: [input.dnsNames[0] ?? ""] }
        ],
        notBefore,
        notAfter: new Date(notBefore.getTime() + validityMillis),
        signingAlgorithm: algorithm,
        keys,
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.dataEncipherment, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
          new x509.SubjectAlternativeNameExtension([
            ...input.dnsNames.map((value) => ({ type: "dns" as const, value })),
            ...(input.ips ?? []).map((value) => ({ type: "ip" as const, value }))
          ])
        ]
      })
      const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)
      return {
        certificate: `${cert.toString("pem")}\n`,
        privateKey: `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n`
      }
    })
  })
