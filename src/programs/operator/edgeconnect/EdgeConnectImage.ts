/**
 * The EdgeConnect image and `status.version` (spec §2.3 step 3): `spec.imageRef` (repository, tag, digest) with the
 * default `docker.io/dynatrace/edgeconnect:latest`. A digest wins over the tag. A repository given by the user is
 * a `custom-image`; the default is the `public-registry` image.
 *
 * The original also resolves the digest of a public image from the registry; this implementation does not contact
 * registries, so `imageID` is `repository:tag` (or `repository@digest` when given).
 *
 * @since 0.1.0
 */
import type { EdgeConnectSpec } from "../../../schemas/EdgeConnectV1alpha2.ts"
import { Defaults } from "../../../schemas/EdgeConnectV1alpha2.ts"
import type { VersionSource } from "../../../schemas/Shared.ts"

/** What the status says about the image. @category models */
export interface ImageVersion {
  readonly source: VersionSource
  readonly imageID: string
  /** The tag, when the image is chosen by tag ("" with a digest). */
  readonly version: string
}

/** The image of an EdgeConnect spec. @category constructors */
export const imageOf = (spec: Pick<EdgeConnectSpec, "imageRef">): ImageVersion => {
  const ref = spec.imageRef
  const custom = ref?.repository !== undefined && ref.repository !== ""
  const repository = custom ? ref.repository! : Defaults.imageRepository
  const digest = ref?.digest !== undefined && ref.digest !== "" ? ref.digest : undefined
  const tag = ref?.tag !== undefined && ref.tag !== "" ? ref.tag : Defaults.imageTag
  return {
    source: custom ? "custom-image" : "public-registry",
    imageID: digest === undefined ? `${repository}:${tag}` : `${repository}@${digest}`,
    version: digest === undefined ? tag : ""
  }
}

/** A tag made into a valid label value (at most 63 characters, alphanumeric at both ends). @category constructors */
export const versionLabel = (version: string): string =>
  version
    .replaceAll(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, "")
    .replace(/[^A-Za-z0-9]+$/, "")
