/**
 * Who the webhook server certificate is for (spec §2.4, §3.1): the Service `dynatrace-webhook` in the operator
 * namespace, reached by the apiserver as `dynatrace-webhook.<ns>`, `dynatrace-webhook.<ns>.svc` or
 * `dynatrace-webhook.<ns>.svc.cluster.local`. Extra DNS names and IP addresses can be added for runs where the
 * apiserver calls the webhook by URL (e.g. `https://127.0.0.1:8443` in local and test setups).
 *
 * Both the CA and the server certificate carry the original's subject:
 * `C=AT, ST=UA, L=Linz, O=Dynatrace, OU=OneAgent Webhook, CN=dynatrace-webhook.<ns>`.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { isIP } from "node:net"
import { CertsError, InvalidIdentity } from "./CertsError.ts"

/** Name of the webhook Service, Deployment and webhook configurations. @category constants @since 0.1.0 */
export const serviceName = "dynatrace-webhook"

/** What the caller knows: the operator namespace and any extra names. @category models @since 0.1.0 */
export interface WebhookIdentity {
  readonly namespace: string
  readonly extraDnsNames?: ReadonlyArray<string> | undefined
  readonly extraIpAddresses?: ReadonlyArray<string> | undefined
}

/** The validated, canonical names a server certificate must carry. @category models @since 0.1.0 */
export interface ServerNames {
  /** `dynatrace-webhook.<ns>`: the subject CN of both certificates. */
  readonly commonName: string
  /** The three service names, then the extra ones, without duplicates. */
  readonly dnsNames: ReadonlyArray<string>
  /** Canonical text form (`127.0.0.1`, `::1`), without duplicates. */
  readonly ipAddresses: ReadonlyArray<string>
}

/** The subject distinguished name of both certificates, in the original's RDN order. @category constructors @since 0.1.0 */
export const subject = (commonName: string) => [
  { C: ["AT"] },
  { ST: ["UA"] },
  { L: ["Linz"] },
  { O: ["Dynatrace"] },
  { OU: ["OneAgent Webhook"] },
  { CN: [commonName] }
]

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const isDnsName = (name: string): boolean =>
  name.length > 0 && name.length <= 253 && name.split(".").every((label) => label.length <= 63 && dnsLabel.test(label))

/**
 * The canonical text of an IP address (IPv6 compressed and lower-case), or `undefined` when it is none.
 * @category constructors
 * @since 0.1.0
 */
export const canonicalIp = (text: string): string | undefined => {
  const version = isIP(text)
  if (version === 4) return text
  if (version === 6) return new URL(`http://[${text}]/`).hostname.slice(1, -1)
  return undefined
}

const invalid = (message: string) =>
  Result.fail(new CertsError({ operation: "serverNames", reason: new InvalidIdentity({ message }) }))

/**
 * Validates the identity and lists the names of its server certificate.
 * @category constructors
 * @since 0.1.0
 */
export const serverNames = (identity: WebhookIdentity): Result.Result<ServerNames, CertsError> => {
  if (identity.namespace.length > 63 || !dnsLabel.test(identity.namespace)) {
    return invalid(`namespace "${identity.namespace}" is not a valid namespace name`)
  }
  const commonName = `${serviceName}.${identity.namespace}`
  const dnsNames = [commonName, `${commonName}.svc`, `${commonName}.svc.cluster.local`]
  for (const name of identity.extraDnsNames ?? []) {
    const lower = name.toLowerCase()
    if (!isDnsName(lower)) return invalid(`extra DNS name "${name}" is not a valid DNS name`)
    if (!dnsNames.includes(lower)) dnsNames.push(lower)
  }
  const ipAddresses: Array<string> = []
  for (const address of identity.extraIpAddresses ?? []) {
    const canonical = canonicalIp(address)
    if (canonical === undefined) return invalid(`extra IP address "${address}" is not an IP address`)
    if (!ipAddresses.includes(canonical)) ipAddresses.push(canonical)
  }
  return Result.succeed({ commonName, dnsNames, ipAddresses })
}
