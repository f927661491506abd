/**
 * `dynatrace-operator operator`: the controllers (spec §2.1, §7). Configured by environment variables only, as the
 * original (see `src/programs/operator/OperatorConfig.ts` and docs/operator.md).
 */
import { Command } from "effect/cli"
import * as Operator from "../operator/Operator.ts"
import { version } from "./Version.ts"

export const operatorCommand = Command.make("operator", {}, () => Operator.run({ version })).pipe(
  Command.withDescription(
    "Run the controllers (DynaKube, EdgeConnect, nodes, webhook certificates) under leader election: deploys OneAgents, ActiveGates and injection set-up as DynaKubes ask. Configured by environment variables (POD_NAMESPACE, DT_DEFAULT_REQUEUE_AFTER, LEADER_ELECTION_*, ...); see docs/operator.md."
  )
)
