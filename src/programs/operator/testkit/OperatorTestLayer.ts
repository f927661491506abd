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
import { assert } from "@effect/vitest"
import { Context, type Duration, Effect, Layer } from "effect"
import {
  startTenantSimulator,
  type TenantSimulator,
  type TenantSimulatorOptions
} from "../../../../e2e/tenant-simulator/TenantSimulator.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../services/kube/Resource.ts"
import * as RequestCounter from "../../../services/kube/RequestCounter.ts"
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

/** The token Secret `name`: the simulated tenant's API token (or `apiToken`) and its data-ingest token. */
export const tenantTokens = (namespace: string, name: string, apiToken?: string) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    yield* asTest(
      Kit.tokenSecret(namespace, name, {
        apiToken: apiToken ?? tenant.apiToken,
        dataIngestToken: tenant.dataIngestToken
      })
    )
  })

/** Creates or replaces (apply) a DynaKube whose `apiUrl` is the simulated tenant's unless `spec` names one. */
export const applyTenantDynaKube = (
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  annotations: Readonly<Record<string, string>> = {}
) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    return yield* asTest(Kit.applyDynaKube(namespace, name, { apiUrl: tenant.url, ...spec }, annotations))
  })

/** Polls the DynaKube (test client) until `predicate` holds, 90 seconds unless given; returns it. */
export const waitForDynaKube = (
  namespace: string,
  name: string,
  what: string,
  predicate: (dk: Kit.DynaKubeJson) => boolean,
  timeout: Duration.Input = "90 seconds"
) => Kit.waitFor(what, asTest(Kit.getDynaKube(namespace, name)), predicate, timeout)

/**
 * Options of {@link expectSteadyState}.
 */
export interface SteadyStateOptions {
  /** How many unchanged reconciles to cause; 3 unless given. */
  readonly pokes?: number
  /** How long to wait for each of them; 60 seconds unless given. */
  readonly reconcileTimeout?: Duration.Input
  /** Also assert that no reconcile called the tenant (its hits are reset first); true unless given. */
  readonly noTenantCalls?: boolean
}

/**
 * Asserts the steady state of a converged DynaKube: after in-flight work (events from the operator's own writes)
 * settled, `poke(i)` causes reconciles that change nothing (an annotation change), and during them the operator
 * writes nothing to the apiserver and — unless told otherwise — calls no tenant endpoint. Returns how many
 * reconciles ran meanwhile.
 */
export const expectSteadyState = <E, R>(
  poke: (i: number) => Effect.Effect<unknown, E, R>,
  options: SteadyStateOptions = {}
) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    const kube = yield* KubeClient
    const noTenantCalls = options.noTenantCalls ?? true
    yield* Effect.sleep("3 seconds")
    if (noTenantCalls) tenant.resetHits()
    const before = yield* kube.requestStats
    const reconcilesBefore = yield* Kit.reconcileCount
    yield* Kit.pokeAndAwaitReconciles(poke, options.pokes ?? 3, options.reconcileTimeout ?? "60 seconds")
    yield* Effect.sleep("1 second")
    const diff = RequestCounter.diff(yield* kube.requestStats, before)
    assert.strictEqual(diff.writes, 0, `writes: ${JSON.stringify(diff.byRequest)}`)
    if (noTenantCalls) assert.deepStrictEqual(tenant.hits(), {}, "no tenant calls within the request threshold")
    return (yield* Kit.reconcileCount) - reconcilesBefore
  })

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
  /** More ServiceAccounts of the Helm chart to create (the OneAgent's and the ActiveGate's always are). */
  readonly serviceAccounts?: ReadonlyArray<string>
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
        for (const account of [
          "dynatrace-dynakube-oneagent",
          "dynatrace-activegate",
          ...(options.serviceAccounts ?? [])
        ]) {
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
