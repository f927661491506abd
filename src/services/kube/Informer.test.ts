import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Queue, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Informer from "./Informer.ts"
import type { KubeObject } from "./KubeObject.ts"
import * as Store from "./Store.ts"
import type { WatchEvent } from "./WatchState.ts"

const cm = (namespace: string, name: string, rv: string, labels?: Record<string, string>): KubeObject => ({
  metadata: { namespace, name, resourceVersion: rv, ...(labels ? { labels } : {}) }
})

const show = (e: Informer.InformerEvent<KubeObject>) =>
  `${e.type} ${e.object.metadata?.namespace}/${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}` +
  (e.type === "Modified" ? `<-${e.old.metadata?.resourceVersion}` : "")

/** An informer fed by a queue of synthetic watch events. */
const setup = (options: Informer.InformerOptions<KubeObject> = {}) =>
  Effect.gen(function* () {
    const source = yield* Queue.unbounded<WatchEvent<KubeObject>>()
    const informer = yield* Informer.fromWatchEvents(Stream.fromQueue(source), options)
    const feed = (...events: Array<WatchEvent<KubeObject>>) =>
      Effect.andThen(Queue.offerAll(source, events), Effect.yieldNow)
    return { informer, feed }
  })

/** Collects `n` events of a subscription started now. */
const collect = (informer: Informer.Informer<KubeObject>, n: number) =>
  informer.events.pipe(
    Stream.take(n),
    Stream.runCollect,
    Effect.map((c) => Array.from(c).map(show)),
    Effect.forkChild
  )

describe("Informer", () => {
  it.effect("is not synced before the first Synced, then the cache answers without requests", () =>
    Effect.gen(function* () {
      const { informer, feed } = yield* setup()
      const waiter = yield* Effect.forkChild(informer.awaitSynced)
      yield* feed({ type: "Added", object: cm("a", "x", "1") })
      assert.isFalse(yield* informer.hasSynced)
      assert.isUndefined(waiter.pollUnsafe())
      yield* feed({ type: "Added", object: cm("b", "y", "2") }, { type: "Synced", resourceVersion: "2", relist: false })
      yield* Fiber.join(waiter)
      assert.isTrue(yield* informer.hasSynced)
      assert.deepStrictEqual((yield* informer.keys).toSorted(), ["a/x", "b/y"])
      assert.strictEqual(Option.getOrThrow(yield* informer.get("a/x")).metadata?.resourceVersion, "1")
      assert.isTrue(Option.isNone(yield* informer.get("a/nope")))
      assert.deepStrictEqual(
        (yield* informer.list({ namespace: "b" })).map((o) => o.metadata?.name),
        ["y"]
      )
    })
  )

  it.effect("applies changes to the store and emits them with the old object", () =>
    Effect.gen(function* () {
      const { informer, feed } = yield* setup()
      yield* feed({ type: "Synced", resourceVersion: "0", relist: false })
      const events = yield* collect(informer, 3)
      yield* Effect.yieldNow
      yield* feed(
        { type: "Added", object: cm("a", "x", "1") },
        { type: "Modified", object: cm("a", "x", "2"), old: cm("a", "x", "1") },
        { type: "Deleted", object: cm("a", "x", "3") }
      )
      assert.deepStrictEqual(yield* Fiber.join(events), ["Added a/x@1", "Modified a/x@2<-1", "Deleted a/x@3"])
      assert.strictEqual((yield* informer.keys).length, 0)
    })
  )

  it.effect("a late subscriber first gets the cache as Added, then live changes, nothing twice", () =>
    Effect.gen(function* () {
      const { informer, feed } = yield* setup()
      yield* feed(
        { type: "Added", object: cm("a", "x", "1") },
        { type: "Added", object: cm("a", "y", "2") },
        { type: "Synced", resourceVersion: "2", relist: false },
        { type: "Modified", object: cm("a", "x", "3"), old: cm("a", "x", "1") }
      )
      const events = yield* collect(informer, 3)
      yield* Effect.yieldNow
      yield* feed({ type: "Deleted", object: cm("a", "y", "4") })
      assert.deepStrictEqual((yield* Fiber.join(events)).toSorted(), ["Added a/x@3", "Added a/y@2", "Deleted a/y@4"])
    })
  )

  it.effect("every subscriber gets every event", () =>
    Effect.gen(function* () {
      const { informer, feed } = yield* setup()
      const one = yield* collect(informer, 2)
      const two = yield* collect(informer, 2)
      yield* Effect.yieldNow
      yield* feed({ type: "Added", object: cm("a", "x", "1") }, { type: "Added", object: cm("a", "y", "1") })
      assert.deepStrictEqual(yield* Fiber.join(one), ["Added a/x@1", "Added a/y@1"])
      assert.deepStrictEqual(yield* Fiber.join(two), ["Added a/x@1", "Added a/y@1"])
    })
  )

  it.effect("a Modified for an object it does not hold becomes Added; a Deleted of an unknown object is dropped", () =>
    Effect.gen(function* () {
      const { informer, feed } = yield* setup()
      const events = yield* collect(informer, 2)
      yield* Effect.yieldNow
      yield* feed(
        { type: "Deleted", object: cm("a", "ghost", "1") },
        { type: "Modified", object: cm("a", "x", "2"), old: cm("a", "x", "1") },
        { type: "Deleted", object: cm("a", "x", "3") }
      )
      assert.deepStrictEqual(yield* Fiber.join(events), ["Added a/x@2", "Deleted a/x@3"])
    })
  )

  it.effect("custom indexers follow changes", () =>
    Effect.gen(function* () {
      const { informer, feed } = yield* setup({ indexers: { app: Store.byLabel("app") } })
      yield* feed(
        { type: "Added", object: cm("a", "x", "1", { app: "web" }) },
        { type: "Added", object: cm("a", "y", "1", { app: "web" }) },
        { type: "Synced", resourceVersion: "1", relist: false }
      )
      assert.strictEqual((yield* informer.byIndex("app", "web")).length, 2)
      yield* feed({ type: "Modified", object: cm("a", "x", "2", { app: "db" }), old: cm("a", "x", "1") })
      assert.deepStrictEqual(
        (yield* informer.byIndex("app", "web")).map((o) => o.metadata?.name),
        ["y"]
      )
      assert.deepStrictEqual(
        (yield* informer.byIndex("app", "db")).map((o) => o.metadata?.name),
        ["x"]
      )
    })
  )

  it.effect("emits every cached object as Resync each resyncPeriod, starting after sync", () =>
    Effect.gen(function* () {
      const { informer, feed } = yield* setup({ resyncPeriod: "1 minute" })
      const events = yield* collect(informer, 4)
      yield* Effect.yieldNow
      yield* feed({ type: "Added", object: cm("a", "x", "1") }, { type: "Added", object: cm("a", "y", "1") })
      yield* TestClock.adjust("5 minutes")
      // not synced yet: no Resync, the subscriber still waits for its 3rd and 4th event
      assert.isUndefined(events.pollUnsafe())
      yield* feed({ type: "Synced", resourceVersion: "1", relist: false })
      yield* TestClock.adjust("59 seconds")
      assert.isUndefined(events.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual((yield* Fiber.join(events)).toSorted(), [
        "Added a/x@1",
        "Added a/y@1",
        "Resync a/x@1",
        "Resync a/y@1"
      ])
    })
  )
})
