import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import * as RestartGuard from "./RestartGuard.ts"

const now = Date.parse("2026-11-24T22:00:00Z")
const second = 1000
const minute = 60 * second

describe("RestartGuard.check", () => {
  it("restarts a workload never restarted, when no restart happened lately", () => {
    assert.deepStrictEqual(RestartGuard.check({ now, lastRestart: undefined, restartedAt: undefined }), {
      _tag: "Restart"
    })
    assert.deepStrictEqual(RestartGuard.check({ now, lastRestart: now - 10 * second, restartedAt: undefined }), {
      _tag: "Restart"
    })
  })

  it("at most one restart per 10 s, across workloads: says when to retry", () => {
    const verdict = RestartGuard.check({ now, lastRestart: now - 3 * second, restartedAt: undefined })
    assert.strictEqual(verdict._tag, "RateLimited")
    if (verdict._tag === "RateLimited") assert.strictEqual(Duration.toMillis(verdict.retryAfter), 7 * second)
  })

  it("never restarts a workload whose restartedAt is younger than one hour (also in the future)", () => {
    for (const age of [0, 10 * second, 59 * minute, -5 * minute]) {
      const restartedAt = RestartGuard.formatTime(now - age)
      assert.strictEqual(
        RestartGuard.check({ now, lastRestart: undefined, restartedAt })._tag,
        "RecentlyRestarted",
        `age ${age}`
      )
    }
    // The cooldown wins over the rate limit: waiting 10 s would not clear it.
    assert.strictEqual(
      RestartGuard.check({ now, lastRestart: now - second, restartedAt: RestartGuard.formatTime(now - minute) })._tag,
      "RecentlyRestarted"
    )
  })

  it("an older restartedAt, or one that is no time, does not block", () => {
    for (const restartedAt of [RestartGuard.formatTime(now - 61 * minute), "yesterday", "", "2026-13-45T99:00:00Z"]) {
      assert.strictEqual(RestartGuard.check({ now, lastRestart: undefined, restartedAt })._tag, "Restart", restartedAt)
    }
  })

  it("kubectl's own format (RFC 3339 with a zone offset) is understood", () => {
    assert.strictEqual(
      RestartGuard.check({ now, lastRestart: undefined, restartedAt: "2026-11-24T23:30:00+01:00" })._tag,
      "RecentlyRestarted"
    )
  })
})

describe("RestartGuard.restartPatch", () => {
  it("is the merge patch of kubectl rollout restart", () => {
    assert.deepStrictEqual(RestartGuard.restartPatch(now), {
      spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-24T22:00:00Z" } } } }
    })
  })
})
