/**
 * Feature-flag warnings: deprecated `feature.dynatrace.com/*` annotations, unknown ones, and `node-image-pull`
 * without the CSI driver (the flag only changes the CSI driver's behaviour).
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as Flags from "./Flags.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  deprecated: (flags: ReadonlyArray<string>) => `Deprecated feature flags in use: ${flags.join(", ")}`,
  unknown: (flags: ReadonlyArray<string>) =>
    `Unknown feature flags in use: ${flags.join(", ")}. Remove them from the DynaKube.`,
  nodeImagePullWithoutCsi: `The ${Flags.keys.nodeImagePull} annotation is set, but the CSI driver is not installed in this cluster. The flag only affects the CSI driver, so it has no effect.`
} as const

/** @category rules @since 0.1.0 */
export const deprecatedFlags = Finding.warning("deprecatedFeatureFlags", (ctx: DynaKubeContext) => {
  const used = Flags.deprecated.filter((key) => Flags.isSet(ctx.annotations, key))
  return used.length > 0 ? messages.deprecated(used) : undefined
})

/** @category rules @since 0.1.0 */
export const unknownFlags = Finding.warning("unknownFeatureFlags", (ctx: DynaKubeContext) => {
  const unknown = Object.keys(ctx.annotations)
    .filter((key) => key.startsWith(Flags.prefix) || key === Flags.keys.technologies)
    .filter((key) => !Flags.known.has(key))
    .toSorted()
  return unknown.length > 0 ? messages.unknown(unknown) : undefined
})

/** @category rules @since 0.1.0 */
export const nodeImagePullWithoutCsi = Finding.warning("nodeImagePullWithoutCsi", (ctx: DynaKubeContext) =>
  !ctx.modules.csiDriver && Flags.isSet(ctx.annotations, Flags.keys.nodeImagePull)
    ? messages.nodeImagePullWithoutCsi
    : undefined
)
