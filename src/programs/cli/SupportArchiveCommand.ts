/**
 * `dynatrace-operator support-archive`: writes a tgz with what support needs to look at an install (spec §7):
 * versions, the troubleshoot report, manifests of our CRs, their objects and our workloads, webhook
 * configurations, CRDs, events and container logs. Every Secret value is redacted. See
 * `src/programs/supportarchive/Collect.ts` for the layout and docs/troubleshooting.md for usage.
 *
 * | flag / env          | default |
 * |---------------------|---------|
 * | `--namespace`       | `POD_NAMESPACE`, `dynatrace` |
 * | `--stdout`          | false: write to `--output` instead |
 * | `--output`          | `/tmp/dynatrace-operator/operator-support-archive-<date>-<time>.tgz` |
 * | `--num-events`      | 300 |
 * | `--managed-logs`    | true (`--no-managed-logs` leaves out the pods the operator deploys) |
 * | `--delay`           | 0 seconds to wait before collecting |
 *
 * With `--stdout` the archive is the only thing on stdout (`kubectl exec … -- dynatrace-operator support-archive
 * --stdout > archive.tgz`); logs and the summary go to stderr.
 */
import { Clock, Config, Console, Duration, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as fs from "node:fs"
import * as path from "node:path"
import { KubeClient } from "../../services/KubeClient.ts"
import { parseBool } from "../operator/dynakube/FeatureFlags.ts"
import { PodLogs } from "../supportarchive/PodLogs.ts"
import * as SupportArchive from "../supportarchive/SupportArchive.ts"
import { stderrLogger } from "./TroubleshootCommand.ts"
import { version } from "./Version.ts"

const boolEnv = (name: string, fallback: boolean) =>
  Config.String(name).pipe(
    Config.option,
    Config.map((text) => parseBool(Option.getOrUndefined(text)) ?? fallback)
  )

/** Opens the output file (creating its folder) as a stream that closes with the scope. */
const openOutput = (file: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      return fs.createWriteStream(file)
    }),
    (stream) => Effect.sync(() => stream.destroyed || stream.close())
  )

export const supportArchiveCommand = Command.make(
  "support-archive",
  {
    namespace: Flag.String("namespace").pipe(
      Flag.withDescription("Namespace of the operator (default: POD_NAMESPACE, else dynatrace)."),
      Flag.withFallbackConfig(Config.String("POD_NAMESPACE")),
      Flag.withDefault("dynatrace")
    ),
    stdout: Flag.Boolean("stdout").pipe(
      Flag.withDescription("Write the archive to stdout instead of a file."),
      Flag.withDefault(false)
    ),
    output: Flag.String("output").pipe(
      Flag.withDescription(
        "Archive file (default /tmp/dynatrace-operator/operator-support-archive-<date>-<time>.tgz)."
      ),
      Flag.optional
    ),
    numEvents: Flag.Int("num-events").pipe(
      Flag.withDescription("How many of the newest Events to include."),
      Flag.withDefault(300)
    ),
    managedLogs: Flag.Boolean("managed-logs").pipe(
      Flag.withDescription(
        "Include the logs of the pods the operator deploys for DynaKubes (OneAgent, ActiveGate, ...)."
      ),
      Flag.withDefault(true)
    ),
    delay: Flag.Int("delay").pipe(
      Flag.withDescription("Seconds to wait before collecting (e.g. to reproduce a problem first)."),
      Flag.withDefault(0)
    )
  },
  Effect.fn("SupportArchiveCommand.run")(
    function* (flags) {
      if (flags.delay > 0) yield* Effect.sleep(Duration.seconds(flags.delay))
      const options = {
        namespace: flags.namespace,
        operatorVersion: version,
        numEvents: flags.numEvents,
        managedLogs: flags.managedLogs,
        hostAvailabilityDetection: yield* boolEnv("DT_HOST_AVAILABILITY_DETECTION", true),
        kubemonOperand: yield* boolEnv("EXPERIMENTAL_ENABLE_KUBEMON_OPERAND", false)
      }
      const now = new Date(yield* Clock.currentTimeMillis)
      const file = flags.stdout
        ? undefined
        : Option.getOrElse(flags.output, () => path.join("/tmp/dynatrace-operator", SupportArchive.fileName(now)))
      const destination = file === undefined ? process.stdout : yield* openOutput(file)
      const written = yield* SupportArchive.run(options, destination).pipe(
        Effect.provide([KubeClient.layer, PodLogs.layer])
      )
      const where = file ?? "stdout"
      yield* Console.error(`Wrote the support archive (${written.files.length} files) to ${where}.`)
      yield* Effect.logInfo("Support archive written.").pipe(
        Effect.annotateLogs({
          destination: where,
          files: written.files.length,
          gaps: written.notes.filter((n) => n.includes("not available")).length
        })
      )
    },
    Effect.scoped,
    Effect.provide(stderrLogger)
  )
).pipe(
  Command.withDescription(
    "Write a tar.gz with versions, the troubleshoot report, manifests (DynaKubes, EdgeConnects, workloads, webhooks, CRDs), events and logs; every Secret value redacted."
  )
)
