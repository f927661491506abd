/**
 * The injection decision as a trace (peers' wish list: "which rule matched or failed, with reason codes"): every
 * rule of the pod chain and of each feature chain with its verdict, in the order `InjectionPolicy.decide` runs
 * them. It is computed from the same rules and the same facts as the decision, so it cannot drift from what the
 * webhook does; a property test holds the two verdicts equal.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import * as Policy from "../Policy.ts"
import * as InjectionPolicy from "./InjectionPolicy.ts"

/** A feature chain's verdict and its steps (enablement first, then readiness). @category models @since 0.1.0 */
export interface FeatureTrace {
  readonly verdict: InjectionPolicy.Feature["_tag"]
  readonly steps: ReadonlyArray<Policy.Step>
}

/** The whole trace; `features` is absent when the pod chain skipped the pod. @category models @since 0.1.0 */
export interface Explanation {
  readonly pod: ReadonlyArray<Policy.Step>
  readonly features:
    | {
        readonly oneAgent: FeatureTrace
        readonly metadata: FeatureTrace
        readonly otlp: FeatureTrace
      }
    | undefined
}

const violated = (steps: ReadonlyArray<Policy.Step>): boolean => steps.some((s) => s.verdict === "violated")

const featureTrace = (
  admitted: InjectionPolicy.Admitted,
  enablement: ReadonlyArray<Policy.Rule<InjectionPolicy.Admitted>>,
  readiness: ReadonlyArray<Policy.Rule<InjectionPolicy.Admitted>> = []
): FeatureTrace => {
  const wanted = Policy.trace(enablement, admitted)
  if (violated(wanted)) return { verdict: "Off", steps: [...wanted, ...Policy.notReached(readiness)] }
  const possible = Policy.trace(readiness, admitted)
  return { verdict: violated(possible) ? "Refused" : "On", steps: [...wanted, ...possible] }
}

/** The trace of the decision for these facts. @category evaluation @since 0.1.0 */
export const explain = (facts: InjectionPolicy.PodFacts): Explanation => ({
  pod: Policy.trace(InjectionPolicy.podRules, facts),
  features: Result.match(InjectionPolicy.admit(facts), {
    onFailure: () => undefined,
    onSuccess: (admitted) => ({
      oneAgent: featureTrace(admitted, InjectionPolicy.oneAgentEnablement, InjectionPolicy.oneAgentReadiness),
      metadata: featureTrace(admitted, InjectionPolicy.metadataEnablement),
      otlp: featureTrace(admitted, InjectionPolicy.otlpEnablement)
    })
  })
})
