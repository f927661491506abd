/**
 * The CRD conversion webhook (`/convert`, spec §1.1, §3.11): a `ConversionReview` (`apiextensions.k8s.io/v1`, or
 * `v1beta1`, which has the same shape) in, every object converted to `request.desiredAPIVersion` with the pure
 * hub-and-spoke conversions of `schemas/Conversion.ts`, the review answered with the same apiVersion and uid.
 *
 * If any object cannot be converted the whole review fails (`result.status: Failure`, no objects), as the
 * apiserver requires: it then refuses the request that needed the conversion and shows our message. A body that
 * is not a ConversionReview at all has no uid to answer to; {@link handleConversion} reports it as
 * `BadReview` and the route answers HTTP 400.
 *
 * @since 0.1.0
 */
import { Effect, Metric, Result, Schema } from "effect"
import { convert, servedApiVersions } from "../../../schemas/Conversion.ts"

/** apiVersions of ConversionReview the apiserver may send (the CRDs list both). @category constants @since 0.1.0 */
export const reviewApiVersions = ["apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"] as const

/** The request part of a review. @category models @since 0.1.0 */
export const ConversionReviewRequest = Schema.Struct({
  apiVersion: Schema.Literals(reviewApiVersions),
  kind: Schema.Literal("ConversionReview"),
  request: Schema.Struct({
    uid: Schema.String,
    desiredAPIVersion: Schema.String,
    objects: Schema.Array(Schema.Unknown)
  })
})
/** @category models @since 0.1.0 */
export type ConversionReviewRequest = typeof ConversionReviewRequest.Type

/** `metav1.Status` as the result of a conversion. @category models @since 0.1.0 */
export interface ConversionResult {
  readonly status: "Success" | "Failure"
  readonly message?: string
}

/** @category models @since 0.1.0 */
export interface ConversionReviewResponse {
  readonly apiVersion: (typeof reviewApiVersions)[number]
  readonly kind: "ConversionReview"
  readonly response: {
    readonly uid: string
    readonly convertedObjects: ReadonlyArray<unknown>
    readonly result: ConversionResult
  }
}

/** A body that is no ConversionReview (answered with HTTP 400). @category models @since 0.1.0 */
export interface BadReview {
  readonly _tag: "BadReview"
  readonly message: string
}

/**
 * Conversions done, by kind, source and target apiVersion and result (`success` | `failure`).
 * @category metrics
 * @since 0.1.0
 */
export const conversions = Metric.counter("dynatrace_operator_webhook_conversions_total", {
  description: "Objects converted by the conversion webhook, by kind, from, to and result"
})

/** `Kind namespace/name` of an object, for messages. */
const describe = (object: unknown, index: number): string => {
  if (typeof object !== "object" || object === null) return `object ${index}`
  const o = object as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }
  const kind = typeof o.kind === "string" ? o.kind : "object"
  const name = typeof o.metadata?.name === "string" ? o.metadata.name : ""
  const namespace = typeof o.metadata?.namespace === "string" ? `${o.metadata.namespace}/` : ""
  return name === "" ? `${kind} ${index}` : `${kind} ${namespace}${name}`
}

/** Metric labels, bounded to the kinds and versions we serve (anything else is `other`). */
const labelsOf = (object: unknown, to: string) => {
  const o = (typeof object === "object" && object !== null ? object : {}) as { kind?: unknown; apiVersion?: unknown }
  const kind = typeof o.kind === "string" ? o.kind : ""
  const served = servedApiVersions(kind)
  const bounded = (version: unknown) => (typeof version === "string" && served.includes(version) ? version : "other")
  return { kind: served.length > 0 ? kind : "other", from: bounded(o.apiVersion), to: bounded(to) }
}

/**
 * Converts every object of a decoded review. Pure; the first object that does not convert fails the review.
 * @category converting
 * @since 0.1.0
 */
export const convertReview = (review: ConversionReviewRequest): ConversionReviewResponse => {
  const { uid, desiredAPIVersion, objects } = review.request
  const converted: Array<unknown> = []
  for (const [index, object] of objects.entries()) {
    const result = convert(object, desiredAPIVersion)
    if (Result.isFailure(result)) {
      return {
        apiVersion: review.apiVersion,
        kind: "ConversionReview",
        response: {
          uid,
          convertedObjects: [],
          result: {
            status: "Failure",
            message: `${describe(object, index)} cannot be converted to ${desiredAPIVersion}: ${result.failure.message}`
          }
        }
      }
    }
    converted.push(result.success)
  }
  return {
    apiVersion: review.apiVersion,
    kind: "ConversionReview",
    response: { uid, convertedObjects: converted, result: { status: "Success" } }
  }
}

const decode = Schema.decodeUnknownResult(ConversionReviewRequest)

/**
 * Answers one posted body: the ConversionReview response, or `BadReview` when the body is none. Never fails.
 * @category handling
 * @since 0.1.0
 */
export const handleConversion = Effect.fn("ConversionHandler.handle")(function* (body: unknown) {
  const decoded = decode(body)
  if (Result.isFailure(decoded)) {
    yield* Metric.update(
      Metric.withAttributes(conversions, { kind: "other", from: "other", to: "other", result: "bad_review" }),
      1
    )
    return { _tag: "BadReview", message: `The body is not a ConversionReview: ${decoded.failure.message}` } as BadReview
  }
  const response = yield* Effect.sync(() => convertReview(decoded.success)).pipe(
    Effect.catchDefect((defect) =>
      Effect.as(
        Effect.logError("Converting objects failed unexpectedly.").pipe(
          Effect.annotateLogs({ defect: String(defect) })
        ),
        {
          apiVersion: decoded.success.apiVersion,
          kind: "ConversionReview",
          response: {
            uid: decoded.success.request.uid,
            convertedObjects: [],
            result: { status: "Failure", message: "The objects could not be converted: internal error." }
          }
        } satisfies ConversionReviewResponse
      )
    )
  )
  const result = response.response.result.status === "Success" ? "success" : "failure"
  for (const object of decoded.success.request.objects) {
    yield* Metric.update(
      Metric.withAttributes(conversions, { ...labelsOf(object, decoded.success.request.desiredAPIVersion), result }),
      1
    )
  }
  return response
})

/** Whether a handler answer is a bad review. @category guards @since 0.1.0 */
export const isBadReview = (answer: ConversionReviewResponse | BadReview): answer is BadReview =>
  "_tag" in answer && answer._tag === "BadReview"
