/**
 * `dynatrace-operator csi-init`: the init container of the CSI DaemonSet (spec §5.1, §7). Creates the data
 * directory's layout and migrates the legacy (≤ 1.4) layout; the work is in `csi/sidecars/DataDirInit.ts`.
 *
 * | flag          | default | |
 * |---------------|---------|---|
 * | `--data-dir`  | `/data` | the data directory as mounted in this container |
 * | `--node-id`   | –       | accepted for compatibility with the original's flags; unused |
 * | `--endpoint`  | –       | accepted for compatibility with the original's flags; unused |
 *
 * The legacy host-agent directories are named after tenants, so their migration lists the DynaKubes of
 * `POD_NAMESPACE` (else the pod's namespace); when that is impossible (no credentials, API down for 30 s) it is
 * skipped with a warning and the container still succeeds. Exit 0 on success, 1 with one log line otherwise.
 */
import { Effect, Option } from "effect"
import { Command } from "effect/cli"
import * as fs from "node:fs/promises"
import * as DataDir from "../../csi/DataDir.ts"
import * as DataDirInit from "../../csi/sidecars/DataDirInit.ts"
import * as HostAgentDynaKubes from "../../csi/sidecars/HostAgentDynaKubes.ts"
import { SidecarError } from "../../csi/sidecars/SidecarError.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import { parseMountInfo } from "../../services/NodeFs.ts"
import * as CsiFlags from "./CsiFlags.ts"

const dataDir = CsiFlags.dataDir()
const nodeId = CsiFlags.unused("node-id")
const endpoint = CsiFlags.unused("endpoint")

const readMounts = Effect.tryPromise(() => fs.readFile("/proc/self/mountinfo", "utf8")).pipe(
  Effect.map(parseMountInfo),
  Effect.catch((error) =>
    Effect.logWarning("Could not read the mount table; no legacy app volume is migrated.").pipe(
      Effect.annotateLogs({ error: String(error.cause) }),
      Effect.as([])
    )
  )
)

const listHostAgentDynaKubes = Effect.gen(function* () {
  const namespace = yield* HostAgentDynaKubes.namespaceOf(process.env)
  return yield* HostAgentDynaKubes.list(namespace).pipe(
    Effect.provide(KubeClient.layer),
    Effect.timeout("30 seconds"),
    Effect.map(Option.some),
    Effect.catch((error) =>
      Effect.logWarning("Could not list the DynaKubes.").pipe(
        Effect.annotateLogs({ namespace, error: error.message }),
        Effect.as(Option.none())
      )
    )
  )
})

export const csiInitCommand = Command.make(
  "csi-init",
  { dataDir, nodeId, endpoint },
  Effect.fn("csi-init")(function* (flags) {
    const problem = DataDir.validateRoot(flags.dataDir)
    if (problem !== undefined) return yield* new SidecarError({ reason: "InvalidFlag", message: problem })
    const layout = DataDir.make(flags.dataDir)
    const report = yield* DataDirInit.run(layout, {
      mounts: yield* readMounts,
      hostAgentDynaKubes: yield* listHostAgentDynaKubes
    })
    yield* Effect.logInfo("Prepared the CSI data directory.").pipe(
      Effect.annotateLogs({ dataDir: layout.root, created: report.created.length, migrated: report.migrated.length })
    )
  })
).pipe(
  Command.withDescription(
    "Prepare the CSI driver's data directory on the node (init container of the CSI DaemonSet): create its layout and migrate legacy volumes."
  )
)
