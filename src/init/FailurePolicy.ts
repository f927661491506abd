/**
 * The init container's failure policy (spec §3.3, §4.2 step 4): the webhook passes `--suppress-error` unless the
 * pod's `oneagent.dynatrace.com/failure-policy` (default: feature flag `injection-failure-policy`) is `fail`.
 *
 * - **silent** (`--suppress-error`): any failure, typed or not, is logged as one line saying why and the program
 *   succeeds (exit 0), so the application starts without monitoring rather than not at all.
 * - **fail**: the failure propagates; the CLI logs it as one line and exits 1, so the pod does not start and the
 *   problem is visible (`Init:Error`).
 *
 * An interruption (SIGTERM while the pod is deleted) is neither: it stays an interruption.
 *
 * @since 0.1.0
 */
import { Cause, Effect } from "effect"
import * as Failure from "../programs/cli/Failure.ts"

/**
 * @category models
 * @since 0.1.0
 */
export type FailurePolicy = "silent" | "fail"

/**
 * @category constructors
 * @since 0.1.0
 */
export const fromSuppressError = (suppressError: boolean): FailurePolicy => (suppressError ? "silent" : "fail")

/**
 * What a run under the policy ended with.
 *
 * @category models
 * @since 0.1.0
 */
export type Outcome<A> =
  | { readonly _tag: "Completed"; readonly value: A }
  | { readonly _tag: "Suppressed"; readonly reason: string }

/**
 * The log message of a suppressed failure.
 *
 * @category constants
 * @since 0.1.0
 */
export const suppressedMessage = "Bootstrap failed; the pod starts without monitoring (failure policy silent)."

/**
 * Runs `self` under `policy`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const apply =
  (policy: FailurePolicy) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<Outcome<A>, E, R> => {
    const completed = Effect.map(self, (value): Outcome<A> => ({ _tag: "Completed", value }))
    if (policy === "fail") return completed
    return Effect.catchCause(completed, (cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const reason = Failure.describe(cause)
      return Effect.logError(suppressedMessage).pipe(
        Effect.annotateLogs({ reason }),
        Effect.as<Outcome<A>>({ _tag: "Suppressed", reason })
      )
    })
  }
