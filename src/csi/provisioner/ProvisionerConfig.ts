/**
 * The settings of `csi-provisioner` (spec §5.1, §5.5, §7), from its flags and the environment the CSI DaemonSet
 * sets, validated once at start so a bad install fails at once instead of at the first clean-up:
 *
 * | setting                       | flag / env                                                  | default               |
 * |-------------------------------|-------------------------------------------------------------|-----------------------|
 * | data directory                | `--data-dir` / `CSI_DATA_DIR`                               | `/data`               |
 * | DynaKube namespace            | `--namespace` / `POD_NAMESPACE`                             | `dynatrace`           |
 * | node name (logs)              | `--node-id` / `KUBE_NODE_NAME`                              | none                  |
 * | health (`/livez`, `/readyz`)  | `--health-probe-bind-address` / `HEALTH_PROBE_BIND_ADDRESS` | `:10090`              |
 * | metrics (`/metrics`)          | `--metrics-bind-address` / `METRICS_BIND_ADDRESS`           | `:8090`               |
 * | garbage-collection period     | `CLEANUP_PERIOD` (Go duration, > 0)                         | `30m`                 |
 * | download deadline per attempt | `DT_CLIENT_CONNECTION_TIMEOUT` (Go duration, 30s–15m)       | `15m`                 |
 * | symlinks from code-module zips| `DT_EXTRACT_CODEMODULES_IMAGE_LINKS` (`true`)               | off                   |
 * | CSI module (migration mode)   | `modules.json` `{"csiDriver": false}`                       | on                    |
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option, Schema } from "effect"
import { parseModules, boundedDuration } from "../../programs/operator/OperatorConfig.ts"
import { type BindAddress, parseBindAddress } from "../../services/Probes.ts"
import * as DataDir from "../DataDir.ts"
import * as GoDuration from "../../services/certs/GoDuration.ts"
import * as ProvisionPlan from "./ProvisionPlan.ts"

/**
 * A setting that cannot work (the message names it).
 *
 * @category errors
 * @since 0.1.0
 */
export class ProvisionerConfigError extends Schema.TaggedError<ProvisionerConfigError>()("ProvisionerConfigError", {
  message: Schema.String
}) {}

/**
 * The flags and environment as text.
 *
 * @category models
 * @since 0.1.0
 */
export interface RawConfig {
  readonly dataDir: string
  readonly namespace: string
  readonly nodeName?: string | undefined
  readonly healthProbeBindAddress: string
  readonly metricsBindAddress: string
  readonly cleanupPeriod?: string | undefined
  readonly connectionTimeout?: string | undefined
  readonly extractCodeModulesImageLinks?: string | undefined
  readonly modulesJson?: string | undefined
  /** The operator version (User-Agent). */
  readonly version: string
}

/**
 * The validated settings.
 *
 * @category models
 * @since 0.1.0
 */
export interface ProvisionerConfig {
  readonly dataDir: DataDir.DataDir
  readonly namespace: string
  readonly nodeName: string | undefined
  readonly healthProbeBindAddress: BindAddress | undefined
  readonly metricsBindAddress: BindAddress | undefined
  readonly cleanupPeriod: Duration.Duration
  readonly downloadTimeout: Duration.Duration
  readonly extractSymlinks: boolean
  readonly csiDriverEnabled: boolean
  readonly requeues: ProvisionPlan.Requeues
  /** Reconciles of different DynaKubes at once (one per DynaKube at most). */
  readonly maxConcurrentReconciles: number
  /** Backoff of failed reconciles (not for 429/503, which requeue after `requeues.short`). */
  readonly backoff: { readonly baseDelay: Duration.Duration; readonly maxDelay: Duration.Duration }
  readonly userAgent: string
  readonly version: string
}

const nonEmpty = (text: string | undefined): string | undefined => {
  const trimmed = text?.trim()
  return trimmed === undefined || trimmed === "" ? undefined : trimmed
}

const fail = (message: string) => Effect.fail(new ProvisionerConfigError({ message }))

const bind = (text: string, what: string) =>
  parseBindAddress(text).pipe(Effect.mapError((e) => new ProvisionerConfigError({ message: `${what}: ${e.message}` })))

/**
 * Validates the raw settings.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromRaw = Effect.fn("ProvisionerConfig.fromRaw")(function* (raw: RawConfig) {
  const rootProblem = DataDir.validateRoot(raw.dataDir)
  if (rootProblem !== undefined) return yield* fail(rootProblem)
  const namespace = nonEmpty(raw.namespace)
  if (namespace === undefined) return yield* fail("--namespace (or POD_NAMESPACE) must not be empty")
  let cleanupPeriod = Duration.minutes(30)
  const cleanupText = nonEmpty(raw.cleanupPeriod)
  if (cleanupText !== undefined) {
    const parsed = GoDuration.parse(cleanupText)
    if (Option.isNone(parsed) || Duration.toMillis(parsed.value) <= 0) {
      return yield* fail(`CLEANUP_PERIOD ${JSON.stringify(cleanupText)} is not a positive Go duration (e.g. 30m)`)
    }
    cleanupPeriod = parsed.value
  }

  return {
    dataDir: DataDir.make(raw.dataDir),
    namespace,
    nodeName: nonEmpty(raw.nodeName),
    healthProbeBindAddress: yield* bind(raw.healthProbeBindAddress, "--health-probe-bind-address"),
    metricsBindAddress: yield* bind(raw.metricsBindAddress, "--metrics-bind-address"),
    cleanupPeriod,
    downloadTimeout: boundedDuration(raw.connectionTimeout, "15 minutes", "30 seconds", "15 minutes"),
    extractSymlinks: nonEmpty(raw.extractCodeModulesImageLinks)?.toLowerCase() === "true",
    csiDriverEnabled: parseModules(raw.modulesJson).csiDriver,
    requeues: ProvisionPlan.defaultRequeues,
    maxConcurrentReconciles: 4,
    backoff: { baseDelay: Duration.seconds(1), maxDelay: Duration.minutes(5) },
    userAgent: `dynatrace-operator/${raw.version} provisioner`,
    version: raw.version
  } satisfies ProvisionerConfig
})
