/**
 * Each OneAgent mode and an ActiveGate on the real control plane: the objects of spec §2.2.3–§2.2.5 appear with
 * the spec's fields; editing the spec converges; injection maps the selected namespaces.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { createFakeNode } from "../../../../e2e/controlplane/ControlPlane.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Kit from "../testkit/OperatorTestKit.ts"
import * as Harness from "../testkit/OperatorTestLayer.ts"
import * as DeploymentMetadata from "./DeploymentMetadata.ts"
import * as Names from "./Names.ts"

// Instances are refreshed every 3 s instead of every 5 minutes, so the test sees the kwok pod quickly.
const harness = Harness.make({ prefix: "op-modes", env: { ONEAGENT_OPERATOR_UPDATE_INTERVAL: "0.05" } })
const ns = harness.namespace
const { Tenant, TestKube, asTest, get, absent } = Harness
const nodeName = Kit.uniqueName("kwok-modes")

interface Container {
  readonly name: string
  readonly image?: string
  readonly args?: ReadonlyArray<string>
  readonly env?: ReadonlyArray<{ name: string; value?: string; valueFrom?: any }>
}
interface Workload extends KubeObject {
  readonly spec: {
    readonly replicas?: number
    readonly selector: { matchLabels: Record<string, string> }
    readonly template: {
      readonly metadata: { labels: Record<string, string>; annotations?: Record<string, string> }
      readonly spec: {
        readonly hostNetwork?: boolean
        readonly hostPID?: boolean
        readonly serviceAccountName?: string
        readonly containers: ReadonlyArray<Container>
        readonly initContainers?: ReadonlyArray<Container>
        readonly imagePullSecrets?: ReadonlyArray<{ name: string }>
        readonly volumes?: ReadonlyArray<{ name: string }>
      }
    }
  }
  readonly status?: Record<string, any>
}
interface Data extends KubeObject {
  readonly data?: Record<string, string>
}

const kubeSystemUid = Effect.gen(function* () {
  const kube = yield* TestKube
  return (yield* kube.get<KubeObject>(Resources.Namespace, "kube-system")).metadata?.uid ?? ""
})

const tokens = (name: string) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    yield* asTest(Kit.tokenSecret(ns, name, { apiToken: tenant.apiToken, dataIngestToken: tenant.dataIngestToken }))
  })

const dynakube = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    return yield* asTest(Kit.applyDynaKube(ns, name, { apiUrl: tenant.url, ...spec }, annotations))
  })

const waitPhase = (name: string, phase: string, timeout: `${number} seconds` = "90 seconds") =>
  Kit.waitFor(`${name} is ${phase}`, asTest(Kit.getDynaKube(ns, name)), (d) => d.status?.phase === phase, timeout)

const envOf = (c: Container | undefined, name: string) => c?.env?.find((e) => e.name === name)

layer(harness.layer, { excludeTestServices: true, timeout: "300 seconds" })("DynaKube modes", (it) => {
  it.effect(
    "classicFullStack: the host agent DaemonSet with the spec's pod template; instances and phase once its pod is ready",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        // A kwok node for the DaemonSet's pod (kwok makes it Running and Ready).
        yield* Effect.promise(() => createFakeNode({ kubeconfigPath: process.env["KUBECONFIG"] ?? "" }, nodeName))
        yield* Effect.addFinalizer(() =>
          Effect.gen(function* () {
            yield* (yield* TestKube).delete(Resources.Node, nodeName)
          }).pipe(Effect.ignore)
        )
        yield* tokens("classic")
        yield* dynakube("classic", { oneAgent: { classicFullStack: { args: ["--set-host-tag=team=a"] } } })
        const dk = yield* waitPhase("classic", "Running")
        const uuid = tenant.tenant.config.tenantUUID
        const n = Names.names("classic")
        const ds = yield* get<Workload>(Resources.DaemonSet, ns, n.oneAgentDaemonSet)
        const pod = ds.spec.template.spec
        assert.isTrue(pod.hostNetwork)
        assert.isTrue(pod.hostPID)
        assert.strictEqual(pod.serviceAccountName, "dynatrace-dynakube-oneagent")
        const agent = pod.containers.find((c) => c.name === "dynatrace-oneagent")
        assert.strictEqual(agent?.image, (dk.status as any).oneAgent.imageID)
        assert.include(agent?.args ?? [], "--set-host-id-source=auto")
        assert.include(agent?.args ?? [], "--set-host-tag=team=a")
        assert.include(agent?.args ?? [], "--set-tenant=$(DT_TENANT)")
        assert.deepInclude(envOf(agent, "DT_TENANT")?.valueFrom?.configMapKeyRef, {
          name: n.oneAgentConnectionInfo,
          key: "tenant-uuid"
        })
        assert.strictEqual(envOf(agent, "DT_K8S_CLUSTER_ID")?.value, yield* kubeSystemUid)
        assert.deepStrictEqual(pod.imagePullSecrets, [{ name: n.pullSecret }])
        assert.strictEqual(pod.initContainers?.[0]?.name, "dynatrace-operator")
        assert.strictEqual(
          ds.spec.template.metadata.annotations?.["internal.operator.dynatrace.com/tenant-token-hash"],
          (dk.status as any).oneAgent.connectionInfoStatus.tenantTokenHash
        )
        assert.strictEqual(ds.metadata?.ownerReferences?.[0]?.uid, dk.metadata?.uid)
        const connection = yield* get<Data>(Resources.ConfigMap, ns, n.oneAgentConnectionInfo)
        assert.strictEqual(connection.data?.["tenant-uuid"], uuid)
        const metadata = yield* get<Data>(Resources.ConfigMap, ns, n.deploymentMetadata)
        assert.strictEqual(
          metadata.data?.["oneagent"],
          DeploymentMetadata.metadataValue("classic_fullstack", "0.1.0", yield* kubeSystemUid)
        )
        const condition = Kit.conditionOf(dk, "OneAgentDaemonSet")
        assert.strictEqual(condition?.status, "True")
        // An Event on the DynaKube says the DaemonSet was created.
        const events = yield* (yield* TestKube).list<KubeObject & { reason?: string; regarding?: { uid?: string } }>(
          Resources.EventsV1Event,
          { namespace: ns }
        )
        assert.isTrue(
          events.items.some((e) => e.reason === "DaemonSetCreated" && e.regarding?.uid === dk.metadata?.uid),
          JSON.stringify(events.items.map((e) => e.reason))
        )
        // kwok ran the pod on the fake node; the instances refresh found it.
        const withInstances = yield* Kit.waitFor(
          "status.oneAgent.instances lists the kwok node",
          asTest(Kit.getDynaKube(ns, "classic")),
          (d) => (d.status as any)?.oneAgent?.instances?.[nodeName]?.podName !== undefined,
          "60 seconds"
        )
        assert.match((withInstances.status as any).oneAgent.instances[nodeName].podName, /^classic-oneagent-/)
        const ready = yield* get<Workload>(Resources.DaemonSet, ns, n.oneAgentDaemonSet)
        assert.isAtLeast(ready.status?.["numberReady"] ?? 0, 1)
        assert.strictEqual((yield* waitPhase("classic", "Running")).status?.phase, "Running")
      })
  )

  it.effect("hostMonitoring → applicationMonitoring: the DaemonSet, connection-info ConfigMap and pull secret go", () =>
    Effect.gen(function* () {
      yield* tokens("edit")
      yield* dynakube("edit", { oneAgent: { hostMonitoring: {} } })
      yield* waitPhase("edit", "Running")
      const n = Names.names("edit")
      const ds = yield* get<Workload>(Resources.DaemonSet, ns, n.oneAgentDaemonSet)
      const agent = ds.spec.template.spec.containers[0]
      assert.include(agent?.args ?? [], "--set-host-id-source=k8s-node-name")
      assert.strictEqual(envOf(agent, "ONEAGENT_READ_ONLY_MODE")?.value, "true")

      // A selector that matches nothing: the shared control plane's other namespaces are not ours to map.
      yield* dynakube("edit", {
        oneAgent: { applicationMonitoring: { namespaceSelector: { matchLabels: { nothing: "here" } } } }
      })
      yield* Kit.waitUntil(
        "the host agent objects are gone",
        Effect.gen(function* () {
          return (
            (yield* absent(Resources.DaemonSet, ns, n.oneAgentDaemonSet)) &&
            (yield* absent(Resources.ConfigMap, ns, n.oneAgentConnectionInfo)) &&
            (yield* absent(Resources.Secret, ns, n.pullSecret))
          )
        }),
        "60 seconds"
      )
      const dk = yield* waitPhase("edit", "Running")
      assert.isUndefined(Kit.conditionOf(dk, "OneAgentDaemonSet"))
      assert.isUndefined(Kit.conditionOf(dk, "PullSecret"))
      // The tenant secret stays: injected code modules need it.
      assert.isFalse(yield* absent(Resources.Secret, ns, n.oneAgentTenantSecret))
      const metadata = yield* get<Data>(Resources.ConfigMap, ns, n.deploymentMetadata)
      assert.deepStrictEqual(metadata.data, {
        oneagent: DeploymentMetadata.metadataValue("application_monitoring", "0.1.0", yield* kubeSystemUid)
      })
    })
  )

  it.effect("cloudNativeFullStack: selected namespaces get the instance label and the replicated secrets", () =>
    Effect.gen(function* () {
      const team = Kit.uniqueName("team")
      const selected = [Kit.uniqueName("app-a"), Kit.uniqueName("app-b")]
      const other = Kit.uniqueName("app-other")
      for (const name of selected) yield* asTest(Kit.createNamespace(name, { team }))
      yield* asTest(Kit.createNamespace(other))
      yield* Effect.addFinalizer(() =>
        asTest(Effect.forEach([...selected, other], Kit.deleteNamespace, { discard: true })).pipe(Effect.orDie)
      )
      const cloud = Kit.uniqueName("cloud")
      yield* tokens(cloud)
      yield* dynakube(cloud, {
        oneAgent: { cloudNativeFullStack: { namespaceSelector: { matchLabels: { team } } } }
      })
      yield* waitPhase(cloud, "Running")
      for (const name of selected) {
        yield* Kit.waitUntil(
          `${name} is mapped`,
          Effect.gen(function* () {
            const namespace = yield* get<KubeObject>(Resources.Namespace, "", name).pipe(
              Effect.orElseSucceed(() => undefined)
            )
            if (namespace?.metadata?.labels?.[Names.instanceLabel] !== cloud) return false
            return !(yield* absent(Resources.Secret, name, "dynatrace-bootstrapper-config"))
          }),
          "60 seconds"
        )
      }
      const unselected = yield* (yield* TestKube).get<KubeObject>(Resources.Namespace, other)
      assert.isUndefined(unselected.metadata?.labels?.[Names.instanceLabel])
      assert.isTrue(yield* absent(Resources.Secret, other, "dynatrace-bootstrapper-config"))
      // A namespace created later that matches is mapped too.
      const late = Kit.uniqueName("app-late")
      yield* asTest(Kit.createNamespace(late, { team }))
      yield* Effect.addFinalizer(() => asTest(Kit.deleteNamespace(late)).pipe(Effect.orDie))
      yield* Kit.waitUntil(
        "the late namespace is mapped",
        Effect.map(
          (yield* TestKube).get<KubeObject>(Resources.Namespace, late),
          (n) => n.metadata?.labels?.[Names.instanceLabel] === cloud
        ),
        "60 seconds"
      )
      // Deleting the DynaKube unmaps them.
      yield* (yield* TestKube).delete(Resources.DynaKube, cloud, { namespace: ns })
      yield* Kit.waitUntil(
        "the namespaces are unmapped and their replicas gone",
        Effect.gen(function* () {
          for (const name of [...selected, late]) {
            const namespace = yield* (yield* TestKube).get<KubeObject>(Resources.Namespace, name)
            if (namespace.metadata?.labels?.[Names.instanceLabel] !== undefined) return false
            if (!(yield* absent(Resources.Secret, name, "dynatrace-bootstrapper-config"))) return false
          }
          return true
        }),
        "60 seconds"
      )
    })
  )

  it.effect("ActiveGate: StatefulSet, Service, auth token, tenant secret, connection info, TLS secret", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      yield* tokens("gate")
      yield* dynakube("gate", { activeGate: { capabilities: ["routing", "kubernetes-monitoring"] } })
      const dk = yield* Kit.waitFor(
        "the ActiveGate StatefulSet condition is set",
        asTest(Kit.getDynaKube(ns, "gate")),
        (d) => Kit.conditionOf(d, "ActiveGateStatefulSet")?.status === "True",
        "120 seconds"
      )
      const sts = yield* get<Workload>(Resources.StatefulSet, ns, "gate-activegate")
      const container = sts.spec.template.spec.containers.find((c) => c.name === "activegate")
      assert.strictEqual(envOf(container, "DT_CAPABILITIES")?.value, "MSGrouter,kubernetes_monitoring")
      assert.strictEqual(container?.image, (dk.status as any).activeGate.imageID)
      assert.strictEqual((dk.status as any).activeGate.version, tenant.tenant.config.latestGatewayVersion)
      const service = yield* get<KubeObject & { spec: { clusterIP: string } }>(Resources.Service, ns, "gate-activegate")
      assert.deepStrictEqual((dk.status as any).activeGate.serviceIPs, [service.spec.clusterIP])
      for (const secret of [
        "gate-activegate-authtoken-secret",
        "gate-activegate-tenant-secret",
        "gate-activegate-tls-secret"
      ]) {
        assert.isFalse(yield* absent(Resources.Secret, ns, secret), secret)
      }
      assert.isFalse(yield* absent(Resources.ConfigMap, ns, "gate-activegate-connection-info"))
      assert.strictEqual(tenant.tenant.activeGateTokens.length >= 1, true)
      assert.match(
        Kit.conditionOf(dk, "ActiveGateAuthTokenSecret")?.message ?? "",
        /^secret created 0 day\(s\) ago, token:dt0g02\./
      )
      // Dropping the capabilities removes the workload.
      yield* dynakube("gate", {})
      yield* Kit.waitUntil(
        "the ActiveGate objects are gone",
        Effect.gen(function* () {
          return (
            (yield* absent(Resources.StatefulSet, ns, "gate-activegate")) &&
            (yield* absent(Resources.Service, ns, "gate-activegate")) &&
            (yield* absent(Resources.Secret, ns, "gate-activegate-tenant-secret"))
          )
        }),
        "60 seconds"
      )
    })
  )
})
