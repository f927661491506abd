/**
 * The public registry: `publicRegistryOverride` needs the `use-public-registry` flag (or a platform token);
 * classicFullStack without a custom image cannot use public images; the flag is pointless with a platform token
 * (warning).
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as Flags from "./Flags.ts"
import * as View from "./View.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  overrideWithoutFlag: `spec.publicRegistryOverride is set, but the feature flag "${Flags.keys.usePublicRegistry}" is not enabled. Enable the flag or remove the field.`,
  classicFullStack:
    "classicFullStack cannot be used with the public registry or a platform token. Consider cloudNativeFullStack instead.",
  flagIgnored: `The feature flag "${Flags.keys.usePublicRegistry}" is ignored because the API token is a platform token; with platform tokens the public registry is always used.`
} as const

/** @category rules @since 0.1.0 */
export const overrideWithoutPublicRegistry = Finding.error(
  "publicRegistryOverrideWithoutFlag",
  (ctx: DynaKubeContext) =>
    (ctx.spec.publicRegistryOverride ?? "") !== "" && !Flags.isPublicRegistry(ctx.annotations, ctx.platformToken)
      ? messages.overrideWithoutFlag
      : undefined
)

/** @category rules @since 0.1.0 */
export const classicFullStackWithPublicRegistry = Finding.error(
  "classicFullStackWithPublicRegistry",
  (ctx: DynaKubeContext) =>
    View.isMode(ctx.spec, "classicFullStack") &&
    View.customImage(ctx.spec) === "" &&
    ((ctx.spec.publicRegistryOverride ?? "") !== "" || Flags.isPublicRegistry(ctx.annotations, ctx.platformToken))
      ? messages.classicFullStack
      : undefined
)

/** @category rules @since 0.1.0 */
export const flagIgnoredForPlatformToken = Finding.warning(
  "publicRegistryFlagIgnoredForPlatformToken",
  (ctx: DynaKubeContext) =>
    Flags.isSet(ctx.annotations, Flags.keys.usePublicRegistry) && ctx.platformToken ? messages.flagIgnored : undefined
)
