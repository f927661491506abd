/**
 * When to try a Kubernetes request again, as Schedules over `KubeApiError`.
 *
 * Only transient failures are retried: TooManyRequests (429), ServerError 500/502/503/504 and Transport (no
 * answer). NotFound, AlreadyExists, Conflict, Gone, Invalid, Unauthorized and Forbidden are answers that the same
 * request would get again; the caller decides (a reconcile requeues, a Conflict re-reads). A `Retry-After` from
 * the server is honoured: the next attempt waits at least that long.
 *
 * Delays are exponential, capped and jittered (×0.8–1.2) so that many clients do not retry in lock-step.
 */
import { Duration, Effect, Schedule } from "effect"
import type { KubeApiError } from "../KubeApiError.ts"

/** True for the reasons worth repeating the same request for. */
export const isRetryable = (error: KubeApiError): boolean => {
  switch (error.reason._tag) {
    case "TooManyRequests":
    case "Transport":
      return true
    case "ServerError":
      return [500, 502, 503, 504].includes(error.reason.status)
    default:
      return false
  }
}

/** The server's Retry-After, when it gave one. */
export const retryAfterOf = (error: KubeApiError): Duration.Duration | undefined =>
  error.reason._tag === "TooManyRequests" || error.reason._tag === "ServerError" ? error.reason.retryAfter : undefined

export interface BackoffOptions {
  /** First delay (default 100 ms for requests, 200 ms for watches). */
  readonly base?: Duration.Input | undefined
  /** Largest delay (default 10 s for requests, 30 s for watches). */
  readonly cap?: Duration.Input | undefined
  /** The longest Retry-After honoured (default 60 s); longer values are cut to this. */
  readonly maxRetryAfter?: Duration.Input | undefined
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt (default 5). */
  readonly times?: number | undefined
}

/**
 * Exponential, capped, jittered delays that wait at least the error's Retry-After; recurs forever.
 * The building block of `transient` and of the watch reconnect policy.
 */
export const backoff = (options: BackoffOptions = {}): Schedule.Schedule<Duration.Duration, KubeApiError> => {
  const cap = Duration.fromInputUnsafe(options.cap ?? "10 seconds")
  const maxRetryAfter = Duration.fromInputUnsafe(options.maxRetryAfter ?? "60 seconds")
  return Schedule.exponential(options.base ?? "100 millis", 2).pipe(
    Schedule.setInputType<KubeApiError>(),
    Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, cap))),
    Schedule.jittered,
    Schedule.modifyDelay(({ input, duration }) => {
      const retryAfter = retryAfterOf(input)
      return Effect.succeed(
        retryAfter === undefined ? duration : Duration.max(duration, Duration.min(retryAfter, maxRetryAfter))
      )
    })
  )
}

/** Retries transient failures up to `times` times (default 5); never retries any other reason. */
export const transient = (options: RetryOptions = {}): Schedule.Schedule<Duration.Duration, KubeApiError> =>
  backoff(options).pipe(Schedule.while(({ input, attempt }) => isRetryable(input) && attempt <= (options.times ?? 5)))

/**
 * How a watch reconnects after its connection broke or the server refused it: forever, starting at 200 ms and
 * capped at 30 s. The watch stream resets it once a connection is established again.
 */
export const watchReconnect = (options: BackoffOptions = {}): Schedule.Schedule<Duration.Duration, KubeApiError> =>
  backoff({ base: options.base ?? "200 millis", cap: options.cap ?? "30 seconds", ...pickMax(options) })

const pickMax = (options: BackoffOptions) =>
  options.maxRetryAfter === undefined ? {} : { maxRetryAfter: options.maxRetryAfter }

/** No retries at all. */
export const none: Schedule.Schedule<unknown, KubeApiError> = Schedule.recurs(0)
