/**
 * Values that end up on a command line (network zone, host group, OneAgent installer args, the `no-proxy` feature
 * flag) must not contain newline, tab, carriage return or NUL.
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as Flags from "./Flags.ts"
import * as View from "./View.ts"

/** Whether the text contains `\n`, `\t`, `\r` or `\0`. @category checks @since 0.1.0 */
export const hasForbiddenCharacters = (text: string): boolean => /[\n\t\r\0]/.test(text)

const forbidden = "forbidden characters (newline, tab, carriage return, null)"

/** @category messages @since 0.1.0 */
export const messages = {
  networkZone: `spec.networkZone contains ${forbidden}. Remove them.`,
  hostGroup: `spec.oneAgent.hostGroup contains ${forbidden}. Remove them.`,
  noProxy: `The ${Flags.keys.noProxy} annotation contains ${forbidden}. Remove them.`,
  oneAgentArgs: `The OneAgent args contain ${forbidden}. Remove them.`
} as const

/** @category rules @since 0.1.0 */
export const invalidNetworkZone = Finding.error("invalidNetworkZone", (ctx: DynaKubeContext) =>
  hasForbiddenCharacters(ctx.spec.networkZone ?? "") ? messages.networkZone : undefined
)

/** @category rules @since 0.1.0 */
export const invalidHostGroup = Finding.error("invalidHostGroup", (ctx: DynaKubeContext) =>
  hasForbiddenCharacters(ctx.spec.oneAgent?.hostGroup ?? "") ? messages.hostGroup : undefined
)

/** @category rules @since 0.1.0 */
export const invalidNoProxy = Finding.error("invalidNoProxy", (ctx: DynaKubeContext) =>
  hasForbiddenCharacters(Flags.noProxy(ctx.annotations)) ? messages.noProxy : undefined
)

/** @category rules @since 0.1.0 */
export const invalidOneAgentArgs = Finding.error("invalidOneAgentArgs", (ctx: DynaKubeContext) =>
  View.args(ctx.spec).some(hasForbiddenCharacters) ? messages.oneAgentArgs : undefined
)
