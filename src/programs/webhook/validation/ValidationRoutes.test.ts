/** The HTTP routes of validation and conversion through effect/http's web handler (no sockets). */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { ConversionRoute } from "../conversion/ConversionRoute.ts"
import { ValidationCluster } from "./ValidationCluster.ts"
import { ValidationConfig } from "./ValidationConfig.ts"
import { dynakube, spec } from "./ValidationFixtures.ts"
import { ValidationRoutes } from "./ValidationRoutes.ts"

// The handlers' services are request-level requirements of the routes; the server (or here the web handler)
// supplies them.
const services = Effect.runSync(
  Effect.scoped(Layer.build(Layer.mergeAll(ValidationCluster.layerStatic({}), ValidationConfig.layerWith({}))))
)
const web = HttpRouter.toWebHandler(
  Layer.mergeAll(ValidationRoutes, ConversionRoute).pipe(Layer.provide(HttpServer.layerServices)),
  { disableLogger: true }
)
afterAll(() => web.dispose())
const handler = (request: Request) => web.handler(request, services)

const post = (path: string, body: string) =>
  handler(
    new Request(`http://webhook${path}`, { method: "POST", body, headers: { "content-type": "application/json" } })
  )

const review = (object: unknown) =>
  JSON.stringify({
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
  it("every validation path answers a review; a denial is still HTTP 200", async () => {
    for (const path of [
      "/validate-dynatrace-com-v1beta5-dynakube",
      "/validate-dynatrace-com-v1beta6-dynakube",
      "/validate-dynatrace-com-v1alpha1-edgeconnect",
      "/validate-dynatrace-com-v1alpha2-edgeconnect"
    ]) {
      const response = await post(path, review(dynakube(spec({ apiUrl: "" }))))
      expect(response.status, path).toBe(200)
      const body = await response.json()
      expect(body.response.uid).toBe("u1")
      expect(body.response.allowed).toBe(false)
    }
  })

  it("a body that is not JSON is HTTP 400", async () => {
    expect((await post("/validate-dynatrace-com-v1beta6-dynakube", "{not json")).status).toBe(400)
    expect((await post("/convert", "")).status).toBe(400)
  })

  it("/convert answers a review, and refuses a non-review with HTTP 400", async () => {
    const ok = await post(
      "/convert",
      JSON.stringify({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "ConversionReview",
        request: { uid: "c1", desiredAPIVersion: "dynatrace.com/v1beta5", objects: [dynakube()] }
      })
    )
    expect(ok.status).toBe(200)
    const body = await ok.json()
    expect(body.response.convertedObjects[0].apiVersion).toBe("dynatrace.com/v1beta5")
    expect((await post("/convert", JSON.stringify({ hello: "world" }))).status).toBe(400)
  })

  it("GET is not routed", async () => {
    expect((await handler(new Request("http://webhook/convert"))).status).toBe(404)
  })
})
