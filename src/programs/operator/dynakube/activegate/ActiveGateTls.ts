/**
 * The automatic self-signed ActiveGate certificate (feature flag `automatic-tls-certificate`, on by default, used
 * when `spec.activeGate.tlsSecretName` is empty): Secret `<dk>-activegate-tls-secret`, type Opaque, keys `tls.crt`,
 * `tls.key` (PKCS#8) and `server.crt` (the same certificate, which OneAgents and code modules trust).
 *
 * As in the original: RSA 4096 with SHA-256, subject `C=AT, ST=UA, L=Linz, O=Dynatrace, OU=Operator,
 * CN=<dk>-activegate.<ns>`, SANs for `<dk>-activegate.<ns>`, `….svc`, `….svc.cluster.local` and every ActiveGate
 * Service IP, key usage key/data encipherment, extended key usage server auth, valid 100 years (no rotation: the
 * Secret is only created when missing, so a change of Service IPs needs the Secret deleted).
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import { isIP } from "node:net"
import { webcrypto } from "node:crypto"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { CertsError, InvalidIdentity } from "../../../../services/certs/CertsError.ts"
import { attempt } from "../../../../services/certs/Issued.ts"
import { x509 } from "../../../../services/certs/X509.ts"
import { coreLabels, nameOf, namespaceOf, type OperatorContext, ownedMeta, prune } from "../oneagent/WorkloadParts.ts"
import type { Secret } from "../oneagent/WorkloadTypes.ts"
import { activeGateComponent } from "./ActiveGateService.ts"
import { activeGateNames } from "./Capabilities.ts"

/** Validity of the self-signed certificate: 100 years, i.e. it does not expire in practice. */
const validityMillis = 100 * 365 * 24 * 60 * 60 * 1000

/**
 * The DNS names of the certificate.
 * @category tls
 * @since 0.1.0
 */
export const activeGateDnsNames = (dk: DynaKube): ReadonlyArray<string> => {
  const host = `${activeGateNames(nameOf(dk)).service}.${namespaceOf(dk)}`
  return [host, `${host}.svc`, `${host}.svc.cluster.local`]
}

/**
 * Inputs of {@link buildActiveGateTlsSecret}.
 * @category models
 * @since 0.1.0
 */
export interface ActiveGateTlsSecretInput {
  /** Reads `status.activeGate.serviceIPs` (set once the Service exists) for the IP SANs. */
  readonly dynakube: DynaKube
  readonly operator: Pick<OperatorContext, "operatorVersion">
  /** RSA key size; 4096 as in the original. Smaller only to speed up tests. */
  readonly modulusLength?: 2048 | 3072 | 4096 | undefined
}

/** A random positive 128-bit serial number, hex. */
const randomSerial = (): string => {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16))
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01 // positive, and no leading zero byte to strip
  return Buffer.from(bytes).toString("hex")
}

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64")

/**
 * Creates a new key and self-signed certificate and returns the Secret `<dk>-activegate-tls-secret`. Fails with
 * `CertsError(InvalidIdentity)` when a Service IP is not an IP address, `CertsError(GenerationFailed)` when
 * WebCrypto fails.
 * @category constructors
 * @since 0.1.0
 */
export const buildActiveGateTlsSecret = (input: ActiveGateTlsSecretInput): Effect.Effect<Secret, CertsError> =>
  Effect.gen(function* () {
    const dk = input.dynakube
    const ips = dk.status?.activeGate?.serviceIPs ?? []
    const invalid = ips.find((ip) => isIP(ip) === 0)
    if (invalid !== undefined) {
      return yield* new CertsError({
        operation: "createActiveGateCertificate",
        reason: new InvalidIdentity({ message: `failed to parse '${invalid}' IP address` })
      })
    }
    const now = yield* Clock.currentTimeMillis
    const { certificate, privateKey } = yield* attempt("createActiveGateCertificate", async () => {
      const algorithm = {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: input.modulusLength ?? 4096,
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
          { CN: [activeGateDnsNames(dk)[0] ?? ""] }
        ],
        notBefore,
        notAfter: new Date(notBefore.getTime() + validityMillis),
        signingAlgorithm: algorithm,
        keys,
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.dataEncipherment, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
          new x509.SubjectAlternativeNameExtension([
            ...activeGateDnsNames(dk).map((value) => ({ type: "dns" as const, value })),
            ...ips.map((value) => ({ type: "ip" as const, value }))
          ])
        ]
      })
      const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)
      return {
        certificate: `${cert.toString("pem")}\n`,
        privateKey: `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n`
      }
    })
    const name = nameOf(dk)
    return prune<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: ownedMeta(
        dk,
        activeGateNames(name).autoTlsSecret,
        coreLabels(name, activeGateComponent, input.operator.operatorVersion)
      ),
      type: "Opaque",
      data: { "tls.crt": base64(certificate), "tls.key": base64(privateKey), "server.crt": base64(certificate) }
    })
  })
