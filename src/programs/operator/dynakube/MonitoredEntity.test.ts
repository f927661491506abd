/**
 * The Kubernetes entity reconciler: its pure decisions (scope, staleness, registration gating, cluster name), and the
 * phase against the tenant simulator (look-up, registration with the schema-version fallback, 403, app transition).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { clientFor } from "../../../../e2e/tenant-simulator/ClientForSimulator.ts"
import type { Fault } from "../../../../e2e/tenant-simulator/Faults.ts"
import { startTenantSimulator, type TenantSimulator } from "../../../../e2e/tenant-simulator/TenantSimulator.ts"
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApi } from "../../../services/DynatraceApi.ts"
import type { Condition } from "../runtime/Conditions.ts"
import * as Fixture from "../testkit/ReconcileScopeFixture.ts"
import * as Conditions from "../runtime/Conditions.ts"
import * as FeatureFlags from "./FeatureFlags.ts"
import * as Features from "./Features.ts"
import * as MonitoredEntity from "./MonitoredEntity.ts"
import type { ReconcileScope } from "./ReconcileScope.ts"

const now = Date.parse("2026-11-24T12:00:00Z")
const minutes = (n: number) => n * 60_000

const cond = (status: "True" | "False", reason: string, ageMinutes: number): Condition => ({
  type: MonitoredEntity.conditionType,
  status,
  reason,
  message: "",
  lastTransitionTime: Conditions.formatTime(now - minutes(ageMinutes))
})

const input = (overrides: Partial<MonitoredEntity.DecisionInput> = {}): MonitoredEntity.DecisionInput => ({
  settingsRead: true,
  settingsWrite: true,
  condition: undefined,
  meid: "",
  registration: false,
  k8sAppEnabled: false,
  now,
  thresholdMs: minutes(15),
  ...overrides
})

const spec = (extra: Record<string, unknown> = {}) => ({ apiUrl: "https://t/api", ...extra }) as DynaKube["spec"]
const flagsOf = (annotations: Record<string, string> = {}) =>
  FeatureFlags.read({ metadata: { annotations } }, "dynatrace")

describe("MonitoredEntity decisions", () => {
  it("settings.read missing: ScopeMissing, whatever else is true", () => {
    assert.deepStrictEqual(MonitoredEntity.decide(input({ settingsRead: false, registration: true })), {
      _tag: "ScopeMissing"
    })
  })

  it("staleness: no condition, False (not ScopeMissing), or older than the threshold ⇒ refresh; else cached", () => {
    const refresh: MonitoredEntity.Plan = { _tag: "Refresh", register: false, appTransition: false }
    assert.deepStrictEqual(MonitoredEntity.decide(input()), refresh)
    assert.deepStrictEqual(MonitoredEntity.decide(input({ condition: cond("True", "StatusUpdated", 14) })), {
      _tag: "Cached"
    })
    assert.deepStrictEqual(MonitoredEntity.decide(input({ condition: cond("True", "StatusUpdated", 15) })), refresh)
    assert.deepStrictEqual(MonitoredEntity.decide(input({ condition: cond("False", "StatusOutdated", 0) })), refresh)
    assert.deepStrictEqual(MonitoredEntity.decide(input({ condition: cond("False", "ScopeMissing", 1) })), {
      _tag: "Cached"
    })
    assert.deepStrictEqual(MonitoredEntity.decide(input({ condition: cond("False", "ScopeMissing", 20) })), refresh)
    // A threshold of 0 refreshes on every reconcile.
    assert.deepStrictEqual(
      MonitoredEntity.decide(input({ condition: cond("True", "StatusUpdated", 0), thresholdMs: 0 })),
      refresh
    )
  })

  it("registration needs the feature and settings.write; an empty MEID then forces a fresh look-up", () => {
    const fresh = cond("True", "StatusUpdated", 1)
    assert.deepStrictEqual(MonitoredEntity.decide(input({ condition: fresh, registration: true })), {
      _tag: "Refresh",
      register: true,
      appTransition: false
    })
    assert.deepStrictEqual(
      MonitoredEntity.decide(input({ condition: fresh, registration: true, meid: "KUBERNETES_CLUSTER-1" })),
      { _tag: "Cached" }
    )
    assert.deepStrictEqual(
      MonitoredEntity.decide(input({ condition: fresh, registration: true, settingsWrite: false })),
      { _tag: "Cached" }
    )
    assert.deepStrictEqual(MonitoredEntity.decide(input({ registration: true, settingsWrite: false })), {
      _tag: "Refresh",
      register: false,
      appTransition: false
    })
    // A refused write (ScopeMissing) is not retried on every reconcile.
    assert.deepStrictEqual(
      MonitoredEntity.decide(input({ condition: cond("False", "ScopeMissing", 1), registration: true })),
      { _tag: "Cached" }
    )
    assert.deepStrictEqual(MonitoredEntity.decide(input({ registration: true, k8sAppEnabled: true })), {
      _tag: "Refresh",
      register: true,
      appTransition: true
    })
    assert.deepStrictEqual(MonitoredEntity.decide(input({ k8sAppEnabled: true })), {
      _tag: "Refresh",
      register: false,
      appTransition: false
    })
  })

  it("registration is enabled by AG kubernetes-monitoring + the flag (default on), or kubemon registration", () => {
    const ag = spec({ activeGate: { capabilities: ["kubernetes-monitoring"] } })
    assert.isTrue(MonitoredEntity.registrationEnabled(ag, Features.of(ag), flagsOf()))
    assert.isFalse(
      MonitoredEntity.registrationEnabled(
        ag,
        Features.of(ag),
        flagsOf({ "feature.dynatrace.com/automatic-kubernetes-api-monitoring": "false" })
      )
    )
    const routing = spec({ activeGate: { capabilities: ["routing"] } })
    assert.isFalse(MonitoredEntity.registrationEnabled(routing, Features.of(routing), flagsOf()))
    const kubemon = spec({ kubernetesMonitoring: { registration: {} } })
    assert.isTrue(MonitoredEntity.registrationEnabled(kubemon, Features.of(kubemon), flagsOf()))
    const kubemonOnly = spec({ kubernetesMonitoring: {} })
    assert.isFalse(MonitoredEntity.registrationEnabled(kubemonOnly, Features.of(kubemonOnly), flagsOf()))
  })

  it("cluster name: kubemon registration.clusterName, then the flag, then the DynaKube's name", () => {
    const flag = flagsOf({ "feature.dynatrace.com/automatic-kubernetes-api-monitoring-cluster-name": "from-flag" })
    assert.strictEqual(
      MonitoredEntity.registrationClusterName(
        spec({ kubernetesMonitoring: { registration: { clusterName: "from-spec" } } }),
        flag,
        "dk"
      ),
      "from-spec"
    )
    assert.strictEqual(MonitoredEntity.registrationClusterName(spec(), flag, "dk"), "from-flag")
    assert.strictEqual(MonitoredEntity.registrationClusterName(spec(), flagsOf(), "dk"), "dk")
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// The phase against the tenant simulator
// ---------------------------------------------------------------------------------------------------------------------

let sim: TenantSimulator
beforeAll(async () => {
  sim = await startTenantSimulator()
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.clearFaults()
  sim.resetHits()
  sim.tenant.settings.clear()
  sim.configure({ kubernetesSchemaVersions: ["3.0.0", "1.0.27"] })
})

const ag = { activeGate: { capabilities: ["kubernetes-monitoring"] } }

const scopeFor = (
  api: DynatraceApi["Service"],
  options: {
    readonly spec?: Record<string, unknown>
    readonly annotations?: Record<string, string>
    readonly status?: DynaKube["status"]
    readonly settingsRead?: boolean
    readonly settingsWrite?: boolean
    readonly uuid?: string
  } = {}
): ReconcileScope => {
  const dkSpec = spec(options.spec)
  return Fixture.reconcileScope({
    spec: dkSpec,
    status: options.status ?? {},
    annotations: options.annotations ?? {},
    generation: 3,
    now,
    tenant: Fixture.tenantContext(api, sim.apiToken, options),
    kubeSystemUUID: options.uuid ?? `uid-${Math.random().toString(16).slice(2)}`
  })
}

const firstRequest = (endpoint: Parameters<TenantSimulator["requests"]>[0]) => {
  const first = sim.requests(endpoint)[0]
  assert.isDefined(first, `no request to ${endpoint}`)
  return first!
}

const conditionOf = (scope: ReconcileScope) =>
  scope.status.conditions?.find((c) => c.type === MonitoredEntity.conditionType)

/** Registers a cluster on the simulated tenant directly (as a person or another operator would). */
const register = (uuid: string, label: string, meid: string) =>
  sim.tenant.settings.set(`obj-${uuid}`, {
    objectId: `obj-${uuid}`,
    schemaId: "builtin:cloud.kubernetes",
    schemaVersion: "3.0.0",
    scope: meid,
    value: { label, clusterId: uuid, clusterIdEnabled: true, enabled: true }
  })

describe("MonitoredEntity phase (tenant simulator)", () => {
  it.live("a known cluster: MEID and name into the status, condition True; no registration without the feature", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const scope = scopeFor(api, { uuid: "uid-known" })
      register("uid-known", "prod-eu", "KUBERNETES_CLUSTER-00000000000000AA")
      yield* MonitoredEntity.phase.run(scope)
      assert.strictEqual(scope.status.kubernetesClusterMEID, "KUBERNETES_CLUSTER-00000000000000AA")
      assert.strictEqual(scope.status.kubernetesClusterName, "prod-eu")
      const c = conditionOf(scope)
      assert.strictEqual(c?.status, "True")
      assert.strictEqual(c?.reason, "StatusUpdated")
      assert.strictEqual(c?.lastTransitionTime, Conditions.formatTime(now))
      assert.strictEqual(c?.observedGeneration, 3)
      const lookup = firstRequest("settingsObjects")
      assert.deepInclude(lookup.query, ["schemaIds", "builtin:cloud.kubernetes"])
      assert.deepInclude(lookup.query, ["fields", "value,scope"])
      assert.deepInclude(lookup.query, ["filter", "value.clusterId='uid-known'"])
      assert.deepInclude(lookup.query, ["pageSize", "500"])
      assert.deepInclude(lookup.query, ["validateOnly", "true"])
      assert.deepStrictEqual(sim.hits(), { settingsObjects: 1 })

      // Within the threshold: no tenant call, the status stays.
      sim.resetHits()
      const again = scopeFor(api, { uuid: "uid-known", status: scope.status })
      yield* MonitoredEntity.phase.run(again)
      assert.deepStrictEqual(sim.hits(), {})
      assert.deepStrictEqual(again.status, scope.status)
    }).pipe(Effect.scoped)
  )

  it.live("an unknown cluster without registration: MEID cleared, nothing created", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const scope = scopeFor(api, {
        status: { kubernetesClusterMEID: "KUBERNETES_CLUSTER-OLD", kubernetesClusterName: "old" }
      })
      yield* MonitoredEntity.phase.run(scope)
      assert.isUndefined(scope.status.kubernetesClusterMEID)
      assert.isUndefined(scope.status.kubernetesClusterName)
      assert.strictEqual(conditionOf(scope)?.message, MonitoredEntity.messages.notFound)
      assert.deepStrictEqual(sim.hits(), { settingsObjects: 1 })
      assert.lengthOf(sim.settings(), 0)
    }).pipe(Effect.scoped)
  )

  it.live("registration: POST schema 3.0.0 with the cluster name flag, then the MEID is polled into the status", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const scope = scopeFor(api, {
        uuid: "uid-new",
        spec: ag,
        annotations: { "feature.dynatrace.com/automatic-kubernetes-api-monitoring-cluster-name": "my-cluster" }
      })
      yield* MonitoredEntity.phase.run(scope)
      const [stored] = sim.settings()
      assert.strictEqual(stored?.schemaId, "builtin:cloud.kubernetes")
      assert.strictEqual(stored?.schemaVersion, "3.0.0")
      assert.deepStrictEqual(stored?.value, {
        label: "my-cluster",
        clusterId: "uid-new",
        clusterIdEnabled: true,
        enabled: true
      })
      assert.strictEqual(scope.status.kubernetesClusterMEID, stored?.scope)
      assert.strictEqual(scope.status.kubernetesClusterName, "my-cluster")
      assert.strictEqual(conditionOf(scope)?.status, "True")
      assert.deepStrictEqual(sim.hits(), { settingsObjects: 2, settingsCreate: 1 })
      assert.deepInclude(firstRequest("settingsCreate").query, ["validateOnly", "false"])
    }).pipe(Effect.scoped)
  )

  it.live("registration on an older tenant: 404 for 3.0.0, then 1.0.27 with cloudApplicationPipelineEnabled", () =>
    Effect.gen(function* () {
      sim.configure({ kubernetesSchemaVersions: ["1.0.27"] })
      const api = yield* clientFor(sim)
      const scope = scopeFor(api, { spec: { kubernetesMonitoring: { registration: { clusterName: "legacy" } } } })
      yield* MonitoredEntity.phase.run(scope)
      const [stored] = sim.settings()
      assert.strictEqual(stored?.schemaVersion, "1.0.27")
      assert.propertyVal(stored?.value as object, "cloudApplicationPipelineEnabled", true)
      assert.propertyVal(stored?.value as object, "label", "legacy")
      assert.strictEqual(sim.hitsOf("settingsCreate"), 2)
      assert.strictEqual(scope.status.kubernetesClusterMEID, stored?.scope)
    }).pipe(Effect.scoped)
  )

  it.live("no settings.write: the MEID is looked up, nothing is registered", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const scope = scopeFor(api, { spec: ag, settingsWrite: false })
      yield* MonitoredEntity.phase.run(scope)
      assert.deepStrictEqual(sim.hits(), { settingsObjects: 1 })
      assert.lengthOf(sim.settings(), 0)
    }).pipe(Effect.scoped)
  )

  it.live("no settings.read: condition ScopeMissing, no tenant call", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const scope = scopeFor(api, { spec: ag, settingsRead: false })
      yield* MonitoredEntity.phase.run(scope)
      const c = conditionOf(scope)
      assert.strictEqual(c?.status, "False")
      assert.strictEqual(c?.reason, "ScopeMissing")
      assert.deepStrictEqual(sim.hits(), {})
    }).pipe(Effect.scoped)
  )

  it.live("403 from the tenant counts as a missing scope (read and write), not as an error", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      sim.inject("settingsObjects", { kind: "status", status: 403, message: "Token is missing required scope." }, 1)
      const read = scopeFor(api, { spec: ag })
      yield* MonitoredEntity.phase.run(read)
      assert.strictEqual(conditionOf(read)?.reason, "ScopeMissing")
      assert.strictEqual(conditionOf(read)?.message, MonitoredEntity.messages.readScopeMissing)

      sim.inject("settingsCreate", { kind: "status", status: 403, message: "Token is missing required scope." })
      const write = scopeFor(api, { spec: ag })
      yield* MonitoredEntity.phase.run(write)
      assert.strictEqual(conditionOf(write)?.reason, "ScopeMissing")
      assert.strictEqual(conditionOf(write)?.message, MonitoredEntity.messages.writeScopeMissing)
      assert.lengthOf(sim.settings(), 0)
    }).pipe(Effect.scoped)
  )

  it.live("a failed look-up fails the phase with the tenant error and leaves the condition False (retried)", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      sim.inject("settingsObjects", { kind: "status", status: 500 })
      const scope = scopeFor(api, {
        status: { kubernetesClusterMEID: "KUBERNETES_CLUSTER-KEPT" }
      })
      const error = yield* Effect.flip(MonitoredEntity.phase.run(scope))
      assert.strictEqual(error._tag, "DynatraceApiError")
      assert.strictEqual(scope.status.kubernetesClusterMEID, "KUBERNETES_CLUSTER-KEPT")
      assert.strictEqual(conditionOf(scope)?.status, "False")
      assert.strictEqual(conditionOf(scope)?.reason, "StatusOutdated")
      assert.deepStrictEqual(MonitoredEntity.decide(input({ condition: conditionOf(scope) })), {
        _tag: "Refresh",
        register: false,
        appTransition: false
      })
    }).pipe(Effect.scoped)
  )

  it.live("an entity that does not appear after registration: polled a few times, then the phase fails", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const empty: Fault = {
        kind: "body",
        status: 200,
        contentType: "application/json",
        body: '{"items":[],"totalCount":0}'
      }
      sim.inject("settingsObjects", empty, 1 + MonitoredEntity.pollAttempts)
      const scope = scopeFor(api, { spec: ag })
      const error = yield* Effect.flip(MonitoredEntity.phase.run(scope))
      assert.strictEqual(error._tag, "ComponentError")
      assert.strictEqual(sim.hitsOf("settingsObjects"), 1 + MonitoredEntity.pollAttempts)
      assert.strictEqual(sim.hitsOf("settingsCreate"), 1)
      assert.strictEqual(conditionOf(scope)?.reason, "StatusOutdated")
      assert.strictEqual(conditionOf(scope)?.message, MonitoredEntity.messages.notYetAvailable)
    }).pipe(Effect.scoped)
  )

  it.live("k8s-app-enabled on a tenant without the app-transition schema (404): skipped, no error", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const meid = "KUBERNETES_CLUSTER-00000000000000BB"
      // The look-up answers with the cluster, the app-transition count with 404 (schema unknown).
      sim.inject(
        "settingsObjects",
        {
          kind: "body",
          status: 200,
          contentType: "application/json",
          body: JSON.stringify({ items: [{ scope: meid, value: { label: "c" } }], totalCount: 1 })
        },
        1
      )
      sim.inject("settingsObjects", { kind: "status", status: 404, message: "Schema not found" }, 1)
      const annotations = { "feature.dynatrace.com/k8s-app-enabled": "true" }
      const scope = scopeFor(api, { spec: ag, annotations })
      yield* MonitoredEntity.phase.run(scope)
      assert.strictEqual(scope.status.kubernetesClusterMEID, meid)
      assert.strictEqual(sim.hitsOf("settingsObjects"), 2)
      assert.strictEqual(sim.hitsOf("settingsCreate"), 0)
      assert.strictEqual(conditionOf(scope)?.status, "True")
    }).pipe(Effect.scoped)
  )

  it.live("k8s-app-enabled: the app-transition setting is created once for the MEID", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const annotations = { "feature.dynatrace.com/k8s-app-enabled": "true" }
      const scope = scopeFor(api, { uuid: "uid-app", spec: ag, annotations })
      yield* MonitoredEntity.phase.run(scope)
      const meid = scope.status.kubernetesClusterMEID
      assert.isDefined(meid)
      const app = sim.settings().filter((s) => s.schemaId === "builtin:app-transition.kubernetes")
      assert.lengthOf(app, 1)
      assert.strictEqual(app[0]?.scope, meid)
      assert.strictEqual(app[0]?.schemaVersion, "1.0.1")
      assert.deepStrictEqual(app[0]?.value, { kubernetesAppOptions: { enableKubernetesApp: true } })

      // A later refresh finds it and creates no second one.
      const later = scopeFor(api, { uuid: "uid-app", spec: ag, annotations })
      yield* MonitoredEntity.phase.run(later)
      assert.lengthOf(
        sim.settings().filter((s) => s.schemaId === "builtin:app-transition.kubernetes"),
        1
      )
    }).pipe(Effect.scoped)
  )
})
