/**
 * Status conditions (`metav1.Condition`) through one helper, so every controller follows the same rules:
 * `lastTransitionTime` moves only when `status` changes, `observedGeneration` is stamped on every write, and the
 * order of existing conditions is kept (new ones are appended) so status diffs stay minimal.
 * Reconciles never trust their own old conditions: they recompute them and pass them through `set`.
 */
export type ConditionStatus = "True" | "False" | "Unknown"

/** The wire shape of `metav1.Condition`. */
export interface Condition {
  readonly type: string
  readonly status: ConditionStatus
  readonly reason: string
  readonly message: string
  readonly lastTransitionTime: string
  readonly observedGeneration?: number
}

/** What a reconcile says about one condition; times and generations are filled in by `set`. */
export interface ConditionUpdate {
  readonly type: string
  readonly status: ConditionStatus
  readonly reason: string
  readonly message: string
}

/** RFC 3339 without fractional seconds, as metav1.Time serialises. */
export const formatTime = (millis: number): string =>
  new Date(Math.floor(millis / 1000) * 1000).toISOString().replace(".000Z", "Z")

/** Sets or replaces the condition of `update.type`. */
export const set = (
  conditions: ReadonlyArray<Condition>,
  update: ConditionUpdate,
  options: { readonly now: number; readonly generation?: number | undefined }
): ReadonlyArray<Condition> => {
  const index = conditions.findIndex((c) => c.type === update.type)
  const previous = index === -1 ? undefined : conditions[index]
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime:
      previous !== undefined && previous.status === update.status
        ? previous.lastTransitionTime
        : formatTime(options.now),
    ...(options.generation === undefined ? {} : { observedGeneration: options.generation })
  }
  if (index === -1) return [...conditions, next]
  return conditions.map((c, i) => (i === index ? next : c))
}

/** Removes the condition of `type`, if present. */
export const remove = (conditions: ReadonlyArray<Condition>, type: string): ReadonlyArray<Condition> =>
  conditions.some((c) => c.type === type) ? conditions.filter((c) => c.type !== type) : conditions

/** The condition of `type`, if present. */
export const find = (conditions: ReadonlyArray<Condition> | undefined, type: string): Condition | undefined =>
  conditions?.find((c) => c.type === type)
