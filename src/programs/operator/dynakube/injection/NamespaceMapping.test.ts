import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import {
  applicationMonitoring,
  cloudNative,
  dynakube,
  enrichment,
  hostMonitoring,
  annotation,
  labels,
  namespace,
  otlp,
  ownedBy,
  terminating
} from "./InjectionFixtures.ts"
import * as Mapping from "./NamespaceMapping.ts"

const operatorNamespace = "dynatrace"

const planFor = (dk: ReturnType<typeof dynakube>, namespaces: ReadonlyArray<Mapping.Namespace>, others = [dk]) =>
  Mapping.plan({ dynakube: dk, allDynaKubes: others, namespaces, operatorNamespace })

describe("ignored namespaces", () => {
  const defaults = Mapping.compileIgnored(["^dynatrace$", "^kube-.*", "^openshift(-.*)?", "^gke-.*", "^gmp-.*"])

  it("the defaults skip the operator namespace and the platform's own", () => {
    for (const name of [
      "dynatrace",
      "kube-system",
      "kube-public",
      "openshift",
      "openshift-monitoring",
      "gke-managed-x",
      "gmp-public"
    ]) {
      assert.isTrue(Mapping.isIgnored(name, defaults), name)
    }
    for (const name of ["default", "dynatrace-apps", "my-kube-app", "shop"]) {
      assert.isFalse(Mapping.isIgnored(name, defaults), name)
    }
  })

  it("patterns are unanchored like Go's regexp.MatchString; an invalid one is dropped", () => {
    const ignored = Mapping.compileIgnored(["test", "([", "^prod$"])
    assert.strictEqual(ignored.length, 2)
    assert.isTrue(Mapping.isIgnored("my-test-ns", ignored))
    assert.isTrue(Mapping.isIgnored("prod", ignored))
    assert.isFalse(Mapping.isIgnored("production", ignored))
  })

  it("the feature flag replaces the defaults, which name the DynaKube's own namespace", () => {
    const dk = dynakube("dk", cloudNative(), annotation("feature.dynatrace.com/ignored-namespaces", '["^skip-.*"]'))
    const compiled = Mapping.compileDynaKube(dk, operatorNamespace)
    assert.isFalse(Mapping.isAny(Mapping.namespaceMatches(compiled, { name: "skip-me" })))
    assert.isTrue(Mapping.isAny(Mapping.namespaceMatches(compiled, { name: "kube-system" })), "defaults replaced")
    const plain = Mapping.compileDynaKube(dynakube("dk", cloudNative()), operatorNamespace)
    assert.isFalse(Mapping.isAny(Mapping.namespaceMatches(plain, { name: "dynatrace" })))
    assert.isFalse(Mapping.isAny(Mapping.namespaceMatches(plain, { name: "kube-system" })))
    const unparsable = dynakube("dk", cloudNative(), annotation("feature.dynatrace.com/ignored-namespaces", "nope"))
    assert.isFalse(
      Mapping.isAny(
        Mapping.namespaceMatches(Mapping.compileDynaKube(unparsable, operatorNamespace), { name: "kube-x" })
      ),
      "an unparsable flag means the defaults"
    )
  })
})

describe("namespaceMatches", () => {
  it("reports per feature which selector matched; absent selectors match everything", () => {
    const dk = Mapping.compileDynaKube(
      dynakube(
        "dk",
        cloudNative({ matchLabels: { inject: "yes" } }),
        enrichment(),
        otlp({ matchLabels: { otel: "on" } })
      ),
      operatorNamespace
    )
    assert.deepStrictEqual(Mapping.namespaceMatches(dk, { name: "a", labels: { inject: "yes" } }), {
      oneAgent: true,
      metadataEnrichment: true,
      otlp: false
    })
    assert.deepStrictEqual(Mapping.namespaceMatches(dk, { name: "b", labels: { otel: "on" } }), {
      oneAgent: false,
      metadataEnrichment: true,
      otlp: true
    })
  })

  it("features that are off match nothing (host monitoring has no injection)", () => {
    const dk = Mapping.compileDynaKube(dynakube("dk", hostMonitoring()), operatorNamespace)
    assert.deepStrictEqual(Mapping.namespaceMatches(dk, { name: "a" }), Mapping.noMatch)
    assert.isFalse(Mapping.hasInjectionFeatures(dk.features))
    const appMon = Mapping.compileDynaKube(
      dynakube("dk", applicationMonitoring({ matchLabels: { x: "y" } })),
      operatorNamespace
    )
    assert.isTrue(Mapping.namespaceMatches(appMon, { name: "a", labels: { x: "y" } }).oneAgent)
  })

  it("an invalid selector matches nothing and is reported", () => {
    const dk = Mapping.compileDynaKube(
      dynakube("dk", cloudNative({ matchExpressions: [{ key: "a", operator: "Maybe" }] })),
      operatorNamespace
    )
    assert.isFalse(Mapping.isAny(Mapping.namespaceMatches(dk, { name: "a", labels: { a: "b" } })))
    assert.match(Mapping.selectorProblems(dk)[0]!, /oneAgent namespaceSelector: "Maybe" is not a valid/)
  })
})

describe("plan", () => {
  it("labels matching namespaces, unlabels those that left, leaves the rest", () => {
    const dk = dynakube("dk", cloudNative({ matchLabels: { monitor: "true" } }))
    const plan = planFor(dk, [
      namespace("a", labels({ monitor: "true" })),
      namespace("b", labels({ monitor: "true" }), ownedBy("dk")),
      namespace("c", ownedBy("dk")),
      namespace("d"),
      namespace("kube-system", labels({ monitor: "true" }))
    ])
    assert.deepStrictEqual(
      plan.labelChanges.map((c) => [c.namespace, c.from, c.to]),
      [
        ["a", undefined, "dk"],
        ["c", "dk", undefined]
      ]
    )
    assert.deepStrictEqual(
      plan.mapped.map((m) => m.namespace),
      ["a", "b"]
    )
    assert.deepStrictEqual(plan.conflicts, [])
  })

  it("a DynaKube without injection features unmaps everything it had", () => {
    const plan = planFor(dynakube("dk", hostMonitoring()), [
      namespace("a", ownedBy("dk")),
      namespace("b", ownedBy("other"))
    ])
    assert.deepStrictEqual(
      plan.labelChanges.map((c) => [c.namespace, c.to]),
      [["a", undefined]]
    )
    assert.deepStrictEqual(plan.mapped, [])
  })

  it("a namespace claimed by two DynaKubes keeps its owner and is reported by both", () => {
    const a = dynakube("a", cloudNative())
    const b = dynakube("b", enrichment({ matchLabels: { team: "x" } }))
    const namespaces = [
      namespace("owned-by-a", labels({ team: "x" }), ownedBy("a")),
      namespace("free", labels({ team: "x" })),
      namespace("only-a")
    ]
    const forA = planFor(a, namespaces, [a, b])
    const forB = planFor(b, namespaces, [a, b])
    assert.deepStrictEqual(
      forA.labelChanges.map((c) => c.namespace),
      ["only-a"]
    )
    assert.deepStrictEqual(forB.labelChanges, [], "b never takes a's namespace, nor labels a contested one")
    assert.deepStrictEqual(
      forA.mapped.map((m) => m.namespace),
      ["only-a", "owned-by-a"]
    )
    assert.deepStrictEqual(forB.mapped, [])
    for (const plan of [forA, forB]) {
      assert.deepStrictEqual(plan.conflicts, [
        { namespace: "free", dynakubes: ["a", "b"] },
        { namespace: "owned-by-a", dynakubes: ["a", "b"], owner: "a" }
      ])
    }
  })

  it("DynaKubes without injection features never conflict; a stale owner is taken over", () => {
    const a = dynakube("a", cloudNative())
    const host = dynakube("host", hostMonitoring())
    const plan = planFor(a, [namespace("x", ownedBy("gone")), namespace("y", ownedBy("host"))], [a, host])
    assert.deepStrictEqual(plan.conflicts, [])
    assert.deepStrictEqual(
      plan.labelChanges.map((c) => [c.namespace, c.from, c.to]),
      [
        ["x", "gone", "a"],
        ["y", "host", "a"]
      ]
    )
  })

  it("terminating namespaces are not labelled, but are unlabelled", () => {
    const dk = dynakube("dk", cloudNative({ matchLabels: { m: "1" } }))
    const plan = planFor(dk, [
      namespace("new", labels({ m: "1" }), terminating()),
      namespace("left", ownedBy("dk"), terminating())
    ])
    assert.deepStrictEqual(
      plan.labelChanges.map((c) => [c.namespace, c.to]),
      [["left", undefined]]
    )
  })

  it("keeps the namespace's resourceVersion for the conditional write", () => {
    const ns = { ...namespace("a"), metadata: { name: "a", resourceVersion: "42" } }
    const plan = planFor(dynakube("dk", enrichment()), [ns])
    assert.strictEqual(plan.labelChanges[0]?.resourceVersion, "42")
  })

  // Replaying a plan's label changes and planning again changes nothing: no flapping, whatever the DynaKubes are.
  it("is a fixed point after its own changes, for every DynaKube in turn (property)", () => {
    const selector = fc.option(
      fc.record({
        matchLabels: fc.dictionary(fc.constantFrom("team", "env"), fc.constantFrom("a", "b"), { maxKeys: 1 })
      }),
      { nil: undefined }
    )
    const dk = fc
      .tuple(fc.constantFrom("p", "q", "r"), fc.constantFrom("cnfs", "enrichment", "otlp", "host"), selector)
      .map(([name, feature, sel]) =>
        feature === "cnfs"
          ? dynakube(name, cloudNative(sel))
          : feature === "enrichment"
            ? dynakube(name, enrichment(sel))
            : feature === "otlp"
              ? dynakube(name, otlp(sel))
              : dynakube(name, hostMonitoring())
      )
    const dks = fc.uniqueArray(dk, { minLength: 1, maxLength: 3, selector: (d) => d.metadata?.name })
    const nss = fc.uniqueArray(
      fc.tuple(
        fc.constantFrom("n1", "n2", "n3", "n4", "kube-x"),
        fc.dictionary(fc.constantFrom("team", "env"), fc.constantFrom("a", "b"), { maxKeys: 2 }),
        fc.option(fc.constantFrom("p", "q", "r", "gone"), { nil: undefined })
      ),
      { selector: ([n]) => n, maxLength: 5 }
    )
    fc.assert(
      fc.property(dks, nss, (dynakubes, rawNamespaces) => {
        let namespaces = rawNamespaces.map(([name, l, owner]) =>
          namespace(name, labels(l), ...(owner === undefined ? [] : [ownedBy(owner)]))
        )
        const apply = (plan: Mapping.MappingPlan) => {
          namespaces = namespaces.map((ns) => {
            const change = plan.labelChanges.find((c) => c.namespace === ns.metadata?.name)
            if (change === undefined) return ns
            const { ["dynakube.internal.dynatrace.com/instance"]: _, ...rest } = ns.metadata?.labels ?? {}
            return {
              ...ns,
              metadata: {
                ...ns.metadata,
                labels:
                  change.to === undefined ? rest : { ...rest, "dynakube.internal.dynatrace.com/instance": change.to }
              }
            }
          })
        }
        for (const d of dynakubes) apply(planFor(d, namespaces, dynakubes))
        for (const d of dynakubes) assert.deepStrictEqual(planFor(d, namespaces, dynakubes).labelChanges, [])
        // Every namespace is mapped to at most one DynaKube, and only to one whose selectors match it.
        for (const ns of namespaces) {
          const mappedBy = dynakubes.filter((d) =>
            planFor(d, namespaces, dynakubes).mapped.some((m) => m.namespace === ns.metadata?.name)
          )
          assert.isAtMost(mappedBy.length, 1)
        }
      })
    )
  })
})
