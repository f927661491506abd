/**
 * The tenant's API base URL (`spec.apiUrl`), mapped the way the original maps it.
 *
 * - 2nd-generation URLs (`https://<env>.live.dynatrace.com/api`) and Managed URLs (`https://<host>/e/<env>/api`) are used
 *   unchanged (a trailing slash is dropped).
 * - 3rd-generation URLs (`https://<env>.apps.<domain>…`) are mapped to 2nd generation: host `<id>.apps.<rest>` becomes
 *   `<id>.live.<rest>`, or `<id>.<rest>` when the part before `.apps.` already contains a dot
 *   (`abc.dev.apps.dynatracelabs.com` → `abc.dev.dynatracelabs.com`); the path is forced to `/api`.
 *
 * Endpoint paths (`/v1/…`, `/v2/…`) are appended to the mapped base.
 *
 * @since 0.1.0
 */

/** The result of mapping: the URL calls go to, and the raw host (the tenant image registry host). */
export interface ApiUrl {
  /** Base URL without trailing slash, always ending in `/api` for 3rd-gen input. */
  readonly base: string
  /** Host of the URL as the user wrote it (un-mapped). */
  readonly rawHost: string
  /** True when the input was a 3rd-generation (`.apps.`) URL. */
  readonly thirdGeneration: boolean
}

/** Why an apiUrl cannot be used. */
export interface ApiUrlProblem {
  readonly problem: string
}

const APPS = ".apps."

/**
 * Parses and maps an apiUrl. Returns a problem (never throws) for anything that is not an absolute http(s) URL.
 * @since 0.1.0
 */
export const parseApiUrl = (input: string): ApiUrl | ApiUrlProblem => {
  const text = input.trim()
  if (!URL.canParse(text)) return { problem: `apiUrl "${text}" is not an absolute URL` }
  const url = new URL(text)
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { problem: `apiUrl "${text}" must use http or https` }
  }
  if (url.username !== "" || url.password !== "") return { problem: "apiUrl must not contain credentials" }
  const rawHost = url.host
  const at = url.hostname.indexOf(APPS)
  if (at > 0) {
    const prefix = url.hostname.slice(0, at)
    const rest = url.hostname.slice(at + APPS.length)
    url.hostname = prefix.includes(".") ? `${prefix}.${rest}` : `${prefix}.live.${rest}`
    url.pathname = "/api"
    url.search = ""
    url.hash = ""
    return { base: url.toString().replace(/\/+$/, ""), rawHost, thirdGeneration: true }
  }
  url.search = ""
  url.hash = ""
  return { base: url.toString().replace(/\/+$/, ""), rawHost, thirdGeneration: false }
}

/** Type guard for a successful parse. */
export const isApiUrl = (value: ApiUrl | ApiUrlProblem): value is ApiUrl => "base" in value

/** Query parameters; arrays become repeated keys (`include=java&include=nodejs`). */
export type Query = Readonly<Record<string, string | number | boolean | ReadonlyArray<string> | undefined>>

/**
 * Joins the base, an endpoint path and query parameters into the request URL.
 * @since 0.1.0
 */
export const endpointUrl = (base: string, path: string, query: Query = {}): string => {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (typeof value === "object") for (const item of value) params.append(key, item)
    else params.append(key, String(value))
  }
  const search = params.toString()
  return `${base}${path.startsWith("/") ? path : `/${path}`}${search === "" ? "" : `?${search}`}`
}
