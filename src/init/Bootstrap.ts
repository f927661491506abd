/**
 * The `bootstrap` program (spec §4.2): what the injected init container does before the application starts.
 *
 * 1. read the input directory (mounted Secrets);
 * 2. make the code module available on `--target` (CSI volume content, or download + safe extraction);
 * 3. write each container's OneAgent configuration (with `--target`, `--config-directory`, `--input-directory`);
 * 4. write each container's enrichment files (with `--metadata-enrichment`);
 * 5. write `ld.so.preload`, last, so a failure anywhere before never leaves processes preloading a library
 *    that is not set up.
 *
 * All of it runs under the failure policy (`FailurePolicy`), input validation included.
 *
 * @since 0.1.0
 */
import { Effect, References } from "effect"
import * as AgentFiles from "./AgentFiles.ts"
import * as BootstrapInput from "./BootstrapInput.ts"
import * as Enrichment from "./Enrichment.ts"
import * as FailurePolicy from "./FailurePolicy.ts"
import * as InputDirectory from "./InputDirectory.ts"
import * as OneAgentConfig from "./OneAgentConfig.ts"

/**
 * Steps 1–5 on validated input.
 *
 * @category program
 * @since 0.1.0
 */
export const run = Effect.fn("Bootstrap.run")(function* (input: BootstrapInput.BootstrapInput) {
  const files =
    input.inputDirectory === undefined ? InputDirectory.empty : yield* InputDirectory.read(input.inputDirectory)
  const agentFiles = input.target === undefined ? undefined : yield* AgentFiles.ensure(input, input.target, files)
  const configureAgent =
    input.target !== undefined && input.configDirectory !== undefined && input.inputDirectory !== undefined
  if (configureAgent) yield* OneAgentConfig.writeContainers(input, files, input.target!, input.configDirectory!)
  const enrich = input.metadataEnrichment && input.configDirectory !== undefined
  if (enrich) yield* Enrichment.write(input, files, input.configDirectory!)
  if (configureAgent) yield* OneAgentConfig.writePreload(input.installPath, input.configDirectory!)
  yield* Effect.logInfo("Bootstrap finished.").pipe(
    Effect.annotateLogs({
      agentFiles: agentFiles ?? "none",
      oneAgentConfig: configureAgent,
      metadataEnrichment: enrich,
      containers: input.containers.map((c) => c["k8s.container.name"]).join(",")
    })
  )
  return { agentFiles, configureAgent, enrich }
})

/**
 * The whole program from raw flags: validation and `run`, under the failure policy of `--suppress-error`;
 * `--debug` lowers the log level to Debug.
 *
 * @category program
 * @since 0.1.0
 */
export const main = (raw: BootstrapInput.RawFlags) =>
  Effect.fromResult(BootstrapInput.fromFlags(raw)).pipe(
    Effect.flatMap(run),
    FailurePolicy.apply(FailurePolicy.fromSuppressError(raw.suppressError)),
    raw.debug ? Effect.provideService(References.MinimumLogLevel, "Debug") : (self) => self
  )
