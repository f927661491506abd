/** The Istio phases' pure parts: condition names, reasons, messages, and the rename of the deprecated condition. */
import { assert, describe, it } from "@effect/vitest"
import type { ReconcileScope } from "../ReconcileScope.ts"
import * as Istio from "./Istio.ts"

const condition = (type: string) => ({
  type,
  status: "True" as const,
  reason: "IstioForCodeModuleChanged",
  message: "m",
  lastTransitionTime: "2026-11-24T12:00:00Z"
})

/** Only the status matters to the rename. */
const scopeWith = (types: ReadonlyArray<string>) =>
  ({ status: { conditions: types.map(condition) } }) as unknown as ReconcileScope

describe("Istio conditions", () => {
  it("are named IstioFor<Component> with the original's reasons and messages", () => {
    assert.deepStrictEqual(
      (["operator", "oneagent", "activegate"] as const).map((c) => [
        Istio.conditionType(c),
        Istio.reasons.changed(c),
        Istio.reasons.failed(c)
      ]),
      [
        ["IstioForOperator", "IstioForOperatorChanged", "IstioForOperatorFailed"],
        ["IstioForOneAgent", "IstioForOneAgentChanged", "IstioForOneAgentFailed"],
        ["IstioForActiveGate", "IstioForActiveGateChanged", "IstioForActiveGateFailed"]
      ]
    )
    assert.strictEqual(
      Istio.messages.configured("oneagent"),
      "ServiceEntries and VirtualServices for OneAgent have been configured."
    )
    assert.match(
      Istio.messages.failed("operator", Istio.messages.notInstalled),
      /^Failed to configure Istio .*networking\.istio\.io/
    )
  })

  it("IstioForCodeModule (older releases) becomes IstioForOneAgent, keeping its place, status and time", () => {
    const scope = scopeWith(["Tokens", "IstioForCodeModule", "IstioForOperator"])
    Istio.migrateDeprecatedCondition(scope)
    assert.deepStrictEqual(
      scope.status.conditions?.map((c) => c.type),
      ["Tokens", "IstioForOneAgent", "IstioForOperator"]
    )
    assert.deepStrictEqual(scope.status.conditions?.[1], { ...condition("IstioForOneAgent") })
  })

  it("leaves the status untouched (same object) when there is nothing to rename", () => {
    const scope = scopeWith(["Tokens", "IstioForOneAgent"])
    const before = scope.status
    Istio.migrateDeprecatedCondition(scope)
    assert.strictEqual(scope.status, before)
  })
})
