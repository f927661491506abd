import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { DynatraceApi } from "../../../../services/DynatraceApi.ts"
import { DynatraceApiError, MissingScopes, RateLimited } from "../../../../services/DynatraceApiError.ts"
import type * as Conditions from "../../runtime/Conditions.ts"
import * as Collector from "./Collector.ts"
import * as Rules from "./EnrichmentRules.ts"
import * as Cond from "./InjectionConditions.ts"
import { dynakube, enrichment } from "./InjectionFixtures.ts"

const now = Date.parse("2026-11-24T12:00:00Z")
const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString().replace(".000Z", "Z")

/** A tenant that answers the rules call only, recording the scopes asked for. */
const tenantAnswering = (
  answer: Effect.Effect<ReadonlyArray<{ type: string; source: string; target: string }>, DynatraceApiError>
) => {
  const scopes: Array<string> = []
  const tenant = {
    enrichmentRules: (scope: string) => {
      scopes.push(scope)
      return answer
    }
  } as unknown as DynatraceApi["Service"]
  return { tenant, scopes }
}

const rulesCondition = (status: "True" | "False", reason: string, ageMinutes: number): Conditions.Condition => ({
  type: Cond.types.metadataEnrichmentRules,
  status,
  reason,
  message: "",
  lastTransitionTime: minutesAgo(ageMinutes)
})

const run = (
  tenant: DynatraceApi["Service"],
  options: {
    readonly conditions?: ReadonlyArray<Conditions.Condition>
    readonly settingsRead?: boolean
    readonly anyFeature?: boolean
    readonly meid?: string
  } = {}
) =>
  Effect.gen(function* () {
    const c = Collector.make()
    const rules = yield* Rules.reconcileRules(
      {
        dynakube: dynakube("dk", enrichment()),
        tenant,
        settingsRead: options.settingsRead ?? true,
        conditions: options.conditions ?? [],
        now,
        ...(options.meid === undefined ? {} : { kubernetesClusterMEID: options.meid })
      },
      c,
      options.anyFeature ?? true,
      15
    )
    return { rules, c }
  })

const tenantRules = [
  { type: "LABEL", source: "app", target: "dt.app" },
  { type: "SOMETHING_NEW", source: "x", target: "y" },
  { type: "CUSTOM", source: "literal", target: "dt.custom" }
]

describe("metadata-enrichment rules", () => {
  it.effect("fetched when the condition is missing; unsupported types dropped; the clock moves", () =>
    Effect.gen(function* () {
      const { tenant, scopes } = tenantAnswering(Effect.succeed(tenantRules))
      const { rules, c } = yield* run(tenant, { meid: "KUBERNETES_CLUSTER-1" })
      assert.deepStrictEqual(rules, [
        { type: "LABEL", source: "app", target: "dt.app" },
        { type: "CUSTOM", source: "literal", target: "dt.custom" }
      ])
      assert.deepStrictEqual(scopes, ["KUBERNETES_CLUSTER-1"])
      assert.deepStrictEqual(
        c.conditions.map((u) => [u.status, u.reason]),
        [
          ["False", "StatusOutdated"],
          ["True", "StatusUpdated"]
        ]
      )
    })
  )

  it.effect("not fetched while fresh; fetched again (scope environment without MEID) once stale", () =>
    Effect.gen(function* () {
      const { tenant, scopes } = tenantAnswering(Effect.succeed(tenantRules))
      const fresh = yield* run(tenant, { conditions: [rulesCondition("True", "StatusUpdated", 14)] })
      assert.isUndefined(fresh.rules)
      assert.deepStrictEqual(fresh.c.conditions, [])
      const stale = yield* run(tenant, { conditions: [rulesCondition("True", "StatusUpdated", 15)] })
      assert.strictEqual(stale.rules?.length, 2)
      assert.deepStrictEqual(scopes, ["environment"])
      const failedBefore = yield* run(tenant, { conditions: [rulesCondition("False", "DynatraceApiError", 1)] })
      assert.isDefined(failedBefore.rules, "a False condition is always refreshed")
    })
  )

  it.effect("without settings.read, or with a 403, the condition says ScopeMissing and the rules stay", () =>
    Effect.gen(function* () {
      const { tenant, scopes } = tenantAnswering(Effect.succeed(tenantRules))
      const noScope = yield* run(tenant, { settingsRead: false })
      assert.isUndefined(noScope.rules)
      assert.deepStrictEqual(scopes, [], "no tenant call")
      assert.strictEqual(noScope.c.conditions.at(-1)?.reason, "ScopeMissing")
      const scopeMissingIsNotStale = yield* run(tenant, { conditions: [rulesCondition("False", "ScopeMissing", 1)] })
      assert.deepStrictEqual(scopeMissingIsNotStale.c.conditions, [])

      const forbidden = tenantAnswering(
        Effect.fail(
          new DynatraceApiError({
            endpoint: "GET /v2/settings/effectiveValues",
            reason: new MissingScopes({ scopes: ["settings.read"], message: "missing scope" })
          })
        )
      )
      const denied = yield* run(forbidden.tenant)
      assert.isUndefined(denied.rules)
      assert.deepStrictEqual(denied.c.errors, [])
      assert.deepInclude(denied.c.conditions.at(-1), {
        reason: "ScopeMissing",
        message: "provided token cannot read metadata-enrichment rules due to missing scopes"
      })
    })
  )

  it.effect("other tenant failures are recorded with DynatraceApiError", () =>
    Effect.gen(function* () {
      const limited = tenantAnswering(
        Effect.fail(
          new DynatraceApiError({
            endpoint: "GET /v2/settings/effectiveValues",
            reason: new RateLimited({ message: "slow down" })
          })
        )
      )
      const { rules, c } = yield* run(limited.tenant)
      assert.isUndefined(rules)
      assert.strictEqual(c.errors[0]?.step, "metadata-enrichment-rules")
      assert.strictEqual(c.errors[0]?.reason._tag, "DynatraceApi")
      assert.strictEqual(c.conditions.at(-1)?.reason, "DynatraceApiError")
    })
  )

  it.effect("with every feature off the rules are cleared and the condition removed, once", () =>
    Effect.gen(function* () {
      const { tenant, scopes } = tenantAnswering(Effect.succeed(tenantRules))
      const clear = yield* run(tenant, { anyFeature: false, conditions: [rulesCondition("True", "StatusUpdated", 1)] })
      assert.isNull(clear.rules)
      assert.deepStrictEqual([...clear.c.remove], ["MetadataEnrichmentRules"])
      const already = yield* run(tenant, { anyFeature: false })
      assert.isUndefined(already.rules)
      assert.deepStrictEqual(scopes, [])
    })
  )
})

const at = (status: string, reason: string, age: number) => ({ status, reason, lastTransitionTime: minutesAgo(age) })

describe("injection conditions", () => {
  it("namespaces-monitored messages list at most ten names", () => {
    assert.deepStrictEqual(Cond.namespacesMonitored("OneAgentNamespacesMonitored", []), {
      type: "OneAgentNamespacesMonitored",
      status: "False",
      reason: "NoMatches",
      message: "0 namespaces match"
    })
    assert.strictEqual(Cond.matchMessage(["a", "b"]), "2 namespaces match: a, b")
    const many = Array.from({ length: 12 }, (_, i) => `ns${String(i).padStart(2, "0")}`)
    assert.strictEqual(
      Cond.matchMessage(many),
      `12 namespaces match: ${many.slice(0, 10).join(", ")} (at most 10 are displayed)`
    )
  })

  it("staleness follows the original: missing, False (but ScopeMissing), or older than the threshold", () => {
    const options = { now, thresholdMinutes: 15 }
    assert.isTrue(Cond.isOutdated(undefined, options))
    assert.isFalse(Cond.isOutdated(at("True", "x", 14), options))
    assert.isTrue(Cond.isOutdated(at("True", "x", 15), options))
    assert.isTrue(Cond.isOutdated(at("False", "KubeApiError", 0), options))
    assert.isFalse(Cond.isOutdated(at("False", "ScopeMissing", 0), options))
    assert.isTrue(Cond.isOutdated(at("True", "x", 0), { now, thresholdMinutes: 0 }), "threshold 0: always")
  })
})
