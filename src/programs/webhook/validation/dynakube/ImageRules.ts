/**
 * Custom images (`spec.activeGate.image`, `spec.oneAgent.<mode>.image`) must be image references a registry client
 * can parse.
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import * as ImageReference from "../support/ImageReference.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as View from "./View.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  unparsable: (section: string, image: string) =>
    `The custom ${section} image "${image}" is not a valid image reference.`
} as const

/** Problems of both images are reported in one finding, as the original does. @category rules @since 0.1.0 */
export const unparsableImage = Finding.error("unparsableImage", (ctx: DynaKubeContext) =>
  (
    [
      ["ActiveGate", ctx.spec.activeGate?.image ?? ""],
      ["OneAgent", View.customImage(ctx.spec)]
    ] as const
  )
    .filter(([, image]) => image !== "" && !ImageReference.isValid(image))
    .map(([section, image]) => messages.unparsable(section, image))
    .join(";")
)
