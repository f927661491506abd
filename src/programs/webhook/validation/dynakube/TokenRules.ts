/**
 * The token Secret (`spec.tokens`, default the DynaKube's name): whether its `apiToken` is a platform token
 * (`dt0s16…`), which changes several rules, and a warning for the deprecated `paasToken` (used with a classic API
 * token, ignored with a platform token). An unreadable Secret means "no platform token" and no warning.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as Finding from "../Finding.ts"
import type { ClusterReadError, DynaKubeContext } from "./Context.ts"

/** Prefix of platform tokens. @category constants @since 0.1.0 */
export const platformTokenPrefix = "dt0s16"

/** @category messages @since 0.1.0 */
export const messages = {
  paasTokenIgnored:
    "The 'paasToken' in the spec.tokens Secret is deprecated. It is ignored, because 'apiToken' holds a platform token, which is used instead.",
  paasTokenUsed:
    "The 'paasToken' in the spec.tokens Secret is deprecated. It is still used, because 'apiToken' does not hold a platform token."
} as const

/** Name of the token Secret. @category accessors @since 0.1.0 */
export const secretName = (tokens: string | undefined, name: string): string =>
  tokens === undefined || tokens === "" ? name : tokens

/** Whether the token Secret's `apiToken` is a platform token. @category checks @since 0.1.0 */
export const isPlatformToken = (data: Readonly<Record<string, string>>): boolean =>
  (data["apiToken"] ?? "").startsWith(platformTokenPrefix)

/**
 * Reads the platform-token bit for the handler (false when the Secret cannot be read).
 * @category checks
 * @since 0.1.0
 */
export const readPlatformToken = (
  secret: (name: string) => Effect.Effect<Readonly<Record<string, string>>, ClusterReadError>,
  tokens: string | undefined,
  name: string
): Effect.Effect<boolean> =>
  secret(secretName(tokens, name)).pipe(
    Effect.map(isPlatformToken),
    Effect.orElseSucceed(() => false)
  )

/** @category rules @since 0.1.0 */
export const deprecatedPaasToken = Finding.warning("deprecatedPaasToken", (ctx: DynaKubeContext) =>
  ctx.cluster.secret(secretName(ctx.spec.tokens, ctx.name)).pipe(
    Effect.map((data) =>
      (data["paasToken"] ?? "") === ""
        ? undefined
        : isPlatformToken(data)
          ? messages.paasTokenIgnored
          : messages.paasTokenUsed
    ),
    Effect.orElseSucceed(() => undefined)
  )
)
