/**
 * `metav1.LabelSelector` as the validation webhook needs it: apimachinery's `ValidateLabelSelector` (keys are
 * qualified names, values label values, `In`/`NotIn` need values, `Exists`/`DoesNotExist` take none, nothing else is
 * an operator) and matching with `LabelSelectorAsSelector` semantics (an empty selector selects everything, a
 * selector that does not convert selects nothing).
 *
 * @since 0.1.0
 */
import type { LabelSelector } from "../../../../schemas/Kubernetes.ts"
import { labelValueProblems, qualifiedNameProblems } from "./KubeNames.ts"

type Labels = Readonly<Record<string, string>> | undefined

/**
 * The problems of a selector, each prefixed with the field it concerns (relative to `path`); `[]` when valid.
 * @category validation
 * @since 0.1.0
 */
export const problems = (selector: LabelSelector | undefined, path: string): ReadonlyArray<string> => {
  if (selector === undefined) return []
  const found: Array<string> = []
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    for (const p of qualifiedNameProblems(key)) found.push(`${path}.matchLabels: key "${key}": ${p}`)
    for (const p of labelValueProblems(value)) found.push(`${path}.matchLabels["${key}"]: value "${value}": ${p}`)
  }
  ;(selector.matchExpressions ?? []).forEach((requirement, i) => {
    const at = `${path}.matchExpressions[${i}]`
    const values = requirement.values ?? []
    switch (requirement.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) found.push(`${at}.values: must be specified when operator is In or NotIn`)
        break
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) found.push(`${at}.values: may not be specified when operator is Exists or DoesNotExist`)
        break
      default:
        found.push(`${at}.operator: "${requirement.operator}" is not a valid selector operator`)
    }
    for (const p of qualifiedNameProblems(requirement.key)) found.push(`${at}.key: ${p}`)
    for (const v of values) for (const p of labelValueProblems(v)) found.push(`${at}.values: "${v}": ${p}`)
  })
  return found
}

/**
 * A matcher for a selector, or `undefined` when the selector does not convert (it then selects nothing).
 * @category matching
 * @since 0.1.0
 */
export const compile = (selector: LabelSelector | undefined): ((labels: Labels) => boolean) | undefined => {
  if (selector === undefined) return () => true
  if (problems(selector, "selector").length > 0) return undefined
  return (labels) => {
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels?.[key] !== value) return false
    for (const requirement of selector.matchExpressions ?? []) {
      const value = labels?.[requirement.key]
      const values = requirement.values ?? []
      const ok =
        requirement.operator === "In"
          ? value !== undefined && values.includes(value)
          : requirement.operator === "NotIn"
            ? value === undefined || !values.includes(value)
            : requirement.operator === "Exists"
              ? value !== undefined
              : value === undefined
      if (!ok) return false
    }
    return true
  }
}
