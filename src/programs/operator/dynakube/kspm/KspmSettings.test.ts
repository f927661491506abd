import { assert, describe, it } from "@effect/vitest"
import type { Condition } from "../../runtime/Conditions.ts"
import { isOutdated, messages, settingsObject, settingsStep, type SettingsStepInput } from "./KspmSettings.ts"

const now = Date.parse("2026-11-24T12:00:00Z")
const minute = 60_000
const threshold = 15 * minute

const cond = (status: "True" | "False", reason: string, minutesAgo: number): Condition => ({
  type: "KSPMSettings",
  status,
  reason,
  message: "",
  lastTransitionTime: new Date(now - minutesAgo * minute).toISOString().replace(".000Z", "Z")
})

const input = (change: Partial<SettingsStepInput> = {}): SettingsStepInput => ({
  kubernetesMonitoring: true,
  condition: undefined,
  now,
  thresholdMillis: threshold,
  settingsRead: true,
  settingsWrite: true,
  meid: "KUBERNETES_CLUSTER-1234",
  ...change
})

describe("KspmSettings", () => {
  it("the object is builtin:kubernetes.security-posture-management v1 in the MEID's scope", () => {
    assert.deepStrictEqual(settingsObject("KUBERNETES_CLUSTER-1", true), {
      schemaId: "builtin:kubernetes.security-posture-management",
      schemaVersion: "1",
      scope: "KUBERNETES_CLUSTER-1",
      value: { configurationDatasetPipelineEnabled: true }
    })
    assert.deepStrictEqual(settingsObject("M", false).value, { configurationDatasetPipelineEnabled: false })
  })

  it("isOutdated: missing, False (not ScopeMissing), or older than the threshold", () => {
    assert.isTrue(isOutdated(undefined, now, threshold))
    assert.isFalse(isOutdated(cond("True", "Exists", 14), now, threshold))
    assert.isTrue(isOutdated(cond("True", "Exists", 15), now, threshold))
    assert.isTrue(isOutdated(cond("False", "Skipped", 0), now, threshold))
    assert.isTrue(isOutdated(cond("False", "Error", 0), now, threshold))
    assert.isFalse(isOutdated(cond("False", "ScopeMissing", 1), now, threshold))
    assert.isTrue(isOutdated(cond("False", "ScopeMissing", 16), now, threshold))
    assert.isTrue(isOutdated({ ...cond("True", "Exists", 0), lastTransitionTime: "garbage" }, now, threshold))
  })

  it("without Kubernetes monitoring the condition goes and nothing is asked", () => {
    assert.deepStrictEqual(settingsStep(input({ kubernetesMonitoring: false, condition: cond("True", "Exists", 1) })), {
      _tag: "Remove"
    })
  })

  it("a recent look is kept; an old one is checked again", () => {
    assert.deepStrictEqual(settingsStep(input({ condition: cond("True", "Exists", 5) })), { _tag: "Keep" })
    assert.deepStrictEqual(settingsStep(input({ condition: cond("True", "Exists", 20) })), {
      _tag: "Check",
      meid: "KUBERNETES_CLUSTER-1234"
    })
  })

  it("missing settings scopes are named, read first", () => {
    assert.deepStrictEqual(settingsStep(input({ settingsRead: false, settingsWrite: false })), {
      _tag: "ScopeMissing",
      message: messages.scopesMissing(["settings.read", "settings.write"])
    })
    const onlyWrite = settingsStep(input({ settingsWrite: false }))
    assert.strictEqual(onlyWrite._tag, "ScopeMissing")
    assert.match(onlyWrite._tag === "ScopeMissing" ? onlyWrite.message : "", /^settings\.write scope\(s\) missing/)
  })

  it("an unknown MEID skips (checked again every reconcile, without a tenant call)", () => {
    assert.deepStrictEqual(settingsStep(input({ meid: undefined })), { _tag: "Skipped", message: messages.meidMissing })
    assert.deepStrictEqual(settingsStep(input({ meid: "", condition: cond("False", "Skipped", 0) })), {
      _tag: "Skipped",
      message: messages.meidMissing
    })
  })
})
