/**
 * Communication hosts: the `protocol://host:port` triples behind the endpoint URLs Istio has to let out of the mesh
 * (the API URL, the OneAgent and ActiveGate communication endpoints; spec §2.2.11).
 *
 * - the scheme must be `http` or `https`; a missing port is the scheme's default (80 / 443);
 * - the host is the URL's host name without IPv6 brackets; it is an IP (v4 or v6) or else an FQDN;
 * - a list of endpoints (`;`- or `,`-separated: OneAgent endpoints are joined with `;`, the original's ActiveGate
 *   endpoints with `,`) is de-duplicated and sorted by `protocol://host:port`, so the objects built from it are
 *   the same for the same set of endpoints, whatever order the tenant answered in.
 *
 * A bad endpoint is an `InvalidCommunicationHost` naming it (without any user info a URL might carry).
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"
import { isIP } from "node:net"

/** An endpoint that is not an http(s) URL with a host and a valid port. @category errors @since 0.1.0 */
export class InvalidCommunicationHost extends Schema.TaggedError<InvalidCommunicationHost>()(
  "InvalidCommunicationHost",
  {
    endpoint: Schema.String,
    message: Schema.String
  }
) {}

/** One host the agents or the operator talk to. @category models @since 0.1.0 */
export interface CommunicationHost {
  readonly protocol: "http" | "https"
  readonly host: string
  readonly port: number
}

/** `https://host:443`, the key hosts are de-duplicated and sorted by. @category models @since 0.1.0 */
export const toString = (h: CommunicationHost): string =>
  `${h.protocol}://${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`

/** True for IPv4 and IPv6 addresses (what Istio must match by address, not by name). @since 0.1.0 */
export const isIpAddress = (host: string): boolean => isIP(host) !== 0

/** The endpoint as it may appear in an error: without `user:password@`. */
const describe = (endpoint: string): string => endpoint.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/@]*@/, "$1")

const invalid = (endpoint: string, message: string) =>
  Result.fail(new InvalidCommunicationHost({ endpoint: describe(endpoint), message }))

/** Parses one endpoint URL. @category constructors @since 0.1.0 */
export const parse = (endpoint: string): Result.Result<CommunicationHost, InvalidCommunicationHost> => {
  const text = endpoint.trim()
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(text)) return invalid(endpoint, "no protocol provided")
  if (!URL.canParse(text)) return invalid(endpoint, "not a valid URL")
  const url = new URL(text)
  const scheme = url.protocol.slice(0, -1)
  if (scheme !== "http" && scheme !== "https") return invalid(endpoint, `unknown protocol "${scheme}"`)
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1")
  if (host === "") return invalid(endpoint, "no host")
  // WHATWG URL drops a port equal to the scheme's default and rejects ports above 65535.
  const port = url.port === "" ? (scheme === "https" ? 443 : 80) : Number(url.port)
  if (port === 0) return invalid(endpoint, "port 0")
  return Result.succeed({ protocol: scheme, host, port })
}

/**
 * Parses a list of endpoints (`;`/`,`-separated, blanks ignored): de-duplicated, sorted by `protocol://host:port`.
 * @category constructors @since 0.1.0
 */
export const parseList = (
  endpoints: string | undefined
): Result.Result<ReadonlyArray<CommunicationHost>, InvalidCommunicationHost> => {
  const byKey = new Map<string, CommunicationHost>()
  for (const endpoint of (endpoints ?? "").split(/[;,]/)) {
    if (endpoint.trim() === "") continue
    const parsed = parse(endpoint)
    if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
    byKey.set(toString(parsed.success), parsed.success)
  }
  return Result.succeed(
    [...byKey.entries()].toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, host]) => host)
  )
}

/** Splits hosts into IP hosts and FQDN hosts (a ServiceEntry holds one kind only). @since 0.1.0 */
export const split = (
  hosts: ReadonlyArray<CommunicationHost>
): { readonly ip: ReadonlyArray<CommunicationHost>; readonly fqdn: ReadonlyArray<CommunicationHost> } => ({
  ip: hosts.filter((h) => isIpAddress(h.host)),
  fqdn: hosts.filter((h) => !isIpAddress(h.host))
})
