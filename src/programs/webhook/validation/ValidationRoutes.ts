/**
 * HTTP routes of the validation webhook: `POST /validate-dynatrace-com-<version>-<kind>` for the four endpoints.
 * A body that is not JSON gets HTTP 400; everything else is answered by `handleValidation` with HTTP 200 and an
 * AdmissionReview (denials included, as the apiserver expects).
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { endpoints, handleValidation, type Endpoint } from "./ValidationHandler.ts"

const route = (endpoint: Endpoint) =>
  HttpRouter.add(
    "POST",
    endpoint.path,
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const text = yield* request.text
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        return HttpServerResponse.jsonUnsafe({ error: "the body is not JSON" }, { status: 400 })
      }
      return HttpServerResponse.jsonUnsafe(yield* handleValidation(endpoint, body))
    }).pipe(
      Effect.catchTag("HttpServerError", () =>
        Effect.succeed(HttpServerResponse.jsonUnsafe({ error: "the body could not be read" }, { status: 400 }))
      )
    )
  )

/** The four validation routes. @category routes @since 0.1.0 */
export const ValidationRoutes = Layer.mergeAll(route(endpoints[0]!), ...endpoints.slice(1).map(route))
