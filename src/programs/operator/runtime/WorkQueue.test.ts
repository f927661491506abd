import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import * as WorkQueue from "./WorkQueue.ts"

/** Takes a key if one is ready right now. */
const poll = (queue: WorkQueue.WorkQueue) =>
  Effect.gen(function* () {
    if ((yield* queue.length) === 0) return Option.none<string>()
    return Option.some(yield* queue.take)
  })

describe("WorkQueue", () => {
  it.effect("coalesces repeated adds of a waiting key", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      yield* queue.add("ns/a")
      yield* queue.add("ns/a")
      yield* queue.add("ns/b")
      assert.strictEqual(yield* queue.length, 2)
      assert.strictEqual(yield* queue.take, "ns/a")
      assert.strictEqual(yield* queue.take, "ns/b")
      assert.isTrue(Option.isNone(yield* poll(queue)))
    })
  )

  it.effect("never hands an in-flight key to a second worker, and requeues it once when done", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      yield* queue.add("ns/a")
      const key = yield* queue.take
      yield* queue.add(key)
      yield* queue.add(key)
      assert.strictEqual(yield* queue.length, 0, "the dirty key waits for done")
      yield* queue.done(key)
      assert.strictEqual(yield* queue.length, 1)
      assert.strictEqual(yield* queue.take, "ns/a")
      yield* queue.done("ns/a")
      assert.strictEqual(yield* queue.length, 0)
    })
  )

  it.effect("take waits for a key", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      const taker = yield* Effect.forkChild(queue.take)
      yield* Effect.yieldNow
      assert.isUndefined(taker.pollUnsafe())
      yield* queue.add("ns/late")
      assert.strictEqual(yield* Fiber.join(taker), "ns/late")
    })
  )

  it.effect("addAfter queues at the due time, and the earliest schedule wins", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("ns/a", "10 seconds")
      yield* queue.addAfter("ns/a", "3 seconds")
      yield* queue.addAfter("ns/a", "20 seconds")
      yield* TestClock.adjust("2999 millis")
      assert.strictEqual(yield* queue.length, 0)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* queue.length, 1)
      assert.strictEqual(yield* queue.take, "ns/a")
      yield* queue.done("ns/a")
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(yield* queue.length, 0, "superseded schedules do not fire")
    })
  )

  it.effect("addRateLimited backs off exponentially per key until forget", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue.make({ baseDelay: "1 second", maxDelay: "5 seconds" })
      const attemptAfter = (expected: number) =>
        Effect.gen(function* () {
          yield* queue.addRateLimited("ns/a")
          yield* TestClock.adjust(Duration.millis(expected - 1))
          assert.strictEqual(yield* queue.length, 0, `not before ${expected} ms`)
          yield* TestClock.adjust("1 millis")
          assert.strictEqual(yield* queue.take, "ns/a")
          yield* queue.done("ns/a")
        })
      yield* attemptAfter(1000)
      yield* attemptAfter(2000)
      yield* attemptAfter(4000)
      yield* attemptAfter(5000) // capped
      assert.strictEqual(yield* queue.failures("ns/a"), 4)
      yield* queue.forget("ns/a")
      yield* attemptAfter(1000)
    })
  )

  it("backoffDelay is capped and monotone", () => {
    const options = { baseDelay: "5 millis", maxDelay: "1000 seconds" } as const
    let previous = 0
    for (let n = 0; n < 100; n++) {
      const millis = Duration.toMillis(WorkQueue.backoffDelay(options, n))
      assert.isAtLeast(millis, previous)
      assert.isAtMost(millis, 1_000_000)
      previous = millis
    }
    assert.strictEqual(previous, 1_000_000)
  })
})
