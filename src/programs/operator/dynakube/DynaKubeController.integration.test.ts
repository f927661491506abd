/**
 * The DynaKube controller on the real control plane (apiserver, controller manager for garbage collection, kwok),
 * with the tenant simulator in-process and the operator running in this process (so the test can read its
 * KubeClient's request counter).
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Kit from "../testkit/OperatorTestKit.ts"
import * as Harness from "../testkit/OperatorTestLayer.ts"
import * as DeploymentMetadata from "./DeploymentMetadata.ts"
import * as Names from "./Names.ts"
import * as Tokens from "./Tokens.ts"

const harness = Harness.make({ prefix: "op-dk" })
const ns = harness.namespace
const { Tenant, TestKube, asTest } = Harness
const kubeGen = Effect.gen(function* () {
  return yield* KubeClient
})

interface ConfigMap extends KubeObject {
  readonly data?: Readonly<Record<string, string>>
}
interface Secret extends KubeObject {
  readonly type?: string
  readonly data?: Readonly<Record<string, string>>
}
const decode = (s: Secret, key: string) => Buffer.from(s.data?.[key] ?? "", "base64").toString("utf8")

const get = <T extends KubeObject>(resource: Parameters<KubeClient["Service"]["get"]>[0], name: string) =>
  asTest(Effect.flatMap(kubeGen, (k) => k.get<T>(resource, name, { namespace: ns })))

/** Pokes a converged DynaKube five times (annotation changes: reconciles that change nothing). */
const steadyState = (name: string, spec: Record<string, unknown>) =>
  Effect.gen(function* () {
    const reconciles = yield* Harness.expectSteadyState(
      (i) => asTest(Kit.applyDynaKube(ns, name, spec, { poke: `${i}` })),
      {
        pokes: 5,
        reconcileTimeout: "30 seconds"
      }
    )
    assert.isAtLeast(reconciles, 5)
  })

layer(harness.layer, { excludeTestServices: true, timeout: "180 seconds" })("DynaKube controller", (it) => {
  it.effect(
    "hostMonitoring: tokens checked, cluster id, metadata, tenant secret, connection info, pull secret, versions",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        yield* asTest(Kit.tokenSecret(ns, "dk-host", { apiToken: tenant.apiToken }))
        yield* asTest(Kit.applyDynaKube(ns, "dk-host", { apiUrl: tenant.url, oneAgent: { hostMonitoring: {} } }))
        const dk = yield* Kit.waitFor(
          "the DynaKube has a Running phase and OneAgent connection info",
          asTest(Kit.getDynaKube(ns, "dk-host")),
          (d) =>
            d.status?.phase !== undefined &&
            Kit.conditionOf(d, "OneAgentConnectionInfo")?.status === "True" &&
            Kit.conditionOf(d, "PullSecret")?.status === "True"
        )
        const tokens = Kit.conditionOf(dk, Tokens.conditionTypes.tokens)
        assert.strictEqual(tokens?.status, "True")
        assert.strictEqual(tokens?.reason, "TokenReady")
        assert.strictEqual(tokens?.message, Tokens.messages.readyWithoutDataIngest)
        assert.strictEqual(tokens?.observedGeneration, dk.metadata?.generation)

        const kubeSystem = yield* asTest(
          Effect.flatMap(kubeGen, (k) => k.get<KubeObject>(Resources.Namespace, "kube-system"))
        )
        const status = dk.status as Record<string, any>
        assert.strictEqual(status["kubeSystemUUID"], kubeSystem.metadata?.uid)
        assert.deepStrictEqual(status["apiToken"], {
          platform: false,
          availableOptionalScopes: { settingsRead: true, settingsWrite: true }
        })
        const uuid = tenant.tenant.config.tenantUUID
        assert.strictEqual(status["oneAgent"].connectionInfoStatus.tenantUUID, uuid)
        assert.strictEqual(
          status["oneAgent"].connectionInfoStatus.endpoints,
          tenant.tenant.config.communicationEndpoints.join(";")
        )
        const host = new URL(tenant.url).host
        assert.strictEqual(status["oneAgent"].source, "tenant-registry")
        assert.strictEqual(status["oneAgent"].version, tenant.tenant.config.latestAgentVersion)
        assert.strictEqual(
          status["oneAgent"].imageID,
          `${host}/linux/oneagent:${tenant.tenant.config.latestAgentVersion}-raw`
        )
        assert.isString(status["updatedTimestamp"])

        const n = Names.names("dk-host")
        const metadata = yield* get<ConfigMap>(Resources.ConfigMap, n.deploymentMetadata)
        assert.deepStrictEqual(metadata.data, {
          oneagent: DeploymentMetadata.metadataValue("host_monitoring", "0.1.0", kubeSystem.metadata?.uid ?? ""),
          operator: "0.1.0"
        })
        assert.deepStrictEqual(metadata.metadata?.ownerReferences?.[0]?.uid, dk.metadata?.uid)
        assert.strictEqual(metadata.metadata?.ownerReferences?.[0]?.controller, true)
        assert.deepStrictEqual(metadata.metadata?.labels, {
          "app.kubernetes.io/name": "dynatrace-operator",
          "app.kubernetes.io/created-by": "dk-host",
          "app.kubernetes.io/component": "operator",
          "app.kubernetes.io/version": "0.1.0"
        })

        const tenantSecret = yield* get<Secret>(Resources.Secret, n.oneAgentTenantSecret)
        assert.strictEqual(decode(tenantSecret, "tenant-token"), tenant.tenant.tenantToken)
        const connectionInfo = yield* get<ConfigMap>(Resources.ConfigMap, n.oneAgentConnectionInfo)
        assert.deepStrictEqual(connectionInfo.data, {
          "tenant-uuid": uuid,
          "communication-endpoints": tenant.tenant.config.communicationEndpoints.join(";")
        })
        const pull = yield* get<Secret>(Resources.Secret, n.pullSecret)
        assert.strictEqual(pull.type, "kubernetes.io/dockerconfigjson")
        const auths = JSON.parse(decode(pull, ".dockerconfigjson")).auths
        assert.deepStrictEqual(auths, {
          [host]: {
            username: uuid,
            password: tenant.apiToken,
            auth: Buffer.from(`${uuid}:${tenant.apiToken}`).toString("base64")
          }
        })
        // Every write went through server-side apply with the one field manager.
        const managers = (tenantSecret.metadata?.managedFields ?? []).map((m: any) => m.manager)
        assert.deepStrictEqual(managers, ["dynatrace-operator"])
      })
  )

  it.effect("steady state: reconciles of an unchanged DynaKube write nothing and call no tenant endpoint", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      yield* steadyState("dk-host", { apiUrl: tenant.url, oneAgent: { hostMonitoring: {} } })
    })
  )

  it.effect(
    "steady state with every component (DaemonSet, ActiveGate, injection into two namespaces): zero writes",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        const team = Kit.uniqueName("steady")
        const apps = [Kit.uniqueName("steady-a"), Kit.uniqueName("steady-b")]
        for (const app of apps) yield* asTest(Kit.createNamespace(app, { team }))
        yield* Effect.addFinalizer(() =>
          asTest(Effect.forEach(apps, Kit.deleteNamespace, { discard: true })).pipe(Effect.orDie)
        )
        yield* Harness.tenantTokens(ns, "dk-full")
        const spec = {
          apiUrl: tenant.url,
          oneAgent: { cloudNativeFullStack: { namespaceSelector: { matchLabels: { team } } } },
          activeGate: { capabilities: ["routing"] }
        }
        yield* asTest(Kit.applyDynaKube(ns, "dk-full", spec))
        yield* Kit.waitFor(
          "every component is up",
          asTest(Kit.getDynaKube(ns, "dk-full")),
          (d) =>
            Kit.conditionOf(d, "OneAgentDaemonSet")?.status === "True" &&
            Kit.conditionOf(d, "ActiveGateStatefulSet")?.status === "True" &&
            Kit.conditionOf(d, "OneAgentNamespacesMonitored")?.status === "True",
          "90 seconds"
        )
        yield* steadyState("dk-full", spec)
      }),
    180_000
  )

  it.effect("deleting the DynaKube removes what it owned (garbage collection)", () =>
    Effect.gen(function* () {
      yield* asTest(Effect.flatMap(kubeGen, (k) => k.delete(Resources.DynaKube, "dk-host", { namespace: ns })))
      yield* Kit.waitUntil(
        "the owned objects are gone",
        Effect.gen(function* () {
          const kube = yield* TestKube
          const left = yield* kube.list(Resources.ConfigMap, {
            namespace: ns,
            labelSelector: "app.kubernetes.io/created-by=dk-host"
          })
          const secrets = yield* kube.list(Resources.Secret, {
            namespace: ns,
            labelSelector: "app.kubernetes.io/created-by=dk-host"
          })
          return left.items.length === 0 && secrets.items.length === 0
        }),
        "90 seconds"
      )
    })
  )
})
