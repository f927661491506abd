/**
 * KSPM on the real control plane with the tenant simulator (spec §2.2.11, issue #4): the token Secret (created once,
 * kept across reconciles), its hash on the ActiveGate and collector pods, the settings object in the cluster's MEID
 * scope (created once, not asked for again within the threshold), the node-config collector DaemonSet, and the
 * clean-up when `spec.kspm` goes; a token without `settings.write` gets `KSPMSettings=False/ScopeMissing`.
 */
import { assert, layer } from "@effect/vitest"
import { createFakeNode } from "../../../../../e2e/controlplane/ControlPlane.ts"
import { Effect } from "effect"
import { AllOperatorScopes } from "../../../../../e2e/tenant-simulator/Tenant.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Kit from "../../testkit/OperatorTestKit.ts"
import * as Harness from "../../testkit/OperatorTestLayer.ts"
import * as KspmSettings from "./KspmSettings.ts"
import * as KspmToken from "./KspmToken.ts"

// The chart's ServiceAccount of the component's pods (kwok nodes may run them).
const harness = Harness.make({ prefix: "op-kspm", serviceAccounts: ["dynatrace-node-config-collector"] })
const ns = harness.namespace
const { Tenant, TestKube, asTest, get, absent } = Harness

interface Data extends KubeObject {
  readonly data?: Record<string, string>
}
interface Workload extends KubeObject {
  readonly spec: {
    readonly template: {
      readonly metadata: { annotations?: Record<string, string> }
      readonly spec: {
        readonly containers: ReadonlyArray<{
          name: string
          image?: string
          env?: ReadonlyArray<{ name: string; value?: string }>
          volumeMounts?: ReadonlyArray<{ name: string; mountPath: string; subPath?: string }>
        }>
        readonly volumes?: ReadonlyArray<{ name: string; secret?: { secretName: string }; hostPath?: { path: string } }>
      }
    }
  }
}

const hashAnnotation = "internal.operator.dynatrace.com/kspm-token-secret-hash"
const settled = "90 seconds" as const

const dynakube = (name: string, spec: Record<string, unknown>, apiToken?: string) =>
  Effect.gen(function* () {
    yield* Harness.tenantTokens(ns, name, apiToken)
    return yield* Harness.applyTenantDynaKube(ns, name, spec)
  })

const spec = (mappedHostPaths: ReadonlyArray<string>, kspm = true) => ({
  activeGate: { capabilities: ["kubernetes-monitoring"] },
  ...(kspm ? { kspm: { mappedHostPaths } } : {}),
  templates: { kspmNodeConfigurationCollector: { imageRef: { repository: "registry.example/ncc", tag: "1.0.0" } } }
})

const kspmSettingsObjects = Effect.gen(function* () {
  return (yield* Tenant).settings().filter((o) => o.schemaId === KspmSettings.schemaId)
})

layer(harness.layer, { excludeTestServices: true, timeout: "400 seconds" })("KSPM", (it) => {
  it.effect(
    "token Secret, hash on the ActiveGate and collector pods, settings object, DaemonSet; kept while unchanged; removed with spec.kspm",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        yield* dynakube("posture", spec(["/etc", "/var/lib/kubelet"]))
        const dk = yield* Kit.waitFor(
          "the KSPM conditions are set",
          asTest(Kit.getDynaKube(ns, "posture")),
          (d) =>
            Kit.conditionOf(d, "NodeConfigCollectorDaemonSet")?.status === "True" &&
            Kit.conditionOf(d, "KSPMSettings")?.reason === "Exists" &&
            Kit.conditionOf(d, "ActiveGateStatefulSet")?.status === "True",
          "150 seconds"
        )
        const status = dk.status as any
        assert.strictEqual(Kit.conditionOf(dk, "KSPMTokenSecret")?.reason, "SecretCreated")

        // The token Secret: a dt0n01 token; the status hash is the hash of its data.
        const secret = yield* get<Data>(Resources.Secret, ns, "posture-kspm-token")
        const token = Buffer.from(secret.data?.["kspm-token"] ?? "", "base64").toString("utf8")
        assert.isTrue(KspmToken.isToken(token), "the Secret holds a dt0n01 token")
        assert.strictEqual(status.kspm.tokenSecretHash, KspmToken.tokenSecretHash(secret.data ?? {}))
        assert.strictEqual(secret.metadata?.ownerReferences?.[0]?.uid, dk.metadata?.uid)

        // The ActiveGate mounts it and carries the hash (from the first reconcile on: the token phase runs first).
        const sts = yield* get<Workload>(Resources.StatefulSet, ns, "posture-activegate")
        assert.strictEqual(sts.spec.template.metadata.annotations?.[hashAnnotation], status.kspm.tokenSecretHash)
        assert.strictEqual(
          sts.spec.template.spec.volumes?.find((v) => v.name === "kspm-token")?.secret?.secretName,
          "posture-kspm-token"
        )

        // The collector DaemonSet.
        const ds = yield* get<Workload>(Resources.DaemonSet, ns, "posture-node-config-collector")
        const collector = ds.spec.template.spec.containers[0]
        assert.strictEqual(collector?.image, "registry.example/ncc:1.0.0")
        assert.strictEqual(ds.spec.template.metadata.annotations?.[hashAnnotation], status.kspm.tokenSecretHash)
        assert.strictEqual(
          collector?.env?.find((e) => e.name === "DT_ACTIVEGATE_ENDPOINT")?.value,
          `https://posture-activegate.${ns}/e/${tenant.tenant.config.tenantUUID}/api/v2/kubernetes/node-config`
        )
        assert.deepStrictEqual(
          ds.spec.template.spec.volumes?.filter((v) => v.hostPath !== undefined).map((v) => v.hostPath?.path),
          ["/etc", "/var/lib/kubelet"]
        )

        // One settings object in the cluster's MEID scope, dataset pipeline on.
        const meid = status.kubernetesClusterMEID as string
        assert.match(meid, /^KUBERNETES_CLUSTER-/)
        const objects = yield* kspmSettingsObjects
        assert.strictEqual(objects.length, 1)
        assert.strictEqual(objects[0]?.scope, meid)
        assert.strictEqual(objects[0]?.schemaVersion, "1")
        assert.deepStrictEqual(objects[0]?.value, { configurationDatasetPipelineEnabled: true })

        // A spec change rolls the DaemonSet, keeps the token, and does not ask the tenant about settings again.
        tenant.resetHits()
        yield* dynakube("posture", spec(["/etc", "/var/lib/kubelet", "/opt/cni"]))
        yield* Kit.waitUntil(
          "the DaemonSet mounts the new host path",
          Effect.map(get<Workload>(Resources.DaemonSet, ns, "posture-node-config-collector"), (d) =>
            (d.spec.template.spec.volumes ?? []).some((v) => v.hostPath?.path === "/opt/cni")
          ),
          settled
        )
        const again = yield* get<Data>(Resources.Secret, ns, "posture-kspm-token")
        assert.strictEqual(again.data?.["kspm-token"], secret.data?.["kspm-token"], "the token is kept")
        assert.strictEqual(again.metadata?.uid, secret.metadata?.uid)
        const settingsReads = tenant
          .requests("settingsObjects")
          .filter((r) => r.query.some(([k, v]) => k === "schemaIds" && v === KspmSettings.schemaId))
        assert.strictEqual(settingsReads.length, 0, "no KSPM settings look-up within the threshold")
        assert.strictEqual(yield* Effect.map(kspmSettingsObjects, (o) => o.length), 1)

        // A deleted token Secret is created again with a new token; the new hash rolls the collector and the AG.
        yield* (yield* TestKube).delete(Resources.Secret, "posture-kspm-token", { namespace: ns })
        const renewed = yield* Kit.waitFor(
          "a new token Secret exists",
          get<Data>(Resources.Secret, ns, "posture-kspm-token"),
          (s) => s.metadata?.uid !== secret.metadata?.uid,
          settled
        )
        assert.notStrictEqual(renewed.data?.["kspm-token"], secret.data?.["kspm-token"])
        const newHash = KspmToken.tokenSecretHash(renewed.data ?? {})
        yield* Kit.waitFor(
          "the status and both pod templates carry the new hash",
          Effect.gen(function* () {
            const d = yield* asTest(Kit.getDynaKube(ns, "posture"))
            const c = yield* get<Workload>(Resources.DaemonSet, ns, "posture-node-config-collector")
            const a = yield* get<Workload>(Resources.StatefulSet, ns, "posture-activegate")
            return [
              (d.status as any)?.kspm?.tokenSecretHash,
              c.spec.template.metadata.annotations?.[hashAnnotation],
              a.spec.template.metadata.annotations?.[hashAnnotation]
            ]
          }),
          (hashes) => hashes.every((h) => h === newHash),
          settled
        )

        // spec.kspm removed: Secret, DaemonSet, hash and conditions go; the ActiveGate loses the mount.
        yield* dynakube("posture", spec([], false))
        yield* Kit.waitUntil(
          "the KSPM objects are gone",
          Effect.gen(function* () {
            return (
              (yield* absent(Resources.Secret, ns, "posture-kspm-token")) &&
              (yield* absent(Resources.DaemonSet, ns, "posture-node-config-collector"))
            )
          }),
          settled
        )
        const after = yield* Kit.waitFor(
          "the KSPM status is cleared",
          asTest(Kit.getDynaKube(ns, "posture")),
          (d) =>
            (d.status as any)?.kspm === undefined &&
            Kit.conditionOf(d, "KSPMTokenSecret") === undefined &&
            Kit.conditionOf(d, "NodeConfigCollectorDaemonSet") === undefined,
          settled
        )
        // Kubernetes monitoring is still on: the settings condition stays (as in the original).
        assert.strictEqual(Kit.conditionOf(after, "KSPMSettings")?.reason, "Exists")
        const withoutKspm = yield* Kit.waitFor(
          "the ActiveGate no longer mounts the token",
          get<Workload>(Resources.StatefulSet, ns, "posture-activegate"),
          (s) => !(s.spec.template.spec.volumes ?? []).some((v) => v.name === "kspm-token"),
          settled
        )
        assert.isUndefined(withoutKspm.spec.template.metadata.annotations?.[hashAnnotation])
      })
  )

  it.effect("a token without settings.write: KSPMSettings is False/ScopeMissing and nothing is created", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      const limited = tenant.tenant.addToken(AllOperatorScopes.filter((s) => s !== "settings.write"))
      const before = (yield* kspmSettingsObjects).length
      yield* dynakube("noscope", spec(["/etc"]), limited)
      const dk = yield* Kit.waitFor(
        "the KSPM settings condition is set",
        asTest(Kit.getDynaKube(ns, "noscope")),
        (d) =>
          Kit.conditionOf(d, "KSPMSettings") !== undefined &&
          Kit.conditionOf(d, "NodeConfigCollectorDaemonSet")?.status === "True",
        "150 seconds"
      )
      const settings = Kit.conditionOf(dk, "KSPMSettings")
      assert.strictEqual(settings?.status, "False")
      assert.strictEqual(settings?.reason, "ScopeMissing")
      assert.strictEqual(settings?.message, KspmSettings.messages.scopesMissing(["settings.write"]))
      assert.strictEqual((yield* kspmSettingsObjects).length, before)
      assert.isFalse(yield* absent(Resources.Secret, ns, "noscope-kspm-token"))
    })
  )

  it.effect("steady state: reconciles of an unchanged KSPM DynaKube write nothing and call no tenant endpoint", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      const desired = spec(["/etc"])
      yield* dynakube("steady", desired)
      yield* Kit.waitFor(
        "the KSPM components are up",
        asTest(Kit.getDynaKube(ns, "steady")),
        (d) =>
          Kit.conditionOf(d, "NodeConfigCollectorDaemonSet")?.status === "True" &&
          Kit.conditionOf(d, "KSPMSettings")?.reason === "Exists" &&
          Kit.conditionOf(d, "ActiveGateStatefulSet")?.status === "True",
        "150 seconds"
      )
      // An annotation change is a reconcile that changes nothing.
      yield* Harness.expectSteadyState(
        (i) => asTest(Kit.applyDynaKube(ns, "steady", { apiUrl: tenant.url, ...desired }, { poke: `${i}` })),
        { pokes: 5 }
      )
    })
  )

  it.effect("on a (kwok) node: the collector pod runs with its ServiceAccount, and the DynaKube is Running", () =>
    Effect.gen(function* () {
      // A tainted node of our own, so only this DynaKube's pods land on it.
      const node = Kit.uniqueName("kwok-kspm")
      const taint = { key: "kspm-test", value: node, effect: "NoSchedule" as const }
      yield* Effect.promise(() =>
        createFakeNode({ kubeconfigPath: process.env["KUBECONFIG"] ?? "" }, node, {
          labels: { "kspm-test": node },
          taints: [taint]
        })
      )
      yield* Effect.addFinalizer(() =>
        Effect.gen(function* () {
          yield* (yield* TestKube).delete(Resources.Node, node)
        }).pipe(Effect.ignore)
      )
      const placement = {
        nodeSelector: { "kspm-test": node },
        tolerations: [{ key: "kspm-test", operator: "Equal", value: node, effect: "NoSchedule" }]
      }
      yield* dynakube("onnode", {
        activeGate: { capabilities: ["kubernetes-monitoring"], ...placement },
        kspm: { mappedHostPaths: ["/etc"] },
        templates: { kspmNodeConfigurationCollector: placement }
      })
      const ds = yield* Kit.waitFor(
        "the collector pod is ready",
        get<KubeObject & { status?: { numberReady?: number; desiredNumberScheduled?: number } }>(
          Resources.DaemonSet,
          ns,
          "onnode-node-config-collector"
        ),
        (d) => (d.status?.desiredNumberScheduled ?? 0) === 1 && (d.status?.numberReady ?? 0) === 1,
        "120 seconds"
      )
      assert.strictEqual(ds.status?.numberReady, 1)
      const dk = yield* Kit.waitFor(
        "the DynaKube is Running",
        asTest(Kit.getDynaKube(ns, "onnode")),
        (d) => d.status?.phase === "Running",
        "120 seconds"
      )
      assert.strictEqual(Kit.conditionOf(dk, "NodeConfigCollectorDaemonSet")?.status, "True")
    })
  )
})
