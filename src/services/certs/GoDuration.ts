/**
 * Go's duration syntax (`time.ParseDuration` / `Duration.String`), as the original operator reads its duration env
 * vars (`DT_WEBHOOK_CERTS_*`, …): a sequence of decimal numbers, each with an optional fraction and a unit
 * (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), optionally signed, e.g. `"8760h"`, `"1h30m"`, `"1.5h"`, `"300ms"`; a bare `"0"`
 * is allowed. There is no day unit, as in Go. Values are exact nanoseconds and must fit Go's int64.
 *
 * @since 0.1.0
 */
import { Duration, Option } from "effect"

const unitNanos: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n
}

const maxInt64 = 9_223_372_036_854_775_807n

// One "<number><unit>" segment; the number needs a digit before or after the dot.
const segment = /^(\d*)(?:\.(\d*))?([^\d.]+)/

/**
 * Parses Go duration syntax into signed nanoseconds; `None` when the text is not a Go duration (or overflows int64).
 * @category parsing
 * @since 0.1.0
 */
export const parseNanos = (text: string): Option.Option<bigint> => {
  let rest = text
  let negative = false
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-")
    rest = rest.slice(1)
  }
  if (rest === "0") return Option.some(0n)
  if (rest === "") return Option.none()
  let total = 0n
  while (rest !== "") {
    const match = segment.exec(rest)
    if (match === null) return Option.none()
    const whole = match[1] ?? ""
    const fraction = match[2] ?? ""
    const unit = unitNanos[match[3] ?? ""]
    if ((whole === "" && fraction === "") || unit === undefined) return Option.none()
    const wholePart = whole === "" ? 0n : BigInt(whole) * unit
    // Like Go, the fraction is scaled to the unit and truncated.
    const fractionPart = fraction === "" ? 0n : (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length)
    total += wholePart + fractionPart
    if (total > maxInt64 + (negative ? 1n : 0n)) return Option.none()
    rest = rest.slice(match[0].length)
  }
  return Option.some(negative ? -total : total)
}

/**
 * Parses Go duration syntax into an Effect `Duration`; `None` when the text is not a Go duration.
 * @category parsing
 * @since 0.1.0
 */
export const parse = (text: string): Option.Option<Duration.Duration> =>
  Option.map(parseNanos(text.trim()), (nanos) =>
    // Whole milliseconds become a millis Duration (how Effect builds most durations); the rest stays exact.
    nanos % 1_000_000n === 0n ? Duration.millis(Number(nanos / 1_000_000n)) : Duration.nanos(nanos)
  )

const trimFraction = (value: bigint, scale: bigint, digits: number): string => {
  const whole = value / scale
  const fraction = (value % scale).toString().padStart(digits, "0").replace(/0+$/, "")
  return fraction === "" ? `${whole}` : `${whole}.${fraction}`
}

/**
 * Formats like Go's `Duration.String`: `"72h0m0s"`, `"1h30m0s"`, `"1.5s"`, `"300ms"`, `"0s"`.
 * @category formatting
 * @since 0.1.0
 */
export const format = (duration: Duration.Duration): string => {
  const nanos = Duration.toNanosUnsafe(duration)
  const sign = nanos < 0n ? "-" : ""
  const n = nanos < 0n ? -nanos : nanos
  if (n === 0n) return "0s"
  if (n < 1_000n) return `${sign}${n}ns`
  if (n < 1_000_000n) return `${sign}${trimFraction(n, 1_000n, 3)}µs`
  if (n < 1_000_000_000n) return `${sign}${trimFraction(n, 1_000_000n, 6)}ms`
  const hours = n / 3_600_000_000_000n
  const minutes = (n / 60_000_000_000n) % 60n
  const seconds = trimFraction(n % 60_000_000_000n, 1_000_000_000n, 9)
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`
  return `${sign}${seconds}s`
}
