/**
 * `dynatrace-operator troubleshoot`: checks a live install (spec §7) and prints a pass/warn/fail/skip list, as text
 * or, with `--json`, as one JSON document. Meant for `kubectl exec` into the operator pod, so it reads the
 * operator's own environment for the settings that change what is required.
 *
 * | flag / env                            | default                      |
 * |---------------------------------------|------------------------------|
 * | `--namespace`                         | `POD_NAMESPACE`, `dynatrace` |
 * | `--dynakube`                          | every DynaKube of the namespace |
 * | `--json`                              | false                        |
 * | `DT_HOST_AVAILABILITY_DETECTION`      | true (adds DataExport)       |
 * | `EXPERIMENTAL_ENABLE_KUBEMON_OPERAND` | false                        |
 *
 * Exit code 1 when any check failed (the report is printed in full first), 0 otherwise. Logs go to stderr so that
 * stdout holds only the report.
 */
import { Config, Console, Effect, Logger, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { KubeClient } from "../../services/KubeClient.ts"
import { parseBool } from "../operator/dynakube/FeatureFlags.ts"
import * as Check from "../troubleshoot/Check.ts"
import * as Report from "../troubleshoot/Report.ts"
import * as Troubleshoot from "../troubleshoot/Troubleshoot.ts"
import { version } from "./Version.ts"

/** JSON log lines on stderr: stdout is the report's. */
export const stderrLogger = Logger.layer([Logger.withConsoleError(Logger.formatJson)])

const boolEnv = (name: string, fallback: boolean) =>
  Config.String(name).pipe(
    Config.option,
    Config.map((text) => parseBool(Option.getOrUndefined(text)) ?? fallback)
  )

/** Marks the process as failed without ending it: the report is already printed, and no log line follows it. */
const exitWith = (code: number) =>
  Effect.sync(() => {
    process.exitCode = code
  })

export const troubleshootCommand = Command.make(
  "troubleshoot",
  {
    namespace: Flag.String("namespace").pipe(
      Flag.withDescription("Namespace of the operator (default: POD_NAMESPACE, else dynatrace)."),
      Flag.withFallbackConfig(Config.String("POD_NAMESPACE")),
      Flag.withDefault("dynatrace")
    ),
    dynakube: Flag.String("dynakube").pipe(
      Flag.withDescription("Check only this DynaKube (default: every DynaKube of the namespace)."),
      Flag.optional
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the report as JSON."), Flag.withDefault(false))
  },
  Effect.fn("TroubleshootCommand.run")(function* (flags) {
    const report = yield* Troubleshoot.run({
      namespace: flags.namespace,
      dynakube: Option.getOrUndefined(flags.dynakube),
      operatorVersion: version,
      hostAvailabilityDetection: yield* boolEnv("DT_HOST_AVAILABILITY_DETECTION", true),
      kubemonOperand: yield* boolEnv("EXPERIMENTAL_ENABLE_KUBEMON_OPERAND", false)
    }).pipe(Effect.provide(KubeClient.layer))
    yield* Console.log(flags.json ? JSON.stringify(Report.toJson(report), null, 2) : Report.toText(report))
    if (!Check.isHealthy(report.checks)) yield* exitWith(1)
  }, Effect.provide(stderrLogger))
).pipe(
  Command.withDescription(
    "Check a live install: CRDs, namespace, DynaKubes (API URL, tokens and scopes against the tenant, pull secret, proxy, components), webhook reachability and certificates. Exits 1 when a check fails."
  )
)
