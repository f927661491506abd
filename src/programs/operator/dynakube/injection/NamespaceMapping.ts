/**
 * Which namespaces a DynaKube maps (spec §2.2.9 step 3, §2.6), as pure functions of the DynaKubes and the
 * namespaces: no I/O, so the same rules serve the reconcile, the namespace webhook (§3.8) and the tests.
 *
 * - A DynaKube "has injection features" when code-module injection (cloudNativeFullStack or
 *   applicationMonitoring), metadata enrichment or the OTLP exporter configuration is enabled.
 * - A namespace matches a DynaKube when its name is not ignored (the DynaKube's `ignored-namespaces` regexes,
 *   unanchored like Go's `regexp.MatchString`) and at least one enabled feature's `namespaceSelector` matches its
 *   labels; an absent selector matches every namespace. The flags say which features matched.
 * - The association is only the label `dynakube.internal.dynatrace.com/instance=<dk>`.
 * - A namespace matched by two or more DynaKubes with injection features is a conflict: it is not fought over.
 *   It keeps the DynaKube its label names if that one still claims it, and otherwise stays as it is; every
 *   DynaKube involved reports the conflict (naming all of them) until the selectors are fixed. (The original
 *   fails the whole mapping instead; keeping the owner means no label flapping and no half-mapped run.)
 * - A reconcile of DynaKube D only writes D's label: it adds it where D alone claims the namespace (also taking
 *   it over from a label naming a DynaKube that no longer claims it) and removes it where D no longer matches.
 *   Terminating namespaces are never labelled.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as FeatureFlags from "../FeatureFlags.ts"
import * as Features from "../Features.ts"
import * as Names from "../Names.ts"
import type { Conflict } from "./InjectionError.ts"
import * as LabelSelector from "./LabelSelector.ts"

/** A Namespace as the mapping reads it. @category models @since 0.1.0 */
export interface Namespace extends KubeObject {
  readonly status?: { readonly phase?: string | undefined } | undefined
}

/** Which injection features of a DynaKube matched a namespace. @category models @since 0.1.0 */
export interface MatchFlags {
  readonly oneAgent: boolean
  readonly metadataEnrichment: boolean
  readonly otlp: boolean
}

/** Nothing matched. @category constructors @since 0.1.0 */
export const noMatch: MatchFlags = { oneAgent: false, metadataEnrichment: false, otlp: false }

/** Any feature matched. @category predicates @since 0.1.0 */
export const isAny = (flags: MatchFlags): boolean => flags.oneAgent || flags.metadataEnrichment || flags.otlp

/** The namespace gets the bootstrapper secrets (code modules or enrichment matched). @category predicates @since 0.1.0 */
export const needsBootstrapper = (flags: MatchFlags): boolean => flags.oneAgent || flags.metadataEnrichment

/** The injection features a DynaKube has enabled. @category models @since 0.1.0 */
export interface InjectionFeatures {
  readonly appInjection: boolean
  readonly metadataEnrichment: boolean
  readonly otlp: boolean
}

/** @category getters @since 0.1.0 */
export const injectionFeatures = (dk: DynaKube): InjectionFeatures => {
  const features = Features.of(dk.spec)
  return {
    appInjection: features.appInjection,
    metadataEnrichment: features.metadataEnrichment,
    otlp: features.otlpExporter
  }
}

/** @category predicates @since 0.1.0 */
export const hasInjectionFeatures = (features: InjectionFeatures): boolean =>
  features.appInjection || features.metadataEnrichment || features.otlp

/** Compiled ignored-namespace patterns; a pattern that is not a valid regex never matches (as in Go). */
export type IgnoredNamespaces = ReadonlyArray<RegExp>

/** Compiles `ignored-namespaces` patterns. @category constructors @since 0.1.0 */
export const compileIgnored = (patterns: ReadonlyArray<string>): IgnoredNamespaces =>
  patterns.flatMap((pattern) => {
    try {
      return [new RegExp(pattern)]
    } catch {
      return []
    }
  })

/** True when `name` matches one of the ignored patterns. @category predicates @since 0.1.0 */
export const isIgnored = (name: string, ignored: IgnoredNamespaces): boolean => ignored.some((re) => re.test(name))

/** A DynaKube with its selectors compiled once for many namespaces. @category models @since 0.1.0 */
export interface CompiledDynaKube {
  readonly name: string
  readonly features: InjectionFeatures
  /** Selectors of the enabled features only. */
  readonly oneAgent: LabelSelector.Compiled | undefined
  readonly metadataEnrichment: LabelSelector.Compiled | undefined
  readonly otlp: LabelSelector.Compiled | undefined
  readonly ignored: IgnoredNamespaces
}

const selectorOf = (selector: LabelSelector.LabelSelector | undefined): LabelSelector.Compiled =>
  selector === undefined ? LabelSelector.everything : LabelSelector.compile(selector)

/**
 * Compiles a DynaKube's selectors and ignored namespaces. The defaults of `ignored-namespaces` name the DynaKube's
 * own namespace (the operator namespace).
 * @category constructors
 * @since 0.1.0
 */
export const compileDynaKube = (dk: DynaKube, operatorNamespace: string): CompiledDynaKube => {
  const features = injectionFeatures(dk)
  const oneAgent = dk.spec.oneAgent
  const appSpec = oneAgent?.cloudNativeFullStack ?? oneAgent?.applicationMonitoring ?? undefined
  const flags = FeatureFlags.read(dk, dk.metadata?.namespace ?? operatorNamespace)
  return {
    name: dk.metadata?.name ?? "",
    features,
    oneAgent: features.appInjection ? selectorOf(appSpec?.namespaceSelector) : undefined,
    metadataEnrichment: features.metadataEnrichment
      ? selectorOf(dk.spec.metadataEnrichment?.namespaceSelector)
      : undefined,
    otlp: features.otlp ? selectorOf(dk.spec.otlpExporterConfiguration?.namespaceSelector) : undefined,
    ignored: compileIgnored(flags.ignoredNamespaces)
  }
}

/** Selector problems of a DynaKube (an invalid selector matches nothing), for a log line. @category getters @since 0.1.0 */
export const selectorProblems = (dk: CompiledDynaKube): ReadonlyArray<string> =>
  (
    [
      ["oneAgent namespaceSelector", dk.oneAgent],
      ["metadataEnrichment.namespaceSelector", dk.metadataEnrichment],
      ["otlpExporterConfiguration.namespaceSelector", dk.otlp]
    ] as const
  ).flatMap(([field, compiled]) => (compiled?._tag === "Invalid" ? [`${field}: ${compiled.message}`] : []))

/** The name and labels of a namespace, all the matching needs. @category models @since 0.1.0 */
export interface NamespaceView {
  readonly name: string
  readonly labels?: Readonly<Record<string, string>> | undefined
}

/**
 * Which features of the DynaKube match the namespace (none when the namespace is ignored).
 * @category matching
 * @since 0.1.0
 */
export const namespaceMatches = (dk: CompiledDynaKube, namespace: NamespaceView): MatchFlags => {
  if (isIgnored(namespace.name, dk.ignored)) return noMatch
  const test = (compiled: LabelSelector.Compiled | undefined) =>
    compiled !== undefined && LabelSelector.matches(compiled, namespace.labels)
  return { oneAgent: test(dk.oneAgent), metadataEnrichment: test(dk.metadataEnrichment), otlp: test(dk.otlp) }
}

/** The DynaKube named by the namespace's instance label. @category getters @since 0.1.0 */
export const ownerOf = (namespace: NamespaceView): string | undefined => namespace.labels?.[Names.instanceLabel]

/** @category predicates @since 0.1.0 */
export const isTerminating = (namespace: Namespace): boolean => namespace.status?.phase === "Terminating"

/** What one namespace's label should become, from the point of view of one DynaKube. @category models @since 0.1.0 */
export interface NamespaceDecision {
  /** The instance label value after this DynaKube's reconcile (undefined: no label). */
  readonly label: string | undefined
  /** The DynaKube's own match flags. */
  readonly flags: MatchFlags
  /** Set when DynaKubes with injection features other than this one also claim the namespace. */
  readonly conflict: Conflict | undefined
}

/**
 * Decides the instance label of one namespace for the reconcile of `self` (see the module doc for the rules).
 * `others` are the other DynaKubes of the operator namespace (any order; `self` may be among them and is skipped).
 * @category matching
 * @since 0.1.0
 */
export const decide = (
  self: CompiledDynaKube,
  others: ReadonlyArray<CompiledDynaKube>,
  namespace: Namespace & { readonly metadata: { readonly name: string } }
): NamespaceDecision => {
  const view: NamespaceView = { name: namespace.metadata.name, labels: namespace.metadata.labels }
  const current = ownerOf(view)
  const flags = hasInjectionFeatures(self.features) ? namespaceMatches(self, view) : noMatch
  if (!isAny(flags)) {
    return { label: current === self.name ? undefined : current, flags, conflict: undefined }
  }
  const rivals = others.filter(
    (other) => other.name !== self.name && hasInjectionFeatures(other.features) && isAny(namespaceMatches(other, view))
  )
  if (rivals.length > 0) {
    const claimants = [self.name, ...rivals.map((r) => r.name)].toSorted()
    const owner = current !== undefined && claimants.includes(current) ? current : undefined
    return {
      label: current,
      flags,
      conflict: { namespace: view.name, dynakubes: claimants, ...(owner === undefined ? {} : { owner }) }
    }
  }
  if (current !== self.name && isTerminating(namespace)) return { label: current, flags, conflict: undefined }
  return { label: self.name, flags, conflict: undefined }
}

/** A label write the reconcile must make. @category models @since 0.1.0 */
export interface LabelChange {
  readonly namespace: string
  /** The label value the write expects to find (it is made conditional on it). */
  readonly from: string | undefined
  /** The value to set; undefined removes the label. */
  readonly to: string | undefined
  readonly resourceVersion: string | undefined
}

/** A namespace this DynaKube serves after the reconcile. @category models @since 0.1.0 */
export interface Mapped {
  readonly namespace: string
  readonly flags: MatchFlags
  readonly terminating: boolean
}

/** One namespace as the plan saw it. @category models @since 0.1.0 */
export interface PlanEntry {
  readonly namespace: Namespace
  readonly name: string
  /** The instance label before the reconcile. */
  readonly current: string | undefined
  readonly decision: NamespaceDecision
}

/** The outcome of mapping all namespaces for one DynaKube. @category models @since 0.1.0 */
export interface MappingPlan {
  readonly self: CompiledDynaKube
  readonly others: ReadonlyArray<CompiledDynaKube>
  /** Every namespace with a name, in input order. */
  readonly entries: ReadonlyArray<PlanEntry>
  readonly labelChanges: ReadonlyArray<LabelChange>
  /** Namespaces labelled for this DynaKube afterwards, with what matched; sorted by name. */
  readonly mapped: ReadonlyArray<Mapped>
  readonly conflicts: ReadonlyArray<Conflict>
}

const byNamespace = (a: { readonly namespace: string }, b: { readonly namespace: string }) =>
  a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0

/**
 * The namespaces labelled for `self` once the decisions are carried out (`label` = the final instance label, which
 * may differ from the decision when a write failed or met a concurrent change). Sorted by name.
 * @category matching
 * @since 0.1.0
 */
export const mappedOf = (
  selfName: string,
  outcomes: ReadonlyArray<{
    readonly name: string
    readonly label: string | undefined
    readonly flags: MatchFlags
    readonly terminating: boolean
  }>
): ReadonlyArray<Mapped> =>
  outcomes
    .filter((o) => o.label === selfName && isAny(o.flags))
    .map((o) => ({ namespace: o.name, flags: o.flags, terminating: o.terminating }))
    .toSorted(byNamespace)

/**
 * Maps every namespace for `dynakube`. `allDynaKubes` are the DynaKubes of the operator namespace (the fresh
 * `dynakube` replaces its namesake there). With no injection feature enabled, the plan unmaps every namespace
 * labelled for the DynaKube.
 * @category matching
 * @since 0.1.0
 */
export const plan = (input: {
  readonly dynakube: DynaKube
  readonly allDynaKubes: ReadonlyArray<DynaKube>
  readonly namespaces: ReadonlyArray<Namespace>
  readonly operatorNamespace: string
}): MappingPlan => {
  const self = compileDynaKube(input.dynakube, input.operatorNamespace)
  const others = input.allDynaKubes
    .filter((dk) => (dk.metadata?.name ?? "") !== self.name)
    .map((dk) => compileDynaKube(dk, input.operatorNamespace))
  const entries: Array<PlanEntry> = []
  for (const namespace of input.namespaces) {
    const name = namespace.metadata?.name
    if (name === undefined || name === "") continue
    const decision = decide(self, others, { ...namespace, metadata: { ...namespace.metadata, name } })
    entries.push({ namespace, name, current: namespace.metadata?.labels?.[Names.instanceLabel], decision })
  }
  const labelChanges = entries
    .filter((e) => e.decision.label !== e.current)
    .map((e): LabelChange => ({
      namespace: e.name,
      from: e.current,
      to: e.decision.label,
      resourceVersion: e.namespace.metadata?.resourceVersion
    }))
  return {
    self,
    others,
    entries,
    labelChanges: labelChanges.toSorted(byNamespace),
    mapped: mappedOf(
      self.name,
      entries.map((e) => ({
        name: e.name,
        label: e.decision.label,
        flags: e.decision.flags,
        terminating: isTerminating(e.namespace)
      }))
    ),
    conflicts: entries
      .flatMap((e) => (e.decision.conflict === undefined ? [] : [e.decision.conflict]))
      .toSorted(byNamespace)
  }
}
