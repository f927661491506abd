/**
 * The webhook certificates (spec §2.4): the operator's own CA and the webhook server certificate, kept in the
 * `dynatrace-webhook-certs` Secret, renewed before they expire. This service knows nothing about Kubernetes: the
 * certificates controller reads the Secret, hands its `data` to {@link Certs}, writes back what it gets, and patches
 * the caBundle into the webhook configurations and CRDs.
 *
 * ```ts
 * const certs = yield* Certs
 * const result = yield* certs.ensure({ namespace: "dynatrace" }, secret?.data)
 * if (result.changed) yield* writeSecret(CertSecret.secretName, result.data)      // create or update
 * for (const webhook of mutating.webhooks) if (!CaBundle.matchesBase64(webhook.clientConfig.caBundle, result.certificates)) …
 * //   → set webhook.clientConfig.caBundle = result.caBundle (base64), same for validating webhooks and CRD conversion
 * return requeueAfter(certs.durations.requeueAfter)
 * ```
 *
 * - `ensure(identity, data)` decides (see `certs/Renewal.ts`) and acts: keeps the data, renews the server certificate
 *   with the existing CA, or creates a new CA (the old `ca.crt` moves to `ca.crt.old`) and server certificate. Keys
 *   of the Secret it does not know are preserved. `changed` says whether the Secret must be written.
 * - `decide(identity, data)` is the decision alone (for `explain`, status, tests).
 * - `generate(identity)` is a brand-new CA and server certificate.
 * - `durations` are the validated `DT_WEBHOOK_CERTS_*` settings (`certs/CertDurations.ts`); `requeueAfter` is the
 *   controller's poll interval.
 *
 * Certificates are ECDSA P-256, valid from the Clock's `now` (so `TestClock` drives them) for the configured
 * durations, for `dynatrace-webhook.<ns>`, `.svc`, `.svc.cluster.local` plus the identity's extra DNS names and IP
 * addresses (e.g. `127.0.0.1` when the apiserver calls the webhook by URL). Broken Secret data is never an error: it
 * is a reason to regenerate. Logs name decisions and reasons, never key material.
 *
 * @since 0.1.0
 */
import { Clock, Config, Context, Effect, Layer, Metric } from "effect"
import * as CaBundle from "./certs/CaBundle.ts"
import * as CertificateAuthority from "./certs/CertificateAuthority.ts"
import * as CertDurations from "./certs/CertDurations.ts"
import * as CertSecret from "./certs/CertSecret.ts"
import type { CertsError } from "./certs/CertsError.ts"
import * as EcdsaKey from "./certs/EcdsaKey.ts"
import * as Renewal from "./certs/Renewal.ts"
import * as ServerCertificate from "./certs/ServerCertificate.ts"
import * as WebhookIdentity from "./certs/WebhookIdentity.ts"

export { CaBundle, CertDurations, CertSecret, Renewal, WebhookIdentity }
export { CertsError } from "./certs/CertsError.ts"

/** What `ensure` returns. @category models @since 0.1.0 */
export interface EnsureResult {
  readonly decision: Renewal.RenewalDecision
  /** The certificates now in force (after renewal, if any). */
  readonly certificates: CertSecret.WebhookCertificates
  /** The Secret's `data` to store: the input itself when nothing changed, else the new entries plus unknown keys. */
  readonly data: CertSecret.SecretData
  /** Whether `data` differs from the input, i.e. the Secret must be created or updated. */
  readonly changed: boolean
  /** base64 caBundle for webhook configurations and CRD conversion (`CaBundle.base64`). */
  readonly caBundle: string
  readonly caNotAfter: Date
  readonly serverNotAfter: Date
}

/** Seconds since the epoch at which each certificate expires, labelled `certificate="ca"|"server"`. @category metrics @since 0.1.0 */
export const certificateExpiry = Metric.gauge("dynatrace_operator_webhook_certificate_expiry_timestamp_seconds", {
  description: "When the webhook CA and server certificates expire (Unix seconds)"
})

/** The webhook certificate service. @category services @since 0.1.0 */
export class Certs extends Context.Service<
  Certs,
  {
    readonly durations: CertDurations.CertDurations
    readonly decide: (
      identity: WebhookIdentity.WebhookIdentity,
      data: CertSecret.SecretData | undefined
    ) => Effect.Effect<Renewal.RenewalDecision, CertsError>
    readonly ensure: (
      identity: WebhookIdentity.WebhookIdentity,
      data: CertSecret.SecretData | undefined
    ) => Effect.Effect<EnsureResult, CertsError>
    readonly generate: (
      identity: WebhookIdentity.WebhookIdentity
    ) => Effect.Effect<CertSecret.WebhookCertificates, CertsError>
  }
>()("dynatrace-operator/services/Certs") {
  /** Durations from the `DT_WEBHOOK_CERTS_*` env vars (defaults when unset); fails the start when they are invalid. */
  static readonly layer: Layer.Layer<Certs, CertDurations.CertDurationsError | Config.ConfigError> = Layer.effect(
    Certs,
    Effect.flatMap(CertDurations.load, (durations) => make(durations))
  )

  /** Explicit durations (validated like the env ones). */
  static readonly layerWith = (
    durations: CertDurations.CertDurations
  ): Layer.Layer<Certs, CertDurations.CertDurationsError> => Layer.effect(Certs, make(durations))
}

const names = (identity: WebhookIdentity.WebhookIdentity) => Effect.fromResult(WebhookIdentity.serverNames(identity))

const recordExpiry = (caNotAfter: Date, serverNotAfter: Date) =>
  Effect.all([
    Metric.update(Metric.withAttributes(certificateExpiry, { certificate: "ca" }), caNotAfter.getTime() / 1000),
    Metric.update(Metric.withAttributes(certificateExpiry, { certificate: "server" }), serverNotAfter.getTime() / 1000)
  ])

/**
 * Builds the service for validated durations.
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  durations: CertDurations.CertDurations
): Effect.Effect<Certs["Service"], CertDurations.CertDurationsError> =>
  Effect.gen(function* () {
    const checked = yield* Effect.fromResult(CertDurations.validate(durations))

    const issueAll = Effect.fnUntraced(function* (serverNames: WebhookIdentity.ServerNames, now: number) {
      const ca = yield* CertificateAuthority.create({
        commonName: serverNames.commonName,
        now,
        validity: checked.rootDuration
      })
      const server = yield* ServerCertificate.create({
        ca: { certificate: ca.certificate, signingKey: ca.signingKey },
        names: serverNames,
        now,
        validity: checked.serverDuration
      })
      return { ca, server }
    })

    const generate = Effect.fn("Certs.generate")(function* (identity: WebhookIdentity.WebhookIdentity) {
      const serverNames = yield* names(identity)
      const now = yield* Clock.currentTimeMillis
      const { ca, server } = yield* issueAll(serverNames, now)
      return {
        caCert: ca.certificate,
        caKey: ca.privateKey,
        serverCert: server.certificate,
        serverKey: server.privateKey
      } satisfies CertSecret.WebhookCertificates
    })

    const decide = Effect.fn("Certs.decide")(function* (
      identity: WebhookIdentity.WebhookIdentity,
      data: CertSecret.SecretData | undefined
    ) {
      const serverNames = yield* names(identity)
      const now = yield* Clock.currentTimeMillis
      return Renewal.decide({
        data: CertSecret.fromSecretData(data),
        now,
        renewalThreshold: checked.renewalThreshold,
        names: serverNames
      })
    })

    const ensure = Effect.fn("Certs.ensure")(function* (
      identity: WebhookIdentity.WebhookIdentity,
      data: CertSecret.SecretData | undefined
    ) {
      const serverNames = yield* names(identity)
      const now = yield* Clock.currentTimeMillis
      const current = CertSecret.fromSecretData(data)
      const evaluation = Renewal.evaluate({
        data: current,
        now,
        renewalThreshold: checked.renewalThreshold,
        names: serverNames
      })
      const decision = evaluation.decision

      const finish = (
        certificates: CertSecret.WebhookCertificates,
        caNotAfter: Date,
        serverNotAfter: Date
      ): Effect.Effect<EnsureResult> => {
        // Keep returns the caller's own data object: nothing to write, not even a reordering.
        const next = evaluation._tag === "Keep" ? (data ?? {}) : CertSecret.toSecretData(certificates, data)
        const result: EnsureResult = {
          decision,
          certificates,
          data: next,
          changed: !CertSecret.sameData(data, next),
          caBundle: CaBundle.base64(certificates),
          caNotAfter,
          serverNotAfter
        }
        return recordExpiry(caNotAfter, serverNotAfter).pipe(Effect.as(result))
      }

      switch (evaluation._tag) {
        case "Keep": {
          const { ca, server } = evaluation
          yield* Effect.logDebug("Webhook certificates are up to date")
          return yield* finish(
            {
              caCert: ca.certificatePem,
              caKey: ca.privateKeyPem,
              caCertOld: current.caCertOld,
              serverCert: server.certificatePem,
              serverKey: server.privateKeyPem
            },
            ca.certificate.validToDate,
            server.notAfter
          )
        }
        case "RenewServer": {
          const { ca } = evaluation
          const server = yield* ServerCertificate.create({
            ca: { certificate: ca.certificatePem, signingKey: EcdsaKey.toSigningKey(ca.privateKey) },
            names: serverNames,
            now,
            validity: checked.serverDuration
          })
          yield* Effect.logInfo("Renewed webhook server certificate").pipe(
            Effect.annotateLogs({
              reason: evaluation.decision.reason,
              detail: evaluation.decision.message,
              notAfter: server.notAfter.toISOString()
            })
          )
          return yield* finish(
            {
              caCert: ca.certificatePem,
              caKey: ca.privateKeyPem,
              caCertOld: current.caCertOld,
              serverCert: server.certificate,
              serverKey: server.privateKey
            },
            ca.certificate.validToDate,
            server.notAfter
          )
        }
        case "RegenerateAll": {
          const issued = yield* issueAll(serverNames, now)
          // The previous CA stays trusted (via the caBundle) while the webhook switches to the new server certificate.
          const previous = current.caCert
          const caCertOld = previous !== undefined && CaBundle.isCaCertificate(previous) ? previous : undefined
          yield* Effect.logInfo("Regenerated webhook CA and server certificate").pipe(
            Effect.annotateLogs({
              reason: evaluation.decision.reason,
              detail: evaluation.decision.message,
              caNotAfter: issued.ca.notAfter.toISOString(),
              notAfter: issued.server.notAfter.toISOString(),
              previousCaKept: caCertOld !== undefined
            })
          )
          return yield* finish(
            {
              caCert: issued.ca.certificate,
              caKey: issued.ca.privateKey,
              caCertOld,
              serverCert: issued.server.certificate,
              serverKey: issued.server.privateKey
            },
            issued.ca.notAfter,
            issued.server.notAfter
          )
        }
      }
    })

    return Certs.of({ durations: checked, decide, ensure, generate })
  })
