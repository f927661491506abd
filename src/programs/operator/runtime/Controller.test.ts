import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Metric, Queue, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Controller from "./Controller.ts"

/** Lets forked workers run until they block. */
const settle = Effect.gen(function* () {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

const millis = (r: Controller.Result) => (r.requeueAfter === undefined ? undefined : Duration.toMillis(r.requeueAfter))

describe("Controller", () => {
  it.effect("reconciles keys from its sources, coalescing bursts", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const gate = yield* Deferred.make<void>()
      yield* Controller.make({
        name: "test",
        reconcile: (key) =>
          Deferred.await(gate).pipe(Effect.andThen(Effect.sync(() => seen.push(key))), Effect.as(Controller.done)),
        sources: [Stream.make("ns/a", "ns/a", "ns/a", "ns/b")]
      })
      yield* settle
      yield* Deferred.succeed(gate, undefined)
      yield* settle
      // The burst arrived before a worker was free: the waiting duplicates coalesced.
      assert.deepStrictEqual(seen.toSorted(), ["ns/a", "ns/b"])
    })
  )

  it.effect("requeueAfter brings the key back at that time", () =>
    Effect.gen(function* () {
      let calls = 0
      const controller = yield* Controller.make({
        name: "test",
        reconcile: () => Effect.sync(() => ++calls).pipe(Effect.as(Controller.requeueAfter("15 minutes")))
      })
      yield* controller.enqueue("ns/a")
      yield* settle
      assert.strictEqual(calls, 1)
      yield* TestClock.adjust("14 minutes")
      assert.strictEqual(calls, 1)
      yield* TestClock.adjust("1 minute")
      yield* settle
      assert.strictEqual(calls, 2)
    })
  )

  it.effect("an error is retried with backoff; a success resets it", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      let failuresLeft = 3
      const controller = yield* Controller.make({
        name: "test",
        backoff: { baseDelay: "1 second", maxDelay: "1 minute" },
        reconcile: () =>
          Effect.gen(function* () {
            attempts.push(yield* Effect.clockWith((clock) => clock.currentTimeMillis))
            if (failuresLeft-- > 0) return yield* Effect.fail("tenant unavailable")
            return Controller.done
          })
      })
      yield* controller.enqueue("ns/a")
      for (let i = 0; i < 30; i++) {
        yield* settle
        yield* TestClock.adjust("500 millis")
      }
      yield* settle
      // attempts at 0, +1 s, +2 s, +4 s (relative to the previous one)
      assert.deepStrictEqual(
        attempts.map((t) => t - attempts[0]!),
        [0, 1000, 3000, 7000]
      )
    })
  )

  it.effect("a terminal error is not retried, a defect is", () =>
    Effect.gen(function* () {
      let terminalCalls = 0
      let defectCalls = 0
      const controller = yield* Controller.make({
        name: "test",
        maxConcurrentReconciles: 2,
        backoff: { baseDelay: "1 second", maxDelay: "1 second" },
        reconcile: (key) =>
          key === "ns/terminal"
            ? Effect.sync(() => ++terminalCalls).pipe(
                Effect.andThen(Effect.fail(new Controller.TerminalError({ message: "spec is invalid" })))
              )
            : Effect.sync(() => ++defectCalls).pipe(Effect.andThen(Effect.die(new Error("bug"))))
      })
      yield* controller.enqueue("ns/terminal")
      yield* controller.enqueue("ns/defect")
      for (let i = 0; i < 5; i++) {
        yield* settle
        yield* TestClock.adjust("1 second")
      }
      assert.strictEqual(terminalCalls, 1)
      assert.isAtLeast(defectCalls, 4)
    })
  )

  it.effect("runs different keys in parallel up to the limit, never one key twice at once", () =>
    Effect.gen(function* () {
      let inFlight = 0
      let peak = 0
      const perKey = new Map<string, number>()
      const release = yield* Queue.unbounded<void>()
      const controller = yield* Controller.make({
        name: "test",
        maxConcurrentReconciles: 3,
        reconcile: (key) =>
          Effect.gen(function* () {
            inFlight++
            peak = Math.max(peak, inFlight)
            perKey.set(key, (perKey.get(key) ?? 0) + 1)
            assert.strictEqual(perKey.get(key), 1, `${key} reconciled twice at once`)
            yield* Queue.take(release)
            perKey.set(key, perKey.get(key)! - 1)
            inFlight--
            return Controller.done
          })
      })
      for (const key of ["a", "b", "c", "d", "e", "a", "b"]) yield* controller.enqueue(`ns/${key}`)
      yield* settle
      assert.strictEqual(inFlight, 3)
      for (let i = 0; i < 7; i++) {
        yield* Queue.offer(release, undefined)
        yield* settle
      }
      assert.strictEqual(peak, 3)
      assert.strictEqual(inFlight, 0)
    })
  )

  it.effect("counts reconciles by result", () =>
    Effect.gen(function* () {
      const controller = yield* Controller.make({
        name: "metrics-test",
        reconcile: () => Effect.succeed(Controller.done)
      })
      yield* controller.enqueue("ns/a")
      yield* settle
      const total = Metric.withAttributes(Controller.reconcileTotal, {
        controller: "metrics-test",
        result: "success"
      })
      assert.strictEqual((yield* Metric.value(total)).count, 1)
    })
  )

  it("soonest picks the earlier requeue; none loses to any", () => {
    const oneMinute = Controller.requeueAfter("1 minute")
    const fifteen = Controller.requeueAfter("15 minutes")
    assert.strictEqual(millis(Controller.soonest(Controller.done, fifteen)), 900_000)
    assert.strictEqual(millis(Controller.soonest(fifteen, Controller.done)), 900_000)
    assert.strictEqual(millis(Controller.soonest(fifteen, oneMinute)), 60_000)
    assert.strictEqual(millis(Controller.soonest(oneMinute, fifteen)), 60_000)
    assert.isUndefined(millis(Controller.soonest(Controller.done, Controller.done)))
  })

  it.effect("shutdown: workers stop taking keys; an in-flight reconcile finishes within the grace period", () =>
    Effect.gen(function* () {
      const finished: Array<string> = []
      const started = yield* Deferred.make<void>()
      const scope = yield* Scope.make()
      const controller = yield* Controller.make({
        name: "test",
        shutdownGracePeriod: "10 seconds",
        reconcile: (key) =>
          Deferred.succeed(started, undefined).pipe(
            Effect.andThen(Effect.sleep("2 seconds")),
            Effect.andThen(Effect.sync(() => finished.push(key))),
            Effect.as(Controller.done)
          )
      }).pipe(Scope.provide(scope))
      yield* controller.enqueue("ns/a")
      yield* Deferred.await(started)
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* settle
      yield* controller.enqueue("ns/b")
      yield* TestClock.adjust("3 seconds")
      yield* Fiber.join(closing)
      assert.deepStrictEqual(finished, ["ns/a"], "a finished, b was never started")
    })
  )

  it.effect("shutdown: a reconcile still running after the grace period is abandoned (interrupted)", () =>
    Effect.gen(function* () {
      let interrupted = false
      const started = yield* Deferred.make<void>()
      const scope = yield* Scope.make()
      const controller = yield* Controller.make({
        name: "test",
        shutdownGracePeriod: "1 second",
        reconcile: () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.andThen(Effect.never),
            Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))),
            Effect.as(Controller.done)
          )
      }).pipe(Scope.provide(scope))
      yield* controller.enqueue("ns/a")
      yield* Deferred.await(started)
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* settle
      assert.isFalse(interrupted, "still within the grace period")
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(closing)
      assert.isTrue(interrupted)
    })
  )
})
