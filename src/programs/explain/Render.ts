/**
 * The `explain` report as text (default) or JSON (`--json`).
 *
 * Text (`SKIP`: the rule that left the pod alone; `off`: a feature not wanted; `FAIL`: a feature wanted but
 * impossible, `-`: not reached):
 * ```
 * Deployment/shop in namespace demo-shop (webhook settings from Deployment dynatrace/dynatrace-webhook)
 *
 * Result: Injected — The pod was injected: ...
 *
 * Pod rules
 *   pass  namespace-found
 *   pass  namespace-labelled
 *   ...
 * OneAgent code modules: On
 *   pass  oneagent-mode
 *   ...
 * Metadata enrichment: Off
 *   off   metadata-enabled          FeatureDisabled: Metadata enrichment is not enabled in the DynaKube.
 * ...
 *
 * Changes: 9 JSON patch operations
 *   add      /spec/initContainers     [{"name":"dynatrace-operator",...}]
 *   ...
 * ```
 *
 * JSON: `{ target, namespace, settingsSource, csiDriver, result: { reason, message }, explanation, patch, events }`
 * (`result.reason` is `InvalidPod` and the rest is absent when the webhook could not decode the pod).
 *
 * @since 0.1.0
 */
import type { Explanation } from "../webhook/pod/Explanation.ts"
import type * as Policy from "../webhook/Policy.ts"
import type { Report } from "./Explain.ts"

/**
 * The mark of a rule that stopped its chain says what stopping means there: the pod chain skips the pod (`SKIP`),
 * a feature's enablement rules turn it off (`off`: not wanted, nothing is wrong), its readiness rules refuse it
 * (`FAIL`: wanted but impossible; the reason is written onto the pod).
 */
type StopMark = "SKIP" | "off " | "FAIL"

const stepLines = (steps: ReadonlyArray<Policy.Step>, width: number, stop: StopMark): ReadonlyArray<string> =>
  steps.map((step) => {
    const mark = step.verdict === "passed" ? "pass" : step.verdict === "violated" ? stop : "  - "
    const head = `  ${mark}  ${step.rule}`
    if (step.verdict === "violated") return `${head.padEnd(width + 8)}${step.reason}: ${step.message}`
    return step.verdict === "not-reached" ? `${head.padEnd(width + 8)}(not reached)` : head
  })

const featureTitles = {
  oneAgent: "OneAgent code modules",
  metadata: "Metadata enrichment",
  otlp: "OTLP exporter configuration"
} as const

const explanationLines = (explanation: Explanation): ReadonlyArray<string> => {
  const features = explanation.features
  const all = [...explanation.pod, ...(features === undefined ? [] : Object.values(features).flatMap((f) => f.steps))]
  const width = Math.max(0, ...all.map((s) => s.rule.length)) + 2
  const lines = ["Pod rules", ...stepLines(explanation.pod, width, "SKIP")]
  if (features === undefined) {
    lines.push("Features: not evaluated (the pod rules left the pod alone)")
    return lines
  }
  for (const key of ["oneAgent", "metadata", "otlp"] as const) {
    const stop = features[key].verdict === "Refused" ? "FAIL" : "off "
    lines.push(`${featureTitles[key]}: ${features[key].verdict}`, ...stepLines(features[key].steps, width, stop))
  }
  return lines
}

const maxValueLength = 100

const valueText = (value: unknown): string => {
  const text = JSON.stringify(value) ?? ""
  return text.length > maxValueLength ? `${text.slice(0, maxValueLength - 1)}…` : text
}

/** Human-readable text. @category rendering @since 0.1.0 */
export const toText = (report: Report): string => {
  const lines = [
    `${report.target} in namespace ${report.namespace} (webhook settings from ${report.settingsSource}; CSI driver ${report.csiDriver ? "on" : "off"})`,
    ""
  ]
  if (report.preview._tag === "InvalidPod") {
    lines.push(`Result: InvalidPod — the webhook admits the pod unchanged: ${report.preview.message}`)
    return lines.join("\n")
  }
  const preview = report.preview.value
  lines.push(`Result: ${preview.reason} — ${preview.message}`, "", ...explanationLines(preview.explanation), "")
  if (preview.patch.length === 0) {
    lines.push("Changes: none (the pod is admitted as it is)")
  } else {
    const width = Math.max(...preview.patch.map((op) => op.path.length)) + 2
    lines.push(`Changes: ${preview.patch.length} JSON patch operation${preview.patch.length === 1 ? "" : "s"}`)
    for (const op of preview.patch) {
      const value = "value" in op ? valueText(op.value) : ""
      lines.push(`  ${op.op.padEnd(8)} ${op.path.padEnd(width)} ${value}`.trimEnd())
    }
  }
  for (const event of preview.events) lines.push(`Event: ${event.type} ${event.reason}: ${event.message}`)
  return lines.join("\n")
}

/** The report as one JSON document. @category rendering @since 0.1.0 */
export const toJson = (report: Report): unknown => {
  const base = {
    target: report.target,
    namespace: report.namespace,
    settingsSource: report.settingsSource,
    csiDriver: report.csiDriver
  }
  if (report.preview._tag === "InvalidPod") {
    return { ...base, result: { reason: "InvalidPod", message: report.preview.message } }
  }
  const preview = report.preview.value
  return {
    ...base,
    result: { reason: preview.reason, message: preview.message },
    explanation: preview.explanation,
    patch: preview.patch,
    events: preview.events
  }
}
