/**
 * The CSI server's own gauges (spec §5.1), refreshed periodically while the server runs:
 *
 * - `dynatrace_csi_driver_memory_usage`: resident set size of the process, in bytes.
 * - `dynatrace_csi_driver_agent_versions{version}`: app volumes currently mounted per code-module version, read
 *   from the kernel mount table (overlayfs mounts whose lower dir is under `codemodules/`), so it is right after a
 *   restart too. A version that is no longer mounted drops to 0.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Layer, Metric, Schedule } from "effect"
import * as path from "node:path"
import { type MountInfo, NodeFs } from "../services/NodeFs.ts"
import type { DataDir } from "./DataDir.ts"

/** @category metrics @since 0.1.0 */
export const memoryUsage = Metric.gauge("dynatrace_csi_driver_memory_usage", {
  description: "Resident memory of the CSI driver in bytes"
})

/** @category metrics @since 0.1.0 */
export const agentVersions = Metric.gauge("dynatrace_csi_driver_agent_versions", {
  description: "Number of mounted app volumes per code-module version"
})

/**
 * Counts overlayfs mounts per code-module directory name under `codeModulesDir`.
 *
 * @category parsing
 * @since 0.1.0
 */
export const countVersions = (
  mounts: ReadonlyArray<MountInfo>,
  codeModulesDir: string
): ReadonlyMap<string, number> => {
  const counts = new Map<string, number>()
  for (const mount of mounts) {
    if (mount.fsType !== "overlay") continue
    const lower = /(?:^|,)lowerdir=([^,]+)/.exec(mount.superOptions)?.[1]
    if (lower === undefined || !lower.startsWith(`${codeModulesDir}/`)) continue
    const version = lower.slice(codeModulesDir.length + 1).split("/")[0]!
    counts.set(version, (counts.get(version) ?? 0) + 1)
  }
  return counts
}

/**
 * Refreshes the gauges every `interval` for the lifetime of the layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (dataDir: DataDir, interval: Duration.Input = "15 seconds"): Layer.Layer<never, never, NodeFs> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const nodeFs = yield* NodeFs
      const seen = new Set<string>()
      const refresh = Effect.gen(function* () {
        yield* Metric.update(memoryUsage, process.memoryUsage().rss)
        const counts = countVersions(yield* nodeFs.mounts, path.resolve(dataDir.codeModules))
        for (const version of new Set([...seen, ...counts.keys()])) {
          seen.add(version)
          yield* Metric.update(Metric.withAttributes(agentVersions, { version }), counts.get(version) ?? 0)
        }
      })
      yield* refresh.pipe(Effect.repeat(Schedule.spaced(interval)), Effect.forkScoped)
    })
  )
