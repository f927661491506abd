/**
 * `metav1.LabelSelector` matching, with the rules of apimachinery's `LabelSelectorAsSelector`.
 *
 * - `matchLabels` entries are equality requirements; `matchExpressions` support `In`, `NotIn`, `Exists` and
 *   `DoesNotExist` (case-sensitive operator names). All requirements must hold.
 * - `NotIn` and `DoesNotExist` hold for objects that lack the label; `In` and `Exists` need it.
 * - An empty selector (no labels, no expressions) matches everything; an absent one is handled by the caller
 *   (the DynaKube's selectors default to "everything", spec §1.2).
 * - A selector the apiserver's conversion would reject (unknown operator, `In`/`NotIn` without values,
 *   `Exists`/`DoesNotExist` with values, an invalid label key or value) compiles to `Invalid`: it matches nothing,
 *   as the original's `compileSelectors` drops selectors that fail to convert.
 *
 * Written here rather than taken from npm: no maintained package implements metav1 selector matching on its own
 * (the Kubernetes client libraries send selectors to the apiserver as strings and never evaluate them locally).
 *
 * @since 0.1.0
 */
import type { LabelSelector as LabelSelectorSchema } from "../../../../schemas/Kubernetes.ts"

/** The selector as stored in the DynaKube. @category models @since 0.1.0 */
export type LabelSelector = LabelSelectorSchema

/** Labels of an object. @category models @since 0.1.0 */
export type Labels = Readonly<Record<string, string>>

/** One compiled requirement. @category models @since 0.1.0 */
export type Requirement =
  | { readonly op: "In"; readonly key: string; readonly values: ReadonlySet<string> }
  | { readonly op: "NotIn"; readonly key: string; readonly values: ReadonlySet<string> }
  | { readonly op: "Exists"; readonly key: string }
  | { readonly op: "DoesNotExist"; readonly key: string }

/** A compiled selector. @category models @since 0.1.0 */
export type Compiled =
  | { readonly _tag: "Valid"; readonly requirements: ReadonlyArray<Requirement> }
  | { readonly _tag: "Invalid"; readonly message: string }

/** Matches every object. @category constructors @since 0.1.0 */
export const everything: Compiled = { _tag: "Valid", requirements: [] }

const nameRegex = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const dnsSubdomainRegex = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Why `key` is not a valid label key (qualified name), or undefined when it is. @category validation @since 0.1.0 */
export const labelKeyProblem = (key: string): string | undefined => {
  const slash = key.lastIndexOf("/")
  const prefix = slash === -1 ? undefined : key.slice(0, slash)
  const name = slash === -1 ? key : key.slice(slash + 1)
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !dnsSubdomainRegex.test(prefix))) {
    return `invalid label key "${key}": the prefix must be a DNS subdomain`
  }
  if (name.length === 0 || name.length > 63 || !nameRegex.test(name)) {
    return `invalid label key "${key}": the name must be 63 characters or less, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character`
  }
  return undefined
}

/** Why `value` is not a valid label value, or undefined when it is. @category validation @since 0.1.0 */
export const labelValueProblem = (value: string): string | undefined =>
  value === "" || (value.length <= 63 && nameRegex.test(value))
    ? undefined
    : `invalid label value "${value}": must be 63 characters or less, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character`

const invalid = (message: string): Compiled => ({ _tag: "Invalid", message })

/** Compiles a selector once, so matching many namespaces does not re-validate it. @category constructors @since 0.1.0 */
export const compile = (selector: LabelSelector): Compiled => {
  const requirements: Array<Requirement> = []
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}).toSorted(([a], [b]) => (a < b ? -1 : 1))) {
    const problem = labelKeyProblem(key) ?? labelValueProblem(value)
    if (problem !== undefined) return invalid(problem)
    requirements.push({ op: "In", key, values: new Set([value]) })
  }
  for (const expression of selector.matchExpressions ?? []) {
    const keyProblem = labelKeyProblem(expression.key)
    if (keyProblem !== undefined) return invalid(keyProblem)
    const values = expression.values ?? []
    switch (expression.operator) {
      case "In":
      case "NotIn": {
        if (values.length === 0) {
          return invalid(`${expression.operator} on "${expression.key}" needs at least one value`)
        }
        for (const value of values) {
          const problem = labelValueProblem(value)
          if (problem !== undefined) return invalid(problem)
        }
        requirements.push({ op: expression.operator, key: expression.key, values: new Set(values) })
        break
      }
      case "Exists":
      case "DoesNotExist": {
        if (values.length > 0) {
          return invalid(`${expression.operator} on "${expression.key}" must not have values`)
        }
        requirements.push({ op: expression.operator, key: expression.key })
        break
      }
      default:
        return invalid(`"${expression.operator}" is not a valid label selector operator`)
    }
  }
  return { _tag: "Valid", requirements }
}

const holds = (requirement: Requirement, labels: Labels): boolean => {
  const present = Object.hasOwn(labels, requirement.key)
  switch (requirement.op) {
    case "In":
      return present && requirement.values.has(labels[requirement.key]!)
    case "NotIn":
      return !present || !requirement.values.has(labels[requirement.key]!)
    case "Exists":
      return present
    case "DoesNotExist":
      return !present
  }
}

/** True when every requirement holds for `labels`; an invalid selector matches nothing. @category matching @since 0.1.0 */
export const matches = (compiled: Compiled, labels: Labels | undefined): boolean =>
  compiled._tag === "Valid" && compiled.requirements.every((r) => holds(r, labels ?? {}))

/** Compiles and matches in one go (for one-off checks). @category matching @since 0.1.0 */
export const selectorMatches = (selector: LabelSelector, labels: Labels | undefined): boolean =>
  matches(compile(selector), labels)
