/**
 * What a validation rule says about an object: nothing, an `Error` (the request is denied) or a `Warning` (the
 * request is admitted and the apiserver shows the text to the user, e.g. `kubectl` prints `Warning: …`).
 *
 * A `Validator<C>` is one rule: `(ctx) => Effect<ReadonlyArray<Finding>>`, never failing. Rules are built with
 * {@link error} / {@link warning} from a check that returns the message (or `undefined` when the object passes);
 * checks that read the cluster return an Effect. Every finding carries the rule's id, which is also the metrics
 * label. {@link runAll} runs an ordered list and keeps the order, so the numbered denial message lists errors in
 * the order the original does.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"

/** @category models @since 0.1.0 */
export type Severity = "Error" | "Warning"

/** One verdict of one rule. @category models @since 0.1.0 */
export interface Finding {
  readonly _tag: Severity
  /** The rule's id (camelCase, stable: used as a metrics label). */
  readonly rule: string
  readonly message: string
}

/**
 * A rule: a function from context to findings, which also names itself (`rule`) and says what its findings are
 * (`severity`).
 * @category models
 * @since 0.1.0
 */
export interface Validator<C> {
  (ctx: C): Effect.Effect<ReadonlyArray<Finding>>
  readonly rule: string
  readonly severity: Severity
}

/** What a check returns: a message, several, or nothing. */
type Verdict = string | ReadonlyArray<string> | undefined

const findings = (severity: Severity, rule: string, verdict: Verdict): ReadonlyArray<Finding> => {
  if (verdict === undefined || verdict === "") return []
  const messages = typeof verdict === "string" ? [verdict] : verdict
  return messages.filter((m) => m !== "").map((message) => ({ _tag: severity, rule, message }))
}

const make =
  (severity: Severity) =>
  <C>(rule: string, check: (ctx: C) => Verdict | Effect.Effect<Verdict>): Validator<C> =>
    Object.assign(
      (ctx: C) =>
        Effect.suspend(() => {
          const verdict = check(ctx)
          return Effect.isEffect(verdict)
            ? Effect.map(verdict, (v) => findings(severity, rule, v))
            : Effect.succeed(findings(severity, rule, verdict))
        }),
      { rule, severity }
    )

/** A rule whose findings deny the request. @category constructors @since 0.1.0 */
export const error = make("Error")

/** A rule whose findings are admission warnings. @category constructors @since 0.1.0 */
export const warning = make("Warning")

/** Runs rules one after the other and concatenates their findings in order. @category running @since 0.1.0 */
export const runAll = <C>(validators: ReadonlyArray<Validator<C>>, ctx: C): Effect.Effect<ReadonlyArray<Finding>> =>
  Effect.map(
    Effect.forEach(validators, (v) => v(ctx)),
    (all) => all.flat()
  )

/** @category predicates @since 0.1.0 */
export const isError = (f: Finding): boolean => f._tag === "Error"

/**
 * The denial message of the original: a leading newline, `<N> error(s) found in the <Kind>`, then one numbered
 * line per error.
 * @category formatting
 * @since 0.1.0
 */
export const summarize = (errors: ReadonlyArray<Finding>, kind: string): string =>
  `\n${errors.length} error(s) found in the ${kind}` + errors.map((e, i) => `\n ${i + 1}. ${e.message}`).join("")
