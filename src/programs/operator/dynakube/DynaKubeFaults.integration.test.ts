/**
 * Tenant faults (429, 503, malformed answers, slow answers) under a running operator: the right conditions, the
 * 429/503 rule (status untouched, a look again in a minute) and no hot loop (the simulator counts the calls).
 * Each case uses a fresh token, so no cached answer hides the fault.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { AllOperatorScopes } from "../../../../e2e/tenant-simulator/Tenant.ts"
import * as Kit from "../testkit/OperatorTestKit.ts"
import * as Harness from "../testkit/OperatorTestLayer.ts"

const harness = Harness.make({ prefix: "op-faults" })
const ns = harness.namespace
const { Tenant, asTest } = Harness

const hostMonitoring = { oneAgent: { hostMonitoring: {} } }

/** A DynaKube with a fresh token; the secret first, so one event starts the reconcile. */
const freshDynaKube = (name: string, annotations: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    yield* asTest(Kit.tokenSecret(ns, name, { apiToken: tenant.addToken([...AllOperatorScopes]) }))
    yield* Effect.sleep("500 millis")
    return yield* asTest(Kit.applyDynaKube(ns, name, { apiUrl: tenant.url, ...hostMonitoring }, annotations))
  })

const poke = (name: string, n: number) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    yield* asTest(Kit.applyDynaKube(ns, name, { apiUrl: tenant.url, ...hostMonitoring }, { poke: `${n}` }))
  })

layer(harness.layer, { excludeTestServices: true, timeout: "300 seconds" })("DynaKube under tenant faults", (it) => {
  it.effect("429 on the token look-up: status untouched, a bounded number of calls, then convergence", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      tenant.inject("tokenLookup", { kind: "status", status: 429 })
      yield* Effect.addFinalizer(() => Effect.sync(() => tenant.clearFaults()))
      tenant.resetHits()
      yield* freshDynaKube("limited")
      yield* Effect.sleep("12 seconds")
      const dk = yield* asTest(Kit.getDynaKube(ns, "limited"))
      assert.isUndefined(dk.status, "429 leaves the status as it was (none)")
      // One reconcile: the first try plus the client's 3 retries; the next look is a minute away.
      assert.isAtMost(tenant.hitsOf("tokenLookup"), 4)
      assert.isAtLeast(tenant.hitsOf("tokenLookup"), 1)
      tenant.clearFaults()
      yield* poke("limited", 1)
      yield* Kit.waitUntil(
        "Tokens becomes True",
        Effect.map(asTest(Kit.getDynaKube(ns, "limited")), (d) => Kit.conditionOf(d, "Tokens")?.status === "True"),
        "60 seconds"
      )
    })
  )

  it.effect("503 on the connection info: status untouched, bounded calls", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      tenant.inject("agentConnectionInfo", { kind: "status", status: 503 })
      yield* Effect.addFinalizer(() => Effect.sync(() => tenant.clearFaults()))
      tenant.resetHits()
      yield* freshDynaKube("unavailable")
      // Two reconciles of up to ~8 s each (a try and three retries with backoff).
      yield* Effect.sleep("20 seconds")
      const dk = yield* asTest(Kit.getDynaKube(ns, "unavailable"))
      assert.isUndefined(dk.status)
      // Objects written before the failing call (the deployment-metadata ConfigMap) bring one more reconcile:
      // at most two reconciles of four tries each. Then nothing until the minute is up.
      const first = tenant.hitsOf("agentConnectionInfo")
      assert.isAtMost(first, 8)
      assert.isAtLeast(first, 1)
      yield* Effect.sleep("10 seconds")
      assert.strictEqual(tenant.hitsOf("agentConnectionInfo"), first, "no call before the minute is up")
    })
  )

  it.effect(
    "a malformed connection info answer: OneAgentConnectionInfo=False, phase Error, backoff bounds the calls",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        tenant.inject("agentConnectionInfo", { kind: "malformed" })
        yield* Effect.addFinalizer(() => Effect.sync(() => tenant.clearFaults()))
        tenant.resetHits()
        yield* freshDynaKube("malformed")
        const dk = yield* Kit.waitFor(
          "the connection info condition reports the bad answer",
          asTest(Kit.getDynaKube(ns, "malformed")),
          (d) => Kit.conditionOf(d, "OneAgentConnectionInfo")?.status === "False",
          "60 seconds"
        )
        const condition = Kit.conditionOf(dk, "OneAgentConnectionInfo")
        assert.strictEqual(condition?.reason, "DynatraceApiError")
        assert.include(condition?.message ?? "", "Decode")
        assert.strictEqual(dk.status?.phase, "Error")
        const start = tenant.hitsOf("agentConnectionInfo")
        yield* Effect.sleep("10 seconds")
        // Exponential backoff from 5 ms: about a dozen tries in the first 10 s, then fewer and fewer.
        const during = tenant.hitsOf("agentConnectionInfo") - start
        assert.isAtMost(during, 12, "no hot loop")
        tenant.clearFaults()
        yield* poke("malformed", 1)
        yield* Kit.waitUntil(
          "the condition recovers",
          Effect.map(
            asTest(Kit.getDynaKube(ns, "malformed")),
            (d) => Kit.conditionOf(d, "OneAgentConnectionInfo")?.status === "True" && d.status?.phase !== "Error"
          ),
          "60 seconds"
        )
      })
  )

  it.effect("slow answers (3 s each, under the 30 s timeout): the reconcile waits and converges", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      tenant.inject("tokenLookup", { kind: "latency", millis: 3000 })
      tenant.inject("agentConnectionInfo", { kind: "latency", millis: 3000 })
      yield* Effect.addFinalizer(() => Effect.sync(() => tenant.clearFaults()))
      const started = Date.now()
      yield* freshDynaKube("slow")
      yield* Kit.waitUntil(
        "the slow DynaKube converges",
        Effect.map(
          asTest(Kit.getDynaKube(ns, "slow")),
          (d) =>
            Kit.conditionOf(d, "Tokens")?.status === "True" &&
            Kit.conditionOf(d, "OneAgentConnectionInfo")?.status === "True"
        ),
        "90 seconds"
      )
      assert.isAtLeast(Date.now() - started, 6000)
    })
  )
})
