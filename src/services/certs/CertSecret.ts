/**
 * The `dynatrace-webhook-certs` Secret (spec §2.4, Appendix A): its name, its data keys and the conversion between its
 * `data` map (base64 values, as the Kubernetes API and `V1Secret.data` carry them) and PEM texts.
 *
 * | key          | content                                                   |
 * |--------------|-----------------------------------------------------------|
 * | `ca.crt`     | the operator's CA certificate                             |
 * | `ca.key`     | its private key                                           |
 * | `ca.crt.old` | the previous CA certificate, kept after a CA rotation     |
 * | `tls.crt`    | the webhook server certificate (what the webhook serves)  |
 * | `tls.key`    | its private key                                           |
 *
 * Decoding never fails: a key that is missing or empty reads as absent, anything else is kept as text and judged by
 * the renewal decision. Keys other than these five are preserved when the data is written back.
 *
 * @since 0.1.0
 */

/** Name of the Secret, in the operator namespace, owned by the webhook Deployment. @category constants @since 0.1.0 */
export const secretName = "dynatrace-webhook-certs"

/** The Secret's data keys. @category constants @since 0.1.0 */
export const dataKeys = {
  caCert: "ca.crt",
  caKey: "ca.key",
  caCertOld: "ca.crt.old",
  serverCert: "tls.crt",
  serverKey: "tls.key"
} as const

/** A Secret's `data`: key → base64. @category models @since 0.1.0 */
export type SecretData = Readonly<Record<string, string>>

/** What a Secret holds, as PEM text; any of it may be absent or broken. @category models @since 0.1.0 */
export interface CertData {
  readonly caCert?: string | undefined
  readonly caKey?: string | undefined
  readonly caCertOld?: string | undefined
  readonly serverCert?: string | undefined
  readonly serverKey?: string | undefined
}

/** A complete, consistent set, as the certificate service produces it. @category models @since 0.1.0 */
export interface WebhookCertificates {
  readonly caCert: string
  readonly caKey: string
  /** Present after a CA rotation: still trusted by the caBundle while servers switch over. */
  readonly caCertOld?: string | undefined
  readonly serverCert: string
  readonly serverKey: string
}

type Field = keyof typeof dataKeys

const fields = Object.keys(dataKeys) as ReadonlyArray<Field>

/**
 * Reads the certificate entries of a Secret's `data` (`undefined` = no Secret).
 * @category decoding
 * @since 0.1.0
 */
export const fromSecretData = (data: SecretData | undefined): CertData => {
  const result: Partial<Record<Field, string>> = {}
  for (const field of fields) {
    const value = data?.[dataKeys[field]]
    if (value === undefined || value === "") continue
    const text = Buffer.from(value, "base64").toString("utf8")
    if (text.trim() !== "") result[field] = text
  }
  return result
}

/**
 * Writes the certificates into a Secret's `data`, keeping any other keys of `previous`; `ca.crt.old` is removed when
 * the set has none.
 * @category encoding
 * @since 0.1.0
 */
export const toSecretData = (certs: WebhookCertificates, previous?: SecretData | undefined): SecretData => {
  const result: Record<string, string> = { ...previous }
  for (const field of fields) {
    const text = certs[field]
    if (text === undefined) delete result[dataKeys[field]]
    else result[dataKeys[field]] = Buffer.from(text, "utf8").toString("base64")
  }
  return result
}

/**
 * Two `data` maps hold the same entries (so writing `next` over `current` would change nothing).
 * @category predicates
 * @since 0.1.0
 */
export const sameData = (current: SecretData | undefined, next: SecretData): boolean => {
  const a = current ?? {}
  const keys = new Set([...Object.keys(a), ...Object.keys(next)])
  for (const key of keys) if (a[key] !== next[key]) return false
  return true
}
