/**
 * Metrics of the validation webhook (on the webhook's metrics endpoint):
 *
 * - `dynatrace_operator_webhook_validation_reviews_total{kind, result}`: one per review, `result` =
 *   `allowed` | `denied` | `invalid` (not a readable object) | `timeout` | `error` (an internal defect).
 * - `dynatrace_operator_webhook_validation_denials_total{kind, rule}`: one per error finding, by rule id.
 * - `dynatrace_operator_webhook_validation_warnings_total{kind, rule}`: one per warning, by rule id.
 *
 * Labels are bounded: kinds and rule ids are constants, never object names.
 *
 * @since 0.1.0
 */
import { Effect, Metric } from "effect"
import type { Finding } from "./Finding.ts"

/** @category metrics @since 0.1.0 */
export const reviews = Metric.counter("dynatrace_operator_webhook_validation_reviews_total", {
  description: "Validation reviews answered, by kind and result"
})

/** @category metrics @since 0.1.0 */
export const denials = Metric.counter("dynatrace_operator_webhook_validation_denials_total", {
  description: "Validation errors that denied a request, by kind and rule"
})

/** @category metrics @since 0.1.0 */
export const warnings = Metric.counter("dynatrace_operator_webhook_validation_warnings_total", {
  description: "Validation warnings returned, by kind and rule"
})

/** @category models @since 0.1.0 */
export type ReviewResult = "allowed" | "denied" | "invalid" | "timeout" | "error"

/** Counts one review and its findings. @category recording @since 0.1.0 */
export const record = (kind: string, result: ReviewResult, findings: ReadonlyArray<Finding>): Effect.Effect<void> =>
  Effect.gen(function* () {
    yield* Metric.update(Metric.withAttributes(reviews, { kind, result }), 1)
    for (const f of findings) {
      yield* Metric.update(Metric.withAttributes(f._tag === "Error" ? denials : warnings, { kind, rule: f.rule }), 1)
    }
  })
