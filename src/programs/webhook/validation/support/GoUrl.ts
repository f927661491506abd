/**
 * URL parsing with the acceptance rules of Go's `net/url.Parse`, which the original's validation rules use for the
 * API URL, the proxy URL, the EdgeConnect `apiServer` and the OAuth endpoint. WHATWG `URL` (what `new URL` does)
 * is stricter in some places (it wants a scheme) and more lenient in others (it repairs hosts), so a rule ported
 * with `new URL` would accept and refuse different objects than the original. Only what the rules read is
 * returned: scheme, userinfo, host, hostname, port and path.
 *
 * Go rules reproduced: control characters anywhere are an error; a leading `:` is a missing scheme; without a
 * scheme, a first path segment with a colon is an error; the authority's userinfo must use the userinfo
 * characters; a port must be digits; `%` escapes must be well formed; a host may only contain the characters Go
 * allows in host names (letters, digits, `-._~!$&'()*+,;=:[]<>"`, and bytes above 0x7f).
 *
 * @since 0.1.0
 */

/** A parsed URL (only the parts the validation rules use). @category models @since 0.1.0 */
export interface GoUrl {
  /** Lower-cased scheme, `""` when there is none. */
  readonly scheme: string
  /** Opaque part of a URL like `mailto:x` (scheme, no `/` after it). */
  readonly opaque: string
  /** userinfo, unescaped; `undefined` when the URL has none. */
  readonly user: { readonly username: string; readonly password: string | undefined } | undefined
  /** `host[:port]`, unescaped. */
  readonly host: string
  /** The path, unescaped. */
  readonly path: string
  readonly rawQuery: string
  readonly fragment: string
}

type Mode = "host" | "path" | "userinfo" | "fragment"

const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c)

/** Go's `shouldEscape` for the modes used by `unescape` (only consulted for ASCII in host mode). */
const hostAllowed = new Set(["!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "[", "]", "<", ">", '"'])
const unreserved = new Set(["-", "_", ".", "~"])

const shouldEscapeInHost = (c: string): boolean => !(isAlnum(c) || hostAllowed.has(c) || unreserved.has(c))

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c)

/** Go's `unescape`: `undefined` on a malformed escape or a character Go refuses in that part. */
const unescape = (s: string, mode: Mode): string | undefined => {
  const bytes: Array<number> = []
  const encoder = new TextEncoder()
  for (let i = 0; i < s.length;) {
    const c = s[i]!
    if (c === "%") {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return undefined
      const value = Number.parseInt(s.slice(i + 1, i + 3), 16)
      // In hosts only non-ASCII bytes (and %25 for zones) may be escaped.
      if (mode === "host" && value < 0x80 && s.slice(i, i + 3) !== "%25") return undefined
      bytes.push(value)
      i += 3
      continue
    }
    if (mode === "host" && c.charCodeAt(0) < 0x80 && shouldEscapeInHost(c)) return undefined
    const code = s.codePointAt(i)!
    const char = String.fromCodePoint(code)
    for (const b of encoder.encode(char)) bytes.push(b)
    i += char.length
  }
  return new TextDecoder().decode(new Uint8Array(bytes))
}

const hasControlCharacter = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

/** Go's `getScheme`: `undefined` for "missing protocol scheme". */
const splitScheme = (raw: string): { readonly scheme: string; readonly rest: string } | undefined => {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (/[A-Za-z]/.test(c)) continue
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: "", rest: raw }
      continue
    }
    if (c === ":") return i === 0 ? undefined : { scheme: raw.slice(0, i), rest: raw.slice(i + 1) }
    return { scheme: "", rest: raw }
  }
  return { scheme: "", rest: raw }
}

/** `""` or `:` followed by digits only. */
const validOptionalPort = (port: string): boolean =>
  port === "" || (port.startsWith(":") && /^\d*$/.test(port.slice(1)))

const validUserinfo = (s: string): boolean => /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s)

const parseHost = (host: string): string | undefined => {
  if (host.startsWith("[")) {
    const end = host.lastIndexOf("]")
    if (end < 0) return undefined
    if (!validOptionalPort(host.slice(end + 1))) return undefined
    // An IP literal: hex digits, colons, dots and an optional %zone.
    if (!/^[0-9A-Fa-f:.]+(%.*)?$/.test(host.slice(1, end))) return undefined
  } else {
    const colon = host.lastIndexOf(":")
    if (colon !== -1 && !validOptionalPort(host.slice(colon))) return undefined
  }
  return unescape(host, "host")
}

const parseAuthority = (authority: string): Pick<GoUrl, "user" | "host"> | undefined => {
  const at = authority.lastIndexOf("@")
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1))
  if (host === undefined) return undefined
  if (at < 0) return { user: undefined, host }
  const userinfo = authority.slice(0, at)
  if (!validUserinfo(userinfo)) return undefined
  const colon = userinfo.indexOf(":")
  const username = unescape(colon < 0 ? userinfo : userinfo.slice(0, colon), "userinfo")
  const password = colon < 0 ? undefined : unescape(userinfo.slice(colon + 1), "userinfo")
  if (username === undefined || (colon >= 0 && password === undefined)) return undefined
  return { user: { username, password }, host }
}

/**
 * Parses like Go's `url.Parse`; `undefined` where Go returns an error.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parse = (raw: string): GoUrl | undefined => {
  const hash = raw.indexOf("#")
  const main = hash < 0 ? raw : raw.slice(0, hash)
  const rawFragment = hash < 0 ? "" : raw.slice(hash + 1)
  if (hasControlCharacter(main)) return undefined
  const fragment = unescape(rawFragment, "fragment")
  if (fragment === undefined) return undefined
  if (main === "*") return { scheme: "", opaque: "", user: undefined, host: "", path: "*", rawQuery: "", fragment }
  const split = splitScheme(main)
  if (split === undefined) return undefined
  const scheme = split.scheme.toLowerCase()
  let rest = split.rest
  let rawQuery = ""
  if (rest.endsWith("?") && rest.split("?").length === 2) {
    rest = rest.slice(0, -1)
  } else {
    const q = rest.indexOf("?")
    if (q >= 0) {
      rawQuery = rest.slice(q + 1)
      rest = rest.slice(0, q)
    }
  }
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { scheme, opaque: rest, user: undefined, host: "", path: "", rawQuery, fragment }
    const slash = rest.indexOf("/")
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(":")) return undefined
  }
  let user: GoUrl["user"] = undefined
  let host = ""
  if ((scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    let authority = rest.slice(2)
    rest = ""
    const slash = authority.indexOf("/")
    if (slash >= 0) {
      rest = authority.slice(slash)
      authority = authority.slice(0, slash)
    }
    const parsed = parseAuthority(authority)
    if (parsed === undefined) return undefined
    user = parsed.user
    host = parsed.host
  }
  const path = unescape(rest, "path")
  if (path === undefined) return undefined
  return { scheme, opaque: "", user, host, path, rawQuery, fragment }
}

/** Go's `splitHostPort` on an (unescaped) host. */
const splitHostPort = (host: string): { readonly hostname: string; readonly port: string } => {
  let hostname = host
  let port = ""
  const colon = host.lastIndexOf(":")
  if (colon !== -1 && validOptionalPort(host.slice(colon))) {
    hostname = host.slice(0, colon)
    port = host.slice(colon + 1)
  }
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1)
  return { hostname, port }
}

/** `URL.Hostname()`: the host without port and brackets. @category accessors @since 0.1.0 */
export const hostname = (url: GoUrl): string => splitHostPort(url.host).hostname

/** `URL.Port()`. @category accessors @since 0.1.0 */
export const port = (url: GoUrl): string => splitHostPort(url.host).port
