/**
 * Property: whatever the tenant answers (any status, any bytes, any JSON, cut or reset connections), every client
 * call ends with a decoded value or a typed `DynatraceApiError` — never a defect, never a hang past its timeout.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import fc from "fast-check"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { clientFor } from "../../e2e/tenant-simulator/ClientForSimulator.ts"
import type { Endpoint, Fault } from "../../e2e/tenant-simulator/Faults.ts"
import { startTenantSimulator, type TenantSimulator } from "../../e2e/tenant-simulator/TenantSimulator.ts"
import type { DynatraceApi } from "./DynatraceApi.ts"
import { DynatraceApiError } from "./DynatraceApiError.ts"
import { markedForTermination } from "./dynatrace/Events.ts"

let sim: TenantSimulator
let dir: string
beforeAll(async () => {
  sim = await startTenantSimulator()
  dir = await mkdtemp(join(tmpdir(), "dt-property-"))
})
afterAll(async () => {
  await sim.close()
  await rm(dir, { recursive: true, force: true })
})

type Api = DynatraceApi["Service"]
const TIMEOUT_MS = 400

const calls: ReadonlyArray<readonly [Endpoint, (api: Api) => Effect.Effect<unknown, unknown>]> = [
  ["tokenLookup", (api) => api.tokenScopes("apiToken")],
  ["agentConnectionInfo", (api) => api.oneAgentConnectionInfo],
  ["gatewayConnectionInfo", (api) => api.activeGateConnectionInfo],
  ["agentLatestMetainfo", (api) => api.latestAgentVersion({ type: "paas" })],
  ["agentVersions", (api) => api.availableAgentVersions({ type: "default" })],
  ["agentDownloadLatest", (api) => api.downloadAgent({ type: "paas" }, join(dir, `p-${Math.random()}.zip`))],
  ["processModuleConfig", (api) => api.processModuleConfig("g")],
  ["processGroupingConfig", (api) => api.processGroupingConfig("KUBERNETES_CLUSTER-1", '"etag"')],
  ["activeGateTokens", (api) => api.createActiveGateToken("dk")],
  ["containerImages", (api) => api.containerImages("public.ecr.aws/dynatrace")],
  ["hosts", (api) => api.hostEntities],
  ["events", (api) => api.sendEvent(markedForTermination(["HOST-1"], 1))],
  ["settingsObjects", (api) => api.kubernetesClusterEntity("uid")],
  ["settingsCreate", (api) => api.createKubernetesClusterSettings("x", "uid")],
  ["settingsDelete", (api) => api.deleteSettingsObject("id")],
  ["effectiveValues", (api) => api.enrichmentRules("environment")]
]

const json = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value))
const shapedLikeTheTenant = fc
  .oneof(
    fc.record({
      tenantUUID: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      tenantToken: fc.anything(),
      communicationEndpoints: fc.anything()
    }),
    fc.record({ scopes: fc.anything(), latestAgentVersion: fc.anything(), availableVersions: fc.anything() }),
    fc.record({ items: fc.anything(), totalCount: fc.anything(), components: fc.anything() }),
    fc.record({
      error: fc.record({ code: fc.anything(), message: fc.anything(), constraintViolations: fc.anything() })
    }),
    fc.array(fc.record({ error: fc.anything(), code: fc.anything(), objectId: fc.anything() }))
  )
  .map((value) => JSON.stringify(value))

const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({
    kind: fc.constant("body" as const),
    status: fc.oneof(
      fc.constantFrom(200, 201, 204, 304, 400, 401, 403, 404, 409, 429, 500, 503),
      fc.integer({ min: 200, max: 599 })
    ),
    body: fc.oneof(
      json,
      shapedLikeTheTenant,
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString("base64"))
    ),
    base64: fc.boolean(),
    contentType: fc.constantFrom("application/json", "application/octet-stream", "text/html", "application/cbor")
  }),
  fc.record({
    kind: fc.constant("status" as const),
    status: fc.integer({ min: 400, max: 599 }),
    retryAfter: fc.oneof(fc.string(), fc.nat().map(String))
  }),
  fc.constant({ kind: "malformed" as const }),
  fc.constant({ kind: "reset" as const }),
  fc.record({ kind: fc.constant("truncate" as const), bytes: fc.nat({ max: 300 }) }),
  fc.record({ kind: fc.constant("latency" as const), millis: fc.constantFrom(0, TIMEOUT_MS + 300) })
)

describe("DynatraceApi property", () => {
  it.live(
    "any answer yields a value or a typed error, within the timeout",
    () =>
      Effect.gen(function* () {
        const api = yield* clientFor(sim, {
          timeout: `${TIMEOUT_MS} millis`,
          downloadTimeout: `${TIMEOUT_MS} millis`,
          retry: { times: 0 },
          requestThresholdMinutes: 0
        })
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.constantFrom(...calls), fault, async ([endpoint, call], injected) => {
              sim.clearFaults()
              sim.inject(endpoint, injected, 1)
              const started = Date.now()
              const exit = await Effect.runPromiseExit(call(api))
              const elapsed = Date.now() - started
              sim.clearFaults()
              assert.isBelow(elapsed, TIMEOUT_MS + 1500, `took ${elapsed} ms`)
              if (Exit.isFailure(exit)) {
                assert.isFalse(Cause.hasDies(exit.cause), `defect: ${Cause.pretty(exit.cause)}`)
                assert.isFalse(Cause.hasInterrupts(exit.cause), "interrupted")
                const error = Cause.squash(exit.cause)
                assert.isTrue(error instanceof DynatraceApiError, `untyped failure: ${String(error)}`)
              }
            }),
            { numRuns: 150 }
          )
        )
      }).pipe(Effect.scoped),
    120_000
  )
})
