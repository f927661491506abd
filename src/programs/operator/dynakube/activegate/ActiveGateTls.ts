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
import { Effect } from "effect"
import { isIP } from "node:net"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { CertsError, InvalidIdentity } from "../../../../services/certs/CertsError.ts"
import { coreLabels, nameOf, namespaceOf, type OperatorContext, ownedMeta, prune } from "../oneagent/WorkloadParts.ts"
import type { Secret } from "../oneagent/WorkloadTypes.ts"
import { activeGateComponent } from "./ActiveGateService.ts"
import { activeGateNames } from "./Capabilities.ts"
import { makeSelfSignedCertificate } from "../workload/SelfSignedCertificate.ts"

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
    const { certificate, privateKey } = yield* makeSelfSignedCertificate({
      operation: "createActiveGateCertificate",
      dnsNames: activeGateDnsNames(dk),
      ips,
      modulusLength: input.modulusLength ?? 4096
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
