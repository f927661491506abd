/**
 * When a tenant call is tried again.
 *
 * Only transient reasons are retried (rate limiting, 502/503/504, timeouts, broken connections); a 401, 403, 404,
 * an unexpected status or a body that does not decode fails at once. Delays grow exponentially from `base`, are
 * jittered, and are capped at `maxDelay`. A 429 with `Retry-After` waits at least that long; when the tenant asks for
 * more than `maxRetryAfter` the call fails immediately with `RateLimited`, so the reconcile can requeue (the original
 * requeues after one minute) instead of holding a worker.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schedule } from "effect"
import { DynatraceApiError, isTransient } from "../DynatraceApiError.ts"

/** Tuning of the retry schedule. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = never retry). */
  readonly times: number
  /** First delay. */
  readonly base: Duration.Duration
  /** Upper bound of the exponential delay. */
  readonly maxDelay: Duration.Duration
  /** Longest `Retry-After` the client is willing to wait for. */
  readonly maxRetryAfter: Duration.Duration
}

/** Three retries, 1 s, 2 s, 4 s (jittered), waiting for `Retry-After` up to 30 s. */
export const defaultRetryPolicy: RetryPolicy = {
  times: 3,
  base: Duration.seconds(1),
  maxDelay: Duration.seconds(10),
  maxRetryAfter: Duration.seconds(30)
}

const wantsTooLong = (error: DynatraceApiError, policy: RetryPolicy): boolean =>
  error.reason._tag === "RateLimited" &&
  error.reason.retryAfter !== undefined &&
  Duration.isGreaterThan(error.reason.retryAfter, policy.maxRetryAfter)

/** Whether an error may be retried under `policy` at all. */
export const isRetryable = (error: DynatraceApiError, policy: RetryPolicy): boolean =>
  isTransient(error.reason) && !wantsTooLong(error, policy)

/**
 * The schedule for `Effect.retry`; its input is the failure of the previous attempt. Failures other than a
 * `DynatraceApiError` (e.g. a file-system error during a download) are never retried.
 * @since 0.1.0
 */
export const schedule = <I = DynatraceApiError>(policy: RetryPolicy): Schedule.Schedule<unknown, I> =>
  Schedule.exponential(policy.base, 2).pipe(
    Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, policy.maxDelay))),
    Schedule.jittered,
    Schedule.setInputType<I>(),
    Schedule.modifyDelay(({ input, duration }) =>
      Effect.succeed(
        input instanceof DynatraceApiError &&
          input.reason._tag === "RateLimited" &&
          input.reason.retryAfter !== undefined
          ? Duration.max(duration, input.reason.retryAfter)
          : duration
      )
    ),
    Schedule.upTo({ times: policy.times }),
    Schedule.while(({ input }) => input instanceof DynatraceApiError && isRetryable(input, policy))
  )
