/**
 * The troubleshoot report: every result in order, grouped by subject, as human text (default) or JSON (`--json`).
 *
 * Text:
 * ```
 * Troubleshooting dynatrace-operator 0.1.0 in namespace dynatrace
 *
 * cluster
 *   PASS  namespace                 Namespace dynatrace exists.
 *   FAIL  crd-dynakube              The CRD dynakubes.dynatrace.com is not installed. Install the operator's CRDs.
 * dynakube dynatrace/dynakube
 *   WARN  token-scopes              The apiToken lacks the optional scopes settings.write; …
 *
 * 10 passed, 1 warning, 1 failed, 2 skipped: FAILED
 * ```
 *
 * JSON: `{ namespace, operatorVersion, healthy, summary: { passed, warnings, failed, skipped }, checks: [{ subject,
 * id, status, message }] }`.
 *
 * @since 0.1.0
 */
import * as Check from "./Check.ts"

/** @category models @since 0.1.0 */
export interface Report {
  readonly namespace: string
  readonly operatorVersion: string
  readonly checks: ReadonlyArray<Check.CheckResult>
}

/** @category models @since 0.1.0 */
export interface ReportJson {
  readonly namespace: string
  readonly operatorVersion: string
  readonly healthy: boolean
  readonly summary: Check.Summary
  readonly checks: ReadonlyArray<Check.CheckResult>
}

const labels: Readonly<Record<Check.Status, string>> = { pass: "PASS", warn: "WARN", fail: "FAIL", skip: "SKIP" }

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** The closing line. @category rendering @since 0.1.0 */
export const summaryLine = (checks: ReadonlyArray<Check.CheckResult>): string => {
  const s = Check.summarize(checks)
  const verdict = s.failed > 0 ? "FAILED" : "OK"
  return `${s.passed} passed, ${plural(s.warnings, "warning")}, ${s.failed} failed, ${s.skipped} skipped: ${verdict}`
}

/** Human-readable text. @category rendering @since 0.1.0 */
export const toText = (report: Report): string => {
  const width = Math.max(0, ...report.checks.map((c) => c.id.length)) + 2
  const lines = [`Troubleshooting dynatrace-operator ${report.operatorVersion} in namespace ${report.namespace}`, ""]
  let subject: string | undefined
  for (const check of report.checks) {
    if (check.subject !== subject) {
      subject = check.subject
      lines.push(subject)
    }
    lines.push(`  ${labels[check.status]}  ${check.id.padEnd(width)}${check.message}`)
  }
  lines.push("", summaryLine(report.checks))
  return lines.join("\n")
}

/** The JSON document. @category rendering @since 0.1.0 */
export const toJson = (report: Report): ReportJson => ({
  namespace: report.namespace,
  operatorVersion: report.operatorVersion,
  healthy: Check.isHealthy(report.checks),
  summary: Check.summarize(report.checks),
  checks: report.checks
})
