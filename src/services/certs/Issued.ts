/**
 * What issuing a certificate produces, and the validity window rule shared by the CA and the server certificate.
 *
 * Certificates encode times in whole seconds, so `notBefore` is the Clock's `now` truncated to the second and
 * `notAfter` is exactly `notBefore + validity`: what the renewal decision later reads back is what was computed.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import { CertsError, GenerationFailed } from "./CertsError.ts"

/** A certificate and its private key, both PEM, with its validity window. @category models @since 0.1.0 */
export interface Issued {
  /** `-----BEGIN CERTIFICATE-----` */
  readonly certificate: string
  /** PKCS#8 `-----BEGIN PRIVATE KEY-----` */
  readonly privateKey: string
  readonly notBefore: Date
  readonly notAfter: Date
}

/** `[now truncated to seconds, + validity]`. @category constructors @since 0.1.0 */
export const validityWindow = (nowMillis: number, validity: Duration.Duration): { notBefore: Date; notAfter: Date } => {
  const start = Math.floor(nowMillis / 1000) * 1000
  return { notBefore: new Date(start), notAfter: new Date(start + Duration.toMillis(validity)) }
}

/** Runs a WebCrypto/x509 promise; a rejection becomes `CertsError(GenerationFailed)`. @category constructors @since 0.1.0 */
export const attempt = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, CertsError> =>
  Effect.tryPromise({
    try: run,
    catch: (cause) =>
      new CertsError({
        operation,
        reason: new GenerationFailed({ message: cause instanceof Error ? cause.message : String(cause) })
      })
  })
