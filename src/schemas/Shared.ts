/**
 * Schema pieces shared by several Dynatrace custom resources and versions: image references, value-or-secret
 * sources, deployment phase, version status and connection info.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { PullPolicy, Time } from "./Kubernetes.ts"

/**
 * The API group of every Dynatrace custom resource.
 *
 * @category constants
 * @since 0.1.0
 */
export const Group = "dynatrace.com"

/**
 * An image reference split into repository, tag and digest (`image.Ref`).
 *
 * @category models
 * @since 0.1.0
 */
export const ImageRef = Schema.Struct({
  repository: Schema.optionalKey(
    Schema.String.annotate({ description: "Image repository, e.g. registry.example.com/dynatrace/agent." })
  ),
  tag: Schema.optionalKey(Schema.String.annotate({ description: "Image tag; ignored when a digest is set." })),
  digest: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^[a-z0-9]+:([a-f0-9]+|[A-F0-9]+)$/u)).annotate({
      description: "Image digest, e.g. sha256:0123abcd...; takes precedence over the tag."
    })
  ),
  pullPolicy: Schema.optionalKey(PullPolicy)
})
/** @category models @since 0.1.0 */
export type ImageRef = typeof ImageRef.Type

/**
 * Image reference without digest and pull policy, as EdgeConnect `v1alpha1` had it.
 *
 * @category models
 * @since 0.1.0
 */
export const ImageRefTagOnly = ImageRef.mapFields(({ repository, tag }) => ({ repository, tag }))

/**
 * A value given literally or read from a Secret (`value.Source`): the proxy URL and ActiveGate custom properties.
 * Both fields accept `null`, as the original does.
 *
 * @category models
 * @since 0.1.0
 */
export const ValueSource = (secretKey: string) =>
  Schema.Struct({
    value: Schema.optionalKey(Schema.NullOr(Schema.String).annotate({ description: "The value itself." })),
    valueFrom: Schema.optionalKey(
      Schema.NullOr(Schema.String).annotate({
        description: `Name of a Secret in the same namespace whose key '${secretKey}' holds the value.`
      })
    )
  })
/** @category models @since 0.1.0 */
export type ValueSource = ReturnType<typeof ValueSource>["Type"]

/**
 * Deployment phase shown in the `Status` printer column.
 *
 * @category status
 * @since 0.1.0
 */
export const Phase = Schema.Literals(["Running", "Deploying", "Error"]).annotate({
  description: "Overall state: Running, Deploying or Error."
})
/** @category status @since 0.1.0 */
export type Phase = typeof Phase.Type

/**
 * Where the version of a component comes from.
 *
 * @category status
 * @since 0.1.0
 */
export const VersionSource = Schema.Literals(["tenant-registry", "custom-image", "custom-version", "public-registry"])
/** @category status @since 0.1.0 */
export type VersionSource = typeof VersionSource.Type

/**
 * The fields of `status.VersionStatus`, to be spread into a status struct (the original inlines them).
 *
 * @category status
 * @since 0.1.0
 */
export const VersionStatusFields = {
  source: Schema.optionalKey(
    VersionSource.annotate({
      description: "Where the image comes from: tenant-registry, custom-image, custom-version or public-registry."
    })
  ),
  imageID: Schema.optionalKey(Schema.String.annotate({ description: "The image in use, with digest when known." })),
  version: Schema.optionalKey(
    Schema.String.annotate({ description: "The component version in use; 'custom-image' when a custom image is set." })
  ),
  type: Schema.optionalKey(Schema.String.annotate({ description: "Image flavour, e.g. immutable or mutable." })),
  lastProbeTimestamp: Schema.optionalKey(Time.annotate({ description: "When the version was last checked." }))
} as const

/**
 * `status.VersionStatus` as a struct of its own.
 *
 * @category status
 * @since 0.1.0
 */
export const VersionStatus = Schema.Struct(VersionStatusFields)
/** @category status @since 0.1.0 */
export type VersionStatus = typeof VersionStatus.Type

/**
 * Connection info fetched from the tenant (`communication.ConnectionInfo`).
 *
 * @category status
 * @since 0.1.0
 */
export const ConnectionInfo = Schema.Struct({
  tenantUUID: Schema.optionalKey(Schema.String.annotate({ description: "UUID of the tenant." })),
  endpoints: Schema.optionalKey(Schema.String.annotate({ description: "Comma-separated communication endpoints." })),
  tenantTokenHash: Schema.optionalKey(
    Schema.String.annotate({ description: "Hash of the tenant token, to detect rotation." })
  ),
  lastRequest: Schema.optionalKey(Time.annotate({ description: "When the connection info was last fetched." }))
})
/** @category status @since 0.1.0 */
export type ConnectionInfo = typeof ConnectionInfo.Type

/**
 * An optional field with its `kubectl explain` text: `optional(Schema.String, "What it is.")`.
 * Extra annotations (for example `default`) go into the CRD schema of the field too.
 *
 * @category constructors
 * @since 0.1.0
 */
export const optional = <S extends Schema.Top>(
  schema: S,
  description: string,
  annotations?: Schema.Annotations.Annotations
): Schema.optionalKey<S["Rebuild"]> => Schema.optionalKey(schema.annotate({ description, ...annotations }))

/**
 * A required field with its `kubectl explain` text.
 *
 * @category constructors
 * @since 0.1.0
 */
export const required = <S extends Schema.Top>(schema: S, description: string): S["Rebuild"] =>
  schema.annotate({ description })
