/**
 * The layer an in-process operator integration test runs in: a tenant simulator, a test-side KubeClient (so the
 * test's own writes do not count as the operator's), the DynaKube CRD and a fresh operator namespace, and the
 * operator itself running in that namespace with its own KubeClient (whose request counter the test reads).
 *
 * ```ts
 * const harness = OperatorTestLayer.make({ prefix: "op-modes" })
 * layer(harness.layer, { excludeTestServices: true })("…", (it) => { it.effect("…", () => …) })
 * ```
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import {
  startTenantSimulator,
  type TenantSimulator,
  type TenantSimulatorOptions
} from "../../../../e2e/tenant-simulator/TenantSimulator.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../services/kube/Resource.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import type * as OperatorConfig from "../OperatorConfig.ts"
import * as Kit from "./OperatorTestKit.ts"

export class Tenant extends Context.Service<Tenant, TenantSimulator>()("operator-test/Tenant") {}

/** The test's own client, so its writes do not count as the operator's. */
export class TestKube extends Context.Service<TestKube, KubeClient["Service"]>()("operator-test/TestKube") {}

/** Runs `effect` with the test's client as KubeClient. */
export const asTest = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const kube = yield* TestKube
    return yield* Effect.provideService(effect, KubeClient, kube)
  })

/** GET an object with the test client; NotFound fails. */
export const get = <T extends KubeObject>(resource: Resource, namespace: string, name: string) =>
  Effect.gen(function* () {
    return yield* (yield* TestKube).get<T>(resource, name, { namespace })
  })

/** True when the object does not exist (test client). */
export const absent = (resource: Resource, namespace: string, name: string) =>
  get(resource, namespace, name).pipe(
    Effect.as(false),
    Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(true))
  )

/** The tenant simulator for the life of the layer. */
export const tenantLayer = (options?: TenantSimulatorOptions) =>
  Layer.effect(
    Tenant,
    Effect.acquireRelease(
      Effect.promise(() => startTenantSimulator(options)),
      (t) => Effect.promise(() => t.close())
    )
  )

/** The test's own KubeClient (default kubeconfig chain). */
export const testKubeLayer = Layer.effect(
  TestKube,
  Effect.gen(function* () {
    return yield* KubeClient
  })
).pipe(Layer.provide(Layer.fresh(KubeClient.layer)))

export interface HarnessOptions {
  readonly prefix: string
  readonly env?: Partial<OperatorConfig.RawOperatorConfig>
  readonly tenant?: TenantSimulatorOptions
}

export const make = (options: HarnessOptions) => {
  const namespace = Kit.uniqueName(options.prefix)
  const config = Effect.runSync(Kit.testConfig(namespace, options.env))
  const tenantLive = tenantLayer(options.tenant)
  const testKube = testKubeLayer
  const setup = Layer.effectDiscard(
    asTest(
      Effect.gen(function* () {
        yield* Kit.installCrd
        yield* Kit.createNamespace(namespace)
        // What the Helm chart installs and the workloads' pods need (the ServiceAccount admission checks them).
        const kube = yield* KubeClient
        for (const account of ["dynatrace-dynakube-oneagent", "dynatrace-activegate"]) {
          yield* kube.create(Resources.ServiceAccount, { metadata: { name: account, namespace } })
        }
        yield* Effect.addFinalizer(() => asTest(Kit.deleteNamespace(namespace)).pipe(Effect.orDie))
      })
    )
  ).pipe(Layer.provideMerge(testKube))
  const running = Layer.effectDiscard(Kit.runInProcess(config))
  const layer = running.pipe(
    Layer.provideMerge(Kit.servicesLayer(config)),
    Layer.provideMerge(setup),
    Layer.merge(tenantLive)
  )
  return { namespace, config, layer }
}
