/**
 * `dynatrace-operator bootstrap`: the injected init container (spec §4). The flags are the ones the webhook
 * writes into the init container's args (§3.3, always in `--name=value` form); the pod env and two operator env
 * vars are read as fallbacks of hidden flags. The program itself is `src/init/Bootstrap.ts`.
 *
 * As in the original, unknown flags are ignored (`withoutUnknownFlags`), so an init container spec written by a
 * newer webhook still runs.
 *
 * @since 0.1.0
 */
import { Config, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import * as Bootstrap from "../../init/Bootstrap.ts"
import * as CodeModuleSource from "../../init/CodeModuleSource.ts"

const text = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)

const fromEnv = (name: string, env: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(`${description} (env ${env})`),
    Flag.withFallbackConfig(Config.String(env)),
    Flag.optional,
    Flag.withHidden
  )

const toggle = (name: string, description: string) =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

const many = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.atLeast(0))

const flags = {
  inputDirectory: text("input-directory", "Mounted bootstrapper config and certs (/mnt/input)"),
  configDirectory: text("config-directory", "Shared config volume (/mnt/config)"),
  target: text("target", "Code-module volume (/mnt/bin)"),
  source: text("source", "Code module inside a self-extracting image (k8s-init only; accepted and unused)"),
  installPath: text(
    "install-path",
    "Where application containers mount the code module (default /opt/dynatrace/oneagent)"
  ),
  fullstack: toggle("fullstack", "cloudNativeFullStack: write the [host] section (needs --tenant)"),
  tenant: text("tenant", "Tenant UUID (with --fullstack)"),
  technology: text("technology", "Comma-separated technologies to download (all = no filter)"),
  version: text("version", "Code-module version to download when the volume is empty (no CSI)"),
  flavor: text("flavor", "Code-module flavor to download (default multidistro)"),
  url: text("url", "Tenant API URL for the download"),
  metadataEnrichment: toggle("metadata-enrichment", "Write dt_metadata.json / dt_metadata.properties per container"),
  enableAttributesDtKubernetes: text(
    "enable-attributes-dt-kubernetes",
    "Also write the deprecated dt.kubernetes.* attributes (true|false, default true)"
  ),
  suppressError: toggle("suppress-error", "Failure policy silent: log failures and exit 0"),
  attributes: many("attribute", "A pod attribute key=value (repeatable)"),
  attributeContainers: many("attribute-container", "A container as JSON (repeatable)"),
  work: text("work", "Atomic work directory (k8s-init only; accepted and unused)"),
  debug: toggle("debug", "Log at debug level"),
  podName: fromEnv("pod-name", "K8S_PODNAME", "Pod name"),
  podUid: fromEnv("pod-uid", "K8S_PODUID", "Pod UID"),
  nodeName: fromEnv("node-name", "K8S_NODE_NAME", "Node name"),
  extractLinks: fromEnv(
    "extract-links",
    "DT_EXTRACT_CODEMODULES_IMAGE_LINKS",
    "Extract symlinks from the code-module zip"
  ),
  connectionTimeout: fromEnv("connection-timeout", "DT_CLIENT_CONNECTION_TIMEOUT", "Download deadline")
}

/** Long flags of this command that take a value. */
const valueFlags = new Set([
  "input-directory",
  "config-directory",
  "target",
  "source",
  "install-path",
  "tenant",
  "technology",
  "version",
  "flavor",
  "url",
  "enable-attributes-dt-kubernetes",
  "attribute",
  "attribute-container",
  "work",
  "pod-name",
  "pod-uid",
  "node-name",
  "extract-links",
  "connection-timeout",
  "log-level",
  "completions"
])

/** Long flags of this command that are switches (the CLI's own included). */
const switchFlags = new Set(["fullstack", "metadata-enrichment", "suppress-error", "debug", "help", "wizard"])

/**
 * `argv` without the flags `bootstrap` does not know, when the subcommand is `bootstrap` (the first token that
 * is not a flag). An unknown `--name` without `=` also drops the next token when that is not a flag (the usual
 * "unknown flag with a value" reading). Other subcommands' argv is returned unchanged.
 *
 * @category argv
 * @since 0.1.0
 */
export const withoutUnknownFlags = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const at = argv.findIndex((token) => !token.startsWith("-"))
  if (at < 0 || argv[at] !== "bootstrap") return argv
  const kept = argv.slice(0, at + 1)
  for (let i = at + 1; i < argv.length; i++) {
    const token = argv[i]!
    if (token === "--") {
      kept.push(...argv.slice(i))
      break
    }
    if (!token.startsWith("--")) {
      kept.push(token)
      continue
    }
    const eq = token.indexOf("=")
    const name = token.slice(2, eq < 0 ? undefined : eq)
    if (valueFlags.has(name) || switchFlags.has(name) || name === "version") {
      kept.push(token)
    } else if (eq < 0 && i + 1 < argv.length && !argv[i + 1]!.startsWith("-")) {
      i++
    }
  }
  return kept
}

/**
 * The subcommand.
 *
 * @category commands
 * @since 0.1.0
 */
export const bootstrapCommand = Command.make("bootstrap", flags, (raw) =>
  Effect.gen(function* () {
    // Spec §4.2: files get exactly the modes the writers ask for.
    yield* Effect.sync(() => process.umask(0))
    yield* Bootstrap.main(raw)
  }).pipe(Effect.provide(CodeModuleSource.layer))
).pipe(
  Command.withDescription(
    "Init container of injected pods: make the OneAgent code module available and write its configuration and the metadata-enrichment files."
  )
)
