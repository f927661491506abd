/**
 * ActiveGate auth token creation (spec §6.2 #11, §2.2.5): `POST /v2/activeGateTokens` with
 * `{"name":"<dk>","activeGateType":"ENVIRONMENT","expirationDate":"<now+60d, RFC 3339 UTC>","seedToken":false}`
 * (API token, scope `activeGateTokenManagement.create`) → `id`, `token`.
 *
 * The token decodes straight into `Redacted`.
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"

/** Endpoint path. */
export const path = "/v2/activeGateTokens"

/** Tokens are requested for 60 days; the reconciler rotates them after 29. */
export const validity = Duration.days(60)

/** The request body. */
export interface ActiveGateTokenRequest {
  readonly name: string
  readonly activeGateType: "ENVIRONMENT"
  readonly expirationDate: string
  readonly seedToken: false
}

/** Builds the request body for a DynaKube created at `nowMillis`. */
export const request = (name: string, nowMillis: number): ActiveGateTokenRequest => ({
  name,
  activeGateType: "ENVIRONMENT",
  // RFC 3339 in UTC without fractional seconds, as the original formats it.
  expirationDate: new Date(nowMillis + Duration.toMillis(validity)).toISOString().replace(/\.\d{3}Z$/, "Z"),
  seedToken: false
})

/** The answer. */
export const ActiveGateTokenResponse = Schema.Struct({
  id: Schema.String,
  token: Schema.RedactedFromValue(Schema.String),
  expirationDate: Schema.optional(Schema.NullOr(Schema.String))
})

/** @category models */
export type ActiveGateToken = typeof ActiveGateTokenResponse.Type
