import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit } from "effect"
import * as OperatorConfig from "./OperatorConfig.ts"

const none = Object.fromEntries(OperatorConfig.envVars.map((k) => [k, undefined])) as OperatorConfig.RawOperatorConfig
const parse = (env: Partial<OperatorConfig.RawOperatorConfig>) =>
  OperatorConfig.fromRaw({ ...none, ...env }, { version: "1.2.3" })

describe("OperatorConfig", () => {
  it.effect("defaults are the original's", () =>
    Effect.gen(function* () {
      const c = yield* parse({ POD_NAME: "op-0" })
      assert.strictEqual(c.namespace, "dynatrace")
      assert.strictEqual(c.podName, "op-0")
      assert.strictEqual(c.operatorVersion, "1.2.3")
      assert.strictEqual(Duration.toMillis(c.defaultRequeueAfter), 15 * 60_000)
      assert.strictEqual(Duration.toMillis(c.clientTimeout), 30_000)
      assert.strictEqual(Duration.toMillis(c.cacheCleanInterval), 3_600_000)
      assert.strictEqual(Duration.toMillis(c.oneAgentUpdateInterval), 5 * 60_000)
      assert.deepStrictEqual(
        [c.leaderElection.leaseDuration, c.leaderElection.renewDeadline, c.leaderElection.retryPeriod].map(
          Duration.toSeconds
        ),
        [30, 20, 6]
      )
      assert.deepStrictEqual(c.metricsBindAddress, { host: "0.0.0.0", port: 8080 })
      assert.deepStrictEqual(c.healthProbeBindAddress, { host: "0.0.0.0", port: 10080 })
      assert.isTrue(c.hostAvailabilityDetection)
      assert.isFalse(c.kubemonOperand)
      assert.deepStrictEqual(c.modules, OperatorConfig.allModules)
      assert.strictEqual(c.maxConcurrentReconciles, 1)
    })
  )

  it.effect("Go durations within their range are taken; out of range or unreadable fall back to the default", () =>
    Effect.gen(function* () {
      const ok = yield* parse({ DT_DEFAULT_REQUEUE_AFTER: "5m", DT_CLIENT_CONNECTION_TIMEOUT: "2m30s" })
      assert.strictEqual(Duration.toMillis(ok.defaultRequeueAfter), 300_000)
      assert.strictEqual(Duration.toMillis(ok.clientTimeout), 150_000)
      for (const bad of ["30s", "2h", "soon", "-5m"]) {
        const c = yield* parse({ DT_DEFAULT_REQUEUE_AFTER: bad })
        assert.strictEqual(Duration.toMillis(c.defaultRequeueAfter), 900_000, bad)
      }
      assert.strictEqual(
        Duration.toMillis((yield* parse({ DT_CLIENT_CACHE_CLEAN_INTERVAL: "1m" })).cacheCleanInterval),
        3_600_000
      )
    })
  )

  it("modules.json: known boolean keys are taken, invalid JSON means all modules on", () => {
    const helm = JSON.stringify({ ...OperatorConfig.allModules, csiDriver: false, edgeConnect: false, other: 1 })
    assert.deepStrictEqual(OperatorConfig.parseModules(helm), {
      ...OperatorConfig.allModules,
      csiDriver: false,
      edgeConnect: false
    })
    assert.deepStrictEqual(OperatorConfig.parseModules("{not json"), OperatorConfig.allModules)
    assert.deepStrictEqual(OperatorConfig.parseModules('{"csiDriver":"no"}'), OperatorConfig.allModules)
    assert.deepStrictEqual(OperatorConfig.parseModules(undefined), OperatorConfig.allModules)
    // As the original's encoding/json into a zero struct: a module the object leaves out is off.
    assert.strictEqual(OperatorConfig.parseModules('{"csiDriver":false}').edgeConnect, false)
  })

  it.effect("leader election seconds are validated together (lease > renew > 1.2 × retry)", () =>
    Effect.gen(function* () {
      const ok = yield* parse({
        LEADER_ELECTION_LEASE_DURATION: "4",
        LEADER_ELECTION_RENEW_DEADLINE: "3",
        LEADER_ELECTION_RETRY_PERIOD: "1"
      })
      assert.strictEqual(Duration.toSeconds(ok.leaderElection.leaseDuration), 4)
      const crossed = yield* Effect.exit(
        parse({ LEADER_ELECTION_LEASE_DURATION: "10", LEADER_ELECTION_RENEW_DEADLINE: "20" })
      )
      assert.isTrue(Exit.isFailure(crossed))
      const error = yield* Effect.flip(parse({ LEADER_ELECTION_RETRY_PERIOD: "soon" }))
      assert.include(error.message, "soon")
    })
  )

  it.effect("bind addresses: Go form, 0 disables, nonsense fails naming the variable", () =>
    Effect.gen(function* () {
      const c = yield* parse({ METRICS_BIND_ADDRESS: "127.0.0.1:9000", HEALTH_PROBE_BIND_ADDRESS: "0" })
      assert.deepStrictEqual(c.metricsBindAddress, { host: "127.0.0.1", port: 9000 })
      assert.isUndefined(c.healthProbeBindAddress)
      const error = yield* Effect.flip(parse({ METRICS_BIND_ADDRESS: "everywhere" }))
      assert.include(error.message, "METRICS_BIND_ADDRESS")
    })
  )

  it.effect("DT_MISSED_INJECTION: off by default; off, report, restart (any case); anything else fails at start", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* parse({})).missedInjection, "off")
      assert.strictEqual((yield* parse({ DT_MISSED_INJECTION: " " })).missedInjection, "off")
      assert.strictEqual((yield* parse({ DT_MISSED_INJECTION: "report" })).missedInjection, "report")
      assert.strictEqual((yield* parse({ DT_MISSED_INJECTION: "Restart" })).missedInjection, "restart")
      assert.strictEqual((yield* parse({ DT_MISSED_INJECTION: "off" })).missedInjection, "off")
      for (const bad of ["true", "yes", "restart-all"]) {
        const error = yield* Effect.flip(parse({ DT_MISSED_INJECTION: bad }))
        assert.strictEqual(error._tag, "OperatorConfigError")
        assert.include(error.message, "DT_MISSED_INJECTION must be one of off, report, restart")
        assert.include(error.message, bad)
      }
    })
  )

  it.effect("MAX_CONCURRENT_RECONCILES must be 1–64", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* parse({ MAX_CONCURRENT_RECONCILES: "4" })).maxConcurrentReconciles, 4)
      const error = yield* Effect.flip(parse({ MAX_CONCURRENT_RECONCILES: "0" }))
      assert.include(error.message, "MAX_CONCURRENT_RECONCILES")
    })
  )
})
