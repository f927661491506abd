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
import { Result, Schema } from "effect"

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

const decodePodSchema = Schema.decodeUnknownResult(Pod)

// ---------------------------------------------------------------------------------------------------------------
// A check of the `Pod` schema's rules by hand, for the admission hot path. Decoding with the schema walks and
// copies every typed object (~20 µs per review for a three-container pod, ~6 % of the webhook's CPU per review);
// a pod that passes these checks decodes to an equal value anyway (Type equals Encoded, unknown keys are kept), so
// it is used as it came. The checks are never looser than the schema (anything unusual takes the schema path, which
// also words the errors), proven by `Pod.test.ts`. Key order may differ from a decoded pod's (typed keys first);
// nothing depends on it: the patch is a diff with sorted keys and only fresh objects in its values. A field added to
// the schemas above must be added here too (`Pod.test.ts` fails until it is).

type Obj = Record<string, unknown>

// plain objects only (as JSON.parse makes them): arrays, class instances and null-prototype objects take the schema path
const isObj = (u: unknown): u is Obj =>
  typeof u === "object" && u !== null && Object.getPrototypeOf(u) === Object.prototype
const optString = (o: Obj, key: string) => {
  const v = o[key]
  return v === undefined ? !Object.hasOwn(o, key) : typeof v === "string"
}
const optNumber = (o: Obj, key: string) => {
  const v = o[key]
  return v === undefined ? !Object.hasOwn(o, key) : typeof v === "number"
}
const optBoolean = (o: Obj, key: string) => {
  const v = o[key]
  return v === undefined ? !Object.hasOwn(o, key) : typeof v === "boolean"
}
const arrayOf = (u: unknown, item: (u: unknown) => boolean) => {
  if (!Array.isArray(u)) return false
  for (let i = 0; i < u.length; i++) if (!item(u[i])) return false
  return true
}
const optArray = (o: Obj, key: string, item: (u: unknown) => boolean) => {
  const v = o[key]
  return v === undefined ? !Object.hasOwn(o, key) : arrayOf(v, item)
}
const isString = (u: unknown) => typeof u === "string"
const optStringMap = (o: Obj, key: string) => {
  const v = o[key]
  if (v === undefined) return !Object.hasOwn(o, key)
  if (!isObj(v)) return false
  for (const k in v) if (typeof v[k] !== "string") return false
  return true
}
const optSecurityContext = (o: Obj, key: string) => {
  const v = o[key]
  if (v === undefined) return !Object.hasOwn(o, key)
  return isObj(v) && optNumber(v, "runAsUser") && optNumber(v, "runAsGroup")
}
const isOwnerReference = (u: unknown) =>
  isObj(u) &&
  typeof u["apiVersion"] === "string" &&
  typeof u["kind"] === "string" &&
  typeof u["name"] === "string" &&
  optString(u, "uid") &&
  optBoolean(u, "controller")
const isObjectMeta = (u: unknown) =>
  isObj(u) &&
  optString(u, "name") &&
  optString(u, "generateName") &&
  optString(u, "namespace") &&
  optString(u, "uid") &&
  optStringMap(u, "labels") &&
  optStringMap(u, "annotations") &&
  optArray(u, "ownerReferences", isOwnerReference)
const isEnvVar = (u: unknown) => isObj(u) && typeof u["name"] === "string" && optString(u, "value")
const isVolumeMount = (u: unknown) =>
  isObj(u) &&
  typeof u["name"] === "string" &&
  typeof u["mountPath"] === "string" &&
  optString(u, "subPath") &&
  optBoolean(u, "readOnly")
const isContainer = (u: unknown) =>
  isObj(u) &&
  typeof u["name"] === "string" &&
  optString(u, "image") &&
  optArray(u, "args", isString) &&
  optArray(u, "env", isEnvVar) &&
  optArray(u, "volumeMounts", isVolumeMount) &&
  optSecurityContext(u, "securityContext")
const isVolume = (u: unknown) => isObj(u) && typeof u["name"] === "string"
const isPodSpec = (u: unknown) =>
  isObj(u) &&
  arrayOf(u["containers"], isContainer) &&
  optArray(u, "initContainers", isContainer) &&
  optArray(u, "volumes", isVolume) &&
  optString(u, "nodeName") &&
  optSecurityContext(u, "securityContext")

/**
 * Whether a value passes the `Pod` schema as it is: the same rules checked by hand, never looser (a `false` only
 * means "decode with the schema"). @category decoding @since 0.1.0
 */
export const isPlainPod = (u: unknown): u is Pod =>
  isObj(u) && optString(u, "apiVersion") && optString(u, "kind") && isObjectMeta(u["metadata"]) && isPodSpec(u["spec"])

/**
 * Decodes a pod; `Result` so the hot path stays synchronous. A pod that passes {@link isPlainPod} is returned as
 * it is (an equal value, without the copy); anything else goes through the schema.
 * @category decoding
 * @since 0.1.0
 */
export const decodePod = (input: unknown): Result.Result<Pod, Schema.SchemaError> =>
  isPlainPod(input) ? Result.succeed(input) : decodePodSchema(input)

/** The schema decoder alone, without the {@link isPlainPod} shortcut (for tests). @category decoding @since 0.1.0 */
export const decodePodWithSchema = decodePodSchema

/** Decodes a namespace. @category decoding @since 0.1.0 */
export const decodeNamespace = Schema.decodeUnknownResult(Namespace)

/** The volume source key of a volume (`emptyDir`, `csi`, ...), or `undefined` when it has none. @category volumes @since 0.1.0 */
export const volumeSource = (volume: Volume): string | undefined => Object.keys(volume).find((key) => key !== "name")
