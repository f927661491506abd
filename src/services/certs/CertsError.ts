/**
 * The one error the certificate service fails with: the identity it was asked to certify is not valid (bad namespace,
 * DNS name or IP address), or WebCrypto failed to make a key or a signature.
 *
 * Existing secret data never causes an error: broken data is a reason to regenerate (see `Renewal.ts`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** The namespace, an extra DNS name or an extra IP address cannot go into a certificate. @category reasons @since 0.1.0 */
export class InvalidIdentity extends Schema.TaggedError<InvalidIdentity>()("InvalidIdentity", {
  message: Schema.String
}) {}

/** WebCrypto or the certificate encoder failed (not expected on a working Node). @category reasons @since 0.1.0 */
export class GenerationFailed extends Schema.TaggedError<GenerationFailed>()("GenerationFailed", {
  message: Schema.String
}) {}

/** @category models @since 0.1.0 */
export const CertsErrorReason = Schema.Union([InvalidIdentity, GenerationFailed])

/** @category models @since 0.1.0 */
export type CertsErrorReason = typeof CertsErrorReason.Type

/** A certificate operation failed: which one (`operation`, e.g. `"createCa"`), and why. @category errors @since 0.1.0 */
export class CertsError extends Schema.TaggedError<CertsError>()("CertsError", {
  operation: Schema.String,
  reason: CertsErrorReason
}) {
  override get message(): string {
    return `${this.operation}: ${this.reason._tag}: ${this.reason.message}`
  }
}
