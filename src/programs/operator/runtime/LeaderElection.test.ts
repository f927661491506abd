import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import * as LeaderElection from "./LeaderElection.ts"

/** An in-memory Lease with the apiserver's optimistic concurrency: writes must carry the current resourceVersion. */
const makeLeaseStore = () => {
  let stored: { record: LeaderElection.LeaseRecord; resourceVersion: string } | undefined
  let version = 0
  let available = true
  const unavailable = new LeaderElection.LeaseAccessError({ message: "apiserver unavailable" })
  const layer = Layer.succeed(
    LeaderElection.LeaseAccess,
    LeaderElection.LeaseAccess.of({
      get: Effect.suspend(() =>
        available ? Effect.succeed(Option.fromUndefinedOr(stored)) : Effect.fail(unavailable)
      ),
      create: (record) =>
        Effect.suspend(() => {
          if (!available) return Effect.fail(unavailable)
          if (stored !== undefined) return Effect.fail(new LeaderElection.LeaseAccessError({ message: "exists" }))
          stored = { record, resourceVersion: String(++version) }
          return Effect.void
        }),
      update: (record, resourceVersion) =>
        Effect.suspend(() => {
          if (!available) return Effect.fail(unavailable)
          if (stored?.resourceVersion !== resourceVersion) {
            return Effect.fail(new LeaderElection.LeaseAccessError({ message: "conflict" }))
          }
          stored = { record, resourceVersion: String(++version) }
          return Effect.void
        })
    })
  )
  return {
    layer,
    holder: () => stored?.record.holderIdentity,
    transitions: () => stored?.record.leaseTransitions,
    setAvailable: (value: boolean) => void (available = value)
  }
}

const settle = Effect.gen(function* () {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

const timings = LeaderElection.defaultTimings

describe("LeaderElection", () => {
  it.effect("the first candidate leads; the second waits until the leader stops renewing", () => {
    const store = makeLeaseStore()
    return Effect.gen(function* () {
      const aLeads = yield* Deferred.make<void>()
      const bLeads = yield* Deferred.make<void>()
      const a = yield* Effect.forkChild(
        LeaderElection.runWhileLeader(
          "a",
          timings,
          Deferred.succeed(aLeads, undefined).pipe(Effect.andThen(Effect.never))
        )
      )
      yield* settle
      assert.isTrue(yield* Deferred.isDone(aLeads))
      assert.strictEqual(store.holder(), "a")

      const b = yield* Effect.forkChild(
        LeaderElection.runWhileLeader(
          "b",
          timings,
          Deferred.succeed(bLeads, undefined).pipe(Effect.andThen(Effect.never))
        )
      )
      yield* TestClock.adjust("2 minutes")
      assert.isFalse(yield* Deferred.isDone(bLeads), "b never leads while a renews")
      assert.strictEqual(store.holder(), "a")

      // a dies without releasing (its release cannot reach the store): b takes over only once a's record has not
      // changed for the lease duration, as observed on b's clock.
      store.setAvailable(false)
      yield* Fiber.interrupt(a)
      store.setAvailable(true)
      assert.strictEqual(store.holder(), "a")
      yield* TestClock.adjust("24 seconds")
      yield* settle
      assert.isFalse(yield* Deferred.isDone(bLeads), "the lease has not expired yet")
      yield* TestClock.adjust("12 seconds")
      yield* settle
      assert.isTrue(yield* Deferred.isDone(bLeads))
      assert.strictEqual(store.holder(), "b")
      yield* Fiber.interrupt(b)
    }).pipe(Effect.provide(store.layer))
  })

  it.effect("a graceful stop releases the lease so a successor takes over at its next try", () => {
    const store = makeLeaseStore()
    return Effect.gen(function* () {
      const a = yield* Effect.forkChild(LeaderElection.runWhileLeader("a", timings, Effect.never))
      yield* settle
      yield* Fiber.interrupt(a)
      assert.strictEqual(store.holder(), "")
      const bLeads = yield* Deferred.make<void>()
      yield* Effect.forkChild(
        LeaderElection.runWhileLeader(
          "b",
          timings,
          Deferred.succeed(bLeads, undefined).pipe(Effect.andThen(Effect.never))
        )
      )
      yield* settle
      assert.isTrue(yield* Deferred.isDone(bLeads))
      assert.strictEqual(store.transitions(), 1)
    }).pipe(Effect.provide(store.layer))
  })

  it.effect("a leader that cannot renew within the deadline stops its work and fails with LeadershipLost", () => {
    const store = makeLeaseStore()
    return Effect.gen(function* () {
      let workInterrupted = false
      const leader = yield* Effect.forkChild(
        LeaderElection.runWhileLeader(
          "a",
          timings,
          Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => (workInterrupted = true))))
        )
      )
      yield* settle
      store.setAvailable(false)
      yield* TestClock.adjust("19 seconds")
      assert.isUndefined(leader.pollUnsafe(), "still leading before the renew deadline")
      yield* TestClock.adjust("6 seconds")
      const exit = yield* Fiber.await(leader)
      assert.isTrue(Exit.isFailure(exit))
      assert.isTrue(workInterrupted)
      const error = Exit.isFailure(exit) ? exit.cause.toString() : ""
      assert.include(error, "LeadershipLost")
    }).pipe(Effect.provide(store.layer))
  })

  it.effect("timings are cross-checked", () =>
    Effect.gen(function* () {
      yield* LeaderElection.validateTimings(timings)
      const bad = yield* Effect.flip(
        LeaderElection.validateTimings({ ...timings, renewDeadline: timings.leaseDuration })
      )
      assert.include(bad.message, "leaseDuration > renewDeadline")
    })
  )
})
