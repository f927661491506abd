/**
 * The one error every Dynatrace tenant call can fail with.
 *
 * A `DynatraceApiError` names the operation that failed (`endpoint`, e.g. `"GET /v1/deployment/installer/agent/connectioninfo"`)
 * and carries a tagged `reason` built once, at the HTTP boundary, from the status code and the tenant's error body
 * (`{"error":{"code","message"}}` or `[{"error":{…}}]`; the body's `code` wins over the HTTP status, as in the original).
 * Callers branch on `reason._tag` (or `Effect.catchReason`) and never look at raw HTTP responses.
 *
 * Messages never contain token values: the client scrubs every configured token (and the proxy password) from any
 * text it copies from the tenant or the transport before it builds a reason.
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"

/** 401: the token is unknown, disabled or expired. @category reasons @since 0.1.0 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String
}) {}

/**
 * 403: the token lacks a scope the endpoint needs. `scopes` lists the scopes the tenant named (empty when the tenant's
 * message did not name any).
 * @category reasons
 * @since 0.1.0
 */
export class MissingScopes extends Schema.TaggedError<MissingScopes>()("MissingScopes", {
  scopes: Schema.Array(Schema.String),
  message: Schema.String
}) {}

/** 404: the endpoint or object does not exist on this tenant. @category reasons @since 0.1.0 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}) {}

/** 429: too many requests; `retryAfter` is the tenant's `Retry-After`, when it sent one. @category reasons @since 0.1.0 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  retryAfter: Schema.optional(Schema.Duration),
  message: Schema.String
}) {}

/** 502, 503, 504: the tenant (or a gateway in front of it) is temporarily unavailable. @category reasons @since 0.1.0 */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  status: Schema.Number,
  message: Schema.String
}) {}

/** No complete answer within the configured timeout. @category reasons @since 0.1.0 */
export class Timeout extends Schema.TaggedError<Timeout>()("Timeout", {
  after: Schema.Duration,
  message: Schema.String
}) {}

/** The connection failed: DNS, refused, reset, TLS, proxy, or the body was cut short. @category reasons @since 0.1.0 */
export class Transport extends Schema.TaggedError<Transport>()("Transport", {
  message: Schema.String
}) {}

/** The tenant answered with success but the body is not what the endpoint returns. @category reasons @since 0.1.0 */
export class Decode extends Schema.TaggedError<Decode>()("Decode", {
  message: Schema.String
}) {}

/** Any other status (400, 409, 500, …); `status` is the effective code. @category reasons @since 0.1.0 */
export class UnexpectedStatus extends Schema.TaggedError<UnexpectedStatus>()("UnexpectedStatus", {
  status: Schema.Number,
  message: Schema.String
}) {}

/** The client configuration cannot work (bad apiUrl, proxy URL, CA PEM, token with whitespace). @category reasons @since 0.1.0 */
export class InvalidConfig extends Schema.TaggedError<InvalidConfig>()("InvalidConfig", {
  message: Schema.String
}) {}

/** Every reason a tenant call can fail for. @category models @since 0.1.0 */
export const DynatraceApiErrorReason = Schema.Union([
  Unauthorized,
  MissingScopes,
  NotFound,
  RateLimited,
  Unavailable,
  Timeout,
  Transport,
  Decode,
  UnexpectedStatus,
  InvalidConfig
])

/** @category models @since 0.1.0 */
export type DynatraceApiErrorReason = typeof DynatraceApiErrorReason.Type

/** A failed tenant call: which operation, and why. @category errors @since 0.1.0 */
export class DynatraceApiError extends Schema.TaggedError<DynatraceApiError>()("DynatraceApiError", {
  endpoint: Schema.String,
  reason: DynatraceApiErrorReason
}) {
  override get message(): string {
    return `${this.endpoint}: ${this.reason._tag}: ${this.reason.message}`
  }
}

/**
 * Worth retrying soon: rate limiting, temporary unavailability, timeouts and broken connections.
 * @category predicates
 * @since 0.1.0
 */
export const isTransient = (reason: DynatraceApiErrorReason): boolean =>
  reason._tag === "RateLimited" ||
  reason._tag === "Unavailable" ||
  reason._tag === "Timeout" ||
  reason._tag === "Transport"

/**
 * The original's "unreachable" test (HTTP 429 or 503): the reconcile keeps status and phase and requeues after one
 * minute instead of reporting an error.
 * @category predicates
 * @since 0.1.0
 */
export const isUnreachable = (error: DynatraceApiError): boolean =>
  error.reason._tag === "RateLimited" || (error.reason._tag === "Unavailable" && error.reason.status === 503)

/** How long the tenant asked us to wait, if it did. @category getters @since 0.1.0 */
export const retryAfter = (error: DynatraceApiError): Duration.Duration | undefined =>
  error.reason._tag === "RateLimited" ? error.reason.retryAfter : undefined
