/**
 * Checks of the webhook (spec §2.4, §3.1, §8.3, Appendix A): can the apiserver reach it, and will it trust it?
 *
 * - `webhook-deployment`: Deployment `dynatrace-webhook` has an available pod;
 * - `webhook-endpoints`: Service `dynatrace-webhook` has ready endpoints (what the apiserver dials);
 * - `mutating-webhook-configuration`, `validating-webhook-configuration`: the configurations named
 *   `dynatrace-webhook` exist, every entry carries a caBundle and calls the Service in this namespace;
 * - `crd-conversion`: the DynaKube CRD converts through the webhook (strategy `None` only rewrites apiVersion);
 * - `webhook-certificate`: Secret `dynatrace-webhook-certs` parses (CA and server certificate, keys that belong to
 *   them, server certificate issued by the CA and naming the Service), neither certificate expired (a warning when
 *   one is inside the renewal threshold: the operator renews it);
 * - `webhook-ca-bundle`: every caBundle equals the Secret's CA bundle (`ca.crt` + `ca.crt.old`).
 *
 * The certificate rules are the certificate controller's own (`Renewal.checkCa` / `checkServer`), run with a zero
 * threshold for "expired" and with the default threshold for "renewal due".
 *
 * @since 0.1.0
 */
import { Duration, Result } from "effect"
import { X509Certificate } from "node:crypto"
import * as CaBundle from "../../services/certs/CaBundle.ts"
import * as CertDurations from "../../services/certs/CertDurations.ts"
import type { CertData } from "../../services/certs/CertSecret.ts"
import * as CertSecret from "../../services/certs/CertSecret.ts"
import * as Renewal from "../../services/certs/Renewal.ts"
import * as WebhookIdentity from "../../services/certs/WebhookIdentity.ts"
import * as Check from "./Check.ts"
import type { WebhookEntryFacts, WebhookFacts } from "./Facts.ts"

/** @category constants @since 0.1.0 */
export const subject = "webhook"

/** @category constants @since 0.1.0 */
export const name = WebhookIdentity.serviceName

/** @category checks @since 0.1.0 */
export const deployment = (facts: WebhookFacts): Check.Verdict => {
  const id = "webhook-deployment"
  const where = `Deployment ${facts.namespace}/${name}`
  const lookup = facts.deployment
  if (lookup._tag === "NotFound") return Check.fail(id, `${where} does not exist.`)
  if (lookup._tag === "Failed") return Check.fail(id, `${where} could not be read: ${lookup.reason}`)
  const d = lookup.value
  if (d.available === 0) return Check.fail(id, `${where} has no available pod (0/${d.replicas}).`)
  if (d.available < d.replicas) return Check.warn(id, `${where} has ${d.available}/${d.replicas} pods available.`)
  return Check.pass(id, `${where} has ${d.available}/${d.replicas} pods available.`)
}

/** @category checks @since 0.1.0 */
export const endpoints = (facts: WebhookFacts): Check.Verdict => {
  const id = "webhook-endpoints"
  const where = `Service ${facts.namespace}/${name}`
  if (facts.service._tag === "NotFound")
    return Check.fail(id, `${where} does not exist; the apiserver cannot call the webhook.`)
  if (facts.service._tag === "Failed") return Check.fail(id, `${where} could not be read: ${facts.service.reason}`)
  const lookup = facts.endpoints
  if (lookup._tag === "Failed") return Check.fail(id, `The endpoints of ${where} could not be read: ${lookup.reason}`)
  const ready = lookup._tag === "Found" ? lookup.value.ready : 0
  const total = lookup._tag === "Found" ? lookup.value.total : 0
  if (ready === 0) {
    return Check.fail(id, `${where} has no ready endpoint (${total} in total); the apiserver cannot reach the webhook.`)
  }
  return Check.pass(id, `${where} has ${ready} ready endpoint${ready === 1 ? "" : "s"}.`)
}

const configuration = (
  id: string,
  kind: string,
  facts: WebhookFacts,
  lookup: Check.Lookup<ReadonlyArray<WebhookEntryFacts>>
): Check.Verdict => {
  const where = `${kind} ${name}`
  if (lookup._tag === "NotFound") return Check.fail(id, `${where} does not exist.`)
  if (lookup._tag === "Failed") return Check.fail(id, `${where} could not be read: ${lookup.reason}`)
  const entries = lookup.value
  if (entries.length === 0) return Check.fail(id, `${where} has no webhooks.`)
  const withoutBundle = entries.filter((e) => e.caBundle === undefined || e.caBundle === "").map((e) => e.name)
  if (withoutBundle.length > 0) return Check.fail(id, `${where} has no caBundle in ${withoutBundle.join(", ")}.`)
  const service = `${facts.namespace}/${name}`
  const elsewhere = entries.filter((e) => e.service !== undefined && e.service !== service)
  if (elsewhere.length > 0) {
    return Check.fail(
      id,
      `${where} calls ${elsewhere.map((e) => `${e.service} (${e.name})`).join(", ")} instead of Service ${service}.`
    )
  }
  const byUrl = entries.filter((e) => e.service === undefined)
  const note = byUrl.length > 0 ? `; ${byUrl.length} by URL` : ""
  return Check.pass(
    id,
    `${where} has ${entries.length} webhook${entries.length === 1 ? "" : "s"} with a caBundle${note}.`
  )
}

/** @category checks @since 0.1.0 */
export const mutatingConfiguration = (facts: WebhookFacts): Check.Verdict =>
  configuration("mutating-webhook-configuration", "MutatingWebhookConfiguration", facts, facts.mutating)

/** @category checks @since 0.1.0 */
export const validatingConfiguration = (facts: WebhookFacts): Check.Verdict =>
  configuration("validating-webhook-configuration", "ValidatingWebhookConfiguration", facts, facts.validating)

/** @category checks @since 0.1.0 */
export const crdConversion = (facts: WebhookFacts): Check.Verdict => {
  const id = "crd-conversion"
  const crd = Check.valueOf(facts.dynakubeCrd)
  if (crd === undefined) return Check.skip(id, "Skipped: the DynaKube CRD could not be read.")
  if (crd.conversionStrategy !== "Webhook") {
    return Check.warn(
      id,
      `The DynaKube CRD converts with strategy ${crd.conversionStrategy ?? "None"}; clients of older versions get unconverted objects.`
    )
  }
  const service = `${facts.namespace}/${name}`
  if (crd.conversionService !== undefined && crd.conversionService !== service) {
    return Check.fail(id, `The DynaKube CRD converts through ${crd.conversionService}, not Service ${service}.`)
  }
  if (crd.conversionCaBundle === undefined || crd.conversionCaBundle === "") {
    return Check.fail(id, "The DynaKube CRD's conversion webhook has no caBundle.")
  }
  return Check.pass(id, `The DynaKube CRD converts through Service ${service}.`)
}

/** DNS and IP names of a PEM certificate (empty when it does not parse). */
const namesOf = (pem: string): { readonly dns: ReadonlyArray<string>; readonly ip: ReadonlyArray<string> } => {
  let text: string | undefined
  try {
    text = new X509Certificate(pem).subjectAltName
  } catch {
    text = undefined
  }
  const entries = (text ?? "").split(",").map((entry) => entry.trim())
  return {
    dns: entries.filter((e) => e.startsWith("DNS:")).map((e) => e.slice(4).toLowerCase()),
    ip: entries
      .filter((e) => e.startsWith("IP Address:"))
      .map((e) => e.slice("IP Address:".length))
      .map((ip) => WebhookIdentity.canonicalIp(ip) ?? ip)
  }
}

const iso = (date: Date) => date.toISOString()

/** The certificate Secret's validity. @category checks @since 0.1.0 */
export const certificate = (
  facts: WebhookFacts,
  renewalThreshold: Duration.Duration = CertDurations.defaults.renewalThreshold
): Check.Verdict => {
  const id = "webhook-certificate"
  const where = `Secret ${facts.namespace}/${CertSecret.secretName}`
  const lookup = facts.certSecret
  if (lookup._tag === "NotFound") return Check.fail(id, `${where} does not exist; the operator's certgen creates it.`)
  if (lookup._tag === "Failed") return Check.fail(id, `${where} could not be read: ${lookup.reason}`)
  const data: CertData = lookup.value
  const ca = Renewal.checkCa(data, facts.now, Duration.zero)
  if (Result.isFailure(ca)) return Check.fail(id, `${where}: ${ca.failure.message}.`)
  const own = namesOf(data.serverCert ?? "")
  const ownNames = { commonName: "", dnsNames: own.dns, ipAddresses: own.ip }
  const server = Renewal.checkServer(data, ca.success, facts.now, Duration.zero, ownNames)
  if (Result.isFailure(server)) return Check.fail(id, `${where}: ${server.failure.message}.`)
  const required = Result.getOrUndefined(WebhookIdentity.serverNames({ namespace: facts.namespace }))?.dnsNames ?? []
  const missing = required.filter((n) => !own.dns.includes(n))
  if (missing.length > 0) return Check.fail(id, `${where}: the server certificate does not name ${missing.join(", ")}.`)
  const caSoon = Renewal.checkCa(data, facts.now, renewalThreshold)
  const serverSoon = Renewal.checkServer(data, ca.success, facts.now, renewalThreshold, ownNames)
  const caNotAfter = ca.success.certificate.validToDate
  const serverNotAfter = server.success.notAfter
  if (Result.isFailure(caSoon) || Result.isFailure(serverSoon)) {
    return Check.warn(
      id,
      `${where}: renewal is due (CA valid until ${iso(caNotAfter)}, server certificate until ${iso(serverNotAfter)}); the operator renews it.`
    )
  }
  return Check.pass(id, `${where}: CA valid until ${iso(caNotAfter)}, server certificate until ${iso(serverNotAfter)}.`)
}

/** Every caBundle against the Secret's CA bundle. @category checks @since 0.1.0 */
export const caBundle = (facts: WebhookFacts): Check.Verdict => {
  const id = "webhook-ca-bundle"
  const certs = Check.valueOf(facts.certSecret)
  if (certs?.caCert === undefined) return Check.skip(id, "Skipped: the certificate Secret has no CA.")
  const bundle = { caCert: certs.caCert, caCertOld: certs.caCertOld }
  const targets: Array<{ readonly what: string; readonly caBundle: string | undefined }> = []
  for (const [kind, lookup] of [
    ["MutatingWebhookConfiguration", facts.mutating],
    ["ValidatingWebhookConfiguration", facts.validating]
  ] as const) {
    for (const entry of Check.valueOf(lookup) ?? [])
      targets.push({ what: `${kind} ${name} (${entry.name})`, caBundle: entry.caBundle })
  }
  const crd = Check.valueOf(facts.dynakubeCrd)
  if (crd?.conversionStrategy === "Webhook") {
    targets.push({ what: "the DynaKube CRD's conversion webhook", caBundle: crd.conversionCaBundle })
  }
  if (targets.length === 0) return Check.skip(id, "Skipped: no webhook configuration to compare.")
  const stale = targets.filter((t) => !CaBundle.matchesBase64(t.caBundle, bundle)).map((t) => t.what)
  if (stale.length > 0) {
    return Check.fail(
      id,
      `The caBundle of ${stale.join(", ")} differs from the CA in ${CertSecret.secretName}; the apiserver will not trust the webhook until the operator rewrites it.`
    )
  }
  return Check.pass(id, `All ${targets.length} caBundles match the CA in ${CertSecret.secretName}.`)
}

/** Every webhook check, in order. @category checks @since 0.1.0 */
export const all = (facts: WebhookFacts): ReadonlyArray<Check.Verdict> => [
  deployment(facts),
  endpoints(facts),
  mutatingConfiguration(facts),
  validatingConfiguration(facts),
  crdConversion(facts),
  certificate(facts),
  caBundle(facts)
]
