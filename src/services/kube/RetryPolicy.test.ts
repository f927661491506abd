import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Schedule } from "effect"
import { TestClock } from "effect/testing"
import * as KubeApiError from "../KubeApiError.ts"
import * as RetryPolicy from "./RetryPolicy.ts"

const info = { verb: "get", resource: "configmaps" }
const answer = (code: number, retryAfter?: string) =>
  KubeApiError.fromResponse(info, code, JSON.stringify({ kind: "Status", code, message: `HTTP ${code}` }), retryAfter)
const noAnswer = KubeApiError.fromTransport(
  info,
  Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
  "x"
)

/** Runs a request that always fails with `error` under `schedule`; returns the (virtual) times of the attempts. */
const attempts = (error: KubeApiError.KubeApiError, schedule: Schedule.Schedule<unknown, KubeApiError.KubeApiError>) =>
  Effect.gen(function* () {
    const times: Array<number> = []
    const request = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      times.push(now)
      return Effect.fail(error)
    })
    const fiber = yield* Effect.forkChild(Effect.retry(request, schedule))
    yield* TestClock.adjust("1 hour")
    const exit = yield* Fiber.await(fiber)
    return { times, exit }
  })

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((t, i) => t - times[i]!)

describe("RetryPolicy.transient", () => {
  for (const [name, error] of [
    ["TooManyRequests", answer(429)],
    ["ServerError 500", answer(500)],
    ["ServerError 503", answer(503)],
    ["Transport", noAnswer]
  ] as const) {
    it.effect(`retries ${name} 5 times with jittered exponential delays`, () =>
      Effect.gen(function* () {
        const { times, exit } = yield* attempts(error, RetryPolicy.transient())
        assert.strictEqual(times.length, 6)
        assert.isTrue(Exit.isFailure(exit))
        gaps(times).forEach((gap, i) => {
          const nominal = 100 * 2 ** i
          assert.isAtLeast(gap, nominal * 0.8, `gap ${i}`)
          assert.isAtMost(gap, nominal * 1.2, `gap ${i}`)
        })
      })
    )
  }

  for (const [name, error] of [
    ["NotFound", answer(404)],
    ["AlreadyExists", KubeApiError.fromResponse(info, 409, JSON.stringify({ code: 409, reason: "AlreadyExists" }))],
    ["Conflict", answer(409)],
    ["Gone", answer(410)],
    ["Invalid", answer(422)],
    ["Unauthorized", answer(401)],
    ["Forbidden", answer(403)],
    ["ServerError 501", answer(501)]
  ] as const) {
    it.effect(`never retries ${name}`, () =>
      Effect.gen(function* () {
        const { times, exit } = yield* attempts(error, RetryPolicy.transient())
        assert.deepStrictEqual(times, [0])
        assert.isTrue(Exit.isFailure(exit))
      })
    )
  }

  it.effect("waits at least the server's Retry-After", () =>
    Effect.gen(function* () {
      const { times } = yield* attempts(answer(429, "5"), RetryPolicy.transient({ times: 2 }))
      assert.deepStrictEqual(gaps(times), [5000, 5000])
    })
  )

  it.effect("cuts a very long Retry-After to maxRetryAfter", () =>
    Effect.gen(function* () {
      const { times } = yield* attempts(
        answer(503, "3600"),
        RetryPolicy.transient({ times: 1, maxRetryAfter: "20 seconds" })
      )
      assert.deepStrictEqual(gaps(times), [20_000])
    })
  )

  it.effect("caps the delay", () =>
    Effect.gen(function* () {
      const { times } = yield* attempts(noAnswer, RetryPolicy.transient({ times: 10, cap: "1 second" }))
      assert.strictEqual(times.length, 11)
      for (const gap of gaps(times).slice(4)) assert.isAtMost(gap, 1200)
    })
  )

  it.effect("the first retry does not happen before 80 ms", () =>
    Effect.gen(function* () {
      let count = 0
      const fiber = yield* Effect.forkChild(
        Effect.retry(
          Effect.suspend(() => {
            count++
            return Effect.fail(answer(503))
          }),
          RetryPolicy.transient()
        )
      )
      yield* TestClock.adjust("79 millis")
      assert.strictEqual(count, 1)
      yield* TestClock.adjust("41 millis")
      assert.strictEqual(count, 2)
      yield* Fiber.interrupt(fiber)
    })
  )
})

describe("RetryPolicy.watchReconnect", () => {
  it.effect("retries any reason forever, capped at 30 s (±20%)", () =>
    Effect.gen(function* () {
      const { times, exit } = yield* attempts(
        answer(403),
        RetryPolicy.watchReconnect().pipe(Schedule.upTo({ times: 20 }))
      )
      assert.strictEqual(times.length, 21)
      assert.isTrue(Exit.isFailure(exit))
      const g = gaps(times)
      assert.isAtLeast(g[0]!, 160)
      assert.isAtMost(g[0]!, 240)
      for (const gap of g.slice(10)) {
        assert.isAtLeast(gap, 24_000)
        assert.isAtMost(gap, 36_000)
      }
    })
  )
})

describe("RetryPolicy.isRetryable", () => {
  it("is true exactly for 429, 500/502/503/504 and Transport", () => {
    assert.deepStrictEqual(
      [400, 401, 403, 404, 409, 410, 422, 429, 500, 501, 502, 503, 504].map((c) => RetryPolicy.isRetryable(answer(c))),
      [false, false, false, false, false, false, false, true, true, false, true, true, true]
    )
    assert.isTrue(RetryPolicy.isRetryable(noAnswer))
    assert.isTrue(Duration.equals(RetryPolicy.retryAfterOf(answer(429, "2"))!, Duration.seconds(2)))
  })
})
