/**
 * What one troubleshoot check says: its id, what it is about (the cluster, the webhook, or one DynaKube), a status
 * and a one-line message. Checks are pure functions from gathered facts (`Facts.ts`) to results; gathering is
 * separate (`Gather.ts`), so every check is unit-tested with hand-made facts.
 *
 * Statuses:
 * - `pass`: the thing works as far as the check can see;
 * - `warn`: it works, but something looks off (an optional scope missing, an optional CRD absent, a cert close to
 *   its renewal);
 * - `fail`: it is broken; troubleshoot exits non-zero;
 * - `skip`: the check could not run because something it depends on failed (the message says what).
 *
 * A fact that could not be read is a `Lookup`: `Found`, `NotFound`, or `Failed` with the reason (e.g. Forbidden),
 * so a check can tell "absent" from "could not look".
 *
 * @since 0.1.0
 */

/** @category models @since 0.1.0 */
export type Status = "pass" | "warn" | "fail" | "skip"

/** One result. @category models @since 0.1.0 */
export interface CheckResult {
  /** Stable, kebab-case (`token-scopes`); with `subject` it identifies the result. */
  readonly id: string
  /** `cluster`, `webhook` or `dynakube <namespace>/<name>`. */
  readonly subject: string
  readonly status: Status
  /** One sentence, never a secret value. */
  readonly message: string
}

/** A check's verdict before the subject is attached. @category models @since 0.1.0 */
export interface Verdict {
  readonly id: string
  readonly status: Status
  readonly message: string
}

/** @category constructors @since 0.1.0 */
export const pass = (id: string, message: string): Verdict => ({ id, status: "pass", message })
/** @category constructors @since 0.1.0 */
export const warn = (id: string, message: string): Verdict => ({ id, status: "warn", message })
/** @category constructors @since 0.1.0 */
export const fail = (id: string, message: string): Verdict => ({ id, status: "fail", message })
/** @category constructors @since 0.1.0 */
export const skip = (id: string, message: string): Verdict => ({ id, status: "skip", message })

/** Attaches the subject to verdicts. @category constructors @since 0.1.0 */
export const about = (subject: string, verdicts: ReadonlyArray<Verdict>): ReadonlyArray<CheckResult> =>
  verdicts.map((v) => ({ subject, ...v }))

/** The subject of one DynaKube. @category constructors @since 0.1.0 */
export const dynakubeSubject = (namespace: string, name: string): string => `dynakube ${namespace}/${name}`

// ---------------------------------------------------------------------------------------------------------------------
// Lookups

/** A fact read from somewhere that may be absent or unreadable. @category models @since 0.1.0 */
export type Lookup<A> =
  | { readonly _tag: "Found"; readonly value: A }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Failed"; readonly reason: string }

/** @category constructors @since 0.1.0 */
export const found = <A>(value: A): Lookup<A> => ({ _tag: "Found", value })
/** @category constructors @since 0.1.0 */
export const notFound: Lookup<never> = { _tag: "NotFound" }
/** @category constructors @since 0.1.0 */
export const failed = (reason: string): Lookup<never> => ({ _tag: "Failed", reason })

/** Maps the found value. @category combinators @since 0.1.0 */
export const mapLookup = <A, B>(lookup: Lookup<A>, f: (a: A) => B): Lookup<B> =>
  lookup._tag === "Found" ? found(f(lookup.value)) : lookup

/** The found value or `undefined`. @category accessors @since 0.1.0 */
export const valueOf = <A>(lookup: Lookup<A>): A | undefined => (lookup._tag === "Found" ? lookup.value : undefined)

// ---------------------------------------------------------------------------------------------------------------------
// Summary

/** Counts by status. @category models @since 0.1.0 */
export interface Summary {
  readonly passed: number
  readonly warnings: number
  readonly failed: number
  readonly skipped: number
}

/** @category accessors @since 0.1.0 */
export const summarize = (results: ReadonlyArray<CheckResult>): Summary => ({
  passed: results.filter((r) => r.status === "pass").length,
  warnings: results.filter((r) => r.status === "warn").length,
  failed: results.filter((r) => r.status === "fail").length,
  skipped: results.filter((r) => r.status === "skip").length
})

/** True when no check failed. @category predicates @since 0.1.0 */
export const isHealthy = (results: ReadonlyArray<CheckResult>): boolean => results.every((r) => r.status !== "fail")
