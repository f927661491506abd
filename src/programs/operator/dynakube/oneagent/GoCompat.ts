/**
 * The few Go standard-library behaviours the workload builders must reproduce to produce the same objects as the
 * original: `strconv.Atoi` (feature flags; `ParseBool` is in schemas/FeatureFlags.ts), byte-order string sorting (`slices.Sorted` over
 * map keys, which decides the order of args, env and attributes), FNV-1 32-bit hashes (`hash/fnv.New32`, used by
 * the ActiveGate configuration and PVC hashes), `net.ParseIP`-style IPv6 detection and command-line sanitising.
 *
 * @since 0.1.0
 */
import { isIPv4, isIPv6 } from "node:net"

/**
 * Go's `strconv.Atoi` on a 64-bit platform: optional sign, decimal digits only; `undefined` otherwise or when the
 * value does not fit a safe JavaScript integer (Go would accept up to 2^63, no flag needs that).
 * @category parsing
 * @since 0.1.0
 */
export const atoi = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^[+-]?[0-9]+$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}

/**
 * Orders strings by their UTF-8 bytes, as Go's `<` on strings does (JavaScript's default sort compares UTF-16
 * code units, which differs for characters beyond the Basic Multilingual Plane).
 * @category ordering
 * @since 0.1.0
 */
export const compareBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/**
 * The keys of a map in Go byte order.
 * @category ordering
 * @since 0.1.0
 */
export const sortedKeys = (map: Readonly<Record<string, unknown>> | undefined): Array<string> =>
  Object.keys(map ?? {}).toSorted(compareBytes)

/**
 * FNV-1 (not 1a) 32-bit hash of the UTF-8 bytes of `text` as an unsigned decimal string (`hash/fnv.New32`).
 * @category hashing
 * @since 0.1.0
 */
export const fnv1Hash32 = (text: string | Uint8Array): string => {
  const bytes = typeof text === "string" ? Buffer.from(text) : text
  let hash = 0x811c9dc5
  for (const byte of bytes) {
    hash = Math.imul(hash, 0x01000193)
    hash ^= byte
  }
  return String(hash >>> 0)
}

const ipv4MappedIpv6 = /^\[::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}\]$/

/**
 * Whether `ip` is an IPv6 address as Go's `net.IsIPv6String` sees it: parseable (no zone), and not an IPv4 or
 * IPv4-mapped address.
 * @category network
 * @since 0.1.0
 */
export const isIPv6Address = (ip: string): boolean => {
  if (isIPv4(ip) || !isIPv6(ip) || ip.includes("%")) return false
  // The WHATWG URL parser canonicalises IPv6 (also an embedded dotted IPv4 part) without throwing for valid input.
  const canonical = new URL(`http://[${ip}]/`).hostname
  return !ipv4MappedIpv6.test(canonical)
}

const invalidCommandLineChars = /[\n\t\r\0]/g

/**
 * Removes newline, tab, carriage-return and NUL characters, as the original does with every command-line argument
 * it builds (they would break the agent's argument parsing).
 * @category sanitising
 * @since 0.1.0
 */
export const sanitizeArg = (arg: string): string => arg.replace(invalidCommandLineChars, "")

/**
 * Cuts a label value to the 63 characters Kubernetes allows (`validation.DNS1035LabelMaxLength`).
 * @category labels
 * @since 0.1.0
 */
export const truncateLabelValue = (value: string): string => (value.length > 63 ? value.slice(0, 63) : value)
