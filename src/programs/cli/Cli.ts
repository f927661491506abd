/**
 * The `dynatrace-operator` binary: one image, one subcommand per component (operator, webhook-server,
 * bootstrap, csi-server, csi-provisioner, troubleshoot, support-archive). `--help` on each says what it does.
 *
 * Subcommands are loaded lazily: only the chosen one's modules are imported, so the bootstrap init container does
 * not pay for the Kubernetes client, gRPC and the operator's controllers (each costs tens of MB of memory).
 * Without a known subcommand (root `--help`, a typo) every subcommand is loaded so help can list them all.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { version } from "./Version.ts"

export { version } from "./Version.ts"

/** Every subcommand by name: one line each. */
const subcommands = {
  bootstrap: () => import("./BootstrapCommand.ts").then((m) => m.bootstrapCommand),
  certgen: () => import("./CertgenCommand.ts").then((m) => m.certgenCommand),
  "crd-storage-migration": () => import("./CrdStorageMigrationCommand.ts").then((m) => m.crdStorageMigrationCommand),
  "csi-init": () => import("./CsiInitCommand.ts").then((m) => m.csiInitCommand),
  "csi-node-driver-registrar": () =>
    import("./CsiNodeDriverRegistrarCommand.ts").then((m) => m.csiNodeDriverRegistrarCommand),
  "csi-provisioner": () => import("./CsiProvisionerCommand.ts").then((m) => m.csiProvisionerCommand),
  "csi-server": () => import("./CsiServerCommand.ts").then((m) => m.csiServerCommand),
  explain: () => import("./ExplainCommand.ts").then((m) => m.explainCommand),
  "generate-crds": () => import("./GenerateCrdsCommand.ts").then((m) => m.generateCrdsCommand),
  "generate-metadata": () => import("./GenerateMetadataCommand.ts").then((m) => m.generateMetadataCommand),
  livenessprobe: () => import("./LivenessProbeCommand.ts").then((m) => m.livenessProbeCommand),
  operator: () => import("./OperatorCommand.ts").then((m) => m.operatorCommand),
  "startup-probe": () => import("./StartupProbeCommand.ts").then((m) => m.startupProbeCommand),
  "support-archive": () => import("./SupportArchiveCommand.ts").then((m) => m.supportArchiveCommand),
  troubleshoot: () => import("./TroubleshootCommand.ts").then((m) => m.troubleshootCommand),
  "webhook-server": () => import("./WebhookServerCommand.ts").then((m) => m.webhookServerCommand)
}

type SubcommandName = keyof typeof subcommands
type Subcommand = Awaited<ReturnType<(typeof subcommands)[SubcommandName]>>

/** The names of every subcommand. */
export const subcommandNames = Object.keys(subcommands) as ReadonlyArray<SubcommandName>

const isSubcommand = (name: string | undefined): name is SubcommandName =>
  name !== undefined && Object.hasOwn(subcommands, name)

/** The root command over the given (loaded) subcommands. */
export const root = (commands: ReadonlyArray<Subcommand>) =>
  Command.make("dynatrace-operator").pipe(
    Command.withDescription(
      "Deploys and keeps Dynatrace components (OneAgent, ActiveGate, code-module injection, EdgeConnect) in the state a DynaKube or EdgeConnect resource asks for."
    ),
    Command.withSubcommands(commands)
  )

/** Parses `argv` (without node and script), loads the chosen subcommand and runs it. */
export const run = (argv: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const name = argv.find((token) => !token.startsWith("-"))
    const chosen = isSubcommand(name) ? [subcommands[name]] : Object.values(subcommands)
    const commands = yield* Effect.promise(() => Promise.all(chosen.map((load) => load())))
    // As in the original, bootstrap ignores flags it does not know (an init container written by a newer webhook).
    const args =
      name === "bootstrap"
        ? (yield* Effect.promise(() => import("./BootstrapCommand.ts"))).withoutUnknownFlags(argv)
        : argv
    return yield* Command.runWith(root(commands), { version })(args)
  })
