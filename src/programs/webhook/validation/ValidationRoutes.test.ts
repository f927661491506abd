/** The validation and conversion routes as the webhook server calls them (parsed body in, reply out). */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { conversionRoute, path as convertPath } from "../conversion/ConversionRoute.ts"
import { paths } from "../Routes.ts"
import { ValidationCluster } from "./ValidationCluster.ts"
import { ValidationConfig } from "./ValidationConfig.ts"
import { dynakube, spec } from "./ValidationFixtures.ts"
import { validationRoutes } from "./ValidationRoutes.ts"

const services = Layer.mergeAll(ValidationCluster.layerStatic({}), ValidationConfig.layerWith({}))

const review = (object: unknown) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: "u1",
    kind: { group: "dynatrace.com", version: "v1beta6", kind: "DynaKube" },
    operation: "CREATE",
    object
  }
})

describe("webhook routes", () => {
  it("serve the spec's paths", () => {
    expect(validationRoutes.map((r) => r.path)).toEqual([
      paths.validateDynaKube("v1beta5"),
      paths.validateDynaKube("v1beta6"),
      paths.validateEdgeConnect("v1alpha1"),
      paths.validateEdgeConnect("v1alpha2")
    ])
    expect(convertPath).toBe(paths.convert)
  })

  it.effect("every validation route answers a review with HTTP 200, denials included", () =>
    Effect.gen(function* () {
      for (const route of validationRoutes) {
        const reply = yield* route.handle(review(dynakube(spec({ apiUrl: "" }))))
        expect(reply.status, route.path).toBe(200)
        expect(reply.body).toMatchObject({ kind: "AdmissionReview", response: { uid: "u1", allowed: false } })
      }
    }).pipe(Effect.provide(services))
  )

  it.effect("/convert answers a review, and a non-review with HTTP 400", () =>
    Effect.gen(function* () {
      const ok = yield* conversionRoute.handle({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "ConversionReview",
        request: { uid: "c1", desiredAPIVersion: "dynatrace.com/v1beta5", objects: [dynakube()] }
      })
      expect(ok.status).toBe(200)
      expect(ok.body).toMatchObject({
        response: { uid: "c1", convertedObjects: [{ apiVersion: "dynatrace.com/v1beta5" }] }
      })
      const bad = yield* conversionRoute.handle({ hello: "world" })
      expect(bad.status).toBe(400)
    })
  )
})
