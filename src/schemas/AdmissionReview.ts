/**
 * `admission.k8s.io/v1` AdmissionReview: what the apiserver posts to a webhook and what the webhook answers.
 *
 * The request is decoded leniently (only the fields a handler needs are typed; the rest is kept), the object under
 * review stays `unknown` because each handler decodes it with its own schema. Responses are built with the small
 * constructors at the end (`allow`, `patched`, `deny`), so every handler answers in the same shape.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { open } from "./Pod.ts"

/** `apiVersion` of the reviews we answer. @category constants @since 0.1.0 */
export const apiVersion = "admission.k8s.io/v1"
/** @category constants @since 0.1.0 */
export const kind = "AdmissionReview"

/** `metav1.GroupVersionKind`. @category request @since 0.1.0 */
export const GroupVersionKind = open({
  group: Schema.String,
  version: Schema.String,
  kind: Schema.String
})

/** `authenticationv1.UserInfo`. @category request @since 0.1.0 */
export const UserInfo = open({
  username: Schema.optionalKey(Schema.String),
  uid: Schema.optionalKey(Schema.String),
  groups: Schema.optionalKey(Schema.Array(Schema.String))
})

/** The operations the apiserver reviews. @category request @since 0.1.0 */
export const Operation = Schema.Literals(["CREATE", "UPDATE", "DELETE", "CONNECT"])
/** @category request @since 0.1.0 */
export type Operation = typeof Operation.Type

/** `AdmissionRequest`. @category request @since 0.1.0 */
export const AdmissionRequest = open({
  uid: Schema.String,
  kind: GroupVersionKind,
  resource: Schema.optionalKey(Schema.Unknown),
  subResource: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String),
  namespace: Schema.optionalKey(Schema.String),
  operation: Operation,
  userInfo: Schema.optionalKey(UserInfo),
  object: Schema.optionalKey(Schema.Unknown),
  oldObject: Schema.optionalKey(Schema.Unknown),
  dryRun: Schema.optionalKey(Schema.Boolean)
})
/** @category request @since 0.1.0 */
export type AdmissionRequest = typeof AdmissionRequest.Type

/** An AdmissionReview as received. @category request @since 0.1.0 */
export const AdmissionReviewRequest = open({
  apiVersion: Schema.optionalKey(Schema.String),
  kind: Schema.optionalKey(Schema.String),
  request: AdmissionRequest
})
/** @category request @since 0.1.0 */
export type AdmissionReviewRequest = typeof AdmissionReviewRequest.Type

/** Decodes a review; fails (as a value) when the body is no AdmissionReview with a request. @category decoding @since 0.1.0 */
export const decodeReview = Schema.decodeUnknownResult(AdmissionReviewRequest)

/** `metav1.Status` as carried in `response.status`. @category response @since 0.1.0 */
export interface ResponseStatus {
  readonly code?: number
  readonly message?: string
  readonly reason?: string
}

/** `AdmissionResponse`. @category response @since 0.1.0 */
export interface AdmissionResponse {
  readonly uid: string
  readonly allowed: boolean
  readonly status?: ResponseStatus
  /** base64 of an RFC 6902 JSON patch */
  readonly patch?: string
  readonly patchType?: "JSONPatch"
  readonly warnings?: ReadonlyArray<string>
}

/** An AdmissionReview as answered. @category response @since 0.1.0 */
export interface AdmissionReviewResponse {
  readonly apiVersion: typeof apiVersion
  readonly kind: typeof kind
  readonly response: AdmissionResponse
}

/** Wraps a response into a review. @category response @since 0.1.0 */
export const review = (response: AdmissionResponse): AdmissionReviewResponse => ({ apiVersion, kind, response })

/** Allowed, unchanged; an optional message says why nothing was done. @category response @since 0.1.0 */
export const allow = (uid: string, message?: string): AdmissionResponse =>
  message === undefined ? { uid, allowed: true } : { uid, allowed: true, status: { code: 200, message } }

/**
 * Allowed with a JSON patch (`operations` is the RFC 6902 array); an empty patch is a plain allow.
 * @category response
 * @since 0.1.0
 */
export const patched = (uid: string, operations: ReadonlyArray<unknown>, message?: string): AdmissionResponse => {
  if (operations.length === 0) return allow(uid, message)
  const base: AdmissionResponse = {
    uid,
    allowed: true,
    patchType: "JSONPatch",
    patch: Buffer.from(JSON.stringify(operations)).toString("base64")
  }
  const response = message === undefined ? base : { ...base, status: { code: 200, message } }
  base64Patches.add(response)
  return response
}

// Responses whose `patch` was base64-encoded by `patched` above, so it holds no character JSON would escape.
const base64Patches = new WeakSet<AdmissionResponse>()
const emptyPatch = `"patch":""`

/**
 * The JSON text of an answered review: byte for byte `JSON.stringify(review)`, faster for a patch made by
 * {@link patched}. JSON.stringify scans every character of the ~8 KB base64 patch for something to escape (~15 µs
 * per review, ~5 % of the webhook's CPU per review, docs/webhook.md §Benchmark); base64 has nothing to escape, so
 * the rest is stringified with an empty patch and the patch is put in as it is. In JSON text, `"patch":""`
 * can only be the key itself (a quote inside a string value is always escaped), so the splice point is unique.
 * @category response
 * @since 0.1.0
 */
export const encodeReview = (answer: AdmissionReviewResponse): string => {
  const response = answer.response
  if (response.patch === undefined || !base64Patches.has(response)) return JSON.stringify(answer)
  const text = JSON.stringify({ ...answer, response: { ...response, patch: "" } })
  const at = text.indexOf(emptyPatch)
  return `${text.slice(0, at)}"patch":"${response.patch}"${text.slice(at + emptyPatch.length)}`
}

/** Refused with an HTTP-like code (400 for bad input, 403 for policy) and a message. @category response @since 0.1.0 */
export const deny = (uid: string, code: number, message: string, reason?: string): AdmissionResponse => ({
  uid,
  allowed: false,
  status: reason === undefined ? { code, message } : { code, message, reason }
})

/** The RFC 6902 operations of a response (`[]` when it carries none); for tests and tooling. @category response @since 0.1.0 */
export const patchOf = (response: AdmissionResponse): ReadonlyArray<unknown> =>
  response.patch === undefined
    ? []
    : (JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as Array<unknown>)
