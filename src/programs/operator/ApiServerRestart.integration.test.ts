/**
 * The operator (a child process) on a private control plane whose kube-apiserver is restarted underneath it:
 * readiness waits for the caches (here: for the CRD to exist), watches recover after the restart, and changes made
 * afterwards are reconciled.
 */
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { type ControlPlane, freePorts, startControlPlane } from "../../../e2e/controlplane/ControlPlane.ts"
import { AllOperatorScopes } from "../../../e2e/tenant-simulator/Tenant.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import * as Names from "./dynakube/Names.ts"
import * as Kit from "./testkit/OperatorTestKit.ts"
import * as Harness from "./testkit/OperatorTestLayer.ts"

class Plane extends Context.Service<Plane, ControlPlane>()("operator-test/Plane") {}

const PlaneLive = Layer.effect(
  Plane,
  Effect.acquireRelease(
    Effect.promise(() => startControlPlane({ controllerManager: true, scheduler: false, kwok: false })),
    (cp) => Effect.promise(() => cp.stop())
  )
)
/** The test's client on the private plane (its writes are the test's, not the operator's). */
const PlaneKube = Layer.unwrap(
  Effect.gen(function* () {
    const cp = yield* Plane
    return Layer.effect(
      Harness.TestKube,
      Effect.gen(function* () {
        return yield* KubeClient
      })
    ).pipe(Layer.provide(KubeClient.layerFromFile(cp.kubeconfigPath)))
  })
)
const TestLayer = PlaneKube.pipe(Layer.provideMerge(PlaneLive), Layer.merge(Harness.tenantLayer()))

const { Tenant, asTest, get } = Harness
const namespace = "dynatrace"

const httpStatus = (url: string) =>
  Effect.promise(() =>
    fetch(url).then(
      (r) => r.status,
      () => 0
    )
  )

interface DaemonSet extends KubeObject {
  readonly spec: {
    readonly template: { readonly spec: { readonly containers: ReadonlyArray<{ args?: ReadonlyArray<string> }> } }
  }
}

const dynakube = (name: string, spec: Record<string, unknown>) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    return yield* asTest(Kit.applyDynaKube(namespace, name, { apiUrl: tenant.url, ...spec }))
  })

layer(TestLayer, { excludeTestServices: true, timeout: "180 seconds" })("operator under an apiserver restart", (it) => {
  it.effect(
    "ready only after caches sync; after an apiserver restart, watches recover and new changes are reconciled",
    () =>
      Effect.gen(function* () {
        const cp = yield* Plane
        const tenant = yield* Tenant
        yield* asTest(Kit.createNamespace(namespace))
        yield* asTest(
          Effect.gen(function* () {
            const kube = yield* KubeClient
            yield* kube.create(Resources.ServiceAccount, {
              metadata: { name: "dynatrace-dynakube-oneagent", namespace }
            })
          })
        )
        const [metrics = 0, health = 0] = yield* Effect.promise(() => freePorts(2))
        yield* Kit.scopedOperatorProcess(
          {
            KUBECONFIG: cp.kubeconfigPath,
            POD_NAMESPACE: namespace,
            POD_NAME: "restart-test",
            LEADER_ELECTION_LEASE_DURATION: "15",
            LEADER_ELECTION_RENEW_DEADLINE: "10",
            LEADER_ELECTION_RETRY_PERIOD: "2",
            METRICS_BIND_ADDRESS: `127.0.0.1:${metrics}`,
            HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${health}`,
            DT_HOST_AVAILABILITY_DETECTION: "false"
          },
          "restart"
        )
        // No DynaKube CRD yet: the DynaKube cache cannot sync, so the operator is alive but not ready.
        yield* Kit.waitUntil(
          "/livez answers",
          Effect.map(httpStatus(`http://127.0.0.1:${health}/livez`), (s) => s === 200),
          "60 seconds"
        )
        yield* Effect.sleep("2 seconds")
        assert.strictEqual(yield* httpStatus(`http://127.0.0.1:${health}/readyz`), 503)
        yield* asTest(Kit.installCrd)
        yield* Kit.waitUntil(
          "/readyz answers 200 once the caches synced",
          Effect.map(httpStatus(`http://127.0.0.1:${health}/readyz`), (s) => s === 200),
          "90 seconds"
        )

        yield* asTest(Kit.tokenSecret(namespace, "before", { apiToken: tenant.addToken([...AllOperatorScopes]) }))
        yield* dynakube("before", { oneAgent: { hostMonitoring: {} } })
        yield* Kit.waitFor(
          "the first DynaKube converges",
          asTest(Kit.getDynaKube(namespace, "before")),
          (d) => d.status?.phase === "Running"
        )

        yield* Effect.promise(() => cp.restartApiServer())

        // Changes after the restart: one to the existing DynaKube, and a new one.
        yield* dynakube("before", { oneAgent: { classicFullStack: {} } })
        yield* asTest(Kit.tokenSecret(namespace, "after", { apiToken: tenant.addToken([...AllOperatorScopes]) }))
        yield* dynakube("after", { oneAgent: { hostMonitoring: {} } })
        yield* Kit.waitUntil(
          "the edited DynaKube's DaemonSet becomes a classicFullStack one",
          Effect.map(
            get<DaemonSet>(Resources.DaemonSet, namespace, Names.names("before").oneAgentDaemonSet),
            (ds) => ds.spec.template.spec.containers[0]?.args?.includes("--set-host-id-source=auto") === true
          ),
          "120 seconds"
        )
        const after = yield* Kit.waitFor(
          "the DynaKube created after the restart converges",
          asTest(Kit.getDynaKube(namespace, "after")),
          (d) => d.status?.phase === "Running",
          "120 seconds"
        )
        assert.strictEqual(Kit.conditionOf(after, "Tokens")?.status, "True")
      }),
    240_000
  )
})
