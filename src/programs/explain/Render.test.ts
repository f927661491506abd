import { assert, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod } from "../../schemas/Pod.ts"
import type * as InjectionContext from "../webhook/InjectionContext.ts"
import * as H from "../webhook/pod/MutatorHarness.ts"
import * as PodMutator from "../webhook/pod/PodMutator.ts"
import type * as Policy from "../webhook/Policy.ts"
import * as T from "../webhook/TestObjects.ts"
import type { Report } from "./Explain.ts"
import * as Render from "./Render.ts"

const previewOf = (dk: T.DynaKubeObject, pod: Pod, fixtures: Partial<InjectionContext.Fixtures> = {}) =>
  PodMutator.PodMutator.use((mutator) => mutator.preview(pod, "apps")).pipe(
    Effect.provide(H.mutatorLayer(H.standardFixtures(dk, fixtures)))
  )

const reportOf = (preview: PodMutator.Preview, overrides: Partial<Report> = {}): Report => ({
  target: "Deployment/web",
  namespace: "apps",
  settingsSource: "Deployment dynatrace/dynatrace-webhook",
  csiDriver: true,
  preview: { _tag: "Preview", value: preview },
  ...overrides
})

const linesOf = (report: Report) => Render.toText(report).split("\n")

const allSteps = (preview: PodMutator.Preview): ReadonlyArray<Policy.Step> => {
  const features = preview.explanation.features
  return [
    ...preview.explanation.pod,
    ...(features === undefined ? [] : [...features.oneAgent.steps, ...features.metadata.steps, ...features.otlp.steps])
  ]
}

// The line of a rule: verdict and rule id are separated from the left margin by exactly two spaces.
const lineOf = (lines: ReadonlyArray<string>, rule: string) => {
  const found = lines.filter((l) => new RegExp(`^  (pass|SKIP|off |FAIL|  - )  ${rule}( |$)`).test(l))
  assert.strictEqual(found.length, 1, `one line for rule ${rule}`)
  return found[0]!
}

const cloudNative = T.dynakube(T.cloudNative())

describe("Render.toText: an injected pod", () => {
  it.effect("marks the rule that refuses a wanted feature FAIL, and the rules that turn one off off", () =>
    Effect.gen(function* () {
      const notReady = T.dynakube(T.applicationMonitoring(), T.withStatus({ codeModules: {} }))
      const preview = yield* previewOf(notReady, T.pod("web"))
      assert.strictEqual(preview.explanation.features?.oneAgent.verdict, "Refused")
      const lines = linesOf(reportOf(preview))
      expect(lines).toContain("OneAgent code modules: Refused")
      expect(lineOf(lines, "code-modules-ready")).toMatch(/^ {2}FAIL {2}code-modules-ready +DynaKubeStatusNotReady: /)
      expect(lineOf(lines, "metadata-enabled")).toMatch(/^ {2}off {3}metadata-enabled +FeatureDisabled: /)
    })
  )

  it.effect("heads with the target, the settings source and the CSI driver, then the result", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(cloudNative, T.pod("web"))
      const lines = linesOf(reportOf(preview))
      expect(lines.slice(0, 3)).toEqual([
        "Deployment/web in namespace apps (webhook settings from Deployment dynatrace/dynatrace-webhook; CSI driver on)",
        "",
        "Result: Injected — Injected OneAgent into containers web."
      ])
      expect(linesOf(reportOf(preview, { csiDriver: false, namespace: "shop", target: "Pod/x" }))[0]).toBe(
        "Pod/x in namespace shop (webhook settings from Deployment dynatrace/dynatrace-webhook; CSI driver off)"
      )
    })
  )

  it.effect("lists every rule once, in trace order, under its chain's heading and verdict", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(cloudNative, T.pod("web"))
      const lines = linesOf(reportOf(preview))
      const features = preview.explanation.features
      assert.isDefined(features)
      const positions = allSteps(preview).map((s) => lines.indexOf(lineOf(lines, s.rule)))
      expect(positions).toEqual(positions.toSorted((a, b) => a - b))
      expect(lines.indexOf("Pod rules")).toBeLessThan(positions[0]!)
      expect(lines).toContain("OneAgent code modules: On")
      expect(lines).toContain("Metadata enrichment: Off")
      expect(lines).toContain("OTLP exporter configuration: Off")
      expect(lines.indexOf("OneAgent code modules: On")).toBe(
        lines.indexOf(lineOf(lines, features.oneAgent.steps[0]!.rule)) - 1
      )
      for (const step of preview.explanation.pod) expect(lineOf(lines, step.rule)).toBe(`  pass  ${step.rule}`)
    })
  )

  it.effect(
    "gives the lines of features turned off the reason and message and marks rules not reached, in one column",
    () =>
      Effect.gen(function* () {
        const preview = yield* previewOf(cloudNative, T.pod("web"))
        const lines = linesOf(reportOf(preview))
        const steps = allSteps(preview)
        const failed = steps.filter((s) => s.verdict === "violated")
        const notReached = steps.filter((s) => s.verdict === "not-reached")
        expect(failed.map((s) => s.rule)).toEqual(["metadata-enabled", "otlp-signals"])
        expect(notReached.length).toBeGreaterThan(0)
        const width = Math.max(...steps.map((s) => s.rule.length)) + 2
        for (const step of failed) {
          assert.strictEqual(step.verdict, "violated")
          const line = lineOf(lines, step.rule)
          expect(line).toBe(`${`  off   ${step.rule}`.padEnd(width + 8)}${step.reason}: ${step.message}`)
        }
        expect(lineOf(lines, "metadata-enabled")).toMatch(
          /^ {2}off {3}metadata-enabled +FeatureDisabled: Metadata enrichment is not enabled in the DynaKube\.$/
        )
        const columns = new Set<number>()
        for (const step of notReached) {
          const line = lineOf(lines, step.rule)
          expect(line).toMatch(new RegExp(`^ {4}- {3}${step.rule} +\\(not reached\\)$`))
          columns.add(line.indexOf("(not reached)"))
        }
        for (const step of failed) columns.add(lineOf(lines, step.rule).indexOf("FeatureDisabled"))
        expect(columns.size).toBe(1)
      })
  )

  it.effect("counts the patch operations and shows each with its path and value, long values cut with …", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(cloudNative, T.pod("web"))
      const lines = linesOf(reportOf(preview))
      expect(preview.patch.length).toBeGreaterThan(1)
      const head = lines.indexOf(`Changes: ${preview.patch.length} JSON patch operations`)
      expect(head).toBeGreaterThan(0)
      expect(lines[head - 1]).toBe("")
      const opLines = lines.slice(head + 1, head + 1 + preview.patch.length)
      let cut = 0
      preview.patch.forEach((op, i) => {
        const line = opLines[i]!
        expect(line.startsWith(`  ${op.op.padEnd(8)} ${op.path} `)).toBe(true)
        expect(op.op).not.toBe("remove")
        const full = "value" in op ? JSON.stringify(op.value) : ""
        const shown = line.slice(line.indexOf(op.path) + op.path.length).trimStart()
        if (full.length > 100) {
          cut++
          expect(shown).toBe(`${full.slice(0, 99)}…`)
          expect(shown.length).toBe(100)
        } else {
          expect(shown).toBe(full)
        }
      })
      expect(cut).toBeGreaterThan(0)
      expect(lines.slice(head + 1 + preview.patch.length)).toEqual(
        preview.events.map((e) => `Event: ${e.type} ${e.reason}: ${e.message}`)
      )
      expect(lines.at(-1)).toBe("Event: Normal Inject: Injected OneAgent into containers web.")
    })
  )

  it.effect("shows a single operation in the singular, a remove without value, and a 100-character value whole", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(cloudNative, T.pod("web"))
      const exact = "a".repeat(98) // 100 characters as JSON
      const one = linesOf(reportOf({ ...preview, patch: [{ op: "remove", path: "/metadata/labels/x" }], events: [] }))
      expect(one.slice(-2)).toEqual(["Changes: 1 JSON patch operation", "  remove   /metadata/labels/x"])
      const two = linesOf(
        reportOf({
          ...preview,
          patch: [
            { op: "replace", path: "/a", value: exact },
            { op: "add", path: "/spec/b", value: `${exact}b` }
          ],
          events: []
        })
      )
      expect(two.slice(-3)).toEqual([
        "Changes: 2 JSON patch operations",
        `  replace  /a        ${JSON.stringify(exact)}`,
        `  add      /spec/b   ${JSON.stringify(exact).slice(0, 99)}…`
      ])
    })
  )

  it.effect("evaluates every feature chain when the features are on", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(T.dynakube(T.cloudNative(), T.enrichment()), T.pod("web"))
      const lines = linesOf(reportOf(preview))
      expect(lines).toContain("Metadata enrichment: On")
      expect(lineOf(lines, "metadata-enabled")).toBe("  pass  metadata-enabled")
    })
  )
})

describe("Render.toText: a pod left alone", () => {
  it.effect("says the features were not evaluated and nothing changes", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(cloudNative, T.pod("web", T.withAnnotation("dynatrace.com/inject", "false")))
      const lines = linesOf(reportOf(preview, { target: "Pod/web" }))
      expect(lines[2]).toBe('Result: PodOptedOut — The pod opted out with dynatrace.com/inject: "false".')
      expect(lineOf(lines, "pod-opt-out")).toMatch(
        /^ {2}SKIP {2}pod-opt-out +PodOptedOut: The pod opted out with dynatrace\.com\/inject: "false"\.$/
      )
      expect(lineOf(lines, "injection-features")).toMatch(/\(not reached\)$/)
      expect(lines.slice(-3)).toEqual([
        "Features: not evaluated (the pod rules left the pod alone)",
        "",
        "Changes: none (the pod is admitted as it is)"
      ])
      expect(lines.some((l) => l.startsWith("OneAgent code modules"))).toBe(false)
    })
  )

  it.effect("shows the Event a missing DynaKube records", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(cloudNative, T.pod("web"), { dynakubes: [] })
      const lines = linesOf(reportOf(preview))
      expect(preview.events).toHaveLength(1)
      expect(lineOf(lines, "dynakube-found")).toMatch(/^ {2}SKIP {2}dynakube-found +\S+: /)
      expect(lines.at(-2)).toBe("Changes: none (the pod is admitted as it is)")
      expect(lines.at(-1)).toMatch(/^Event: Warning MissingDynakube: \S/)
    })
  )
})

describe("Render.toText: a pod the webhook cannot decode", () => {
  it("says the pod is admitted unchanged, with the decoding message", () => {
    const report: Report = {
      target: "Deployment/shop",
      namespace: "demo",
      settingsSource: "defaults",
      csiDriver: false,
      preview: { _tag: "InvalidPod", message: "Expected array, got 3 at [spec][containers]" }
    }
    expect(Render.toText(report)).toBe(
      [
        "Deployment/shop in namespace demo (webhook settings from defaults; CSI driver off)",
        "",
        "Result: InvalidPod — the webhook admits the pod unchanged: Expected array, got 3 at [spec][containers]"
      ].join("\n")
    )
  })
})

describe("Render.toJson", () => {
  it.effect("holds the report's fields, the trace and the preview's own patch and events", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(cloudNative, T.pod("web"))
      const json = Render.toJson(reportOf(preview)) as Record<string, unknown>
      expect(Object.keys(json)).toEqual([
        "target",
        "namespace",
        "settingsSource",
        "csiDriver",
        "result",
        "explanation",
        "patch",
        "events"
      ])
      expect(json["target"]).toBe("Deployment/web")
      expect(json["namespace"]).toBe("apps")
      expect(json["settingsSource"]).toBe("Deployment dynatrace/dynatrace-webhook")
      expect(json["csiDriver"]).toBe(true)
      expect(json["result"]).toEqual({ reason: "Injected", message: "Injected OneAgent into containers web." })
      expect(json["patch"]).toEqual(preview.patch)
      expect(json["events"]).toEqual(preview.events)
      expect(json["explanation"]).toEqual(preview.explanation)
      // The decision and the admitted pod are not part of the document.
      expect(JSON.stringify(json)).not.toContain('"decision"')
      // What `--json` prints parses back to the same document.
      expect(JSON.parse(JSON.stringify(json))).toEqual(json)
    })
  )

  it.effect("leaves the features out of the trace of a pod left alone", () =>
    Effect.gen(function* () {
      const preview = yield* previewOf(cloudNative, T.pod("web", T.withAnnotation("dynatrace.com/inject", "false")))
      const parsed = JSON.parse(JSON.stringify(Render.toJson(reportOf(preview)))) as Record<string, unknown>
      expect(parsed["result"]).toEqual({ reason: "PodOptedOut", message: preview.message })
      expect(parsed["patch"]).toEqual([])
      expect(parsed["explanation"]).toEqual({ pod: preview.explanation.pod })
    })
  )

  it("has only the report's fields and the result for InvalidPod", () => {
    const report: Report = {
      target: "Pod/x",
      namespace: "demo",
      settingsSource: "defaults",
      csiDriver: true,
      preview: { _tag: "InvalidPod", message: "bad pod" }
    }
    expect(Render.toJson(report)).toEqual({
      target: "Pod/x",
      namespace: "demo",
      settingsSource: "defaults",
      csiDriver: true,
      result: { reason: "InvalidPod", message: "bad pod" }
    })
  })
})
