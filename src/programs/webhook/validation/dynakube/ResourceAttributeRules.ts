/**
 * Resource attributes (`spec.resourceAttributes`, the OneAgent mode's and the OTLP exporter's
 * `additionalResourceAttributes`, each merged over the global ones): keys must be label keys and values label
 * values; keys are sanitised for use as `metadata.dynatrace.com/<key>` annotations, so a key that sanitises to
 * nothing, to more than 63 characters or to the same key as another is an error, and a key that gets renamed is a
 * warning. More than 10 attributes is a cost warning.
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import { labelValueProblems, qualifiedNameProblems } from "../support/KubeNames.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as View from "./View.ts"

type Attributes = Readonly<Record<string, string>>

/** Recommended maximum number of attributes. @category constants @since 0.1.0 */
export const limit = 10
/** Longest annotation name segment. @category constants @since 0.1.0 */
export const maxSanitizedKeyLength = 63

/**
 * How the operator sanitises a key: characters outside `A-Za-z0-9-_.` become `_`, then leading and trailing runs
 * of non-alphanumerics are dropped.
 * @category sanitising
 * @since 0.1.0
 */
export const sanitizeKey = (key: string): string =>
  key.replace(/[^a-zA-Z0-9\-_.]/gu, "_").replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/gu, "")

/** The three attribute sets and how messages name them. */
interface Source {
  readonly field: string
  readonly countLabel: string
  readonly attributes: (ctx: DynaKubeContext) => Attributes | undefined
}

const global: Source = {
  field: "spec.resourceAttributes",
  countLabel: "global resource attributes",
  attributes: (ctx) => ctx.spec.resourceAttributes
}

const oneAgent: Source = {
  field: "spec.oneAgent.*.additionalResourceAttributes",
  countLabel: "resource attributes for the OneAgent",
  attributes: (ctx) => {
    const additional = View.oneAgentAdditionalResourceAttributes(ctx.spec)
    return Object.keys(additional ?? {}).length > 0
      ? View.mergeAttributes(ctx.spec.resourceAttributes, additional)
      : undefined
  }
}

const otlp: Source = {
  field: "spec.otlpExporterConfiguration.additionalResourceAttributes",
  countLabel: "resource attributes for the OTLP exporter configuration",
  attributes: (ctx) => {
    const additional = ctx.spec.otlpExporterConfiguration?.additionalResourceAttributes
    return Object.keys(additional ?? {}).length > 0
      ? View.mergeAttributes(ctx.spec.resourceAttributes, additional)
      : undefined
  }
}

const sortedKeys = (attributes: Attributes): ReadonlyArray<string> => Object.keys(attributes).toSorted()

/** The syntax problems of an attribute map, one text per bad key or value. @category checks @since 0.1.0 */
export const syntaxProblems = (attributes: Attributes): ReadonlyArray<string> =>
  sortedKeys(attributes).flatMap((key) => {
    const value = attributes[key]!
    const keyProblems = qualifiedNameProblems(key)
    const valueProblems = labelValueProblems(value)
    return [
      ...(keyProblems.length > 0 ? [`invalid key "${key}": ${keyProblems.join("; ")}`] : []),
      ...(valueProblems.length > 0 ? [`invalid value "${value}" for key "${key}": ${valueProblems.join("; ")}`] : [])
    ]
  })

/** Renames (warnings) and unusable keys (errors) after sanitising. @category checks @since 0.1.0 */
export const sanitizationProblems = (
  attributes: Attributes
): { readonly renamed: ReadonlyArray<string>; readonly unusable: ReadonlyArray<string> } => {
  const renamed: Array<string> = []
  const unusable: Array<string> = []
  const seen = new Map<string, string>()
  for (const key of sortedKeys(attributes)) {
    const sanitized = sanitizeKey(key)
    if (sanitized === "") {
      unusable.push(`key "${key}" would be dropped: no valid characters remain after sanitising`)
      continue
    }
    if (sanitized.length > maxSanitizedKeyLength) {
      unusable.push(
        `key "${key}" sanitises to "${sanitized}", longer than the ${maxSanitizedKeyLength}-character limit of annotation names`
      )
      continue
    }
    const earlier = seen.get(sanitized)
    if (earlier !== undefined) {
      unusable.push(`keys "${earlier}" and "${key}" both sanitise to "${sanitized}"; rename one of them`)
    } else {
      seen.set(sanitized, key)
    }
    if (sanitized !== key) renamed.push(`key "${key}" will be renamed to "${sanitized}"`)
  }
  return { renamed, unusable }
}

const invalidRule = (id: string, source: Source) =>
  Finding.error(id, (ctx: DynaKubeContext) => {
    const problems = syntaxProblems(source.attributes(ctx) ?? {})
    return problems.length > 0 ? `${source.field} has invalid entries: ${problems.join(", ")}` : undefined
  })

const unusableRule = (id: string, source: Source) =>
  Finding.error(id, (ctx: DynaKubeContext) => {
    const { unusable } = sanitizationProblems(source.attributes(ctx) ?? {})
    return unusable.length > 0 ? `${source.field} has invalid keys: ${unusable.join(", ")}` : undefined
  })

const renamedRule = (id: string, source: Source) =>
  Finding.warning(id, (ctx: DynaKubeContext) => {
    const { renamed } = sanitizationProblems(source.attributes(ctx) ?? {})
    return renamed.length > 0
      ? `${source.field} has keys that will be renamed automatically: ${renamed.join(", ")}. Consider renaming them in the DynaKube to avoid confusion.`
      : undefined
  })

const tooManyRule = (id: string, source: Source) =>
  Finding.warning(id, (ctx: DynaKubeContext) => {
    const count = Object.keys(source.attributes(ctx) ?? {}).length
    return count > limit
      ? `The DynaKube defines ${count} ${source.countLabel}, more than the recommended ${limit}. Every attribute adds ingest volume and cost; consider removing or consolidating attributes.`
      : undefined
  })

/** @category rules @since 0.1.0 */
export const invalidGlobal = invalidRule("invalidGlobalResourceAttributes", global)
/** @category rules @since 0.1.0 */
export const invalidOneAgent = invalidRule("invalidOneAgentResourceAttributes", oneAgent)
/** @category rules @since 0.1.0 */
export const invalidOtlp = invalidRule("invalidOtlpResourceAttributes", otlp)
/** @category rules @since 0.1.0 */
export const unusableGlobalKeys = unusableRule("unusableGlobalResourceAttributeKeys", global)
/** @category rules @since 0.1.0 */
export const unusableOneAgentKeys = unusableRule("unusableOneAgentResourceAttributeKeys", oneAgent)
/** @category rules @since 0.1.0 */
export const unusableOtlpKeys = unusableRule("unusableOtlpResourceAttributeKeys", otlp)
/** @category rules @since 0.1.0 */
export const renamedGlobalKeys = renamedRule("renamedGlobalResourceAttributeKeys", global)
/** @category rules @since 0.1.0 */
export const renamedOneAgentKeys = renamedRule("renamedOneAgentResourceAttributeKeys", oneAgent)
/** @category rules @since 0.1.0 */
export const renamedOtlpKeys = renamedRule("renamedOtlpResourceAttributeKeys", otlp)
/** @category rules @since 0.1.0 */
export const tooManyGlobal = tooManyRule("tooManyGlobalResourceAttributes", global)
/** @category rules @since 0.1.0 */
export const tooManyOneAgent = tooManyRule("tooManyOneAgentResourceAttributes", oneAgent)
/** @category rules @since 0.1.0 */
export const tooManyOtlp = tooManyRule("tooManyOtlpResourceAttributes", otlp)
