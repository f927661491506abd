/**
 * The `dynatrace-operator` binary: one image, one subcommand per component (operator, webhook-server,
 * bootstrap, csi-server, csi-provisioner, troubleshoot, support-archive). Subcommands are added here as
 * their components land; `--help` on each says what it does.
 */
import { Command } from "effect/cli"
import { bootstrapCommand, withoutUnknownFlags } from "./BootstrapCommand.ts"
import { csiServerCommand } from "./CsiServerCommand.ts"
import { generateCrdsCommand } from "./GenerateCrdsCommand.ts"
import { webhookServerCommand } from "./WebhookServerCommand.ts"

/** The product version reported by `--version` and stamped into generated manifests. */
export const version = "0.1.0"

/** The root command. */
export const root = Command.make("dynatrace-operator").pipe(
  Command.withDescription(
    "Deploys and keeps Dynatrace components (OneAgent, ActiveGate, code-module injection, EdgeConnect) in the state a DynaKube or EdgeConnect resource asks for."
  ),
  Command.withSubcommands([bootstrapCommand, csiServerCommand, generateCrdsCommand, webhookServerCommand])
)

/** Parses `argv` (without node and script) and runs the chosen subcommand; `bootstrap` ignores unknown flags. */
export const run = (argv: ReadonlyArray<string>) => Command.runWith(root, { version })(withoutUnknownFlags(argv))
