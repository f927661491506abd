import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import * as E from "../DynatraceApiError.ts"
import * as Retry from "./Retry.ts"

const error = (reason: E.DynatraceApiErrorReason) => new E.DynatraceApiError({ endpoint: "GET /x", reason })
const policy: Retry.RetryPolicy = {
  times: 3,
  base: Duration.seconds(1),
  maxDelay: Duration.seconds(10),
  maxRetryAfter: Duration.seconds(30)
}

/** Runs an effect that fails with `failure` every time under the schedule; returns the attempt count. */
const attemptsUntilGivingUp = (failure: E.DynatraceApiError, advance: Duration.Duration) =>
  Effect.gen(function* () {
    const attempts = yield* Ref.make(0)
    const fiber = yield* Ref.update(attempts, (n) => n + 1).pipe(
      Effect.andThen(Effect.fail(failure)),
      Effect.retry(Retry.schedule(policy)),
      Effect.forkChild
    )
    yield* TestClock.adjust(advance)
    yield* Fiber.await(fiber)
    return yield* Ref.get(attempts)
  })

describe("Retry.schedule", () => {
  it.effect("retries transient reasons up to `times`", () =>
    Effect.gen(function* () {
      for (const reason of [
        new E.Unavailable({ status: 503, message: "" }),
        new E.RateLimited({ message: "" }),
        new E.Timeout({ after: Duration.seconds(30), message: "" }),
        new E.Transport({ message: "" })
      ]) {
        assert.strictEqual(yield* attemptsUntilGivingUp(error(reason), Duration.minutes(5)), 4, reason._tag)
      }
    })
  )

  it.effect("never retries permanent reasons", () =>
    Effect.gen(function* () {
      for (const reason of [
        new E.Unauthorized({ message: "" }),
        new E.MissingScopes({ scopes: [], message: "" }),
        new E.NotFound({ message: "" }),
        new E.Decode({ message: "" }),
        new E.UnexpectedStatus({ status: 500, message: "" })
      ]) {
        assert.strictEqual(yield* attemptsUntilGivingUp(error(reason), Duration.minutes(5)), 1, reason._tag)
      }
    })
  )

  it.effect("grows the delay exponentially (with jitter) and waits for Retry-After", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const fiber = yield* Ref.update(attempts, (n) => n + 1).pipe(
        Effect.andThen(Effect.fail(error(new E.Unavailable({ status: 503, message: "" })))),
        Effect.retry(Retry.schedule(policy)),
        Effect.forkChild
      )
      yield* TestClock.adjust(Duration.millis(700)) // below the first delay even with -20% jitter
      assert.strictEqual(yield* Ref.get(attempts), 1)
      yield* TestClock.adjust(Duration.millis(600)) // 1.3 s: past the first delay even with +20% jitter
      assert.strictEqual(yield* Ref.get(attempts), 2)
      yield* Fiber.interrupt(fiber)

      const limited = yield* Ref.make(0)
      const waiting = yield* Ref.update(limited, (n) => n + 1).pipe(
        Effect.andThen(Effect.fail(error(new E.RateLimited({ message: "", retryAfter: Duration.seconds(20) })))),
        Effect.retry(Retry.schedule(policy)),
        Effect.forkChild
      )
      yield* TestClock.adjust(Duration.seconds(19))
      assert.strictEqual(yield* Ref.get(limited), 1)
      yield* TestClock.adjust(Duration.seconds(2))
      assert.strictEqual(yield* Ref.get(limited), 2)
      yield* Fiber.interrupt(waiting)
    })
  )

  it.effect("gives up at once when Retry-After is longer than maxRetryAfter", () =>
    Effect.gen(function* () {
      const failure = error(new E.RateLimited({ message: "", retryAfter: Duration.minutes(2) }))
      assert.strictEqual(yield* attemptsUntilGivingUp(failure, Duration.minutes(10)), 1)
      assert.isTrue(E.isUnreachable(failure))
      assert.isTrue(E.isUnreachable(error(new E.Unavailable({ status: 503, message: "" }))))
      assert.isFalse(E.isUnreachable(error(new E.Unavailable({ status: 502, message: "" }))))
    })
  )
})
