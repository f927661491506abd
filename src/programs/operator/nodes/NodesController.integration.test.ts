/**
 * The nodes controller on the shared real control plane (kwok nodes) against the in-process tenant simulator:
 * cordoning and deleting nodes with a OneAgent sends exactly one MARKED_FOR_TERMINATION event each, with the host
 * entity of the node's IP; nothing is sent twice within the hour, and nothing for a DynaKube with a platform token.
 */
import { assert, layer } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { createFakeNode } from "../../../../e2e/controlplane/ControlPlane.ts"
import { startTenantSimulator } from "../../../../e2e/tenant-simulator/TenantSimulator.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as TestKit from "../testkit/OperatorTestKit.ts"
import * as NodeCache from "./NodeCache.ts"
import * as NodesController from "./NodesController.ts"

interface MarkedEvent {
  readonly eventType: string
  readonly source: string
  readonly attachRules: { readonly entityIds: ReadonlyArray<string> }
  readonly start: number
  readonly end: number
}

const kubeconfigPath = () => {
  const path = process.env["KUBECONFIG"]
  if (path === undefined) throw new Error("KUBECONFIG is not set: run this through the integration project")
  return path
}

const simulator = Effect.acquireRelease(
  Effect.promise(() => startTenantSimulator()),
  (tenant) => Effect.promise(() => tenant.close())
)

const fakeNode = (name: string) =>
  Effect.acquireRelease(
    Effect.promise(() => createFakeNode({ kubeconfigPath: kubeconfigPath() }, name)),
    () =>
      Effect.gen(function* () {
        yield* (yield* KubeClient).delete(Resources.Node, name).pipe(Effect.ignore)
      })
  )

const cordon = (name: string, unschedulable: boolean) =>
  Effect.gen(function* () {
    yield* (yield* KubeClient).patch(Resources.Node, name, { type: "merge", patch: { spec: { unschedulable } } })
  })

/** A DynaKube whose status says it runs OneAgents on `instances` (node → IP). */
const dynakube = (namespace: string, name: string, spec: Record<string, unknown>, instances: Record<string, string>) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const created = yield* TestKit.applyDynaKube(namespace, name, { oneAgent: { hostMonitoring: {} }, ...spec })
    yield* kube.updateStatus(Resources.DynaKube, {
      ...created,
      status: {
        oneAgent: {
          instances: Object.fromEntries(
            Object.entries(instances).map(([node, ip]) => [node, { podName: `oneagent-${node}`, ipAddress: ip }])
          )
        }
      }
    } as KubeObject)
  })

const cacheEntries = (namespace: string) =>
  Effect.gen(function* () {
    const cm = yield* (yield* KubeClient).get<NodeCache.NodeCacheConfigMap>(
      Resources.ConfigMap,
      NodeCache.configMapName,
      { namespace }
    )
    return NodeCache.fromConfigMap(cm).entries
  })

layer(KubeClient.layer, { excludeTestServices: true })("nodes controller on the real apiserver", (it) => {
  it.effect(
    "cordon and deletion report once per node with the right host entity; no repeats; platform tokens skipped",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const tenant = yield* simulator
          const namespace = TestKit.uniqueName("nodes")
          const [nodeA, nodeB, nodeC] = ["a", "b", "c"].map((n) => TestKit.uniqueName(`node-${n}`))
          yield* TestKit.installCrd
          yield* TestKit.createNamespace(namespace)
          yield* Effect.addFinalizer(() => TestKit.deleteNamespace(namespace))
          yield* Effect.all([fakeNode(nodeA!), fakeNode(nodeB!), fakeNode(nodeC!)], { concurrency: "unbounded" })

          // dk: classic token, OneAgents on A (10.0.0.11) and B (10.0.0.12); platform: platform token, OneAgent on C.
          yield* TestKit.tokenSecret(namespace, "dk", { apiToken: tenant.apiToken })
          yield* dynakube(namespace, "dk", { apiUrl: tenant.url }, { [nodeA!]: "10.0.0.11", [nodeB!]: "10.0.0.12" })
          yield* TestKit.tokenSecret(namespace, "platform", { apiToken: tenant.platformToken })
          // 10.0.0.13 is a host of the simulator's eu-west zone: without the platform rule it would be reported.
          yield* dynakube(
            namespace,
            "platform",
            { apiUrl: tenant.url, networkZone: "eu-west" },
            { [nodeC!]: "10.0.0.13" }
          )

          yield* NodesController.makeNodesController({ namespace, operatorVersion: "test" })
          const events = () => tenant.events() as ReadonlyArray<MarkedEvent>

          // The platform DynaKube's node is cordoned first: the single worker handles it before A's cordon.
          yield* cordon(nodeC!, true)
          const before = Date.now()
          yield* cordon(nodeA!, true)
          yield* TestKit.waitUntil(
            "the cordon of A is reported",
            Effect.sync(() => events().length >= 1)
          )
          const first = events()[0]!
          assert.strictEqual(first.eventType, "MARKED_FOR_TERMINATION")
          assert.strictEqual(first.source, "Dynatrace Operator")
          assert.deepStrictEqual(first.attachRules.entityIds, ["HOST-0A1B2C3D4E5F6071"])
          assert.strictEqual(first.start, first.end)
          const tenMinutes = Duration.toMillis(Duration.minutes(10))
          assert.isAtLeast(first.start, before - tenMinutes - 2000)
          assert.isAtMost(first.start, Date.now() - tenMinutes)
          const cachedA = yield* TestKit.waitFor(
            "the mark of A is stored in the node cache",
            cacheEntries(namespace),
            (entries) => entries.get(nodeA!)?.marked !== undefined
          )
          assert.strictEqual(cachedA.get(nodeA!)?.ip, "10.0.0.11")
          assert.strictEqual(cachedA.get(nodeA!)?.instance, "dk")

          // Uncordon and cordon again within the hour: nothing new. Then B is deleted: its own single event.
          yield* cordon(nodeA!, false)
          yield* cordon(nodeA!, true)
          yield* kube.delete(Resources.Node, nodeB!)
          yield* TestKit.waitUntil(
            "the deletion of B is reported",
            Effect.sync(() => events().length >= 2)
          )
          assert.deepStrictEqual(events()[1]!.attachRules.entityIds, ["HOST-0A1B2C3D4E5F6072"])
          yield* TestKit.waitUntil(
            "B is forgotten",
            Effect.map(cacheEntries(namespace), (entries) => !entries.has(nodeB!))
          )

          // Deleting A, already reported this hour, sends nothing and forgets it.
          yield* kube.delete(Resources.Node, nodeA!)
          yield* TestKit.waitUntil(
            "A is forgotten",
            Effect.map(cacheEntries(namespace), (entries) => !entries.has(nodeA!))
          )
          yield* Effect.sleep("2 seconds")
          assert.strictEqual(events().length, 2, JSON.stringify(events()))
          assert.isTrue(
            events().every((e) => !e.attachRules.entityIds.includes("HOST-0A1B2C3D4E5F6073")),
            "nothing for the platform-token DynaKube"
          )
          // One host lookup per report, the response cache off: nothing was served stale.
          assert.strictEqual(tenant.hitsOf("hosts"), 2)
          assert.strictEqual(tenant.hitsOf("events"), 2)
        })
      ),
    180_000
  )
})
