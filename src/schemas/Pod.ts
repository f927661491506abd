/**
 * The parts of a `v1` Pod the webhook reads and writes, as Effect Schemas that keep every other field.
 *
 * Every object here is a struct "with rest": the fields we touch are typed and checked, all other keys are kept
 * as they came (`Record<string, unknown>`), so a decoded pod still holds fields this code has never heard of and
 * can be mutated with plain object spreads without losing them. The admission patch is then computed between the
 * raw request object and the mutated one (`effect/JsonPatch`), so unknown fields are never part of it.
 *
 * Type equals Encoded for all of them: a decoded value is plain JSON.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const rest = [Schema.Record(Schema.String, Schema.Unknown)] as const

/** A struct whose other keys are kept untouched. @category constructors @since 0.1.0 */
export const open = <const F extends Schema.Struct.Fields>(fields: F) =>
  Schema.StructWithRest(Schema.Struct(fields), rest)

const StringMap = Schema.Record(Schema.String, Schema.String)

/** `metav1.OwnerReference` (the fields we follow). @category metadata @since 0.1.0 */
export const OwnerReference = open({
  apiVersion: Schema.String,
  kind: Schema.String,
  name: Schema.String,
  uid: Schema.optionalKey(Schema.String),
  controller: Schema.optionalKey(Schema.Boolean)
})
/** @category metadata @since 0.1.0 */
export type OwnerReference = typeof OwnerReference.Type

/** Object metadata (the fields the webhook reads or writes). @category metadata @since 0.1.0 */
export const ObjectMeta = open({
  name: Schema.optionalKey(Schema.String),
  generateName: Schema.optionalKey(Schema.String),
  namespace: Schema.optionalKey(Schema.String),
  uid: Schema.optionalKey(Schema.String),
  labels: Schema.optionalKey(StringMap),
  annotations: Schema.optionalKey(StringMap),
  ownerReferences: Schema.optionalKey(Schema.Array(OwnerReference))
})
/** @category metadata @since 0.1.0 */
export type ObjectMeta = typeof ObjectMeta.Type

/** `corev1.EnvVar`: `value` or `valueFrom` (kept as is). @category containers @since 0.1.0 */
export const EnvVar = open({
  name: Schema.String,
  value: Schema.optionalKey(Schema.String),
  valueFrom: Schema.optionalKey(Schema.Unknown)
})
/** @category containers @since 0.1.0 */
export type EnvVar = typeof EnvVar.Type

/** `corev1.VolumeMount`. @category containers @since 0.1.0 */
export const VolumeMount = open({
  name: Schema.String,
  mountPath: Schema.String,
  subPath: Schema.optionalKey(Schema.String),
  readOnly: Schema.optionalKey(Schema.Boolean)
})
/** @category containers @since 0.1.0 */
export type VolumeMount = typeof VolumeMount.Type

/** `runAsUser` / `runAsGroup` of a pod or container security context (the rest is kept). @category security @since 0.1.0 */
export const SecurityContext = open({
  runAsUser: Schema.optionalKey(Schema.Number),
  runAsGroup: Schema.optionalKey(Schema.Number)
})
/** @category security @since 0.1.0 */
export type SecurityContext = typeof SecurityContext.Type

/** `corev1.Container` (also used for init containers). @category containers @since 0.1.0 */
export const Container = open({
  name: Schema.String,
  image: Schema.optionalKey(Schema.String),
  args: Schema.optionalKey(Schema.Array(Schema.String)),
  env: Schema.optionalKey(Schema.Array(EnvVar)),
  volumeMounts: Schema.optionalKey(Schema.Array(VolumeMount)),
  securityContext: Schema.optionalKey(SecurityContext)
})
/** @category containers @since 0.1.0 */
export type Container = typeof Container.Type

/** `corev1.Volume`: the name, and the source as one more key (`emptyDir`, `csi`, `projected`, ...). @category volumes @since 0.1.0 */
export const Volume = open({ name: Schema.String })
/** @category volumes @since 0.1.0 */
export type Volume = typeof Volume.Type

/** `corev1.PodSpec` (the fields the webhook touches). @category pod @since 0.1.0 */
export const PodSpec = open({
  containers: Schema.Array(Container),
  initContainers: Schema.optionalKey(Schema.Array(Container)),
  volumes: Schema.optionalKey(Schema.Array(Volume)),
  nodeName: Schema.optionalKey(Schema.String),
  securityContext: Schema.optionalKey(SecurityContext)
})
/** @category pod @since 0.1.0 */
export type PodSpec = typeof PodSpec.Type

/** A `v1` Pod as the webhook sees it in an AdmissionReview. @category pod @since 0.1.0 */
export const Pod = open({
  apiVersion: Schema.optionalKey(Schema.String),
  kind: Schema.optionalKey(Schema.String),
  metadata: ObjectMeta,
  spec: PodSpec
})
/** @category pod @since 0.1.0 */
export type Pod = typeof Pod.Type

/** A Namespace: only its metadata matters here. @category namespace @since 0.1.0 */
export const Namespace = open({
  apiVersion: Schema.optionalKey(Schema.String),
  kind: Schema.optionalKey(Schema.String),
  metadata: ObjectMeta
})
/** @category namespace @since 0.1.0 */
export type Namespace = typeof Namespace.Type

/** Decodes a pod; `Result` so the hot path stays synchronous. @category decoding @since 0.1.0 */
export const decodePod = Schema.decodeUnknownResult(Pod)

/** Decodes a namespace. @category decoding @since 0.1.0 */
export const decodeNamespace = Schema.decodeUnknownResult(Namespace)

/** The volume source key of a volume (`emptyDir`, `csi`, ...), or `undefined` when it has none. @category volumes @since 0.1.0 */
export const volumeSource = (volume: Volume): string | undefined => Object.keys(volume).find((key) => key !== "name")
