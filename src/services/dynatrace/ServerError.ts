/**
 * Turning a tenant's non-success answer into a `DynatraceApiError` reason (spec §6.1).
 *
 * The tenant describes errors as `{"error":{"code":403,"message":"…","constraintViolations":[{"path","message"}]}}`
 * or as a list of those (settings batch endpoints). When such a body exists, its `code` decides the reason rather
 * than the HTTP status. The reason's message is the tenant's own message (plus constraint violations), or
 * `HTTP <status>` when the body has none; secrets are scrubbed by the caller.
 *
 * @since 0.1.0
 */
import { Duration, Option, Result, Schema } from "effect"
import { Headers } from "effect/http"
import * as E from "../DynatraceApiError.ts"

const ConstraintViolation = Schema.Struct({
  path: Schema.optional(Schema.NullOr(Schema.String)),
  message: Schema.optional(Schema.NullOr(Schema.String))
})

/** One server error as the tenant sends it. */
export const ServerError = Schema.Struct({
  code: Schema.optional(Schema.Number),
  message: Schema.optional(Schema.NullOr(Schema.String)),
  constraintViolations: Schema.optional(Schema.NullOr(Schema.Array(ConstraintViolation)))
})

/** The tenant's error body: one `{"error":…}` object or a list of them. */
export const ServerErrorBody = Schema.Union([
  Schema.Struct({ error: ServerError }),
  Schema.Array(Schema.Struct({ error: ServerError }))
])

const decodeBody = Schema.decodeUnknownOption(Schema.fromJsonString(ServerErrorBody))

/** The server errors found in a body (empty when it is not an error body). */
export const parseServerErrors = (body: string): ReadonlyArray<typeof ServerError.Type> =>
  Option.match(decodeBody(body), {
    onNone: () => [],
    onSome: (parsed) => ("error" in parsed ? [parsed.error] : parsed.map((item) => item.error))
  })

const describe = (error: typeof ServerError.Type): string => {
  const violations = (error.constraintViolations ?? [])
    .map((v) => [v.path, v.message].filter((part) => part !== undefined && part !== null && part !== "").join(": "))
    .filter((text) => text !== "")
  const message = error.message ?? ""
  return [message, ...violations].filter((part) => part !== "").join("; ")
}

/**
 * Scopes named in a 403 message such as `Token is missing required scope. Use one of: InstallerDownload` or
 * `… missing scopes: settings.read, settings.write`. Parenthesised descriptions are dropped.
 */
export const scopesInMessage = (message: string): ReadonlyArray<string> => {
  const match = /(?:use one of|missing (?:required )?scopes?)\s*:\s*(.+)$/i.exec(message)
  if (match === null || match[1] === undefined) return []
  return match[1]
    .replace(/\([^)]*\)/g, "")
    .split(/[,;]/)
    .map((scope) => scope.trim().replace(/[.\s]+$/, ""))
    .filter((scope) => /^[A-Za-z][\w.:-]*$/.test(scope))
}

/** Reads `Retry-After` (seconds or HTTP date) relative to `nowMillis`. */
export const parseRetryAfter = (value: string | undefined, nowMillis: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const parsed = Headers.parseRetryAfter(value.trim())
  if (Result.isFailure(parsed)) return undefined
  const retry = parsed.success
  if (retry._tag === "Duration") return retry.duration
  return Duration.millis(Math.max(0, retry.dateTime.epochMilliseconds - nowMillis))
}

/** Everything needed to classify one failed answer. */
export interface FailedAnswer {
  readonly status: number
  readonly body: string
  readonly retryAfter: string | undefined
  readonly nowMillis: number
}

/** Builds the reason for a non-success answer. */
export const classify = (answer: FailedAnswer): E.DynatraceApiErrorReason => {
  const errors = parseServerErrors(answer.body)
  const first = errors[0]
  const bodyCode = first?.code
  // The body's code wins over the HTTP status, as long as it is an HTTP error code itself.
  const code =
    bodyCode !== undefined && Number.isInteger(bodyCode) && bodyCode >= 400 && bodyCode < 600 ? bodyCode : answer.status
  const described = errors
    .map(describe)
    .filter((text) => text !== "")
    .join(" | ")
  const message = described !== "" ? described : `HTTP ${answer.status}`
  switch (code) {
    case 401:
      return new E.Unauthorized({ message })
    case 403:
      return new E.MissingScopes({ scopes: scopesInMessage(message), message })
    case 404:
      return new E.NotFound({ message })
    case 429: {
      const retryAfter = parseRetryAfter(answer.retryAfter, answer.nowMillis)
      return retryAfter === undefined ? new E.RateLimited({ message }) : new E.RateLimited({ message, retryAfter })
    }
    case 502:
    case 503:
    case 504:
      return new E.Unavailable({ status: code, message })
    default:
      return new E.UnexpectedStatus({ status: code, message })
  }
}
