/**
 * Label selector matching (`metav1.LabelSelector`), as the namespace selectors of a DynaKube are evaluated
 * (spec §2.2.9, §3.2): `matchLabels` and `matchExpressions` must all hold. An absent or empty selector selects
 * everything (the CRD field is a value, not a pointer). A selector Kubernetes would refuse (unknown operator,
 * `In`/`NotIn` without values, values with `Exists`/`DoesNotExist`) selects nothing.
 *
 * @since 0.1.0
 */
import type { LabelSelector } from "../../schemas/Kubernetes.ts"

type Labels = Readonly<Record<string, string>> | undefined

/** Whether the selector is well-formed. @category predicates @since 0.1.0 */
export const isValid = (selector: LabelSelector | undefined): boolean =>
  (selector?.matchExpressions ?? []).every((r) => {
    switch (r.operator) {
      case "In":
      case "NotIn":
        return (r.values ?? []).length > 0
      case "Exists":
      case "DoesNotExist":
        return (r.values ?? []).length === 0
      default:
        return false
    }
  })

/** Whether `labels` satisfy `selector`. @category predicates @since 0.1.0 */
export const matches = (selector: LabelSelector | undefined, labels: Labels): boolean => {
  if (selector === undefined) return true
  if (!isValid(selector)) return false
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels?.[key] !== value) return false
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const value = labels?.[requirement.key]
    const values = requirement.values ?? []
    switch (requirement.operator) {
      case "In":
        if (value === undefined || !values.includes(value)) return false
        break
      case "NotIn":
        if (value !== undefined && values.includes(value)) return false
        break
      case "Exists":
        if (value === undefined) return false
        break
      case "DoesNotExist":
        if (value !== undefined) return false
        break
    }
  }
  return true
}
