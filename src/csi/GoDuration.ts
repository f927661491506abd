/**
 * Go's duration syntax (`time.ParseDuration`), as the original writes it into CSI volume attributes and feature
 * flags: `retryTimeout: 10m0s`, `1h30m`, `1.5h`, `300ms`, `0`. Units: ns, us (or µs/μs), ms, s, m, h; a sign is
 * allowed; every number needs a unit except a bare `0`.
 *
 * @since 0.1.0
 */
import { Duration, Option } from "effect"

const unitMillis: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000
}

const term = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/**
 * Parses a Go duration; `None` when the text is not one. Negative durations parse (Go allows them); callers that
 * need a positive timeout check the sign.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parse = (text: string): Option.Option<Duration.Duration> => {
  let rest = text
  let sign = 1
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1
    rest = rest.slice(1)
  }
  if (rest === "0") return Option.some(Duration.zero)
  if (rest === "") return Option.none()
  let millis = 0
  term.lastIndex = 0
  while (term.lastIndex < rest.length) {
    const at = term.lastIndex
    const match = term.exec(rest)
    if (match === null || match.index !== at) return Option.none()
    millis += Number(match[1]) * unitMillis[match[2]!]!
  }
  return Number.isFinite(millis) ? Option.some(Duration.millis(sign * millis)) : Option.none()
}

/**
 * Formats a duration the way Go prints it (`10m0s`, `1h0m0s`, `1.5s`, `300ms`), for log lines and messages.
 *
 * @category formatting
 * @since 0.1.0
 */
export const format = (duration: Duration.Duration): string => {
  const total = Duration.toMillis(duration)
  if (total === 0) return "0s"
  const sign = total < 0 ? "-" : ""
  const ms = Math.abs(total)
  if (ms < 1000) return `${sign}${trim(ms)}ms`
  const hours = Math.floor(ms / 3_600_000)
  const minutes = Math.floor((ms % 3_600_000) / 60_000)
  const seconds = (ms % 60_000) / 1000
  const secondsText = `${trim(seconds)}s`
  if (hours > 0) return `${sign}${hours}h${minutes}m${secondsText}`
  if (minutes > 0) return `${sign}${minutes}m${secondsText}`
  return `${sign}${secondsText}`
}

const trim = (n: number): string => String(Number(n.toFixed(3)))
