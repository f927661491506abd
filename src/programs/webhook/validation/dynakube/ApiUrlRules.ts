/**
 * Rules on `spec.apiUrl`: it must be set (and not the example value), parse, end in `/api` (except 3rd-generation
 * `*.apps.*` URLs) and name a host; on update the tenant (first host label) must not change.
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import * as GoUrl from "../support/GoUrl.ts"
import type { DynaKubeContext, DynaKubeUpdateContext } from "./Context.ts"

/** The placeholder of the documentation's samples. @category constants @since 0.1.0 */
export const exampleApiUrl = "https://ENVIRONMENTID.live.dynatrace.com/api"

/** @category messages @since 0.1.0 */
export const messages = {
  noApiUrl:
    "The DynaKube has no API URL, or still has the example value. Set spec.apiUrl to the URL of your environment.",
  invalidApiUrl:
    "The DynaKube's API URL is not valid. Set spec.apiUrl to the URL of your environment, including the /api suffix.",
  mutatedApiUrl:
    "The DynaKube's API URL now points to a different tenant, which cannot be changed. Delete the DynaKube and create a new one."
} as const

/** 3rd-generation hosts (`<id>.apps.<domain>`). @category predicates @since 0.1.0 */
export const isThirdGenHost = (hostname: string): boolean => hostname.includes(".apps.")

/** @category rules @since 0.1.0 */
export const noApiUrl = Finding.error("noApiUrl", (ctx: DynaKubeContext) =>
  ctx.spec.apiUrl === "" || ctx.spec.apiUrl === exampleApiUrl ? messages.noApiUrl : undefined
)

/** @category rules @since 0.1.0 */
export const invalidApiUrl = Finding.error("invalidApiUrl", (ctx: DynaKubeContext) => {
  const apiUrl = ctx.spec.apiUrl
  const url = GoUrl.parse(apiUrl)
  if (url === undefined) return messages.invalidApiUrl
  const hostname = GoUrl.hostname(url)
  if (isThirdGenHost(hostname)) return undefined
  if (!apiUrl.endsWith("/api")) return messages.invalidApiUrl
  // At least one non-empty label (strings.FieldsFunc drops the empty ones).
  if (hostname.split(".").every((label) => label === "")) return messages.invalidApiUrl
  return undefined
})

/** The first label of the API URL's host (the whole text when it does not parse). @category accessors @since 0.1.0 */
export const tenantOf = (apiUrl: string): string => {
  const url = GoUrl.parse(apiUrl)
  if (url === undefined) return apiUrl
  const hostname = GoUrl.hostname(url)
  const dot = hostname.indexOf(".")
  return dot > 0 ? hostname.slice(0, dot) : hostname
}

/** @category rules @since 0.1.0 */
export const mutatedApiUrl = Finding.error("mutatedApiUrl", (ctx: DynaKubeUpdateContext) =>
  tenantOf(ctx.oldSpec.apiUrl) !== tenantOf(ctx.spec.apiUrl) ? messages.mutatedApiUrl : undefined
)

/**
 * `dtapiurl.ToSecondGen`: a 3rd-generation URL mapped to the 2nd-generation API URL (host `<id>.live.<rest>` or
 * `<id>.<rest>`, path `/api`); anything else unchanged. Used to compare the API URLs of two DynaKubes.
 * @category accessors
 * @since 0.1.0
 */
export const toSecondGen = (apiUrl: string): string => {
  const url = GoUrl.parse(apiUrl)
  if (url === undefined) return apiUrl
  const hostname = GoUrl.hostname(url)
  if (!isThirdGenHost(hostname)) return apiUrl
  const at = hostname.indexOf(".apps.")
  const prefix = hostname.slice(0, at)
  const suffix = hostname.slice(at + ".apps.".length)
  const mapped = prefix.includes(".") ? `${prefix}.${suffix}` : `${prefix}.live.${suffix}`
  const port = GoUrl.port(url)
  const user =
    url.user === undefined
      ? ""
      : `${url.user.username}${url.user.password === undefined ? "" : `:${url.user.password}`}@`
  return `${url.scheme}://${user}${mapped}${port === "" ? "" : `:${port}`}/api${url.rawQuery === "" ? "" : `?${url.rawQuery}`}`
}
