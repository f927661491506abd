/**
 * The Kubernetes entity reconciler (spec §2.2.10) with the operator on the real control plane and the tenant
 * simulator: a known cluster's MEID lands in the status (and is not asked for again within the request threshold),
 * a missing cluster is registered when the ActiveGate monitors the Kubernetes API, and a token without settings.read
 * gives the ScopeMissing condition.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Kit from "../testkit/OperatorTestKit.ts"
import * as Harness from "../testkit/OperatorTestLayer.ts"
import * as MonitoredEntity from "./MonitoredEntity.ts"

const harness = Harness.make({ prefix: "op-entity" })
const ns = harness.namespace
const { Tenant, TestKube, asTest } = Harness

const kubeSystemUid = Effect.gen(function* () {
  const kube = yield* TestKube
  return (yield* kube.get<KubeObject>(Resources.Namespace, "kube-system")).metadata?.uid ?? ""
})

const dynakube = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
  Harness.applyTenantDynaKube(ns, name, spec, annotations)

const entityOf = (name: string, what: string, check: (dk: Kit.DynaKubeJson) => boolean) =>
  Harness.waitForDynaKube(ns, name, what, check)

const statusOf = (dk: Kit.DynaKubeJson) => (dk.status ?? {}) as Record<string, unknown>

layer(harness.layer, { excludeTestServices: true, timeout: "240 seconds" })("Kubernetes entity", (it) => {
  it.effect("a cluster the tenant knows: MEID and name in the status; no settings call within the threshold", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      const uid = yield* kubeSystemUid
      const meid = "KUBERNETES_CLUSTER-0123456789ABCDEF"
      tenant.tenant.settings.clear()
      tenant.tenant.settings.set("known-cluster", {
        objectId: "known-cluster",
        schemaId: "builtin:cloud.kubernetes",
        schemaVersion: "3.0.0",
        scope: meid,
        value: { label: "known-cluster", clusterId: uid, clusterIdEnabled: true, enabled: true }
      })
      yield* asTest(Kit.tokenSecret(ns, "dk-known", { apiToken: tenant.apiToken }))
      yield* dynakube("dk-known", { oneAgent: { hostMonitoring: {} } })
      const dk = yield* entityOf(
        "dk-known",
        "the MEID of the known cluster in the status",
        (d) => statusOf(d)["kubernetesClusterMEID"] === meid
      )
      assert.strictEqual(statusOf(dk)["kubernetesClusterName"], "known-cluster")
      const condition = Kit.conditionOf(dk, MonitoredEntity.conditionType)
      assert.strictEqual(condition?.status, "True")
      assert.strictEqual(condition?.reason, "StatusUpdated")
      const lookup = tenant.requests("settingsObjects").at(-1)
      assert.isDefined(lookup)
      assert.deepInclude(lookup!.query, ["filter", `value.clusterId='${uid}'`])

      // Steady state: reconciles of the unchanged DynaKube ask the tenant nothing about settings.
      yield* Effect.sleep("3 seconds")
      tenant.resetHits()
      yield* Kit.pokeAndAwaitReconciles(
        (i) => dynakube("dk-known", { oneAgent: { hostMonitoring: {} } }, { poke: `${i}` }),
        3
      )
      yield* Effect.sleep("1 second")
      assert.strictEqual(tenant.hitsOf("settingsObjects"), 0)
      assert.strictEqual(tenant.hitsOf("settingsCreate"), 0)
      const after = yield* asTest(Kit.getDynaKube(ns, "dk-known"))
      assert.deepStrictEqual(Kit.conditionOf(after, MonitoredEntity.conditionType), condition)
    })
  )

  it.effect(
    "a cluster the tenant does not know is registered (ActiveGate kubernetes-monitoring), then its MEID set",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        const uid = yield* kubeSystemUid
        tenant.tenant.settings.clear()
        yield* asTest(Kit.tokenSecret(ns, "dk-register", { apiToken: tenant.apiToken }))
        yield* dynakube(
          "dk-register",
          { activeGate: { capabilities: ["kubernetes-monitoring"] } },
          { "feature.dynatrace.com/automatic-kubernetes-api-monitoring-cluster-name": "it-cluster" }
        )
        const dk = yield* entityOf("dk-register", "a registered cluster's MEID in the status", (d) =>
          String(statusOf(d)["kubernetesClusterMEID"] ?? "").startsWith("KUBERNETES_CLUSTER-")
        )
        const registered = tenant.settings().filter((s) => s.schemaId === "builtin:cloud.kubernetes")
        assert.lengthOf(registered, 1, "registered exactly once")
        assert.strictEqual(registered[0]?.schemaVersion, "3.0.0")
        assert.deepStrictEqual(registered[0]?.value, {
          label: "it-cluster",
          clusterId: uid,
          clusterIdEnabled: true,
          enabled: true
        })
        assert.strictEqual(statusOf(dk)["kubernetesClusterMEID"], registered[0]?.scope)
        assert.strictEqual(statusOf(dk)["kubernetesClusterName"], "it-cluster")
        assert.strictEqual(Kit.conditionOf(dk, MonitoredEntity.conditionType)?.status, "True")
      })
  )

  it.effect("a token without settings.read: condition MonitoredEntity=False (ScopeMissing), no MEID", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      const token = tenant.addToken(["InstallerDownload", "DataExport", "activeGateTokenManagement.create"])
      yield* asTest(Kit.tokenSecret(ns, "dk-noscope", { apiToken: token }))
      yield* dynakube("dk-noscope", { oneAgent: { hostMonitoring: {} } })
      const dk = yield* entityOf(
        "dk-noscope",
        "the MonitoredEntity condition",
        (d) => Kit.conditionOf(d, MonitoredEntity.conditionType) !== undefined
      )
      const condition = Kit.conditionOf(dk, MonitoredEntity.conditionType)
      assert.strictEqual(condition?.status, "False")
      assert.strictEqual(condition?.reason, "ScopeMissing")
      assert.strictEqual(condition?.message, MonitoredEntity.messages.readScopeMissing)
      assert.isUndefined(statusOf(dk)["kubernetesClusterMEID"])
    })
  )
})
