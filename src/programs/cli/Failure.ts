/**
 * How a failed program ends: one clear log line and exit code 1, never a stack trace. Bad input (an unreadable
 * kubeconfig, an unreachable apiserver, a malformed flag) is the common case here, and the person reading the
 * log needs the sentence that says what is wrong, not the fibers that carried it.
 *
 * An interruption (SIGTERM/SIGINT, e.g. a pod being stopped) is a clean shutdown: finalizers ran, exit code 0.
 */
import { Cause, Effect, Exit, Predicate } from "effect"
import { CliError } from "effect/cli"
import { defaultTeardown, type Teardown } from "effect/Runtime"

/** The one-line reason of a failure: the typed error's message, or the defect's. */
export const describe = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (Predicate.isError(error)) return error.message.length > 0 ? error.message : error.name
  if (Predicate.hasProperty(error, "message") && Predicate.isString(error.message)) return error.message
  if (Predicate.isString(error)) return error
  return Cause.pretty(cause).split("\n")[0] ?? "unknown failure"
}

/**
 * Logs the failure of `self` as one line and fails with the same cause. Interruptions are not failures, and the
 * CLI's own parse errors are already shown to the user together with the command's help.
 */
export const reportFailure = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapCause(self, (cause) =>
    Cause.hasInterruptsOnly(cause) || CliError.isCliError(Cause.squash(cause))
      ? Effect.void
      : Effect.logError("Command failed.").pipe(Effect.annotateLogs({ error: describe(cause) }))
  )

/** Exit codes as Effect's default (1 on failure, 0 for `--help`), except that an interruption exits with 0. */
export const teardown: Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : defaultTeardown(exit, onExit)
