/**
 * The Extension Execution Controller's configuration objects (spec §2.2.11), built purely from the DynaKube:
 *
 * - Secret `<dk>-extensions-token`: `eec.token` (`EEC dt0x01.<24>.<64>`, read by the EEC and the ActiveGate) and
 *   `datasource.token` (`dt0x01.<24>.<64>`, read by data sources such as the OTel collector). The tokens are random
 *   and made here, so the Secret is created once and kept.
 * - Service `<dk>-extension-controller`: ClusterIP, port `dynatrace-extension-controller-collector-com` 14599 →
 *   container port `collector-com`.
 * - Secret `<dk>-extension-controller-tls` (type `kubernetes.io/tls`): a self-signed certificate for the Service
 *   names, unless `spec.templates.extensionExecutionController.tlsRefName` names the user's Secret. Created once.
 *
 * Extensions are enabled by `spec.extensions.prometheus` (even `{}`) or a non-empty `spec.extensions.databases`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { CertsError } from "../../../../services/certs/CertsError.ts"
import {
  appMatchLabels,
  coreLabels,
  nameOf,
  namespaceOf,
  type OperatorContext,
  ownedMeta,
  prune
} from "../oneagent/WorkloadParts.ts"
import type { Secret, Service } from "../oneagent/WorkloadTypes.ts"
import { randomToken } from "../workload/RandomToken.ts"
import { makeSelfSignedCertificate } from "../workload/SelfSignedCertificate.ts"

/** `app.kubernetes.io/component` of the EEC objects and `name` of its pods. @category constants @since 0.1.0 */
export const extensionComponent = "dynatrace-extension-controller"

/** Keys of the token Secret. @category constants @since 0.1.0 */
export const tokenKeys = { eec: "eec.token", datasource: "datasource.token" } as const

/** The EEC's data-source port and its container port name. @category constants @since 0.1.0 */
export const datasourcePort = 14599
/** @category constants @since 0.1.0 */
export const datasourcePortName = "collector-com"

/**
 * Names of the extension objects of the DynaKube `dk`.
 * @category names
 * @since 0.1.0
 */
export const extensionNames = (dk: string) => ({
  tokenSecret: `${dk}-extensions-token`,
  service: `${dk}-extension-controller`,
  statefulSet: `${dk}-extension-controller`,
  selfSignedTlsSecret: `${dk}-extension-controller-tls`
})

/** Prometheus extensions or SQL databases are configured. @category predicates @since 0.1.0 */
export const extensionsEnabled = (dk: DynaKube): boolean =>
  (dk.spec.extensions?.prometheus !== undefined && dk.spec.extensions.prometheus !== null) ||
  (dk.spec.extensions?.databases?.length ?? 0) > 0

/** The user's TLS Secret for the EEC, or "" for the self-signed one. */
const tlsRefName = (dk: DynaKube): string => dk.spec.templates?.extensionExecutionController?.tlsRefName ?? ""

/** No `tlsRefName`: the operator makes a self-signed certificate. @category predicates @since 0.1.0 */
export const needsSelfSignedTls = (dk: DynaKube): boolean => tlsRefName(dk) === ""

/** The Secret with the EEC's certificate (`tls.crt`, `tls.key`). @category names @since 0.1.0 */
export const tlsSecretName = (dk: DynaKube): string =>
  needsSelfSignedTls(dk) ? extensionNames(nameOf(dk)).selfSignedTlsSecret : tlsRefName(dk)

/** `<dk>-extension-controller.<ns>`. @category names @since 0.1.0 */
export const serviceFqdn = (dk: DynaKube): string => `${extensionNames(nameOf(dk)).service}.${namespaceOf(dk)}`

/**
 * A random token as the original makes them: `<prefix>.<24 chars>.<64 chars>`, each part the head of the
 * base32 (RFC 4648, upper case) text of as many random bytes.
 * @category tokens
 * @since 0.1.0
 */
export const newToken = (prefix: string): string => randomToken(prefix)

type Input = { readonly dynakube: DynaKube; readonly operator: Pick<OperatorContext, "operatorVersion"> }

const labels = (input: Input) => coreLabels(nameOf(input.dynakube), extensionComponent, input.operator.operatorVersion)

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64")

/**
 * The token Secret with fresh tokens. Write it only when it does not exist.
 * @category constructors
 * @since 0.1.0
 */
export const buildTokenSecret = (input: Input): Secret =>
  prune<Secret>({
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(input.dynakube, extensionNames(nameOf(input.dynakube)).tokenSecret, labels(input)),
    type: "Opaque",
    data: {
      [tokenKeys.eec]: base64(newToken("EEC dt0x01")),
      [tokenKeys.datasource]: base64(newToken("dt0x01"))
    }
  })

/**
 * The EEC Service.
 * @category constructors
 * @since 0.1.0
 */
export const buildService = (input: Input): Service =>
  prune<Service>({
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMeta(input.dynakube, extensionNames(nameOf(input.dynakube)).service, labels(input)),
    spec: {
      type: "ClusterIP",
      selector: appMatchLabels(extensionComponent, nameOf(input.dynakube)),
      ports: [
        {
          name: `${extensionComponent}-${datasourcePortName}`,
          protocol: "TCP",
          port: datasourcePort,
          targetPort: datasourcePortName
        }
      ]
    }
  })

/** The DNS names of the self-signed certificate; the first is also its common name. @category tls @since 0.1.0 */
export const tlsDnsNames = (dk: DynaKube): ReadonlyArray<string> => {
  const host = serviceFqdn(dk)
  return [host, `${host}.svc`, `${host}.svc.cluster.local`]
}

/**
 * A new key and self-signed certificate in the Secret `<dk>-extension-controller-tls` (as the original: RSA with
 * SHA-256, key/data encipherment, server auth, the Service's DNS names, no rotation).
 * @category constructors
 * @since 0.1.0
 */
export const buildSelfSignedTlsSecret = (
  input: Input & { readonly modulusLength?: 2048 | 4096 | undefined }
): Effect.Effect<Secret, CertsError> =>
  Effect.gen(function* () {
    const dk = input.dynakube
    const { certificate, privateKey } = yield* makeSelfSignedCertificate({
      operation: "createExtensionsCertificate",
      dnsNames: tlsDnsNames(dk),
      modulusLength: input.modulusLength ?? 4096
    })
    return prune<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: ownedMeta(dk, extensionNames(nameOf(dk)).selfSignedTlsSecret, labels(input)),
      type: "kubernetes.io/tls",
      data: { "tls.crt": base64(certificate), "tls.key": base64(privateKey) }
    })
  })
