/**
 * Metadata-enrichment rules into `status.metadataEnrichment.rules` (spec §2.2.9 step 2, §2.2.7): fetched when
 * enrichment, injection or the OTLP exporter is enabled, the optional `settings.read` scope is available and the
 * condition `MetadataEnrichmentRules` is stale; cleared when none of those features is on any more.
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApi } from "../../../../services/DynatraceApi.ts"
import * as Conditions from "../../runtime/Conditions.ts"
import { type Collector, removeCondition, setCondition } from "./Collector.ts"
import * as Cond from "./InjectionConditions.ts"
import * as E from "./InjectionError.ts"

/** The metadata-enrichment rule types the status accepts. @category models @since 0.1.0 */
export type RuleType = "LABEL" | "ANNOTATION" | "K8S_NAMESPACE_LABEL" | "K8S_NAMESPACE_ANNOTATION" | "CUSTOM"

/** One rule of `status.metadataEnrichment.rules`. @category models @since 0.1.0 */
export interface EnrichmentRule {
  readonly type: RuleType
  readonly source: string
  readonly target: string
}

/** What the rules need. @category models @since 0.1.0 */
export interface RulesInput {
  readonly dynakube: DynaKube
  readonly tenant: DynatraceApi["Service"]
  readonly kubernetesClusterMEID?: string | undefined
  readonly settingsRead: boolean
  readonly conditions?: ReadonlyArray<Conditions.Condition> | undefined
  readonly now: number
}

const supportedRuleTypes: ReadonlySet<string> = new Set([
  "LABEL",
  "ANNOTATION",
  "K8S_NAMESPACE_LABEL",
  "K8S_NAMESPACE_ANNOTATION",
  "CUSTOM"
])

/** The step name in errors. @category constants @since 0.1.0 */
export const rulesStep = "metadata-enrichment-rules"

/**
 * Reconciles the rules; returns what `status.metadataEnrichment.rules` becomes (`undefined` = unchanged, `null` =
 * cleared). Never fails: failures are recorded.
 * @category reconcile
 * @since 0.1.0
 */
export const reconcileRules = (
  input: RulesInput,
  c: Collector,
  anyFeature: boolean,
  thresholdMinutes: number
): Effect.Effect<ReadonlyArray<EnrichmentRule> | null | undefined> =>
  Effect.gen(function* () {
    const type = Cond.types.metadataEnrichmentRules
    const current = Conditions.find(input.conditions ?? input.dynakube.status?.conditions, type)
    if (!anyFeature) {
      if (current === undefined) return undefined
      removeCondition(c, type)
      return null
    }
    if (!Cond.isOutdated(current, { now: input.now, thresholdMinutes })) return undefined
    setCondition(c, Cond.statusOutdated(type, "Metadata-enrichment rules are outdated in the status"))
    if (!input.settingsRead) {
      setCondition(
        c,
        Cond.scopeMissing(
          type,
          "Metadata-enrichment rules are not set in the status because the optional 'settings.read' scope is not available"
        )
      )
      return undefined
    }
    const scope =
      input.kubernetesClusterMEID === undefined || input.kubernetesClusterMEID === ""
        ? "environment"
        : input.kubernetesClusterMEID
    const answer = yield* Effect.result(input.tenant.enrichmentRules(scope))
    if (Result.isFailure(answer)) {
      if (answer.failure.reason._tag === "MissingScopes") {
        setCondition(
          c,
          Cond.scopeMissing(type, "provided token cannot read metadata-enrichment rules due to missing scopes")
        )
        return undefined
      }
      setCondition(c, Cond.dynatraceApiError(type))
      c.errors.push(E.fromTenant(rulesStep)(answer.failure))
      return undefined
    }
    const rules = answer.success
      .filter((rule) => supportedRuleTypes.has(rule.type))
      .map((rule): EnrichmentRule => ({ type: rule.type as RuleType, source: rule.source, target: rule.target }))
    setCondition(c, Cond.statusUpdated(type, "Metadata-enrichment rules are up-to-date in the status"))
    return rules
  })
