/**
 * Log monitoring (spec §2.2.11) on the real control plane with the tenant simulator: the settings object waits for
 * the cluster's MEID; standalone log monitoring gets its config Secret and DaemonSet; the settings object is
 * created once per MEID; host agent modes get no DaemonSet; switching it off removes the objects; steady state
 * writes nothing and calls no tenant endpoint; a token without settings.write gets a ScopeMissing condition.
 *
 * The tests share one simulated tenant and run in order: the first runs before the cluster is registered.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Kit from "../../testkit/OperatorTestKit.ts"
import * as Harness from "../../testkit/OperatorTestLayer.ts"
import * as Settings from "./LogMonitoringSettings.ts"

// The chart's ServiceAccount of the component's pods (kwok nodes may run them).
const harness = Harness.make({ prefix: "op-logmon", serviceAccounts: ["dynatrace-logmonitoring"] })
const ns = harness.namespace
const { Tenant, TestKube, asTest, get, absent } = Harness

interface Container {
  readonly name: string
  readonly image?: string
  readonly command?: ReadonlyArray<string>
  readonly args?: ReadonlyArray<string>
}
interface Workload extends KubeObject {
  readonly spec: {
    readonly template: {
      readonly metadata: { annotations?: Record<string, string> }
      readonly spec: {
        readonly serviceAccountName?: string
        readonly containers: ReadonlyArray<Container>
        readonly initContainers?: ReadonlyArray<Container>
        readonly volumes?: ReadonlyArray<{ name: string; secret?: { secretName: string; defaultMode?: number } }>
      }
    }
  }
}
interface Data extends KubeObject {
  readonly data?: Record<string, string>
}

const tokens = (name: string) => Harness.tenantTokens(ns, name)

const dynakube = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
  Harness.applyTenantDynaKube(ns, name, spec, annotations)

const waitCondition = (
  name: string,
  type: string,
  test: (c: { status: string; reason: string } | undefined) => boolean
) => Harness.waitForDynaKube(ns, name, `${name}: condition ${type}`, (d) => test(Kit.conditionOf(d, type)))

const logStorageSettings = Effect.gen(function* () {
  const tenant = yield* Tenant
  return [...tenant.tenant.settings.values()].filter((o) => o.schemaId === Settings.schemaId)
})

/** Pokes a converged DynaKube three times (annotation changes): the operator writes nothing, asks no tenant. */
const steadyState = (name: string, spec: Record<string, unknown>) =>
  Harness.expectSteadyState((i) => dynakube(name, spec, { poke: `${i}` }))

/** A DynaKube whose log monitoring template sets every field. */
const earlySpec = {
  logMonitoring: {},
  templates: {
    logMonitoring: {
      labels: { team: "logs" },
      annotations: { "container.apparmor.security.beta.kubernetes.io/main": "runtime/default" },
      nodeSelector: { "kubernetes.io/os": "linux" },
      imageRef: {
        repository: "registry.example.com/dynatrace/logmodule",
        tag: "1.311.54",
        digest: "sha256:0123abcd",
        pullPolicy: "IfNotPresent"
      },
      dnsPolicy: "ClusterFirstWithHostNet",
      priorityClassName: "system-node-critical",
      secCompProfile: "logmodule.json",
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      rollingUpdate: { maxUnavailable: "25%" },
      tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
      args: ["-c extra_option\nvalue"]
    }
  }
}

const matchers = [{ attribute: "k8s.namespace.name", values: ["shop", "cart"] }]

layer(harness.layer, { excludeTestServices: true, timeout: "300 seconds" })("log monitoring", (it) => {
  it.effect("without a known MEID the settings object is skipped with a condition, the DaemonSet still runs", () =>
    Effect.gen(function* () {
      yield* tokens("early")
      yield* dynakube("early", earlySpec)
      const dk = yield* waitCondition("early", "LogMonitoringSettings", (c) => c?.reason === "Skipped")
      assert.strictEqual(Kit.conditionOf(dk, "LogMonitoringSettings")?.status, "False")
      assert.include(Kit.conditionOf(dk, "LogMonitoringSettings")?.message ?? "", "kubernetesClusterMEID")
      yield* waitCondition("early", "LogMonitoringDaemonSet", (c) => c?.status === "True")
      // Every template field made it through the apiserver's validation; the template's image wins.
      const ds = yield* get<Workload>(Resources.DaemonSet, ns, "early-logmonitoring")
      const main = ds.spec.template.spec.containers.find((c) => c.name === "main")
      assert.strictEqual(main?.image, "registry.example.com/dynatrace/logmodule@sha256:0123abcd")
      assert.include(ds.spec.template.spec.initContainers?.[0]?.args ?? [], "-c extra_optionvalue")
      assert.lengthOf(yield* logStorageSettings, 0)
      // Skipped is looked at again on every reconcile, but without a tenant call or a write.
      yield* steadyState("early", earlySpec)
      yield* (yield* TestKube).delete(Resources.DynaKube, "early", { namespace: ns })
    })
  )

  it.effect(
    "standalone: config Secret and DaemonSet appear, the settings object is created once for the MEID, and all goes when switched off",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        yield* tokens("logs")
        const spec = {
          networkZone: "eu-west",
          logMonitoring: { ingestRuleMatchers: matchers },
          kubernetesMonitoring: { registration: { clusterName: "logs-cluster" } }
        }
        yield* dynakube("logs", spec)
        const dk = yield* waitCondition("logs", "LogMonitoringSettings", (c) => c?.reason === "Exists")
        const meid = (dk.status as any)?.kubernetesClusterMEID as string
        assert.match(meid, /^KUBERNETES_CLUSTER-/)
        yield* waitCondition("logs", "LogMonitoringDaemonSet", (c) => c?.status === "True")
        assert.strictEqual(Kit.conditionOf(dk, "LogMonitoringConfig")?.reason, "SecretCreated")

        // The config Secret: deployment.conf from the OneAgent connection info.
        const secret = yield* get<Data>(Resources.Secret, ns, "logs-logmonitoring-config")
        const conf = Buffer.from(secret.data?.["deployment.conf"] ?? "", "base64").toString("utf8")
        const uuid = tenant.tenant.config.tenantUUID
        assert.include(conf, `Tenant=${uuid}\n`)
        assert.include(conf, `TenantToken=${tenant.tenant.tenantToken}\n`)
        assert.include(conf, "HostIdSource=k8s-node-name\n")
        assert.include(conf, "Location=eu-west\n")
        assert.match(conf, /^Server=\{https:\/\/.+\}$/m)
        assert.strictEqual(secret.metadata?.ownerReferences?.[0]?.uid, dk.metadata?.uid)

        // The DaemonSet: the tenant's public logmodule image, bootstrapper init container, the config Secret.
        const ds = yield* get<Workload>(Resources.DaemonSet, ns, "logs-logmonitoring")
        const pod = ds.spec.template.spec
        assert.strictEqual(pod.serviceAccountName, "dynatrace-logmonitoring")
        const main = pod.containers.find((c) => c.name === "main")
        assert.match(main?.image ?? "", /\/dynatrace-logmodule:1\.311\.54\.20250317-111439$/)
        const init = pod.initContainers?.find((c) => c.name === "init-volume")
        assert.deepStrictEqual(init?.command, ["/opt/dynatrace/oneagent/agent/lib64/bootstrap"])
        assert.include(init?.args ?? [], "-p dt.entity.kubernetes_cluster=$(DT_ENTITY_KUBERNETES_CLUSTER)")
        assert.deepStrictEqual(pod.volumes?.find((v) => v.name === "config")?.secret, {
          secretName: "logs-logmonitoring-config",
          defaultMode: 416
        })
        assert.strictEqual(
          ds.spec.template.metadata.annotations?.["internal.operator.dynatrace.com/tenant-token-hash"],
          (dk.status as any).oneAgent.connectionInfoStatus.tenantTokenHash
        )

        // The settings object: one, in the MEID's scope, with the spec's matchers.
        const created = yield* logStorageSettings
        assert.lengthOf(created, 1)
        assert.strictEqual(created[0]?.scope, meid)
        assert.strictEqual(created[0]?.schemaVersion, "1.0.16")
        assert.deepStrictEqual(created[0]?.value, {
          "config-item-title": "logs-cluster",
          matchers: [{ attribute: "k8s.namespace.name", operator: "MATCHES", values: ["shop", "cart"] }],
          enabled: true,
          "send-to-storage": true
        })

        yield* steadyState("logs", spec)

        // A second DynaKube of the same cluster with host agents: no DaemonSet of its own (its OneAgents collect
        // the logs), and the existing settings object is found, not created again.
        yield* tokens("hosts")
        yield* dynakube("hosts", { oneAgent: { hostMonitoring: {} }, logMonitoring: {} })
        const hosts = yield* waitCondition("hosts", "LogMonitoringSettings", (c) => c?.reason === "Exists")
        assert.isUndefined(Kit.conditionOf(hosts, "LogMonitoringDaemonSet"))
        assert.isTrue(yield* absent(Resources.DaemonSet, ns, "hosts-logmonitoring"))
        assert.isTrue(yield* absent(Resources.Secret, ns, "hosts-logmonitoring-config"))
        assert.lengthOf(yield* logStorageSettings, 1)
        yield* (yield* TestKube).delete(Resources.DynaKube, "hosts", { namespace: ns })

        // Switched off: the Secret and DaemonSet go, and so do the conditions.
        yield* dynakube("logs", { networkZone: "eu-west" })
        yield* Kit.waitUntil(
          "the log monitoring objects are gone",
          Effect.gen(function* () {
            return (
              (yield* absent(Resources.DaemonSet, ns, "logs-logmonitoring")) &&
              (yield* absent(Resources.Secret, ns, "logs-logmonitoring-config"))
            )
          }),
          "90 seconds"
        )
        const off = yield* waitCondition("logs", "LogMonitoringSettings", (c) => c === undefined)
        assert.isUndefined(Kit.conditionOf(off, "LogMonitoringDaemonSet"))
        assert.isUndefined(Kit.conditionOf(off, "LogMonitoringConfig"))
        // The tenant keeps its settings object (as with the original).
        assert.lengthOf(yield* logStorageSettings, 1)
      })
  )
})

// An API token without settings.write: the settings object is not attempted, the DaemonSet still runs.
const withoutWrite = Harness.make({
  prefix: "op-logmon-scope",
  tenant: { apiTokenScopes: ["DataExport", "InstallerDownload", "activeGateTokenManagement.create", "settings.read"] }
})

layer(withoutWrite.layer, { excludeTestServices: true, timeout: "300 seconds" })(
  "log monitoring without settings.write",
  (it) => {
    it.effect("the settings condition says which scope is missing; nothing is created; the DaemonSet runs", () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        const namespace = withoutWrite.namespace
        yield* Harness.tenantTokens(namespace, "noscope")
        yield* asTest(Kit.applyDynaKube(namespace, "noscope", { apiUrl: tenant.url, logMonitoring: {} }))
        const dk = yield* Kit.waitFor(
          "noscope: the settings condition is ScopeMissing and the DaemonSet exists",
          asTest(Kit.getDynaKube(namespace, "noscope")),
          (d) =>
            Kit.conditionOf(d, "LogMonitoringSettings")?.reason === "ScopeMissing" &&
            Kit.conditionOf(d, "LogMonitoringDaemonSet")?.status === "True",
          "90 seconds"
        )
        assert.strictEqual(
          Kit.conditionOf(dk, "LogMonitoringSettings")?.message,
          "settings.write scope(s) missing: cannot query existing log monitoring setting and/or safely create new one."
        )
        assert.isFalse(yield* absent(Resources.DaemonSet, namespace, "noscope-logmonitoring"))
        assert.lengthOf(
          [...tenant.tenant.settings.values()].filter((o) => o.schemaId === Settings.schemaId),
          0
        )
      })
    )
  }
)
