import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import * as FeatureFlags from "./FeatureFlags.ts"
import * as Selector from "./LabelSelector.ts"
import * as Attributes from "./pod/Attributes.ts"
import * as InjectionPolicy from "./pod/InjectionPolicy.ts"
import * as Volumes from "./pod/Volumes.ts"
import * as Policy from "./Policy.ts"
import * as T from "./TestObjects.ts"

const ignored = (annotations: Record<string, string> | undefined, ns: string) =>
  FeatureFlags.isIgnoredNamespace(annotations, "dynatrace", ns)
const flag = (v: string) => FeatureFlags.maxCsiMountTimeout({ "feature.dynatrace.com/max-csi-mount-timeout": v })
const factsFor = (dk: T.DynaKubeObject) => ({
  settings: T.settings(),
  pod: T.pod("web"),
  namespace: Option.some(T.namespace("apps")),
  dynakube: Option.some(dk)
})

describe("FeatureFlags", () => {
  it("parses booleans as Go's strconv.ParseBool, anything else is the default", () => {
    for (const t of ["1", "t", "T", "TRUE", "true", "True"]) expect(FeatureFlags.parseBool(t)).toBe(true)
    for (const f of ["0", "f", "F", "FALSE", "false", "False"]) expect(FeatureFlags.parseBool(f)).toBe(false)
    for (const x of ["yes", "", " true", undefined]) expect(FeatureFlags.parseBool(x)).toBeUndefined()
    expect(FeatureFlags.automaticInjection({ "feature.dynatrace.com/automatic-injection": "nope" })).toBe(true)
  })

  it("ignored-namespaces: defaults name the operator namespace; a JSON list replaces them; bad JSON is the default", () => {
    expect(
      ["dynatrace", "kube-system", "openshift", "openshift-dns", "gke-x", "gmp-public"].map((n) =>
        ignored(undefined, n)
      )
    ).toEqual([true, true, true, true, true, true])
    expect(ignored(undefined, "dynatrace-apps")).toBe(false)
    const custom = { "feature.dynatrace.com/ignored-namespaces": '["^team-a$", "(["]' }
    expect(ignored(custom, "team-a")).toBe(true)
    expect(ignored(custom, "kube-system")).toBe(false)
    expect(ignored({ "feature.dynatrace.com/ignored-namespaces": "not json" }, "kube-system")).toBe(true)
  })

  it("max-csi-mount-timeout is printed like Go; invalid or negative means 10m0s", () => {
    expect(FeatureFlags.maxCsiMountTimeout(undefined)).toBe("10m0s")
    expect(flag("1h30m")).toBe("1h30m0s")
    expect(flag("45s")).toBe("45s")
    expect(flag("-5m")).toBe("10m0s")
    expect(flag("ten")).toBe("10m0s")
  })
})

describe("LabelSelector", () => {
  const labels = { team: "a", tier: "web" }
  it("absent or empty selects everything; matchLabels and expressions must all hold", () => {
    expect(Selector.matches(undefined, undefined)).toBe(true)
    expect(Selector.matches({}, labels)).toBe(true)
    expect(Selector.matches({ matchLabels: { team: "a" } }, labels)).toBe(true)
    expect(Selector.matches({ matchLabels: { team: "b" } }, labels)).toBe(false)
    expect(
      Selector.matches({ matchExpressions: [{ key: "tier", operator: "In", values: ["web", "db"] }] }, labels)
    ).toBe(true)
    expect(Selector.matches({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }, labels)).toBe(
      false
    )
    expect(Selector.matches({ matchExpressions: [{ key: "x", operator: "NotIn", values: ["web"] }] }, labels)).toBe(
      true
    )
    expect(Selector.matches({ matchExpressions: [{ key: "team", operator: "Exists" }] }, labels)).toBe(true)
    expect(Selector.matches({ matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, labels)).toBe(false)
  })
  it("a selector Kubernetes would refuse selects nothing", () => {
    expect(Selector.matches({ matchExpressions: [{ key: "team", operator: "In", values: [] }] }, labels)).toBe(false)
    expect(Selector.matches({ matchExpressions: [{ key: "team", operator: "Exists", values: ["a"] }] }, labels)).toBe(
      false
    )
    expect(Selector.matches({ matchExpressions: [{ key: "team", operator: "Like" }] }, labels)).toBe(false)
  })
})

describe("Attributes", () => {
  it("splits images at the first '/', then '@', then ':'", () => {
    expect(Attributes.splitImage("registry:5000/team/app:v1@sha256:abc")).toEqual({
      registry: "registry:5000",
      repository: "team/app",
      tag: "v1",
      digest: "sha256:abc"
    })
    expect(Attributes.splitImage("nginx:1.25")).toEqual({ registry: "", repository: "nginx", tag: "1.25", digest: "" })
    expect(Attributes.splitImage("")).toEqual({ registry: "", repository: "", tag: "", digest: "" })
  })
  it("reads the container of an --attribute-container arg", () => {
    expect(Attributes.containerOfArg('--attribute-container={"k8s.container.name":"app"}')).toBe("app")
    expect(Attributes.containerOfArg("--attribute-container={broken")).toBeUndefined()
    expect(Attributes.containerOfArg("--attribute=a=b")).toBeUndefined()
  })
})

describe("InjectionPolicy", () => {
  it("validates install paths like the original", () => {
    for (const ok of ["/opt/dynatrace/oneagent-paas", "/a"]) expect(InjectionPolicy.isValidInstallPath(ok)).toBe(true)
    for (const bad of ["", "/", "relative", "/a/", "/a//b", "/a/../b", "/a b", "/a,b", "/a:b", "/a\0b"]) {
      expect(InjectionPolicy.isValidInstallPath(bad), bad).toBe(false)
    }
  })

  it("the pod chain stops at the first violation and names the rule", () => {
    const facts = {
      settings: T.settings(),
      pod: T.pod("web", T.withAnnotation("dynatrace.com/inject", "false")),
      namespace: Option.some(T.namespace("apps")),
      dynakube: Option.none()
    }
    const decision = InjectionPolicy.decide(facts)
    expect(decision).toMatchObject({ _tag: "Skip", rule: "dynakube-found", reason: "DynaKubeNotFound" })
    const trace = Policy.trace(InjectionPolicy.podRules, facts).map((t) => [t.rule, t.verdict])
    expect(trace).toEqual([
      ["namespace-found", "passed"],
      ["namespace-labelled", "passed"],
      ["dynakube-found", "violated"],
      ["pod-opt-out", "not-reached"],
      ["all-containers-excluded", "not-reached"],
      ["openshift-debug-pod", "not-reached"],
      ["injection-features", "not-reached"]
    ])
    expect(Policy.trace(InjectionPolicy.podRules, facts)[2]).toMatchObject({ reason: "DynaKubeNotFound" })
  })

  it("feature verdicts: Off when not wanted, Refused when wanted but impossible", () => {
    const decision = InjectionPolicy.decide(
      factsFor(T.dynakube(T.applicationMonitoring(), T.withStatus({ codeModules: {} })))
    )
    expect(decision).toMatchObject({
      _tag: "Evaluate",
      oneAgent: { _tag: "Refused", rule: "code-modules-ready", reason: "DynaKubeStatusNotReady" },
      metadata: { _tag: "Off", rule: "metadata-enabled" },
      otlp: { _tag: "Off", rule: "otlp-signals" }
    })
  })
})

describe("Volumes", () => {
  it("accepts Kubernetes quantities only as size limits", () => {
    for (const q of ["1Gi", "500M", "1.5", "1e3", "100m"]) expect(Volumes.isQuantity(q), q).toBe(true)
    for (const q of ["", "1 Gi", "abc", "1GB", "-1"]) expect(Volumes.isQuantity(q), q).toBe(false)
  })
})
