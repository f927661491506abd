/**
 * A small harness for the pod mutator's tests, golden fixtures and benchmark: runs `/inject`'s handler on a pod with
 * an in-memory InjectionContext and returns the response, the JSON patch and the pod the apiserver would store.
 *
 * @since 0.1.0
 */
import { type Duration, Effect, JsonPatch, Layer, Result, type Schema } from "effect"
import * as AdmissionReview from "../../../schemas/AdmissionReview.ts"
import * as InjectionContext from "../InjectionContext.ts"
import * as NamespaceMutator from "../namespace/NamespaceMutator.ts"
import * as TestObjects from "../TestObjects.ts"
import { ValidationCluster } from "../validation/ValidationCluster.ts"
import { ValidationConfig } from "../validation/ValidationConfig.ts"
import type { Settings } from "./InjectionPolicy.ts"
import * as PodMutator from "./PodMutator.ts"

/** What one admission produced. @category models @since 0.1.0 */
export interface Admission {
  readonly response: AdmissionReview.AdmissionResponse
  readonly patch: JsonPatch.JsonPatch
  /** the request object with the patch applied (plain JSON) */
  readonly result: unknown
}

/** The mutator over fixtures. @category layers @since 0.1.0 */
export const mutatorLayer = (
  fixtures: InjectionContext.Fixtures,
  settings: Settings = TestObjects.settings(),
  deadline?: Duration.Input
): Layer.Layer<PodMutator.PodMutator> =>
  PodMutator.layer({ settings, deadline }).pipe(Layer.provide(InjectionContext.layerTest(fixtures)))

/**
 * Everything the webhook's routes need, over fixtures: both mutators, and validation with no cluster objects and
 * every module installed.
 * @category layers
 * @since 0.1.0
 */
export const routesLayer = (
  fixtures: InjectionContext.Fixtures,
  settings: Settings = TestObjects.settings()
): Layer.Layer<PodMutator.PodMutator | NamespaceMutator.NamespaceMutator | ValidationCluster | ValidationConfig> =>
  Layer.mergeAll(
    PodMutator.layer({ settings }),
    NamespaceMutator.layer({ operatorNamespace: settings.operatorNamespace })
  ).pipe(
    Layer.provide(InjectionContext.layerTest(fixtures)),
    Layer.merge(Layer.mergeAll(ValidationCluster.layerStatic({}), ValidationConfig.layerWith({})))
  )

/** The JSON patch of a response. @category running @since 0.1.0 */
export const patchOfResponse = (response: AdmissionReview.AdmissionResponse): JsonPatch.JsonPatch =>
  AdmissionReview.patchOf(response) as JsonPatch.JsonPatch

/** Handles a review body (as the apiserver posts it) with the mutator in context. @category running @since 0.1.0 */
export const admitReview = (body: unknown): Effect.Effect<Admission, never, PodMutator.PodMutator> =>
  Effect.gen(function* () {
    const decoded = AdmissionReview.decodeReview(body)
    if (Result.isFailure(decoded)) return yield* Effect.die(new Error(`not a review: ${decoded.failure.message}`))
    const mutator = yield* PodMutator.PodMutator
    const response = yield* mutator.handle(decoded.success.request)
    const patch = AdmissionReview.patchOf(response) as JsonPatch.JsonPatch
    const object = decoded.success.request.object as Schema.Json
    return { response, patch, result: JsonPatch.apply(patch, object) }
  })

/** Handles the creation of `pod` in namespace `apps`. @category running @since 0.1.0 */
export const admit = (pod: unknown, options: Parameters<typeof TestObjects.review>[1] = {}) =>
  admitReview(TestObjects.review(pod, options))

/** Fixtures with namespace `apps` mapped to `dk` and the bootstrapper Secret source present. @category fixtures @since 0.1.0 */
export const standardFixtures = (
  dynakube: TestObjects.DynaKubeObject,
  extra: Partial<InjectionContext.Fixtures> = {}
): InjectionContext.Fixtures => ({
  namespaces: [TestObjects.namespace("apps")],
  dynakubes: [dynakube],
  secrets: [
    "dynatrace/dk-bootstrapper-config",
    "dynatrace/dk-bootstrapper-certs",
    "dynatrace/dk-otlp-exporter-config",
    "dynatrace/dk-otlp-exporter-certs"
  ],
  workloads: { "*": { kind: "deployment", name: "web" } },
  ...extra
})
