import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { cacheKey, ResponseCache } from "./ResponseCache.ts"

describe("ResponseCache", () => {
  it.effect("serves an entry until its TTL has passed (Clock time)", () =>
    Effect.gen(function* () {
      const cache = yield* ResponseCache.make()
      yield* cache.set("k", "body", Duration.minutes(15))
      yield* TestClock.adjust(Duration.minutes(14))
      assert.deepStrictEqual(yield* cache.get("k"), Option.some("body"))
      yield* TestClock.adjust(Duration.minutes(1))
      assert.deepStrictEqual(yield* cache.get("k"), Option.none())
      assert.strictEqual(yield* cache.size, 0)
    })
  )

  it.effect("stores nothing with a zero TTL, forgets on invalidate", () =>
    Effect.gen(function* () {
      const cache = yield* ResponseCache.make()
      yield* cache.set("zero", "body", Duration.zero)
      assert.isTrue(Option.isNone(yield* cache.get("zero")))
      yield* cache.set("k", "body", Duration.minutes(1))
      yield* cache.invalidate("k")
      assert.isTrue(Option.isNone(yield* cache.get("k")))
    })
  )

  it.effect("evicts the oldest entry beyond maxEntries", () =>
    Effect.gen(function* () {
      const cache = yield* ResponseCache.make({ maxEntries: 2 })
      yield* cache.set("a", "1", Duration.minutes(1))
      yield* cache.set("b", "2", Duration.minutes(1))
      yield* cache.set("c", "3", Duration.minutes(1))
      assert.isTrue(Option.isNone(yield* cache.get("a")))
      assert.deepStrictEqual(yield* cache.get("c"), Option.some("3"))
      assert.strictEqual(yield* cache.size, 2)
    })
  )

  it.effect("purgeExpired drops only the expired entries and says how many", () =>
    Effect.gen(function* () {
      const cache = yield* ResponseCache.make()
      yield* cache.set("short", "1", Duration.minutes(1))
      yield* cache.set("long", "2", Duration.minutes(30))
      yield* TestClock.adjust(Duration.minutes(2))
      assert.strictEqual(yield* cache.purgeExpired, 1)
      assert.strictEqual(yield* cache.purgeExpired, 0)
      assert.deepStrictEqual(yield* cache.get("long"), Option.some("2"))
    })
  )

  it.effect("layerWithPurge purges expired entries every interval without being asked", () =>
    Effect.gen(function* () {
      const cache = yield* ResponseCache
      yield* cache.set("a", "1", Duration.minutes(5))
      yield* cache.set("b", "2", Duration.minutes(5))
      // Both expire at 5 minutes; the loop runs at 60 and leaves nothing to purge.
      yield* TestClock.adjust(Duration.minutes(60))
      assert.strictEqual(yield* cache.purgeExpired, 0)
      yield* cache.set("c", "3", Duration.minutes(5))
      // Expired at 65; the next run is at 120.
      yield* TestClock.adjust(Duration.minutes(10))
      assert.strictEqual(yield* cache.purgeExpired, 1)
    }).pipe(Effect.provide(ResponseCache.layerWithPurge(Duration.hours(1))))
  )

  it("keys differ by method, URL, authorization and body, and never contain them", () => {
    const base = {
      method: "POST",
      url: "https://h/api/v2/apiTokens/lookup",
      authorization: "Api-Token dt0c01.SECRET",
      body: '{"token":"dt0c01.OTHER"}'
    }
    const key = cacheKey(base)
    assert.match(key, /^[0-9a-f]{64}$/)
    assert.notInclude(key, "SECRET")
    for (const change of [
      { method: "GET" },
      { url: "https://h/api/x" },
      { authorization: "Api-Token y" },
      { body: "{}" }
    ]) {
      assert.notStrictEqual(cacheKey({ ...base, ...change }), key)
    }
  })
})
