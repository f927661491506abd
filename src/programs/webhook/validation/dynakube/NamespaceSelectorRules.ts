/**
 * Namespace selectors: the OneAgent, metadata-enrichment and OTLP-exporter `namespaceSelector`s must be valid label
 * selectors, and no namespace may be selected by two DynaKubes that inject into it (a dry run of the operator's
 * namespace mapping over every namespace, with this DynaKube in place of its stored version).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type * as V6 from "../../../../schemas/DynaKubeV1beta6.ts"
import * as Finding from "../Finding.ts"
import * as LabelSelectors from "../support/LabelSelectors.ts"
import type { DynaKubeContext, NamespaceInfo } from "./Context.ts"
import * as Flags from "./Flags.ts"
import * as View from "./View.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  conflict:
    "The DynaKube would inject into namespaces another DynaKube already injects into, which is not supported. Change the namespaceSelector so that it does not overlap with the other DynaKubes' selectors.",
  invalidOneAgent: "The OneAgent namespaceSelector has invalid matchLabels or matchExpressions",
  invalidMetadataEnrichment: "The metadata enrichment namespaceSelector has invalid matchLabels or matchExpressions",
  invalidOtlp: "The OTLP exporter configuration namespaceSelector has invalid matchLabels or matchExpressions"
} as const

const withDetails = (message: string, problems: ReadonlyArray<string>): string | undefined =>
  problems.length === 0 ? undefined : `${message}: ${problems.join("; ")}.`

/** @category rules @since 0.1.0 */
export const invalidOneAgentSelector = Finding.error("invalidOneAgentNamespaceSelector", (ctx: DynaKubeContext) => {
  const selector = View.oneAgentNamespaceSelector(ctx.spec)
  if (selector === undefined) return undefined
  return withDetails(
    messages.invalidOneAgent,
    LabelSelectors.problems(selector.selector, `spec.oneAgent.${selector.mode}.namespaceSelector`)
  )
})

/** @category rules @since 0.1.0 */
export const invalidMetadataEnrichmentSelector = Finding.error(
  "invalidMetadataEnrichmentNamespaceSelector",
  (ctx: DynaKubeContext) =>
    withDetails(
      messages.invalidMetadataEnrichment,
      LabelSelectors.problems(
        ctx.spec.metadataEnrichment?.namespaceSelector,
        "spec.metadataEnrichment.namespaceSelector"
      )
    )
)

/** @category rules @since 0.1.0 */
export const invalidOtlpSelector = Finding.error("invalidOtlpExporterNamespaceSelector", (ctx: DynaKubeContext) => {
  const otlp = ctx.spec.otlpExporterConfiguration
  if (otlp === undefined) return undefined
  return withDetails(
    messages.invalidOtlp,
    LabelSelectors.problems(otlp.namespaceSelector, "spec.otlpExporterConfiguration.namespaceSelector")
  )
})

const injects = (spec: V6.DynaKubeSpec): boolean =>
  View.isAppInjection(spec) || View.isMetadataEnrichmentEnabled(spec) || View.isOtlpExporterEnabled(spec)

type Matcher = (labels: Readonly<Record<string, string>>) => boolean

/** The namespace matcher of one DynaKube: not ignored, and one of its enabled selectors matches. */
const matcher = (dk: V6.DynaKube, operatorNamespace: string): ((ns: NamespaceInfo) => boolean) => {
  const spec = dk.spec
  const selectors: Array<Matcher> = []
  const add = (m: Matcher | undefined) => {
    if (m !== undefined) selectors.push(m)
  }
  if (View.isAppInjection(spec)) add(LabelSelectors.compile(View.oneAgentNamespaceSelector(spec)?.selector))
  if (View.isMetadataEnrichmentEnabled(spec))
    add(LabelSelectors.compile(spec.metadataEnrichment?.namespaceSelector ?? {}))
  if (View.isOtlpExporterEnabled(spec))
    add(LabelSelectors.compile(spec.otlpExporterConfiguration?.namespaceSelector ?? {}))
  const ignored = Flags.ignoredNamespaces(dk.metadata?.annotations ?? {}, operatorNamespace)
  return (ns) => !Flags.isIgnoredNamespace(ignored, ns.name) && selectors.some((m) => m(ns.labels))
}

/**
 * Whether some namespace is matched by two injecting DynaKubes of `dynaKubes` (the one under review replaces its
 * stored version or is added).
 * @category checks
 * @since 0.1.0
 */
export const hasConflict = (
  dk: V6.DynaKube,
  name: string,
  operatorNamespace: string,
  stored: ReadonlyArray<V6.DynaKube>,
  namespaces: ReadonlyArray<NamespaceInfo>
): boolean => {
  const others = stored.filter((item) => (item.metadata?.name ?? "") !== name)
  const matchers = [dk, ...others].filter((item) => injects(item.spec)).map((item) => matcher(item, operatorNamespace))
  return namespaces.some((ns) => matchers.filter((m) => m(ns)).length > 1)
}

/** A failed read skips the check. @category rules @since 0.1.0 */
export const conflictingNamespaceSelector = Finding.error("conflictingNamespaceSelector", (ctx: DynaKubeContext) => {
  if (!injects(ctx.spec)) return undefined
  return Effect.all([ctx.cluster.namespaces, ctx.cluster.dynaKubes]).pipe(
    Effect.map(([namespaces, stored]) =>
      hasConflict(ctx.dk, ctx.name, ctx.namespace, stored, namespaces) ? messages.conflict : undefined
    ),
    Effect.orElseSucceed(() => undefined)
  )
})
