/**
 * The conversion endpoint as a webhook-server route (`Routes.ts`): `POST /convert`. A parsed body that is no
 * ConversionReview gets HTTP 400; every review is answered with HTTP 200 (a failed conversion is
 * `result.status: Failure` inside it).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Route } from "../Routes.ts"
import { handleConversion, isBadReview } from "./ConversionHandler.ts"

/** @category constants @since 0.1.0 */
export const path = "/convert"

/** The conversion route. @category routes @since 0.1.0 */
export const conversionRoute: Route = {
  path,
  handle: (body) =>
    Effect.map(handleConversion(body), (answer) =>
      isBadReview(answer) ? { status: 400, body: { error: answer.message } } : { status: 200, body: answer }
    )
}
