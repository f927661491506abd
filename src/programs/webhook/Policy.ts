/**
 * Decisions as ordered chains of pure policies (conventions §8): each policy looks at an input and either passes
 * (`Option.none()`) or names a violation with a reason code and a human message. A chain evaluates its policies in
 * order and stops at the first violation, which also carries the rule's id, so the same value can drive the pod
 * annotation, the admission message, the metrics label and an `explain` trace.
 *
 * @since 0.1.0
 */
import { Option } from "effect"

/** Why a policy refused. @category models @since 0.1.0 */
export interface Violation<R extends string = string> {
  readonly reason: R
  readonly message: string
}

/** A pure check. @category models @since 0.1.0 */
export type Policy<I, R extends string = string> = (input: I) => Option.Option<Violation<R>>

/** A named policy in a chain. @category models @since 0.1.0 */
export interface Rule<I, R extends string = string> {
  readonly id: string
  readonly check: Policy<I, R>
}

/** A violation found by a chain, with the rule that found it. @category models @since 0.1.0 */
export interface Finding<R extends string = string> extends Violation<R> {
  readonly rule: string
}

/** A rule from an id and a check. @category constructors @since 0.1.0 */
export const rule = <I, R extends string>(id: string, check: Policy<I, R>): Rule<I, R> => ({ id, check })

/** A violation. @category constructors @since 0.1.0 */
export const violation = <R extends string>(reason: R, message: string): Option.Option<Violation<R>> =>
  Option.some({ reason, message })

/** Passing. @category constructors @since 0.1.0 */
export const pass: Option.Option<never> = Option.none()

/** Runs the rules in order; the first violation wins. @category evaluation @since 0.1.0 */
export const evaluate = <I, R extends string>(
  rules: ReadonlyArray<Rule<I, R>>,
  input: I
): Option.Option<Finding<R>> => {
  for (const r of rules) {
    const result = r.check(input)
    if (Option.isSome(result)) return Option.some({ ...result.value, rule: r.id })
  }
  return Option.none()
}

/**
 * One rule's part in an evaluation: it passed, it found a violation (and so ended the chain), or the chain ended
 * before it.
 * @category models
 * @since 0.1.0
 */
export type Step<R extends string = string> =
  | { readonly rule: string; readonly verdict: "passed" }
  | ({ readonly rule: string; readonly verdict: "violated" } & Violation<R>)
  | { readonly rule: string; readonly verdict: "not-reached" }

/**
 * Every rule's part in order, with the semantics of {@link evaluate}: the rules after the first violation are
 * `not-reached` (they are not run). The explanation behind `explain`.
 * @category evaluation
 * @since 0.1.0
 */
export const trace = <I, R extends string>(rules: ReadonlyArray<Rule<I, R>>, input: I): ReadonlyArray<Step<R>> => {
  let ended = false
  return rules.map((r): Step<R> => {
    if (ended) return { rule: r.id, verdict: "not-reached" }
    const result = r.check(input)
    if (Option.isNone(result)) return { rule: r.id, verdict: "passed" }
    ended = true
    return { rule: r.id, verdict: "violated", ...result.value }
  })
}

/** Every rule of a chain as `not-reached` (a chain that was not run). @category evaluation @since 0.1.0 */
export const notReached = <I, R extends string>(rules: ReadonlyArray<Rule<I, R>>): ReadonlyArray<Step<R>> =>
  rules.map((r) => ({ rule: r.id, verdict: "not-reached" }))
