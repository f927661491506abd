/**
 * The renewal decision: given what the `dynatrace-webhook-certs` Secret holds, the time and the names the server
 * certificate must carry, keep everything, renew the server certificate only, or regenerate CA and server
 * certificate. A pure function: time is an argument (the service passes the Clock's), nothing is written.
 *
 * The checks run in order and the first failing one decides (spec §2.4, plus the consistency checks a Secret edited
 * by hand or by an older operator needs):
 *
 * CA — any failure regenerates everything (the previous `ca.crt`, if it is a certificate, becomes `ca.crt.old`):
 * 1. `CaMissing`            `ca.crt` or `ca.key` absent
 * 2. `CaCertificateInvalid` `ca.crt` is not a certificate, not a CA, or not self-signed
 * 3. `CaKeyInvalid`         `ca.key` is not a P-256 key, or not the key of `ca.crt`
 * 4. `CaNotYetValid`        `now < notBefore`
 * 5. `CaExpiring`           `now > notAfter − renewalThreshold` (expired included)
 *
 * Server certificate — any failure renews it with the existing CA:
 * 1. `ServerMissing`            `tls.crt` or `tls.key` absent
 * 2. `ServerCertificateInvalid` `tls.crt` is not a certificate
 * 3. `ServerKeyInvalid`         `tls.key` is not a PKCS#8/SEC1 PEM key a TLS server can load, or not the key of `tls.crt`
 * 4. `ServerNotIssuedByCa`      `tls.crt` is not signed by `ca.crt`
 * 5. `ServerNamesChanged`       its DNS names / IP addresses differ from the expected ones
 * 6. `ServerNotYetValid`        `now < notBefore`
 * 7. `ServerExpiring`           `now > notAfter − renewalThreshold` (expired included)
 *
 * At exactly `notAfter − renewalThreshold` a certificate is kept, as in the original (`now.After(notAfter − t)`).
 *
 * @since 0.1.0
 */
import { Duration, Result } from "effect"
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto"
import type { CertData } from "./CertSecret.ts"
import * as EcdsaKey from "./EcdsaKey.ts"
import { canonicalIp, type ServerNames } from "./WebhookIdentity.ts"
import { x509 } from "./X509.ts"

/** Why the CA (and with it the server certificate) is regenerated. @category models @since 0.1.0 */
export type CaReason = "CaMissing" | "CaCertificateInvalid" | "CaKeyInvalid" | "CaNotYetValid" | "CaExpiring"

/** Why only the server certificate is renewed. @category models @since 0.1.0 */
export type ServerReason =
  | "ServerMissing"
  | "ServerCertificateInvalid"
  | "ServerKeyInvalid"
  | "ServerNotIssuedByCa"
  | "ServerNamesChanged"
  | "ServerNotYetValid"
  | "ServerExpiring"

/** Everything is valid; the validity ends are reported for requeue planning and metrics. @category models @since 0.1.0 */
export interface Keep {
  readonly _tag: "Keep"
  readonly caNotAfter: Date
  readonly serverNotAfter: Date
}

/** The CA stays; a new server certificate is issued. @category models @since 0.1.0 */
export interface RenewServer {
  readonly _tag: "RenewServer"
  readonly reason: ServerReason
  readonly message: string
}

/** A new CA and a new server certificate are issued. @category models @since 0.1.0 */
export interface RegenerateAll {
  readonly _tag: "RegenerateAll"
  readonly reason: CaReason
  readonly message: string
}

/** @category models @since 0.1.0 */
export type RenewalDecision = Keep | RenewServer | RegenerateAll

/** @category models @since 0.1.0 */
export interface RenewalInput {
  readonly data: CertData
  /** Epoch milliseconds (from the Clock). */
  readonly now: number
  readonly renewalThreshold: Duration.Duration
  /** The names the server certificate must carry exactly. */
  readonly names: ServerNames
}

/** A CA that passed every check: what the server checks and the issuer need. @category models @since 0.1.0 */
export interface ValidCa {
  readonly certificate: X509Certificate
  readonly privateKey: KeyObject
  /** The Secret's `ca.crt` and `ca.key` texts, unchanged. */
  readonly certificatePem: string
  readonly privateKeyPem: string
}

/** A server certificate that passed every check. @category models @since 0.1.0 */
export interface ValidServer {
  readonly notAfter: Date
  /** The Secret's `tls.crt` and `tls.key` texts, unchanged. */
  readonly certificatePem: string
  readonly privateKeyPem: string
}

/**
 * The decision with what was parsed on the way: the valid CA whenever it is kept, the valid server certificate when
 * everything is kept.
 * @category models
 * @since 0.1.0
 */
export type Evaluation =
  | { readonly _tag: "Keep"; readonly decision: Keep; readonly ca: ValidCa; readonly server: ValidServer }
  | { readonly _tag: "RenewServer"; readonly decision: RenewServer; readonly ca: ValidCa }
  | { readonly _tag: "RegenerateAll"; readonly decision: RegenerateAll }

interface Violation<R> {
  readonly reason: R
  readonly message: string
}

const parseCertificate = (pem: string): X509Certificate | undefined => {
  try {
    return new X509Certificate(pem)
  } catch {
    return undefined
  }
}

// What a TLS server (Node/OpenSSL) will load as its key: the exact PEM, without the importer's tolerance.
const loadTlsKey = (pem: string): KeyObject | undefined => {
  try {
    return createPrivateKey(pem)
  } catch {
    return undefined
  }
}

const iso = (date: Date) => date.toISOString()

// Strict `>`: at exactly notAfter − threshold the certificate is kept.
const withinThreshold = (now: number, notAfter: Date, threshold: Duration.Duration) =>
  now > notAfter.getTime() - Duration.toMillis(threshold)

/**
 * Runs the CA checks; on success returns the parsed CA.
 * @category decisions
 * @since 0.1.0
 */
export const checkCa = (
  data: CertData,
  now: number,
  renewalThreshold: Duration.Duration
): Result.Result<ValidCa, Violation<CaReason>> => {
  const fail = (reason: CaReason, message: string) => Result.fail({ reason, message })
  if (data.caCert === undefined || data.caKey === undefined) {
    return fail("CaMissing", "The secret holds no CA certificate and key")
  }
  const certificate = parseCertificate(data.caCert)
  if (certificate === undefined) return fail("CaCertificateInvalid", "The CA certificate cannot be parsed")
  if (!certificate.ca) return fail("CaCertificateInvalid", "The CA certificate is not a CA")
  if (!certificate.checkIssued(certificate) || !certificate.verify(certificate.publicKey)) {
    return fail("CaCertificateInvalid", "The CA certificate is not self-signed")
  }
  const privateKey = EcdsaKey.fromPem(data.caKey)
  if (privateKey === undefined) return fail("CaKeyInvalid", "The CA key cannot be parsed")
  if (!EcdsaKey.isP256(privateKey)) return fail("CaKeyInvalid", "The CA key is not an ECDSA P-256 key")
  if (!certificate.checkPrivateKey(privateKey)) {
    return fail("CaKeyInvalid", "The CA key does not belong to the CA certificate")
  }
  if (now < certificate.validFromDate.getTime()) {
    return fail("CaNotYetValid", `The CA certificate is not valid before ${iso(certificate.validFromDate)}`)
  }
  if (withinThreshold(now, certificate.validToDate, renewalThreshold)) {
    const expired = now > certificate.validToDate.getTime()
    return fail(
      "CaExpiring",
      `The CA certificate ${expired ? "expired" : "expires"} at ${iso(certificate.validToDate)}`
    )
  }
  return Result.succeed({ certificate, privateKey, certificatePem: data.caCert, privateKeyPem: data.caKey })
}

// The DNS and IP names of a certificate Node already parsed; an extension x509 cannot read counts as no names.
const sanOf = (pem: string): { dns: Array<string>; ip: Array<string> } => {
  let names: ReadonlyArray<{ readonly type: string; readonly value: string }> = []
  try {
    names = new x509.X509Certificate(pem).getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? []
  } catch {
    names = []
  }
  return {
    dns: names.filter((name) => name.type === "dns").map((name) => name.value.toLowerCase()),
    ip: names.filter((name) => name.type === "ip").map((name) => canonicalIp(name.value) ?? name.value)
  }
}

const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => {
  const left = new Set(a)
  const right = new Set(b)
  return left.size === right.size && [...left].every((value) => right.has(value))
}

/**
 * Runs the server checks against a valid CA.
 * @category decisions
 * @since 0.1.0
 */
export const checkServer = (
  data: CertData,
  ca: ValidCa,
  now: number,
  renewalThreshold: Duration.Duration,
  names: ServerNames
): Result.Result<ValidServer, Violation<ServerReason>> => {
  const fail = (reason: ServerReason, message: string) => Result.fail({ reason, message })
  if (data.serverCert === undefined || data.serverKey === undefined) {
    return fail("ServerMissing", "The secret holds no server certificate and key")
  }
  const certificate = parseCertificate(data.serverCert)
  if (certificate === undefined) return fail("ServerCertificateInvalid", "The server certificate cannot be parsed")
  const key = loadTlsKey(data.serverKey)
  if (key === undefined) return fail("ServerKeyInvalid", "The server key cannot be loaded by a TLS server")
  if (!certificate.checkPrivateKey(key)) {
    return fail("ServerKeyInvalid", "The server key does not belong to the server certificate")
  }
  if (!certificate.checkIssued(ca.certificate) || !certificate.verify(ca.certificate.publicKey)) {
    return fail("ServerNotIssuedByCa", "The server certificate is not signed by the CA")
  }
  const san = sanOf(data.serverCert)
  if (!sameSet(san.dns, names.dnsNames) || !sameSet(san.ip, names.ipAddresses)) {
    return fail(
      "ServerNamesChanged",
      `The server certificate names [${[...san.dns, ...san.ip].join(", ")}] differ from [${[...names.dnsNames, ...names.ipAddresses].join(", ")}]`
    )
  }
  if (now < certificate.validFromDate.getTime()) {
    return fail("ServerNotYetValid", `The server certificate is not valid before ${iso(certificate.validFromDate)}`)
  }
  if (withinThreshold(now, certificate.validToDate, renewalThreshold)) {
    const expired = now > certificate.validToDate.getTime()
    return fail(
      "ServerExpiring",
      `The server certificate ${expired ? "expired" : "expires"} at ${iso(certificate.validToDate)}`
    )
  }
  return Result.succeed({
    notAfter: certificate.validToDate,
    certificatePem: data.serverCert,
    privateKeyPem: data.serverKey
  })
}

/**
 * The decision, with the parsed CA (and server certificate) it keeps.
 * @category decisions
 * @since 0.1.0
 */
export const evaluate = (input: RenewalInput): Evaluation => {
  const ca = checkCa(input.data, input.now, input.renewalThreshold)
  if (Result.isFailure(ca)) {
    return { _tag: "RegenerateAll", decision: { _tag: "RegenerateAll", ...ca.failure } }
  }
  const server = checkServer(input.data, ca.success, input.now, input.renewalThreshold, input.names)
  if (Result.isFailure(server)) {
    return { _tag: "RenewServer", decision: { _tag: "RenewServer", ...server.failure }, ca: ca.success }
  }
  const decision: Keep = {
    _tag: "Keep",
    caNotAfter: ca.success.certificate.validToDate,
    serverNotAfter: server.success.notAfter
  }
  return { _tag: "Keep", decision, ca: ca.success, server: server.success }
}

/**
 * Decides what to do with the Secret's certificates.
 * @category decisions
 * @since 0.1.0
 */
export const decide = (input: RenewalInput): RenewalDecision => evaluate(input).decision
