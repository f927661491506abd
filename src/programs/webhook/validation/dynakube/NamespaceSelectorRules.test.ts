import { describe, expect, it } from "@effect/vitest"
import { annotate, context, dynakube, messagesOf, named, spec, type Json } from "../ValidationFixtures.ts"
import * as NS from "./NamespaceSelectorRules.ts"

const cn = (namespaceSelector?: Json) =>
  spec({ oneAgent: { cloudNativeFullStack: namespaceSelector === undefined ? {} : { namespaceSelector } } })
const enrichment = (namespaceSelector?: Json) =>
  spec({
    metadataEnrichment: namespaceSelector === undefined ? { enabled: true } : { enabled: true, namespaceSelector }
  })
const namespaces = [
  { name: "team-a", labels: { team: "a" } },
  { name: "team-b", labels: { team: "b" } },
  { name: "kube-system", labels: { team: "a", system: "yes" } }
]

describe("namespace selector validity", () => {
  it.each([
    ["valid OneAgent selector", NS.invalidOneAgentSelector, dynakube(cn({ matchLabels: { team: "a" } })), []],
    [
      "OneAgent In without values",
      NS.invalidOneAgentSelector,
      dynakube(cn({ matchExpressions: [{ key: "team", operator: "In" }] })),
      [
        `${NS.messages.invalidOneAgent}: spec.oneAgent.cloudNativeFullStack.namespaceSelector.matchExpressions[0].values: must be specified when operator is In or NotIn.`
      ]
    ],
    [
      "metadata enrichment selector is checked even when disabled",
      NS.invalidMetadataEnrichmentSelector,
      dynakube(
        spec({ metadataEnrichment: { enabled: false, namespaceSelector: { matchLabels: { "bad key": "x" } } } })
      ),
      [expect.stringContaining(NS.messages.invalidMetadataEnrichment)]
    ],
    [
      "OTLP selector",
      NS.invalidOtlpSelector,
      dynakube(
        spec({
          otlpExporterConfiguration: { namespaceSelector: { matchExpressions: [{ key: "a", operator: "Bogus" }] } }
        })
      ),
      [expect.stringContaining(NS.messages.invalidOtlp)]
    ],
    ["no OTLP configuration", NS.invalidOtlpSelector, dynakube(), []]
  ] as const)("%s", (_name, rule, object, expected) => {
    expect(messagesOf(rule, context(object))).toEqual(expected)
  })
})

const check = (object: Json, others: ReadonlyArray<Json>, failing = false) =>
  messagesOf(NS.conflictingNamespaceSelector, context(object, { cluster: { dynaKubes: others, namespaces, failing } }))

describe("namespace selector conflicts", () => {
  it("two DynaKubes injecting into the same namespace conflict", () => {
    expect(check(dynakube(cn()), [dynakube(named("b"), enrichment({ matchLabels: { team: "a" } }))])).toEqual([
      NS.messages.conflict
    ])
  })

  it("disjoint selectors do not conflict", () => {
    expect(
      check(dynakube(cn({ matchLabels: { team: "b" } })), [
        dynakube(named("b"), enrichment({ matchLabels: { team: "a" } }))
      ])
    ).toEqual([])
  })

  it("ignored namespaces do not count", () => {
    const systemOnly = dynakube(named("b"), enrichment({ matchLabels: { system: "yes" } }))
    // Both select kube-system, which the default ignore list excludes.
    expect(check(dynakube(cn({ matchLabels: { team: "a" } })), [systemOnly])).toEqual([])
    // With an ignore list that no longer covers kube-system, they meet there.
    expect(
      check(
        dynakube(cn({ matchLabels: { team: "a" } }), annotate({ "feature.dynatrace.com/ignored-namespaces": "[]" })),
        [
          dynakube(
            named("b"),
            enrichment({ matchLabels: { system: "yes" } }),
            annotate({ "feature.dynatrace.com/ignored-namespaces": '["^team-.*"]' })
          )
        ]
      )
    ).toEqual([NS.messages.conflict])
  })

  it("the stored version of the same DynaKube is replaced, not compared", () => {
    expect(check(dynakube(cn()), [dynakube(cn())])).toEqual([])
  })

  it("a DynaKube that injects nothing is not checked and does not count", () => {
    expect(check(dynakube(), [dynakube(named("b"), cn())])).toEqual([])
    expect(check(dynakube(cn()), [dynakube(named("b"), spec({ oneAgent: { hostMonitoring: {} } }))])).toEqual([])
  })

  it("a failed read skips the check", () => {
    expect(check(dynakube(cn()), [dynakube(named("b"), cn())], true)).toEqual([])
  })
})
