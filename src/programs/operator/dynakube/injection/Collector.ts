/**
 * What one run of the injection phase collects: condition updates in the order they happened, condition types to
 * remove, and the errors it carried on past.
 *
 * @since 0.1.0
 */
import type { ConditionUpdate } from "../../runtime/Conditions.ts"
import type { InjectionError } from "./InjectionError.ts"

/** @category models @since 0.1.0 */
export interface Collector {
  readonly errors: Array<InjectionError>
  readonly conditions: Array<ConditionUpdate>
  readonly remove: Set<string>
}

/** @category constructors @since 0.1.0 */
export const make = (): Collector => ({ errors: [], conditions: [], remove: new Set() })

/** Records a condition update (and forgets an earlier removal of its type). @category recording @since 0.1.0 */
export const setCondition = (c: Collector, update: ConditionUpdate): void => {
  c.remove.delete(update.type)
  c.conditions.push(update)
}

/** Records that a condition type is to be removed. @category recording @since 0.1.0 */
export const removeCondition = (c: Collector, type: string): void => {
  c.remove.add(type)
}
