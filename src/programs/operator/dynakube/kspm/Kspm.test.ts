/**
 * The settings part of the `kspm` phase against the tenant simulator: created once in the MEID's scope, an existing
 * object kept, no tenant call while fresh or without a MEID, a 403 recorded as ScopeMissing, other failures as Error.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { clientFor } from "../../../../../e2e/tenant-simulator/ClientForSimulator.ts"
import { startTenantSimulator, type TenantSimulator } from "../../../../../e2e/tenant-simulator/TenantSimulator.ts"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApi } from "../../../../services/DynatraceApi.ts"
import * as Conditions from "../../runtime/Conditions.ts"
import * as Fixture from "../../testkit/ReconcileScopeFixture.ts"
import type { ReconcileScope } from "../ReconcileScope.ts"
import { reconcileSettings } from "./Kspm.ts"
import * as KspmSettings from "./KspmSettings.ts"

const now = Date.parse("2026-11-24T12:00:00Z")
const meid = "KUBERNETES_CLUSTER-0123456789ABCDEF"

let sim: TenantSimulator
beforeAll(async () => {
  sim = await startTenantSimulator()
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.clearFaults()
  sim.resetHits()
  sim.tenant.settings.clear()
})

const scopeFor = (
  api: DynatraceApi["Service"],
  options: {
    readonly kspm?: boolean
    readonly status?: DynaKube["status"]
    readonly capabilities?: ReadonlyArray<string>
    readonly now?: number
  } = {}
): ReconcileScope => {
  const spec = {
    apiUrl: sim.url,
    activeGate: { capabilities: [...(options.capabilities ?? ["kubernetes-monitoring"])] },
    ...(options.kspm === false ? {} : { kspm: {} })
  } as DynaKube["spec"]
  return Fixture.reconcileScope({
    spec,
    status: options.status ?? { kubernetesClusterMEID: meid },
    generation: 2,
    now: options.now ?? now,
    tenant: Fixture.tenantContext(api, sim.apiToken),
    kubeSystemUUID: "uid"
  })
}

const settingsCondition = (scope: ReconcileScope) => Conditions.find(scope.status.conditions, "KSPMSettings")
const kspmObjects = () => sim.settings().filter((o) => o.schemaId === KspmSettings.schemaId)

describe("KSPM settings (tenant simulator)", () => {
  it.live("no object yet: one is created in the MEID's scope; condition Exists", () =>
    Effect.gen(function* () {
      const scope = scopeFor(yield* clientFor(sim))
      yield* reconcileSettings(scope)
      const created = kspmObjects()
      assert.strictEqual(created.length, 1)
      assert.strictEqual(created[0]?.scope, meid)
      assert.strictEqual(created[0]?.schemaVersion, "1")
      assert.deepStrictEqual(created[0]?.value, { configurationDatasetPipelineEnabled: true })
      const lookup = sim.requests("settingsObjects")[0]
      assert.deepInclude(lookup?.query ?? [], ["schemaIds", KspmSettings.schemaId])
      assert.deepInclude(lookup?.query ?? [], ["scopes", meid])
      assert.deepInclude(lookup?.query ?? [], ["validateOnly", "true"])
      assert.deepInclude(sim.requests("settingsCreate")[0]?.query ?? [], ["validateOnly", "false"])
      const condition = settingsCondition(scope)
      assert.strictEqual(condition?.status, "True")
      assert.strictEqual(condition?.reason, "Exists")
      assert.strictEqual(condition?.message, "KSPM settings exist.")
      assert.strictEqual(condition?.observedGeneration, 2)
    })
  )

  it.live("Kubernetes monitoring without spec.kspm creates it with the dataset pipeline off (as the original)", () =>
    Effect.gen(function* () {
      yield* reconcileSettings(scopeFor(yield* clientFor(sim), { kspm: false }))
      assert.deepStrictEqual(kspmObjects()[0]?.value, { configurationDatasetPipelineEnabled: false })
    })
  )

  it.live("an existing object is kept; a fresh condition means no call; an old one is checked and re-stamped", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const first = scopeFor(api)
      yield* reconcileSettings(first)
      sim.resetHits()
      // Fresh (10 minutes < the 15-minute default threshold): no tenant call, nothing changes.
      const later = { ...first, now: now + 10 * 60_000, status: first.status }
      yield* reconcileSettings(later)
      assert.deepStrictEqual(sim.hits(), {})
      // Stale (20 minutes): looked up again, not created again, the transition time moves to this look.
      const stale = { ...first, now: now + 20 * 60_000, status: first.status }
      yield* reconcileSettings(stale)
      assert.strictEqual(sim.hitsOf("settingsObjects"), 1)
      assert.strictEqual(sim.hitsOf("settingsCreate"), 0)
      assert.strictEqual(kspmObjects().length, 1)
      assert.strictEqual(settingsCondition(stale)?.lastTransitionTime, Conditions.formatTime(now + 20 * 60_000))
    })
  )

  it.live("no MEID: Skipped without a tenant call; without Kubernetes monitoring the condition goes", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const scope = scopeFor(api, { status: {} })
      yield* reconcileSettings(scope)
      assert.deepStrictEqual(sim.hits(), {})
      assert.strictEqual(settingsCondition(scope)?.reason, "Skipped")
      assert.strictEqual(settingsCondition(scope)?.status, "False")
      const off = { ...scopeFor(api, { capabilities: ["routing"] }), status: scope.status }
      yield* reconcileSettings(off)
      assert.isUndefined(settingsCondition(off))
      assert.deepStrictEqual(sim.hits(), {})
    })
  )

  it.live("a 403 is recorded as ScopeMissing and does not fail; a 500 sets Error and fails the phase", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      sim.inject("settingsCreate", { kind: "status", status: 403, message: "Token is missing required scope" }, 1)
      const forbidden = scopeFor(api)
      yield* reconcileSettings(forbidden)
      assert.strictEqual(settingsCondition(forbidden)?.reason, "ScopeMissing")
      assert.strictEqual(settingsCondition(forbidden)?.message, KspmSettings.messages.forbidden)
      assert.strictEqual(kspmObjects().length, 0)

      sim.inject("settingsObjects", { kind: "status", status: 500 })
      const failing = scopeFor(api)
      const exit = yield* Effect.exit(reconcileSettings(failing))
      assert.strictEqual(exit._tag, "Failure")
      assert.strictEqual(settingsCondition(failing)?.reason, "Error")
      assert.strictEqual(settingsCondition(failing)?.status, "False")
    })
  )
})
