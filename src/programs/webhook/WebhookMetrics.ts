/**
 * Metrics of the webhook server, exposed on the metrics endpoint (`:8383/metrics`):
 *
 * - `dynatrace_webhook_requests_total{path, code}` — reviews answered, by path and HTTP status;
 * - `dynatrace_webhook_request_duration_seconds{path}` — time from the request's first byte to the answer;
 * - `dynatrace_webhook_injections_total{handler, reason}` — admission outcomes by reason code (`Injected`,
 *   `Updated`, `Unchanged`, `NoMutationNeeded`, `PodOptedOut`, `Timeout`, ...), so skips and failures show up as
 *   clearly as injections.
 *
 * @since 0.1.0
 */
import { Effect, Metric } from "effect"

/** @category metrics @since 0.1.0 */
export const requests = Metric.counter("dynatrace_webhook_requests_total", {
  description: "Admission and conversion requests answered, by path and HTTP status code",
  incremental: true
})

/** @category metrics @since 0.1.0 */
export const duration = Metric.histogram("dynatrace_webhook_request_duration_seconds", {
  description: "Time to answer a webhook request, in seconds",
  boundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
})

/** @category metrics @since 0.1.0 */
export const outcomes = Metric.counter("dynatrace_webhook_injections_total", {
  description: "Admission outcomes by handler and reason code",
  incremental: true
})

// Attributed metrics are built once per label set (the sets are small and bounded: paths, codes, reason codes).
const memo = <M>(make: (key: string) => M) => {
  const cache = new Map<string, M>()
  return (key: string): M => {
    let metric = cache.get(key)
    if (metric === undefined) {
      metric = make(key)
      cache.set(key, metric)
    }
    return metric
  }
}

const outcomeMetric = memo((key) => {
  const [handler = "", reason = ""] = key.split("\u0000")
  return Metric.withAttributes(outcomes, { handler, reason })
})
const requestMetric = memo((key) => {
  const [path = "", code = ""] = key.split("\u0000")
  return Metric.withAttributes(requests, { path, code })
})
const durationMetric = memo((path) => Metric.withAttributes(duration, { path }))

/** Counts one outcome. @category recording @since 0.1.0 */
export const recordOutcome = (handler: string, reason: string): Effect.Effect<void> =>
  Metric.update(outcomeMetric(`${handler}\u0000${reason}`), 1)

/** Records one answered request. @category recording @since 0.1.0 */
export const recordRequest = (path: string, code: number, seconds: number): Effect.Effect<void> =>
  Effect.andThen(Metric.update(requestMetric(`${path}\u0000${code}`), 1), Metric.update(durationMetric(path), seconds))
