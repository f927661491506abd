/**
 * Every injected fault against every client call: the reason each one produces, which ones are retried, and that
 * timeouts come from the configuration.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { clientFor } from "../../e2e/tenant-simulator/ClientForSimulator.ts"
import type { Endpoint, Fault } from "../../e2e/tenant-simulator/Faults.ts"
import { startTenantSimulator, type TenantSimulator } from "../../e2e/tenant-simulator/TenantSimulator.ts"
import type { DynatraceApi } from "./DynatraceApi.ts"
import { markedForTermination } from "./dynatrace/Events.ts"
import type * as E from "./DynatraceApiError.ts"

let sim: TenantSimulator
let scratch: string
beforeAll(async () => {
  sim = await startTenantSimulator()
  const { mkdtemp } = await import("node:fs/promises")
  const { tmpdir } = await import("node:os")
  scratch = await mkdtemp(`${tmpdir()}/dt-faults-`)
})
afterAll(async () => {
  await sim.close()
  const { rm } = await import("node:fs/promises")
  await rm(scratch, { recursive: true, force: true })
})
beforeEach(() => {
  sim.clearFaults()
  sim.resetHits()
})

type Api = DynatraceApi["Service"]

/** Each client call, the simulator endpoint it hits, and whether it decodes a JSON body. */
const calls: ReadonlyArray<{
  name: string
  endpoint: Endpoint
  decodes: boolean
  run: (api: Api) => Effect.Effect<unknown, unknown>
}> = [
  { name: "tokenScopes", endpoint: "tokenLookup", decodes: true, run: (api) => api.tokenScopes("paasToken") },
  {
    name: "oneAgentConnectionInfo",
    endpoint: "agentConnectionInfo",
    decodes: true,
    run: (api) => api.oneAgentConnectionInfo
  },
  {
    name: "activeGateConnectionInfo",
    endpoint: "gatewayConnectionInfo",
    decodes: true,
    run: (api) => api.activeGateConnectionInfo
  },
  {
    name: "latestAgentVersion",
    endpoint: "agentLatestMetainfo",
    decodes: true,
    run: (api) => api.latestAgentVersion({ type: "paas" })
  },
  {
    name: "latestActiveGateVersion",
    endpoint: "gatewayLatestMetainfo",
    decodes: true,
    run: (api) => api.latestActiveGateVersion
  },
  {
    name: "availableAgentVersions",
    endpoint: "agentVersions",
    decodes: true,
    run: (api) => api.availableAgentVersions({ type: "paas" })
  },
  {
    name: "downloadAgent",
    endpoint: "agentDownloadLatest",
    decodes: true, // a JSON body is no zip
    run: (api) => api.downloadAgent({ type: "paas" }, `${scratch}/agent-${Math.random().toString(36).slice(2)}.zip`)
  },
  {
    name: "processModuleConfig",
    endpoint: "processModuleConfig",
    decodes: true,
    run: (api) => api.processModuleConfig()
  },
  {
    name: "processGroupingConfig",
    endpoint: "processGroupingConfig",
    decodes: false,
    run: (api) => api.processGroupingConfig("KUBERNETES_CLUSTER-1")
  },
  {
    name: "createActiveGateToken",
    endpoint: "activeGateTokens",
    decodes: true,
    run: (api) => api.createActiveGateToken("dk")
  },
  { name: "containerImages", endpoint: "containerImages", decodes: true, run: (api) => api.containerImages() },
  { name: "hostEntities", endpoint: "hosts", decodes: true, run: (api) => api.hostEntities },
  {
    name: "sendEvent",
    endpoint: "events",
    decodes: false,
    run: (api) => api.sendEvent(markedForTermination(["HOST-1"], 1))
  },
  {
    name: "kubernetesClusterEntity",
    endpoint: "settingsObjects",
    decodes: true,
    run: (api) => api.kubernetesClusterEntity("uid")
  },
  {
    name: "settingsObjects",
    endpoint: "settingsObjects",
    decodes: true,
    run: (api) => api.settingsObjects("builtin:x", "environment")
  },
  {
    name: "createSettingsObject",
    endpoint: "settingsCreate",
    decodes: true,
    run: (api) => api.createSettingsObject({ schemaId: "builtin:x", scope: "environment", value: { a: 1 } })
  },
  {
    name: "deleteSettingsObject",
    endpoint: "settingsDelete",
    decodes: false,
    run: (api) => api.deleteSettingsObject("some-id")
  },
  {
    name: "enrichmentRules",
    endpoint: "effectiveValues",
    decodes: true,
    run: (api) => api.enrichmentRules("environment")
  }
]

const faults: ReadonlyArray<{ fault: Fault; expect: (reason: E.DynatraceApiErrorReason) => boolean; label: string }> = [
  {
    label: "429 with Retry-After",
    fault: { kind: "status", status: 429, retryAfter: "7" },
    expect: (r) => r._tag === "RateLimited" && r.retryAfter !== undefined && Duration.toMillis(r.retryAfter) === 7000
  },
  { label: "503", fault: { kind: "status", status: 503 }, expect: (r) => r._tag === "Unavailable" && r.status === 503 },
  { label: "401", fault: { kind: "status", status: 401 }, expect: (r) => r._tag === "Unauthorized" },
  {
    label: "500",
    fault: { kind: "status", status: 500 },
    expect: (r) => r._tag === "UnexpectedStatus" && r.status === 500
  },
  {
    label: "latency beyond the timeout",
    fault: { kind: "latency", millis: 1500 },
    expect: (r) => r._tag === "Timeout"
  },
  { label: "truncated body", fault: { kind: "truncate" }, expect: (r) => r._tag === "Transport" },
  { label: "reset connection", fault: { kind: "reset" }, expect: (r) => r._tag === "Transport" }
]

describe("DynatraceApi under faults (no retries)", () => {
  for (const call of calls) {
    it.live(`${call.name}: every fault becomes its reason`, () =>
      Effect.gen(function* () {
        const api = yield* clientFor(sim, {
          retry: { times: 0 },
          timeout: "300 millis",
          downloadTimeout: "300 millis",
          requestThresholdMinutes: 0
        })
        for (const { fault, expect, label } of faults) {
          sim.clearFaults()
          sim.inject(call.endpoint, fault)
          const exit = yield* Effect.exit(call.run(api))
          assert.isTrue(Exit.isFailure(exit), `${call.name} / ${label} should fail`)
          const error = yield* Effect.flip(call.run(api))
          assert.strictEqual((error as { _tag: string })._tag, "DynatraceApiError", `${call.name} / ${label}`)
          const reason = (error as E.DynatraceApiError).reason
          assert.isTrue(expect(reason), `${call.name} / ${label}: got ${reason._tag} ${reason.message}`)
        }
        sim.clearFaults()
        sim.inject(call.endpoint, { kind: "malformed" })
        const malformed = yield* Effect.exit(call.run(api))
        if (call.decodes) {
          const error = yield* Effect.flip(call.run(api))
          assert.strictEqual((error as E.DynatraceApiError).reason._tag, "Decode", call.name)
        } else {
          // Calls that do not read the body (or keep it as bytes) accept any 2xx body.
          assert.isTrue(Exit.isSuccess(malformed), call.name)
        }
      }).pipe(Effect.scoped)
    )
  }
})

describe("DynatraceApi retries", () => {
  it.live("retries 503s and then succeeds", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0 })
      sim.inject("hosts", { kind: "status", status: 503 }, 2)
      const hosts = yield* api.hostEntities
      assert.isAbove(hosts.length, 0)
      assert.strictEqual(sim.hitsOf("hosts"), 3)
    }).pipe(Effect.scoped)
  )

  it.live("retries broken connections and timeouts", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0, timeout: "300 millis" })
      sim.inject("agentVersions", { kind: "reset" }, 1)
      sim.inject("agentVersions", { kind: "truncate" }, 1)
      sim.inject("agentVersions", { kind: "latency", millis: 1000 }, 1)
      const versions = yield* api.availableAgentVersions({ type: "paas" })
      assert.deepStrictEqual(versions, sim.tenant.config.availableVersions)
      assert.strictEqual(sim.hitsOf("agentVersions"), 4)
    }).pipe(Effect.scoped)
  )

  it.live("waits for Retry-After before retrying a 429", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0 })
      sim.inject("gatewayLatestMetainfo", { kind: "status", status: 429, retryAfter: "1" }, 1)
      const started = Date.now()
      yield* api.latestActiveGateVersion
      assert.isAtLeast(Date.now() - started, 950)
      assert.strictEqual(sim.hitsOf("gatewayLatestMetainfo"), 2)
    }).pipe(Effect.scoped)
  )

  it.live("does not wait when Retry-After exceeds maxRetryAfter: the 429 reaches the caller", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0 })
      sim.inject("gatewayLatestMetainfo", { kind: "status", status: 429, retryAfter: "3600" }, 1)
      const started = Date.now()
      const error = yield* Effect.flip(api.latestActiveGateVersion)
      assert.isBelow(Date.now() - started, 1000)
      assert.strictEqual(error.reason._tag, "RateLimited")
      assert.strictEqual(sim.hitsOf("gatewayLatestMetainfo"), 1)
    }).pipe(Effect.scoped)
  )

  it.live("gives up after the configured number of retries with the last reason", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0, retry: { times: 2, base: "5 millis" } })
      sim.inject("hosts", { kind: "status", status: 503 })
      const error = yield* Effect.flip(api.hostEntities)
      assert.strictEqual(error.reason._tag, "Unavailable")
      assert.strictEqual(sim.hitsOf("hosts"), 3)
    }).pipe(Effect.scoped)
  )

  it.live("never retries 401, 403, 404 or decode failures", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0 })
      for (const fault of [
        { kind: "status", status: 401 },
        { kind: "status", status: 403 },
        { kind: "status", status: 404 },
        { kind: "malformed" }
      ] as const) {
        sim.clearFaults()
        sim.resetHits()
        sim.inject("hosts", fault)
        yield* Effect.flip(api.hostEntities)
        assert.strictEqual(sim.hitsOf("hosts"), 1, JSON.stringify(fault))
      }
    }).pipe(Effect.scoped)
  )

  it.live("a timeout is per attempt and comes from the configuration", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0, timeout: "200 millis", retry: { times: 0 } })
      sim.inject("hosts", { kind: "latency", millis: 2000 }, 1)
      const started = Date.now()
      const error = yield* Effect.flip(api.hostEntities)
      const elapsed = Date.now() - started
      assert.strictEqual(error.reason._tag, "Timeout")
      assert.isTrue(elapsed >= 190 && elapsed < 1000, `${elapsed} ms`)
      assert.include(error.message, "200")
    }).pipe(Effect.scoped)
  )
})
