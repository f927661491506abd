/**
 * Kubernetes name and label syntax (the checks of apimachinery's `util/validation`) that validation rules need:
 * DNS-1035 labels (object and Service names), DNS-1123 subdomains, qualified names (label and annotation keys)
 * and label values. Each check returns the problems found, `[]` when the text is valid, so a rule can quote them.
 *
 * @since 0.1.0
 */

/** Longest DNS-1035 label. @category constants @since 0.1.0 */
export const dns1035LabelMaxLength = 63
const dns1123SubdomainMaxLength = 253
const qualifiedNameMaxLength = 63
const labelValueMaxLength = 63

const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

const tooLong = (max: number) => `must be no more than ${max} characters`

/**
 * A DNS-1035 label: at most 63 lower-case alphanumerics or `-`, starting with a letter, ending alphanumeric.
 * @category checks
 * @since 0.1.0
 */
export const dns1035LabelProblems = (value: string): ReadonlyArray<string> => [
  ...(value.length > dns1035LabelMaxLength ? [tooLong(dns1035LabelMaxLength)] : []),
  ...(dns1035Label.test(value)
    ? []
    : [
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
      ])
]

/** @category checks @since 0.1.0 */
export const isDns1035Label = (value: string): boolean => dns1035LabelProblems(value).length === 0

/**
 * A DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters.
 * @category checks
 * @since 0.1.0
 */
export const dns1123SubdomainProblems = (value: string): ReadonlyArray<string> => [
  ...(value.length > dns1123SubdomainMaxLength ? [tooLong(dns1123SubdomainMaxLength)] : []),
  ...(dns1123Subdomain.test(value)
    ? []
    : [
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
      ])
]

/**
 * A qualified name (label or annotation key): an optional DNS-1123 subdomain prefix and `/`, then a name of at most
 * 63 alphanumerics, `-`, `_` or `.`, starting and ending alphanumeric.
 * @category checks
 * @since 0.1.0
 */
export const qualifiedNameProblems = (value: string): ReadonlyArray<string> => {
  const parts = value.split("/")
  let name: string
  const problems: Array<string> = []
  if (parts.length === 1) {
    name = parts[0]!
  } else if (parts.length === 2) {
    const prefix = parts[0]!
    name = parts[1]!
    if (prefix.length === 0) problems.push("prefix part must be non-empty")
    else problems.push(...dns1123SubdomainProblems(prefix).map((p) => `prefix part ${p}`))
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'"
    ]
  }
  if (name.length === 0) problems.push("name part must be non-empty")
  else if (name.length > qualifiedNameMaxLength) problems.push(`name part ${tooLong(qualifiedNameMaxLength)}`)
  if (name.length > 0 && !qualifiedNamePart.test(name)) {
    problems.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    )
  }
  return problems
}

/** @category checks @since 0.1.0 */
export const isQualifiedName = (value: string): boolean => qualifiedNameProblems(value).length === 0

/**
 * A label value: empty, or at most 63 alphanumerics, `-`, `_` or `.`, starting and ending alphanumeric.
 * @category checks
 * @since 0.1.0
 */
export const labelValueProblems = (value: string): ReadonlyArray<string> => [
  ...(value.length > labelValueMaxLength ? [tooLong(labelValueMaxLength)] : []),
  ...(labelValue.test(value)
    ? []
    : [
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
      ])
]

/** @category checks @since 0.1.0 */
export const isLabelValue = (value: string): boolean => labelValueProblems(value).length === 0
