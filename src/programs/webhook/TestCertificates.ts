/**
 * Serving certificates for the webhook's tests and benchmark, issued by the operator's own certificate service
 * (`services/Certs.ts`) for `dynatrace-webhook.<ns>` plus IP `127.0.0.1`, so the apiserver (or a test client) can
 * call the webhook by URL on loopback.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { CertDurations, Certs } from "../../services/Certs.ts"
import type { CertPaths } from "./ServingCertificate.ts"

/** A CA and a server certificate for loopback. @category models @since 0.1.0 */
export interface LoopbackCertificates {
  readonly caCert: string
  readonly serverCert: string
  readonly serverKey: string
}

/** Issues a fresh CA and server certificate (valid now, for 127.0.0.1). @category constructors @since 0.1.0 */
export const issue = (namespace = "dynatrace"): Effect.Effect<LoopbackCertificates, unknown> =>
  Effect.gen(function* () {
    const certs = yield* Certs
    const issued = yield* certs.generate({ namespace, extraIpAddresses: ["127.0.0.1"], extraDnsNames: ["localhost"] })
    return { caCert: issued.caCert, serverCert: issued.serverCert, serverKey: issued.serverKey }
  }).pipe(Effect.provide(Certs.layerWith(CertDurations.defaults)))

/** A fresh temporary certs directory holding the pair as `tls.crt` / `tls.key`. @category constructors @since 0.1.0 */
export const writeTemporary = (certificates: LoopbackCertificates): CertPaths => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "webhook-certs-"))
  fs.writeFileSync(path.join(dir, "tls.crt"), certificates.serverCert)
  fs.writeFileSync(path.join(dir, "tls.key"), certificates.serverKey, { mode: 0o600 })
  return { dir, cert: "tls.crt", key: "tls.key" }
}
