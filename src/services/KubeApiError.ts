/**
 * The one error type of every Kubernetes API call: `KubeApiError`, with a `reason` that says what went wrong.
 *
 * It is built once, at the boundary (`fromResponse` for a non-2xx answer, `fromStatus` for a `Status` object in
 * a watch stream, `fromTransport` when no answer arrived), so callers never see an `ApiException`, an HTTP
 * status code or a socket error. Match on the reason with `Effect.catchReason("KubeApiError", "NotFound", …)`
 * or with the `is…` predicates below.
 *
 * Messages are the API server's own `Status.message` (e.g. `configmaps "x" not found`); bodies of Secrets or
 * request headers never end up in an error.
 */
import { Duration, Schema } from "effect"

/** 404: the object (or the resource type, e.g. a CRD not installed) does not exist. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}) {}

/** 409 with reason AlreadyExists: create of a name that is taken. */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", {
  message: Schema.String
}) {}

/** 409: stale resourceVersion on update, a failed precondition, or a server-side apply field conflict. */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  message: Schema.String
}) {}

/** 410: the resourceVersion is too old (compacted); relist. Also an expired `continue` token. */
export class Gone extends Schema.TaggedError<Gone>()("Gone", {
  message: Schema.String
}) {}

/** One field-level complaint of an Invalid answer (`Status.details.causes[]`). */
export const StatusCause = Schema.Struct({
  reason: Schema.optionalKey(Schema.String),
  message: Schema.optionalKey(Schema.String),
  field: Schema.optionalKey(Schema.String)
})
export type StatusCause = typeof StatusCause.Type

/** 422 (validation failed) or another 4xx that rejects the request itself (400 bad patch, 415, 405, 413). */
export class Invalid extends Schema.TaggedError<Invalid>()("Invalid", {
  message: Schema.String,
  causes: Schema.Array(StatusCause)
}) {}

/** 401: the credentials were rejected. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String
}) {}

/** 403: RBAC (or an admission policy) forbids it. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String
}) {}

/** 429: API priority and fairness throttled the request; `retryAfter` when the server said when to come back. */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", {
  message: Schema.String,
  retryAfter: Schema.optionalKey(Schema.Duration)
}) {}

/** 5xx (or an unexpected status): the server failed; `retryAfter` when it said when to come back. */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  message: Schema.String,
  status: Schema.Number,
  retryAfter: Schema.optionalKey(Schema.Duration)
}) {}

/** No usable answer: connection refused or reset, TLS failure, timeout, or a body that is not JSON. */
export class Transport extends Schema.TaggedError<Transport>()("Transport", {
  message: Schema.String,
  /** The system error code when there is one (ECONNREFUSED, ECONNRESET, DEPTH_ZERO_SELF_SIGNED_CERT, …). */
  code: Schema.optionalKey(Schema.String)
}) {}

/** Every reason a Kubernetes API call can fail for. */
export const KubeApiErrorReason = Schema.Union([
  NotFound,
  AlreadyExists,
  Conflict,
  Gone,
  Invalid,
  Unauthorized,
  Forbidden,
  TooManyRequests,
  ServerError,
  Transport
])
export type KubeApiErrorReason = typeof KubeApiErrorReason.Type

/** The failure of a Kubernetes API call: what was asked (verb, resource, object) and why it failed. */
export class KubeApiError extends Schema.TaggedError<KubeApiError>()("KubeApiError", {
  reason: KubeApiErrorReason,
  /** get, list, watch, create, update, patch, apply, delete. */
  verb: Schema.String,
  /** The resource as `group/plural[/subresource]` (`configmaps`, `apps/deployments/status`). */
  resource: Schema.String,
  namespace: Schema.optionalKey(Schema.String),
  /** The object's name (not `name`: that is the Error's name). */
  objectName: Schema.optionalKey(Schema.String),
  /** The HTTP status when the server answered. */
  status: Schema.optionalKey(Schema.Number)
}) {
  override get message(): string {
    const target =
      this.objectName === undefined
        ? ""
        : ` ${this.namespace === undefined ? "" : `${this.namespace}/`}${this.objectName}`
    return `${this.verb} ${this.resource}${target}: ${this.reason._tag}: ${this.reason.message}`
  }
}

/** What a request was about; carried into the error so the message names the object. */
export interface RequestInfo {
  readonly verb: string
  readonly resource: string
  readonly namespace?: string | undefined
  readonly name?: string | undefined
}

const withInfo = (info: RequestInfo, reason: KubeApiErrorReason, status?: number): KubeApiError =>
  new KubeApiError({
    reason,
    verb: info.verb,
    resource: info.resource,
    ...(info.namespace === undefined ? {} : { namespace: info.namespace }),
    ...(info.name === undefined ? {} : { objectName: info.name }),
    ...(status === undefined ? {} : { status })
  })

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const stringField = (o: Record<string, unknown>, key: string): string | undefined => {
  const v = o[key]
  return typeof v === "string" && v !== "" ? v : undefined
}

const causesOf = (status: Record<string, unknown>): Array<StatusCause> => {
  const details = status["details"]
  if (!isRecord(details) || !Array.isArray(details["causes"])) return []
  return details["causes"].filter(isRecord).map((c) => {
    const reason = stringField(c, "reason")
    const message = stringField(c, "message")
    const field = stringField(c, "field")
    return {
      ...(reason === undefined ? {} : { reason }),
      ...(message === undefined ? {} : { message }),
      ...(field === undefined ? {} : { field })
    }
  })
}

const retryAfterOf = (status: Record<string, unknown> | undefined, header: string | undefined) => {
  // The Retry-After header wins; Status.details.retryAfterSeconds is the same number in the body.
  if (header !== undefined) {
    const trimmed = header.trim()
    if (/^\d+$/.test(trimmed)) return Duration.seconds(Number(trimmed))
  }
  const details = status?.["details"]
  if (isRecord(details) && typeof details["retryAfterSeconds"] === "number" && details["retryAfterSeconds"] >= 0) {
    return Duration.seconds(details["retryAfterSeconds"])
  }
  return undefined
}

/** The reason for an HTTP status and its `Status` body (parsed JSON, if it was JSON). */
export const reasonFor = (
  httpStatus: number,
  statusBody: unknown,
  fallbackMessage: string,
  retryAfterHeader?: string
): KubeApiErrorReason => {
  const status = isRecord(statusBody) ? statusBody : undefined
  const message = (status && stringField(status, "message")) ?? fallbackMessage
  const statusReason = status && stringField(status, "reason")
  const retryAfter = retryAfterOf(status, retryAfterHeader)
  const after = retryAfter === undefined ? {} : { retryAfter }
  switch (httpStatus) {
    case 401:
      return new Unauthorized({ message })
    case 403:
      return new Forbidden({ message })
    case 404:
      return new NotFound({ message })
    case 409:
      return statusReason === "AlreadyExists" ? new AlreadyExists({ message }) : new Conflict({ message })
    case 410:
      return new Gone({ message })
    case 429:
      return new TooManyRequests({ message, ...after })
  }
  if (httpStatus >= 400 && httpStatus < 500) return new Invalid({ message, causes: status ? causesOf(status) : [] })
  return new ServerError({ message, status: httpStatus, ...after })
}

/** Maps a non-2xx answer (status, raw body text, Retry-After header) to the error. */
export const fromResponse = (
  info: RequestInfo,
  httpStatus: number,
  bodyText: string,
  retryAfterHeader?: string
): KubeApiError => {
  let parsed: unknown = undefined
  try {
    parsed = JSON.parse(bodyText)
  } catch {
    // Not a Status object (e.g. a proxy's HTML page); the status code alone decides.
  }
  // A non-JSON body is at most a short plain-text line from a proxy or the Go mux ("404 page not found").
  const text = bodyText.trim().split("\n")[0]?.slice(0, 200) ?? ""
  const fallback = text === "" ? `the server answered HTTP ${httpStatus}` : `HTTP ${httpStatus}: ${text}`
  return withInfo(info, reasonFor(httpStatus, parsed, fallback, retryAfterHeader), httpStatus)
}

/** Maps a `Status` object received in a watch stream (`{type: "ERROR", object: Status}`). */
export const fromStatus = (info: RequestInfo, statusObject: unknown): KubeApiError => {
  const code = isRecord(statusObject) && typeof statusObject["code"] === "number" ? statusObject["code"] : 500
  return withInfo(info, reasonFor(code, statusObject, `watch error (code ${code})`), code)
}

const errorChain = (cause: unknown): Array<unknown> => {
  const chain: Array<unknown> = []
  let current: unknown = cause
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current)
    current = isRecord(current) || current instanceof Error ? (current as { cause?: unknown }).cause : undefined
  }
  return chain
}

/** Maps a failure without an HTTP answer; `what` says where it happened (e.g. the server URL). */
export const fromTransport = (info: RequestInfo, cause: unknown, what: string): KubeApiError => {
  const chain = errorChain(cause)
  // The innermost error is the useful one: "connect ECONNREFUSED 127.0.0.1:6443", a TLS verification error, …
  const innermost = chain.toReversed().find((e) => e instanceof Error) as (Error & { code?: unknown }) | undefined
  const coded = chain.find((e) => isRecord(e) && typeof e["code"] === "string") as { code: string } | undefined
  const code = coded?.code
  const detail = innermost?.message ?? (typeof cause === "string" ? cause : "unknown transport failure")
  return withInfo(info, new Transport({ message: `${what}: ${detail}`, ...(code === undefined ? {} : { code }) }))
}

/** A locally detected bad request (e.g. a namespaced resource without namespace); never sent. */
export const invalidRequest = (info: RequestInfo, message: string): KubeApiError =>
  withInfo(info, new Invalid({ message, causes: [] }))

const is =
  <T extends KubeApiErrorReason["_tag"]>(tag: T) =>
  (u: unknown): u is KubeApiError & { readonly reason: Extract<KubeApiErrorReason, { _tag: T }> } =>
    u instanceof KubeApiError && u.reason._tag === tag

export const isNotFound = is("NotFound")
export const isAlreadyExists = is("AlreadyExists")
export const isConflict = is("Conflict")
export const isGone = is("Gone")
export const isInvalid = is("Invalid")
export const isForbidden = is("Forbidden")
export const isUnauthorized = is("Unauthorized")
export const isTooManyRequests = is("TooManyRequests")
export const isServerError = is("ServerError")
export const isTransport = is("Transport")
