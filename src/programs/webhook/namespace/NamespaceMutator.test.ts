import { describe, expect, it } from "@effect/vitest"
import { Effect, JsonPatch, Layer, References, type Schema } from "effect"
import * as AdmissionReview from "../../../schemas/AdmissionReview.ts"
import * as InjectionContext from "../InjectionContext.ts"
import * as Keys from "../Keys.ts"
import * as T from "../TestObjects.ts"
import * as NamespaceMutator from "./NamespaceMutator.ts"

const nsReview = (namespace: unknown, options: { readonly operation?: string; readonly username?: string } = {}) =>
  T.review(namespace, {
    kind: { group: "", version: "v1", kind: "Namespace" },
    namespace: "",
    operation: options.operation ?? "CREATE",
    username: options.username ?? "kubernetes-admin"
  }).request as unknown as AdmissionReview.AdmissionRequest

const handle = (
  dynakubes: ReadonlyArray<T.DynaKubeObject>,
  request: AdmissionReview.AdmissionRequest,
  failing: InjectionContext.Fixtures["failing"] = []
) =>
  NamespaceMutator.NamespaceMutator.use((m) => m.handle(request)).pipe(
    Effect.provide(
      NamespaceMutator.layer({ operatorNamespace: T.operatorNamespace }).pipe(
        Layer.provide(InjectionContext.layerTest({ dynakubes, failing: failing ?? [] })),
        Layer.provideMerge(Layer.succeed(References.MinimumLogLevel, "None"))
      )
    )
  )

const labelsAfter = (request: AdmissionReview.AdmissionRequest, response: AdmissionReview.AdmissionResponse) =>
  (
    JsonPatch.apply(AdmissionReview.patchOf(response) as JsonPatch.JsonPatch, request.object as Schema.Json) as {
      metadata: { labels?: Record<string, string> }
    }
  ).metadata.labels

const named =
  (name: string) =>
  (dk: T.DynaKubeObject): T.DynaKubeObject => ({ ...dk, metadata: { ...dk.metadata, name } })
const selecting = (labels: Record<string, string>) => T.cloudNative({ namespaceSelector: { matchLabels: labels } })

describe("NamespaceMutator (/label-ns)", () => {
  it.effect("labels a new namespace selected by one DynaKube", () =>
    Effect.gen(function* () {
      const request = nsReview(T.namespace("shop", { team: "shop" }))
      const response = yield* handle([T.dynakube(selecting({ team: "shop" }))], request)
      expect(response.allowed).toBe(true)
      expect(labelsAfter(request, response)).toEqual({ team: "shop", [Keys.instanceLabel]: "dk" })
    })
  )

  it.effect("no patch when the label is right already, or nothing selects the namespace", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(selecting({ team: "shop" }))
      const labelled = yield* handle([dk], nsReview(T.namespace("shop", { team: "shop", [Keys.instanceLabel]: "dk" })))
      expect(labelled.patch).toBeUndefined()
      const other = yield* handle([dk], nsReview(T.namespace("blog", { team: "blog" })))
      expect(other.patch).toBeUndefined()
    })
  )

  it.effect("removes the label of a DynaKube that no longer selects it; keeps one naming an unknown DynaKube", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(selecting({ team: "shop" }))
      const request = nsReview(T.namespace("blog", { team: "blog", [Keys.instanceLabel]: "dk" }), {
        operation: "UPDATE"
      })
      const response = yield* handle([dk], request)
      expect(labelsAfter(request, response)).toEqual({ team: "blog" })
      const unknown = yield* handle([dk], nsReview(T.namespace("blog", { [Keys.instanceLabel]: "gone" })))
      expect(unknown.patch).toBeUndefined()
    })
  )

  it.effect("refuses a namespace selected by two DynaKubes with injection features (HTTP 400)", () =>
    Effect.gen(function* () {
      const response = yield* handle(
        [T.dynakube(T.cloudNative()), T.dynakube(named("other"), T.enrichment())],
        nsReview(T.namespace("shop", {}))
      )
      expect(response.allowed).toBe(false)
      expect(response.status).toMatchObject({ code: 400, reason: "BadRequest" })
      expect(response.status?.message).toContain("dk, other")
    })
  )

  it.effect("ignores DynaKubes without injection features, and ignored namespaces", () =>
    Effect.gen(function* () {
      const hostOnly = T.dynakube(named("infra"), (dk) => ({
        ...dk,
        spec: { ...dk.spec, oneAgent: { hostMonitoring: {} } }
      }))
      const response = yield* handle([T.dynakube(T.cloudNative()), hostOnly], nsReview(T.namespace("shop", {})))
      expect(labelsAfter(nsReview(T.namespace("shop", {})), response)).toEqual({ [Keys.instanceLabel]: "dk" })
      for (const name of ["kube-public", "openshift-monitoring", "gke-system"]) {
        const ignored = yield* handle([T.dynakube(T.cloudNative())], nsReview(T.namespace(name, {})))
        expect(ignored.patch).toBeUndefined()
      }
    })
  )

  it.effect("skips its own namespace, the operator's service account and terminating namespaces", () =>
    Effect.gen(function* () {
      const dks = [T.dynakube(T.cloudNative())]
      expect((yield* handle(dks, nsReview(T.namespace("dynatrace", {})))).patch).toBeUndefined()
      const byOperator = nsReview(T.namespace("shop", {}), {
        username: "system:serviceaccount:dynatrace:dynatrace-operator"
      })
      expect((yield* handle(dks, byOperator)).patch).toBeUndefined()
      const terminating = nsReview(
        { ...T.namespace("shop", {}), status: { phase: "Terminating" } },
        { operation: "UPDATE" }
      )
      expect((yield* handle(dks, terminating)).patch).toBeUndefined()
    })
  )

  it.effect("fails open: a DynaKube lookup error or a broken object admits the namespace unchanged", () =>
    Effect.gen(function* () {
      const failed = yield* handle([], nsReview(T.namespace("shop", {})), ["dynakube"])
      expect(failed).toMatchObject({ allowed: true })
      expect(failed.patch).toBeUndefined()
      const broken = yield* handle([], nsReview({ metadata: { labels: "x" } }))
      expect(broken.allowed).toBe(true)
      const pod = yield* handle([], {
        ...nsReview(T.namespace("a", {})),
        kind: { group: "", version: "v1", kind: "Pod" }
      })
      expect(pod.status?.message).toContain("NotANamespace")
    })
  )
})
