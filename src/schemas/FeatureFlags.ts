/**
 * DynaKube feature flags (annotations `feature.dynatrace.com/*`, spec §1.4): the wire-level parsing every component
 * shares, so the operator, the webhook and the validator read a flag the same way. Each component keeps its own small
 * reader for the flags it uses, built on these.
 *
 * Parsing follows the original (Go): booleans with `strconv.ParseBool` (an unparsable value means the default);
 * `ignored-namespaces` with `json.Unmarshal` into `[]string` (empty text or invalid JSON means the defaults, JSON
 * `null` means none).
 *
 * @since 0.1.0
 */

/** Prefix of every feature flag annotation. */
export const prefix = "feature.dynatrace.com/"

/** Annotations of a DynaKube (absent = none). */
export type Annotations = Readonly<Record<string, string>> | undefined

/** Go's `strconv.ParseBool`; `undefined` when the text is none of its spellings. */
export const parseBool = (text: string | undefined): boolean | undefined => {
  switch (text) {
    case "1":
    case "t":
    case "T":
    case "TRUE":
    case "true":
    case "True":
      return true
    case "0":
    case "f":
    case "F":
    case "FALSE":
    case "false":
    case "False":
      return false
    default:
      return undefined
  }
}

/** A boolean annotation (full key), or `fallback` when absent or unparsable. */
export const bool = (annotations: Annotations, key: string, fallback: boolean): boolean =>
  parseBool(annotations?.[key]) ?? fallback

/** The `ignored-namespaces` annotation key. */
export const ignoredNamespacesKey = `${prefix}ignored-namespaces`

/** The namespaces a DynaKube never maps by default. */
export const defaultIgnoredNamespaces = (operatorNamespace: string): ReadonlyArray<string> => [
  `^${operatorNamespace}$`,
  "^kube-.*",
  "^openshift(-.*)?",
  "^gke-.*",
  "^gmp-.*"
]

/** The `ignored-namespaces` patterns in effect for a DynaKube. */
export const ignoredNamespacePatterns = (
  annotations: Annotations,
  operatorNamespace: string
): ReadonlyArray<string> => {
  const text = annotations?.[ignoredNamespacesKey] ?? ""
  if (text === "") return defaultIgnoredNamespaces(operatorNamespace)
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed === null) return []
    return Array.isArray(parsed) && parsed.every((p) => typeof p === "string")
      ? parsed
      : defaultIgnoredNamespaces(operatorNamespace)
  } catch {
    return defaultIgnoredNamespaces(operatorNamespace)
  }
}

/** Compiles patterns; one that does not compile is dropped (it matches nothing, as in the original). */
export const compilePatterns = (patterns: ReadonlyArray<string>): ReadonlyArray<RegExp> =>
  patterns.flatMap((pattern) => {
    try {
      return [new RegExp(pattern)]
    } catch {
      return []
    }
  })
