import { assert, describe, it } from "@effect/vitest"
import * as Shared from "../../../schemas/FeatureFlags.ts"
import * as FeatureFlags from "./FeatureFlags.ts"

const withFlags = (annotations: Record<string, string>) => ({ metadata: { annotations } })

describe("operator feature flags", () => {
  it("an absent annotation gives each flag its default", () => {
    assert.deepStrictEqual(FeatureFlags.read({}, "ops"), {
      automaticInjection: true,
      ignoredNamespaces: ["^ops$", "^kube-.*", "^openshift(-.*)?", "^gke-.*", "^gmp-.*"],
      oneAgentIgnoreProxy: false,
      activeGateIgnoreProxy: false,
      activeGateUpdates: true,
      usePublicRegistry: false,
      noProxy: "",
      automaticKubernetesApiMonitoring: true,
      automaticKubernetesApiMonitoringClusterName: "",
      k8sAppEnabled: false
    })
  })

  it.each(["1", "t", "T", "TRUE", "true", "True"])("%s is true", (text) => {
    assert.isTrue(
      FeatureFlags.read(withFlags({ [FeatureFlags.keys.usePublicRegistry]: text }), "ops").usePublicRegistry
    )
  })

  it.each(["0", "f", "F", "FALSE", "false", "False"])("%s is false", (text) => {
    assert.isFalse(
      FeatureFlags.read(withFlags({ [FeatureFlags.keys.automaticInjection]: text }), "ops").automaticInjection
    )
  })

  it.each(["yes", "on", "tRuE", " true", ""])("%j is not a Go boolean: the default stays", (text) => {
    const flags = FeatureFlags.read(withFlags({ [FeatureFlags.keys.automaticInjection]: text }), "ops")
    assert.isTrue(flags.automaticInjection)
  })

  it("either ActiveGate update flag turns updates off", () => {
    const read = (a: Record<string, string>) => FeatureFlags.read(withFlags(a), "ops").activeGateUpdates
    assert.isFalse(read({ [FeatureFlags.keys.activeGateUpdates]: "false" }))
    assert.isFalse(read({ [FeatureFlags.keys.disableActiveGateUpdates]: "true" }))
    assert.isTrue(read({ [FeatureFlags.keys.disableActiveGateUpdates]: "false" }))
  })

  it("ignored namespaces are read exactly as the webhook reads them", () => {
    for (const text of ['["^x$"]', "null", "[]", "nope", "[1]", ""]) {
      const annotations = { [FeatureFlags.keys.ignoredNamespaces]: text }
      assert.deepStrictEqual(
        FeatureFlags.read(withFlags(annotations), "ops").ignoredNamespaces,
        Shared.ignoredNamespacePatterns(annotations, "ops"),
        text
      )
    }
    assert.deepStrictEqual(
      FeatureFlags.read(withFlags({ [FeatureFlags.keys.ignoredNamespaces]: "null" }), "ops").ignoredNamespaces,
      []
    )
  })

  it("keys keep the original annotation names", () => {
    assert.strictEqual(FeatureFlags.keys.ignoredNamespaces, "feature.dynatrace.com/ignored-namespaces")
    assert.strictEqual(FeatureFlags.keys.k8sAppEnabled, "feature.dynatrace.com/k8s-app-enabled")
  })
})
