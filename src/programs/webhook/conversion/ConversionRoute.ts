/**
 * HTTP route of the conversion webhook: `POST /convert`. A body that is not JSON or not a ConversionReview gets
 * HTTP 400; every review is answered with HTTP 200 (a failed conversion is `result.status: Failure` inside it).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { handleConversion, isBadReview } from "./ConversionHandler.ts"

/** @category constants @since 0.1.0 */
export const path = "/convert"

/** The conversion route. @category routes @since 0.1.0 */
export const ConversionRoute = HttpRouter.add(
  "POST",
  path,
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const text = yield* request.text
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return HttpServerResponse.jsonUnsafe({ error: "the body is not JSON" }, { status: 400 })
    }
    const answer = yield* handleConversion(body)
    return isBadReview(answer)
      ? HttpServerResponse.jsonUnsafe({ error: answer.message }, { status: 400 })
      : HttpServerResponse.jsonUnsafe(answer)
  }).pipe(
    Effect.catchTag("HttpServerError", () =>
      Effect.succeed(HttpServerResponse.jsonUnsafe({ error: "the body could not be read" }, { status: 400 }))
    )
  )
)
