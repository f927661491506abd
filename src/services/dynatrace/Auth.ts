/**
 * Tokens and the `Authorization` header.
 *
 * A client holds up to three tokens (spec §2.2.2, §6.1): the **API token** (default for every call), the **PaaS
 * token** (installer and connection-info endpoints) and the optional **data-ingest token** (only ever inspected
 * with the scope lookup). The effective PaaS token is the `paasToken` when one exists and the API token is not a
 * platform token; otherwise it is the API token.
 *
 * The header is `Authorization: Api-Token <token>` for every tenant API call, classic and platform (`dt0s16…`)
 * tokens alike: that is what the original sends (spec §6.1 and Appendix A).
 *
 * Token values only ever live inside `Redacted`; `scrub` removes them from any text before it reaches an error.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"

/** Prefix that marks a platform token. */
export const PLATFORM_TOKEN_PREFIX = "dt0s16"

/** The token slots of a client. */
export type TokenSlot = "apiToken" | "paasToken" | "dataIngestToken"

/** The tokens a client was configured with. */
export interface Tokens {
  readonly apiToken: Redacted.Redacted<string>
  readonly paasToken?: Redacted.Redacted<string> | undefined
  readonly dataIngestToken?: Redacted.Redacted<string> | undefined
}

/** True for `dt0s16…` tokens. */
export const isPlatformToken = (token: Redacted.Redacted<string>): boolean =>
  Redacted.value(token).startsWith(PLATFORM_TOKEN_PREFIX)

/** The token that authenticates installer and connection-info calls. */
export const effectivePaasToken = (tokens: Tokens): Redacted.Redacted<string> =>
  tokens.paasToken !== undefined && !isPlatformToken(tokens.apiToken) ? tokens.paasToken : tokens.apiToken

/** The token stored in a slot, if the client has one. */
export const tokenInSlot = (tokens: Tokens, slot: TokenSlot): Redacted.Redacted<string> | undefined =>
  slot === "apiToken" ? tokens.apiToken : slot === "paasToken" ? effectivePaasToken(tokens) : tokens.dataIngestToken

/** `Api-Token <token>`, kept redacted until the request is sent. */
export const authorization = (token: Redacted.Redacted<string>): Redacted.Redacted<string> =>
  Redacted.make(`Api-Token ${Redacted.value(token)}`)

/**
 * Which slot holds a value that cannot be sent in a header (empty, surrounding whitespace, control characters).
 * The value itself is never part of the answer.
 */
export const invalidTokenSlots = (tokens: Tokens): ReadonlyArray<TokenSlot> => {
  const bad: Array<TokenSlot> = []
  const check = (slot: TokenSlot, token: Redacted.Redacted<string> | undefined) => {
    if (token === undefined) return
    const value = Redacted.value(token)
    // oxlint-disable-next-line no-control-regex -- header values must not contain control characters
    if (value === "" || value.trim() !== value || /[\u0000-\u001f\u007f\s]/.test(value)) bad.push(slot)
  }
  check("apiToken", tokens.apiToken)
  check("paasToken", tokens.paasToken)
  check("dataIngestToken", tokens.dataIngestToken)
  return bad
}

/**
 * Replaces every occurrence of the given secrets in `text` with `<redacted>`. Used on every message copied from a
 * tenant body or a transport error, so a tenant (or proxy) that echoes a token cannot leak it into logs.
 */
export const scrub = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string => {
  let out = text
  for (const secret of secrets) {
    const value = Redacted.value(secret)
    if (value.length < 4) continue
    for (const form of new Set([value, encodeURIComponent(value)])) out = out.split(form).join("<redacted>")
  }
  return out
}
