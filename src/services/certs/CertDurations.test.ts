import { assert, describe, it } from "@effect/vitest"
import { type Config, ConfigProvider, Duration, Effect, Result } from "effect"
import * as fc from "fast-check"
import * as CertDurations from "./CertDurations.ts"
import * as GoDuration from "./GoDuration.ts"

const hours = (n: number) => Duration.hours(n)
const durations = (
  root: Duration.Duration,
  server: Duration.Duration,
  threshold: Duration.Duration,
  requeue: Duration.Duration
) => ({
  rootDuration: root,
  serverDuration: server,
  renewalThreshold: threshold,
  requeueAfter: requeue
})

const loadFrom = (env: Record<string, string>) =>
  CertDurations.load.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))), Effect.result)

const reasonOf = (result: Result.Result<unknown, CertDurations.CertDurationsError | Config.ConfigError>) =>
  Result.isFailure(result) && result.failure instanceof CertDurations.CertDurationsError
    ? result.failure.reason
    : undefined

const strictlyOrdered = (values: ReadonlyArray<Duration.Duration>) =>
  values.every((value, i) => i === 0 || Duration.isLessThan(value, values[i - 1] as Duration.Duration))

const inRange = (setting: CertDurations.Setting) => {
  const { min, max } = CertDurations.ranges[setting]
  return fc
    .integer({ min: Duration.toMillis(min) / 60_000, max: Duration.toMillis(max) / 60_000 })
    .map((minutes) => Duration.minutes(minutes))
}

describe("CertDurations", () => {
  it.effect("defaults to CA 365 d, server 7 d, threshold 12 h, requeue 3 h when nothing is set", () =>
    Effect.gen(function* () {
      const result = yield* loadFrom({})
      assert.isTrue(Result.isSuccess(result))
      const value = Result.getOrThrow(result)
      assert.strictEqual(Duration.toHours(value.rootDuration), 8760)
      assert.strictEqual(Duration.toHours(value.serverDuration), 168)
      assert.strictEqual(Duration.toHours(value.renewalThreshold), 12)
      assert.strictEqual(Duration.toHours(value.requeueAfter), 3)
    })
  )

  it.effect("reads the original's env vars in Go syntax; empty means default", () =>
    Effect.gen(function* () {
      const value = Result.getOrThrow(
        yield* loadFrom({
          DT_WEBHOOK_CERTS_ROOT_DURATION: "720h",
          DT_WEBHOOK_CERTS_SERVER_DURATION: "48h",
          DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD: "13h30m",
          DT_WEBHOOK_CERTS_REQUEUE_AFTER: ""
        })
      )
      assert.strictEqual(Duration.toHours(value.rootDuration), 720)
      assert.strictEqual(Duration.toHours(value.serverDuration), 48)
      assert.strictEqual(Duration.toMinutes(value.renewalThreshold), 810)
      assert.strictEqual(Duration.toHours(value.requeueAfter), 3)
    })
  )

  it.effect("a value that is not a Go duration fails the start, naming the variable", () =>
    Effect.gen(function* () {
      const reason = reasonOf(yield* loadFrom({ DT_WEBHOOK_CERTS_SERVER_DURATION: "7d" }))
      assert.strictEqual(reason?._tag, "InvalidSyntax")
      assert.include(reason?.message, "DT_WEBHOOK_CERTS_SERVER_DURATION")
      assert.include(reason?.message, '"7d"')
    })
  )

  it.effect("a value out of its range fails the start, with the range in Go syntax", () =>
    Effect.gen(function* () {
      const reason = reasonOf(yield* loadFrom({ DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD: "6h" }))
      assert.strictEqual(reason?._tag, "OutOfRange")
      assert.strictEqual(
        reason?.message,
        "DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD (6h0m0s) must be between 12h0m0s and 720h0m0s"
      )
      assert.strictEqual(reasonOf(yield* loadFrom({ DT_WEBHOOK_CERTS_ROOT_DURATION: "87601h" }))?._tag, "OutOfRange")
      assert.strictEqual(reasonOf(yield* loadFrom({ DT_WEBHOOK_CERTS_REQUEUE_AFTER: "4m59s" }))?._tag, "OutOfRange")
      assert.strictEqual(reasonOf(yield* loadFrom({ DT_WEBHOOK_CERTS_SERVER_DURATION: "-24h" }))?._tag, "OutOfRange")
      // The bounds themselves are allowed.
      assert.isTrue(Result.isSuccess(yield* loadFrom({ DT_WEBHOOK_CERTS_REQUEUE_AFTER: "5m" })))
      assert.isTrue(Result.isSuccess(yield* loadFrom({ DT_WEBHOOK_CERTS_ROOT_DURATION: "87600h" })))
    })
  )

  it.effect("in-range values out of order fail the cross-check with both variables named", () =>
    Effect.gen(function* () {
      const serverVsThreshold = reasonOf(
        yield* loadFrom({ DT_WEBHOOK_CERTS_SERVER_DURATION: "24h", DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD: "24h" })
      )
      assert.strictEqual(serverVsThreshold?._tag, "NotOrdered")
      assert.strictEqual(
        serverVsThreshold?.message,
        "DT_WEBHOOK_CERTS_SERVER_DURATION (24h0m0s) must be longer than DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD (24h0m0s)"
      )
      const rootVsServer = reasonOf(
        yield* loadFrom({ DT_WEBHOOK_CERTS_ROOT_DURATION: "168h", DT_WEBHOOK_CERTS_SERVER_DURATION: "200h" })
      )
      assert.strictEqual(rootVsServer?._tag, "NotOrdered")
      assert.include(rootVsServer?.message, "DT_WEBHOOK_CERTS_ROOT_DURATION (168h0m0s) must be longer than")
    })
  )

  it("crossCheck names the first pair out of order, requeue last", () => {
    const result = CertDurations.crossCheck(durations(hours(100), hours(50), hours(10), hours(10)))
    assert.isTrue(Result.isFailure(result))
    const reason = reasonOf(result)
    assert.strictEqual(reason?._tag, "NotOrdered")
    if (reason?._tag === "NotOrdered") {
      assert.strictEqual(reason.longer, "DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD")
      assert.strictEqual(reason.shorter, "DT_WEBHOOK_CERTS_REQUEUE_AFTER")
    }
  })

  // Small hour counts make ties and every permutation frequent; large millisecond values cover the rest.
  const anyDuration = fc.oneof(
    fc.integer({ min: 1, max: 6 }).map((n) => Duration.hours(n)),
    fc.integer({ min: 1, max: 10 ** 12 }).map((n) => Duration.millis(n))
  )

  it("property: crossCheck accepts exactly the strictly ordered quadruples", () => {
    fc.assert(
      fc.property(anyDuration, anyDuration, anyDuration, anyDuration, (root, server, threshold, requeue) => {
        const accepted = Result.isSuccess(CertDurations.crossCheck(durations(root, server, threshold, requeue)))
        return accepted === strictlyOrdered([root, server, threshold, requeue])
      }),
      { numRuns: 2000 }
    )
  })

  it("property: for values in range, the env text is accepted exactly when the values are ordered", () => {
    fc.assert(
      fc.property(
        inRange("rootDuration"),
        inRange("serverDuration"),
        inRange("renewalThreshold"),
        inRange("requeueAfter"),
        (root, server, threshold, requeue) => {
          const result = CertDurations.fromStrings({
            rootDuration: GoDuration.format(root),
            serverDuration: GoDuration.format(server),
            renewalThreshold: GoDuration.format(threshold),
            requeueAfter: GoDuration.format(requeue)
          })
          const ordered = strictlyOrdered([root, server, threshold, requeue])
          if (Result.isSuccess(result)) {
            return ordered && Duration.equals(result.success.serverDuration, server)
          }
          return !ordered && result.failure.reason._tag === "NotOrdered"
        }
      ),
      { numRuns: 1000 }
    )
  })
})
