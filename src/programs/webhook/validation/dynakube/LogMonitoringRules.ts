/**
 * Log monitoring: standalone log monitoring (no host agents) needs an image unless the public registry is used;
 * the template's args must not contain control characters; a warning when the template is ignored because host
 * agents do the log monitoring.
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as Flags from "./Flags.ts"
import { hasForbiddenCharacters } from "./SanitizationRules.ts"
import * as View from "./View.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  imageMissing:
    "The DynaKube enables standalone log monitoring, but spec.templates.logMonitoring.imageRef names no image (repository and tag or digest).",
  invalidArgs:
    "spec.templates.logMonitoring.args contains forbidden characters (newline, tab, carriage return, null). Remove them.",
  templateIgnored:
    "spec.templates.logMonitoring is ignored because spec.oneAgent runs host agents, which do the log monitoring."
} as const

/** @category rules @since 0.1.0 */
export const imageMissing = Finding.error("logMonitoringImageMissing", (ctx: DynaKubeContext) =>
  View.isLogMonitoringStandalone(ctx.spec) &&
  !Flags.isPublicRegistry(ctx.annotations, ctx.platformToken) &&
  !View.hasImage(ctx.spec.templates?.logMonitoring?.imageRef)
    ? messages.imageMissing
    : undefined
)

/** @category rules @since 0.1.0 */
export const invalidArgs = Finding.error("invalidLogMonitoringArgs", (ctx: DynaKubeContext) =>
  (ctx.spec.templates?.logMonitoring?.args ?? []).some(hasForbiddenCharacters) ? messages.invalidArgs : undefined
)

/** @category rules @since 0.1.0 */
export const templateIgnored = Finding.warning("logMonitoringTemplateIgnored", (ctx: DynaKubeContext) =>
  !View.isLogMonitoringStandalone(ctx.spec) &&
  View.isDaemonSetRequired(ctx.spec) &&
  ctx.spec.templates?.logMonitoring !== undefined
    ? messages.templateIgnored
    : undefined
)
