/**
 * EdgeConnect `dynatrace.com/v1alpha1`: still served, converted to and from the hub `v1alpha2` by
 * `EdgeConnectConversion.ts`.
 *
 * Differences to v1alpha2: `hostRestrictions` is one comma-separated string, `imageRef` has only repository and
 * tag, `serviceAccountName` defaults to `dynatrace-edgeconnect`, and conditions are a plain list.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as V2 from "./EdgeConnectV1alpha2.ts"
import { Condition, ObjectMeta } from "./Kubernetes.ts"
import { Group, ImageRefTagOnly, optional } from "./Shared.ts"

/** @category constants @since 0.1.0 */
export const version = "v1alpha1"
/** @category constants @since 0.1.0 */
export const apiVersion = `${Group}/${version}` as const
/** @category constants @since 0.1.0 */
export const kind = "EdgeConnect"

/** @category constants @since 0.1.0 */
export const DefaultServiceAccountName = "dynatrace-edgeconnect"

/** @category spec @since 0.1.0 */
export const EdgeConnectSpec = Schema.Struct({
  ...V2.BaseSpecFields,
  serviceAccountName: optional(Schema.String, "Service account of the EdgeConnect pods.", {
    default: DefaultServiceAccountName
  }),
  imageRef: optional(ImageRefTagOnly, "EdgeConnect image. Defaults to docker.io/dynatrace/edgeconnect:latest."),
  hostRestrictions: optional(
    Schema.String,
    "Comma-separated hosts EdgeConnect may send requests to, e.g. internal.example.org,*.dev.example.org."
  )
})
/** @category spec @since 0.1.0 */
export type EdgeConnectSpec = typeof EdgeConnectSpec.Type

/** @category status @since 0.1.0 */
export const EdgeConnectStatus = Schema.Struct({
  ...V2.BaseStatusFields,
  conditions: optional(Schema.Array(Condition), "Conditions.")
})

/**
 * An EdgeConnect at `dynatrace.com/v1alpha1`.
 *
 * @category resource
 * @since 0.1.0
 */
export const EdgeConnect = Schema.Struct({
  apiVersion: Schema.optionalKey(Schema.Literal(apiVersion)),
  kind: Schema.optionalKey(Schema.Literal(kind)),
  metadata: Schema.optionalKey(ObjectMeta),
  spec: optional(EdgeConnectSpec, "Desired state of the EdgeConnect deployment."),
  status: optional(EdgeConnectStatus, "Observed state, written by the operator.")
}).annotate({ description: "EdgeConnect (older version; v1alpha2 is stored)." })
/** @category resource @since 0.1.0 */
export type EdgeConnect = typeof EdgeConnect.Type
