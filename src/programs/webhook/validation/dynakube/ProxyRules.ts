/**
 * The proxy rule: `spec.proxy.value`, or the key `proxy` of the Secret `spec.proxy.valueFrom`, must parse as a URL,
 * and its password may only use the characters the ActiveGate's start script can pass on. An unreadable Secret is
 * an error too.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as Finding from "../Finding.ts"
import * as GoUrl from "../support/GoUrl.ts"
import type { DynaKubeContext } from "./Context.ts"

/** Key of the proxy URL in the proxy Secret. @category constants @since 0.1.0 */
export const secretKey = "proxy"

/** @category messages @since 0.1.0 */
export const messages = {
  invalidUrl: "The DynaKube's proxy URL is not valid. Check the URL in spec.proxy or in the Secret it refers to.",
  invalidPassword:
    "The DynaKube's proxy password uses characters that are not allowed: space, apostrophe, backtick, comma, ampersand, equals sign, plus sign, percent sign, backslash.",
  unreadableSecret: (detail: string) => `The proxy Secret named in the DynaKube could not be read: ${detail}`
} as const

// Excluded: space ' ` , & = + % \ (the ActiveGate's entrypoint cannot pass them on).
const allowedPassword = /^[!"#$()*\-./0-9:;<>?@A-Z[\]^_a-z{|}~]*$/

/** The proxy URL's problem, if any. @category checks @since 0.1.0 */
export const checkProxyUrl = (proxyUrl: string): string | undefined => {
  const url = GoUrl.parse(proxyUrl)
  if (url === undefined) return messages.invalidUrl
  return allowedPassword.test(url.user?.password ?? "") ? undefined : messages.invalidPassword
}

/** @category rules @since 0.1.0 */
export const invalidProxyUrl = Finding.error("invalidProxyUrl", (ctx: DynaKubeContext) => {
  const proxy = ctx.spec.proxy
  if (proxy === undefined || proxy === null) return undefined
  const value = proxy.value ?? ""
  const valueFrom = proxy.valueFrom ?? ""
  if (value !== "") return checkProxyUrl(value)
  if (valueFrom === "") return checkProxyUrl("")
  return ctx.cluster.secret(valueFrom).pipe(
    Effect.map((data) => {
      const url = data[secretKey]
      return url === undefined
        ? messages.unreadableSecret(`Secret ${valueFrom} has no key ${secretKey}`)
        : checkProxyUrl(url)
    }),
    Effect.catch((e) => Effect.succeed(messages.unreadableSecret(`Secret ${valueFrom}: ${e.message}`)))
  )
})
