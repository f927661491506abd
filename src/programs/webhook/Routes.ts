/**
 * The webhook's endpoints as data: a route is a path and a total handler from the parsed JSON body to a reply.
 * The server (`WebhookServer.ts`) does transport (TLS, body limits, JSON parsing, metrics); routes do meaning.
 *
 * `routes` below is the list the `webhook-server` command serves. Validation (`/validate-*`) and conversion
 * (`/convert`) plug in here with one line each: a `Route` built with {@link admission} (for AdmissionReviews) or
 * directly (for ConversionReviews).
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import * as AdmissionReview from "../../schemas/AdmissionReview.ts"
import { conversionRoute } from "./conversion/ConversionRoute.ts"
import { NamespaceMutator } from "./namespace/NamespaceMutator.ts"
import { PodMutator } from "./pod/PodMutator.ts"
import type { ValidationCluster } from "./validation/ValidationCluster.ts"
import type { ValidationConfig } from "./validation/ValidationConfig.ts"
import { validationRoutes } from "./validation/ValidationRoutes.ts"

/** An HTTP answer: status and a JSON body. @category models @since 0.1.0 */
export interface Reply {
  readonly status: number
  readonly body: unknown
  /** the body as JSON text when the route encodes it itself; must equal `JSON.stringify(body)` */
  readonly json?: string
}

/** A route: a path and a handler that never fails. @category models @since 0.1.0 */
export interface Route<R = never> {
  readonly path: string
  readonly handle: (body: unknown) => Effect.Effect<Reply, never, R>
}

/** A 400 with a message, for bodies that are no review at all. @category replies @since 0.1.0 */
export const badRequest = (message: string): Reply => ({ status: 400, body: { error: message } })

/**
 * A route for AdmissionReviews: a body without a decodable `request` (uid, kind, operation) is a 400; otherwise the
 * handler's response is wrapped into an `admission.k8s.io/v1` AdmissionReview.
 * @category constructors
 * @since 0.1.0
 */
export const admission = <R>(
  path: string,
  handler: (request: AdmissionReview.AdmissionRequest) => Effect.Effect<AdmissionReview.AdmissionResponse, never, R>
): Route<R> => ({
  path,
  handle: (body) => {
    const decoded = AdmissionReview.decodeReview(body)
    if (Result.isFailure(decoded)) {
      return Effect.succeed(badRequest(`not an AdmissionReview with a request: ${decoded.failure.message}`))
    }
    return Effect.map(handler(decoded.success.request), (response) => {
      const answer = AdmissionReview.review(response)
      return { status: 200, body: answer, json: AdmissionReview.encodeReview(answer) }
    })
  }
})

/** Paths of the spec (§3.1). @category constants @since 0.1.0 */
export const paths = {
  inject: "/inject",
  labelNamespace: "/label-ns",
  convert: "/convert",
  validateDynaKube: (version: string) => `/validate-dynatrace-com-${version}-dynakube`,
  validateEdgeConnect: (version: string) => `/validate-dynatrace-com-${version}-edgeconnect`
} as const

/** `/inject`. @category routes @since 0.1.0 */
export const inject: Route<PodMutator> = admission(paths.inject, (request) =>
  PodMutator.use((mutator) => mutator.handle(request))
)

/** `/label-ns`. @category routes @since 0.1.0 */
export const labelNamespace: Route<NamespaceMutator> = admission(paths.labelNamespace, (request) =>
  NamespaceMutator.use((mutator) => mutator.handle(request))
)

/**
 * Every route the webhook server serves: `/inject`, `/label-ns`, the four `/validate-dynatrace-com-<version>-<kind>`
 * routes (`validation/ValidationRoutes.ts`) and `/convert` (`conversion/ConversionRoute.ts`).
 * @category routes
 * @since 0.1.0
 */
export const routes: ReadonlyArray<Route<RoutesContext>> = [
  inject,
  labelNamespace,
  ...validationRoutes,
  conversionRoute
]

/** The services the routes need. @category routes @since 0.1.0 */
export type RoutesContext = PodMutator | NamespaceMutator | ValidationCluster | ValidationConfig
