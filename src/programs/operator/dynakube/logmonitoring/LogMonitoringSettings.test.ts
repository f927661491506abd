import { describe, expect, it } from "@effect/vitest"
import type { Condition } from "../../runtime/Conditions.ts"
import { dynakube, withSpec } from "../oneagent/WorkloadFixtures.ts"
import { isOutdated, matchers, reasons, scopeMissingCondition, settingsObject } from "./LogMonitoringSettings.ts"

const minute = 60_000
const now = Date.parse("2026-11-24T12:00:00Z")
const condition = (status: "True" | "False", reason: string, minutesAgo: number): Condition => ({
  type: "LogMonitoringSettings",
  status,
  reason,
  message: "",
  lastTransitionTime: new Date(now - minutesAgo * minute).toISOString()
})

describe("log-storage settings object", () => {
  it("is builtin:logmonitoring.log-storage-settings 1.0.16 in the MEID scope with the original's value", () => {
    const dk = dynakube(
      withSpec((s) => {
        s.logMonitoring = {
          ingestRuleMatchers: [
            { attribute: "k8s.namespace.name", values: ["shop", "cart"] },
            { attribute: "k8s.container.name" },
            { values: ["x"] }
          ]
        }
      })
    )
    expect(settingsObject(dk, "KUBERNETES_CLUSTER-1")).toStrictEqual({
      schemaId: "builtin:logmonitoring.log-storage-settings",
      schemaVersion: "1.0.16",
      scope: "KUBERNETES_CLUSTER-1",
      value: {
        "config-item-title": "prod-cluster",
        matchers: [
          { attribute: "k8s.namespace.name", operator: "MATCHES", values: ["shop", "cart"] },
          { attribute: "k8s.container.name", operator: "MATCHES" },
          { operator: "MATCHES", values: ["x"] }
        ],
        enabled: true,
        "send-to-storage": true
      }
    })
    // The wire order of the value's keys is the original's.
    expect(Object.keys(settingsObject(dk, "M").value)).toStrictEqual([
      "config-item-title",
      "matchers",
      "enabled",
      "send-to-storage"
    ])
  })

  it("has no matchers without ingestRuleMatchers", () => {
    expect(matchers(dynakube(withSpec((s) => void (s.logMonitoring = {}))))).toStrictEqual([])
  })
})

describe("when to ask the tenant", () => {
  const threshold = 15 * minute
  it("without a condition, after a failure or skip, and once a confirmation is older than the threshold", () => {
    expect(isOutdated(undefined, now, threshold)).toBe(true)
    expect(isOutdated(condition("False", reasons.skipped, 0), now, threshold)).toBe(true)
    expect(isOutdated(condition("False", reasons.error, 0), now, threshold)).toBe(true)
    expect(isOutdated(condition("True", reasons.exists, 14), now, threshold)).toBe(false)
    expect(isOutdated(condition("True", reasons.exists, 15), now, threshold)).toBe(true)
  })

  it("a missing scope is re-checked once per threshold, not every reconcile", () => {
    expect(isOutdated(condition("False", reasons.scopeMissing, 1), now, threshold)).toBe(false)
    expect(isOutdated(condition("False", reasons.scopeMissing, 20), now, threshold)).toBe(true)
  })

  it("an unreadable transition time counts as outdated", () => {
    expect(isOutdated({ ...condition("True", reasons.exists, 0), lastTransitionTime: "soon" }, now, threshold)).toBe(
      true
    )
  })

  it("the scope-missing message names the missing scopes", () => {
    expect(scopeMissingCondition(["settings.read", "settings.write"]).message).toBe(
      "settings.read, settings.write scope(s) missing: cannot query existing log monitoring setting and/or safely create new one."
    )
  })
})
