/**
 * The caBundle: the PEM certificates a client of the webhook trusts. It goes into every
 * `webhooks[*].clientConfig.caBundle` of the `dynatrace-webhook` Mutating/ValidatingWebhookConfigurations and into
 * `spec.conversion.webhook.clientConfig.caBundle` of the `dynakubes.dynatrace.com` and `edgeconnects.dynatrace.com`
 * CRDs (spec §2.4).
 *
 * Bundle = `ca.crt`, then `ca.crt.old` when present, so that during a CA rotation the apiserver trusts both the
 * server certificate it still sees (signed by the old CA) and the new one. An old CA that is not a CA certificate is
 * left out: one unparsable block would make the apiserver reject the whole bundle and every webhook call with it.
 *
 * Kubernetes carries `caBundle` as bytes, i.e. base64 in JSON (and as a base64 string in @kubernetes/client-node's
 * `V1WebhookClientConfig.caBundle` / `ApiextensionsV1WebhookClientConfig.caBundle`).
 *
 * @since 0.1.0
 */
import { X509Certificate } from "node:crypto"
import type { WebhookCertificates } from "./CertSecret.ts"

/**
 * Whether the PEM text starts with a CA certificate Node can parse.
 * @category predicates
 * @since 0.1.0
 */
export const isCaCertificate = (pem: string): boolean => {
  try {
    return new X509Certificate(pem).ca
  } catch {
    return false
  }
}

const block = (pem: string) => `${pem.trim()}\n`

/**
 * The bundle as PEM text.
 * @category constructors
 * @since 0.1.0
 */
export const pem = (certs: Pick<WebhookCertificates, "caCert" | "caCertOld">): string => {
  const old = certs.caCertOld
  const withOld = old !== undefined && old.trim() !== certs.caCert.trim() && isCaCertificate(old)
  return block(certs.caCert) + (withOld ? block(old) : "")
}

/**
 * The bundle as bytes (what Kubernetes stores).
 * @category constructors
 * @since 0.1.0
 */
export const bytes = (certs: Pick<WebhookCertificates, "caCert" | "caCertOld">): Uint8Array =>
  new Uint8Array(Buffer.from(pem(certs), "utf8"))

/**
 * The bundle as base64, the form of the `caBundle` field in JSON and in @kubernetes/client-node objects.
 * @category constructors
 * @since 0.1.0
 */
export const base64 = (certs: Pick<WebhookCertificates, "caCert" | "caCertOld">): string =>
  Buffer.from(pem(certs), "utf8").toString("base64")

/**
 * Whether a `caBundle` field as read from the API (base64, or absent) already holds exactly this bundle.
 * @category predicates
 * @since 0.1.0
 */
export const matchesBase64 = (
  current: string | undefined,
  certs: Pick<WebhookCertificates, "caCert" | "caCertOld">
): boolean => current !== undefined && Buffer.from(current, "base64").equals(Buffer.from(pem(certs), "utf8"))
