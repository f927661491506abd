import { describe, expect, it } from "@effect/vitest"
import * as Check from "./Check.ts"
import * as Report from "./Report.ts"

const report: Report.Report = {
  namespace: "dynatrace",
  operatorVersion: "0.1.0",
  checks: [
    ...Check.about("cluster", [
      Check.pass("namespace", "Namespace dynatrace exists."),
      Check.warn("crd-edgeconnect", "Absent.")
    ]),
    ...Check.about("dynakube dynatrace/dk", [
      Check.fail("token-scopes", "Missing token scopes: apiToken lacks InstallerDownload."),
      Check.skip("pull-secret", "Not needed.")
    ])
  ]
}

describe("Report", () => {
  it("text: grouped by subject, aligned, with the summary line", () => {
    expect(Report.toText(report)).toBe(
      [
        "Troubleshooting dynatrace-operator 0.1.0 in namespace dynatrace",
        "",
        "cluster",
        "  PASS  namespace        Namespace dynatrace exists.",
        "  WARN  crd-edgeconnect  Absent.",
        "dynakube dynatrace/dk",
        "  FAIL  token-scopes     Missing token scopes: apiToken lacks InstallerDownload.",
        "  SKIP  pull-secret      Not needed.",
        "",
        "1 passed, 1 warning, 1 failed, 1 skipped: FAILED"
      ].join("\n")
    )
  })

  it("JSON: healthy flag, summary and every check", () => {
    const json = Report.toJson(report)
    expect(json.healthy).toBe(false)
    expect(json.summary).toEqual({ passed: 1, warnings: 1, failed: 1, skipped: 1 })
    expect(json.checks[2]).toEqual({
      subject: "dynakube dynatrace/dk",
      id: "token-scopes",
      status: "fail",
      message: "Missing token scopes: apiToken lacks InstallerDownload."
    })
    const ok = Report.toJson({ ...report, checks: report.checks.filter((c) => c.status !== "fail") })
    expect(ok.healthy).toBe(true)
    expect(Report.summaryLine(ok.checks)).toBe("1 passed, 1 warning, 0 failed, 1 skipped: OK")
  })
})
