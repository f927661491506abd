/**
 * `metadataEnrichment.enabled: false` has no effect while OneAgent injects code modules (enrichment comes with the
 * injection), so it is a warning.
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as View from "./View.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  disabledButInjecting:
    "metadataEnrichment.enabled is false, but OneAgent injection (applicationMonitoring or cloudNativeFullStack) is on. Metadata enrichment is still applied; the setting is ignored."
} as const

/** @category rules @since 0.1.0 */
export const disabledButInjecting = Finding.warning("metadataEnrichmentDisabledButInjecting", (ctx: DynaKubeContext) =>
  ctx.spec.metadataEnrichment?.enabled === false && View.isAppInjection(ctx.spec)
    ? messages.disabledButInjecting
    : undefined
)
