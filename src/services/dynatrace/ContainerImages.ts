/**
 * Public container images (spec §6.2 #12, §2.2.8): `GET /v2/fleetManagement/components/containerImages`
 * `[?registry=<publicRegistryOverride>]` (API token) → `components[{type, imageUri}]`. The tag is the part of
 * `imageUri` after the last `:` that follows the last `/`. When a registry override was asked for, an image from
 * another registry is an error. Cacheable.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** Endpoint path. */
export const path = "/v2/fleetManagement/components/containerImages"

/** Component types the operator picks from. */
export const ComponentTypes = [
  "oneagent",
  "codemodules",
  "activegate",
  "eec",
  "logmodule",
  "sql-extension-executor",
  "dynatrace-sql-extension-executor"
] as const

/** The answer. */
export const ContainerImagesResponse = Schema.Struct({
  components: Schema.Array(Schema.Struct({ type: Schema.String, imageUri: Schema.String }))
})

/** One image as the operator uses it. */
export interface ComponentImage {
  readonly type: string
  readonly imageUri: string
  /** `imageUri` without the tag. */
  readonly repository: string
  /** The tag (the component version), empty when the URI has none. */
  readonly tag: string
}

/** Splits `registry/repo:tag` (a digest suffix `@sha256:…` is kept on the tag side untouched). */
export const splitImageUri = (type: string, imageUri: string): ComponentImage => {
  const withoutDigest = imageUri.split("@")[0] ?? imageUri
  const slash = withoutDigest.lastIndexOf("/")
  const colon = withoutDigest.lastIndexOf(":")
  return colon > slash
    ? { type, imageUri, repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) }
    : { type, imageUri, repository: withoutDigest, tag: "" }
}

/** The images whose registry is not `registry` (host, optionally with path prefix). */
export const foreignImages = (
  images: ReadonlyArray<ComponentImage>,
  registry: string
): ReadonlyArray<ComponentImage> => {
  const prefix = registry.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "")
  return images.filter((image) => !image.imageUri.startsWith(`${prefix}/`))
}
