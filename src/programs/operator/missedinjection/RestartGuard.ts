/**
 * The guards in front of a workload restart (docs/missed-injection.md), pure over timestamps:
 *
 * - a global rate limit: at most one restart per `minInterval` (10 s), so a cluster full of missed pods is
 *   rolled one workload at a time;
 * - never a workload restarted within `cooldown` (1 hour, read from its own `kubectl.kubernetes.io/restartedAt`
 *   template annotation, so it holds across operator restarts and also counts a `kubectl rollout restart`): if its
 *   pods still miss injection, the restart did not help (the webhook is likely down), and restarting again would
 *   only loop.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"

/** The template annotation `kubectl rollout restart` sets. @category constants */
export const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

/** At most one restart per this interval, across all workloads. @category constants */
export const minInterval = Duration.seconds(10)

/** No second restart of a workload within this time. @category constants */
export const cooldown = Duration.hours(1)

/** The verdict for one restart. @category models */
export type Verdict =
  | { readonly _tag: "Restart" }
  | { readonly _tag: "RateLimited"; readonly retryAfter: Duration.Duration }
  | { readonly _tag: "RecentlyRestarted"; readonly restartedAt: number }

/** What the guard looks at. @category models */
export interface GuardInput {
  readonly now: number
  /** When this process last restarted any workload. */
  readonly lastRestart: number | undefined
  /** The workload template's `restartedAt` annotation, as written. */
  readonly restartedAt: string | undefined
}

/** An RFC 3339 time in milliseconds; `undefined` when absent or not a time. @category parsing */
export const parseTime = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined
  const millis = Date.parse(text)
  return Number.isNaN(millis) ? undefined : millis
}

/** RFC 3339 in seconds precision, as kubectl writes it (`2026-11-24T22:10:58Z`). @category formatting */
export const formatTime = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

/** Decides whether a workload may be restarted now. The cooldown is checked first: it never clears by waiting 10 s. @category evaluation */
export const check = (input: GuardInput): Verdict => {
  const restartedAt = parseTime(input.restartedAt)
  // A time in the future (clock skew) counts as recent: better one report too many than a restart loop.
  if (restartedAt !== undefined && input.now - restartedAt < Duration.toMillis(cooldown)) {
    return { _tag: "RecentlyRestarted", restartedAt }
  }
  const sinceLast = input.lastRestart === undefined ? Infinity : input.now - input.lastRestart
  const interval = Duration.toMillis(minInterval)
  if (sinceLast < interval) {
    return { _tag: "RateLimited", retryAfter: Duration.millis(Math.max(1, interval - Math.max(0, sinceLast))) }
  }
  return { _tag: "Restart" }
}

/** The merge patch `kubectl rollout restart` sends. @category constructors */
export const restartPatch = (now: number) => ({
  spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: formatTime(now) } } } }
})
