/**
 * The response cache that `dynatraceApiRequestThreshold` governs (spec §2.2.7), counted in simulator hits.
 * Time is the TestClock's: tests move it past the threshold instead of waiting.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { clientFor, configFor } from "../../e2e/tenant-simulator/ClientForSimulator.ts"
import { startTenantSimulator, type TenantSimulator } from "../../e2e/tenant-simulator/TenantSimulator.ts"
import * as DynatraceApi from "./DynatraceApi.ts"
import { ResponseCache } from "./dynatrace/ResponseCache.ts"

let sim: TenantSimulator
beforeAll(async () => {
  sim = await startTenantSimulator()
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.clearFaults()
  sim.resetHits()
})

const cacheable = (api: DynatraceApi.DynatraceApi["Service"]) =>
  Effect.all([
    api.tokenScopes("apiToken"),
    api.tokenScopes("paasToken"),
    api.oneAgentConnectionInfo,
    api.activeGateConnectionInfo,
    api.latestAgentVersion({ type: "default" }),
    api.latestAgentVersion({ type: "paas" }),
    api.latestActiveGateVersion,
    api.containerImages(),
    api.processModuleConfig()
  ])

describe("DynatraceApi response cache", () => {
  it.effect("within the threshold, repeated calls make no tenant calls; after it, one each", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 15 })
      for (let i = 0; i < 25; i++) yield* cacheable(api)
      assert.deepStrictEqual(sim.hits(), {
        tokenLookup: 2, // one entry per inspected token
        agentConnectionInfo: 1,
        gatewayConnectionInfo: 1,
        agentLatestMetainfo: 2, // default and paas are different URLs
        gatewayLatestMetainfo: 1,
        containerImages: 1,
        processModuleConfig: 1
      })
      yield* TestClock.adjust(Duration.minutes(14))
      yield* cacheable(api)
      assert.strictEqual(sim.hitsOf("agentConnectionInfo"), 1)
      yield* TestClock.adjust(Duration.minutes(1))
      for (let i = 0; i < 5; i++) yield* cacheable(api)
      assert.strictEqual(sim.hitsOf("agentConnectionInfo"), 2)
      assert.strictEqual(sim.hitsOf("tokenLookup"), 4)
    }).pipe(Effect.scoped)
  )

  it.effect("a threshold of 0 disables the cache", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0 })
      for (let i = 0; i < 3; i++) yield* cacheable(api)
      assert.strictEqual(sim.hitsOf("agentConnectionInfo"), 3)
      assert.strictEqual(sim.hitsOf("tokenLookup"), 6)
    }).pipe(Effect.scoped)
  )

  it.effect("settings, hosts, versions lists and downloads are never cached", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      for (let i = 0; i < 3; i++) {
        yield* api.hostEntities
        yield* api.settingsObjects("builtin:x", "environment")
        yield* api.availableAgentVersions({ type: "paas" })
        yield* api.processGroupingConfig("KUBERNETES_CLUSTER-1")
      }
      assert.strictEqual(sim.hitsOf("hosts"), 3)
      assert.strictEqual(sim.hitsOf("settingsObjects"), 3)
      assert.strictEqual(sim.hitsOf("agentVersions"), 3)
      assert.strictEqual(sim.hitsOf("processGroupingConfig"), 3)
    }).pipe(Effect.scoped)
  )

  it.effect("empty answers and failures are not cached", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { retry: { times: 0 } })
      sim.inject("agentConnectionInfo", { kind: "body", body: "{}" }, 1)
      const empty = yield* api.oneAgentConnectionInfo
      assert.strictEqual(empty.endpoints, "")
      sim.inject("agentConnectionInfo", { kind: "status", status: 503 }, 1)
      yield* Effect.flip(api.oneAgentConnectionInfo)
      const full = yield* api.oneAgentConnectionInfo
      yield* api.oneAgentConnectionInfo
      assert.isAbove(full.communicationEndpoints.length, 0)
      assert.strictEqual(sim.hitsOf("agentConnectionInfo"), 3)
    }).pipe(Effect.scoped)
  )

  it.effect("is shared by all clients of the process, keyed by token", () =>
    Effect.gen(function* () {
      const services = Layer.mergeAll(Layer.fresh(ResponseCache.layer), NodeFileSystem.layer)
      yield* Effect.gen(function* () {
        const first = yield* DynatraceApi.make(configFor(sim))
        const second = yield* DynatraceApi.make(configFor(sim))
        const otherToken = yield* DynatraceApi.make(
          configFor(sim, { paasToken: Redacted.make(sim.addToken(["InstallerDownload"])) })
        )
        yield* first.oneAgentConnectionInfo
        yield* second.oneAgentConnectionInfo
        assert.strictEqual(sim.hitsOf("agentConnectionInfo"), 1)
        yield* otherToken.oneAgentConnectionInfo
        assert.strictEqual(sim.hitsOf("agentConnectionInfo"), 2)
      }).pipe(Effect.provide(services))
    }).pipe(Effect.scoped)
  )
})
