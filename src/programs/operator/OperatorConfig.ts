/**
 * The operator's settings, read once at start from the environment (spec §2.1) and validated up front, so a bad
 * install fails at start with one clear message instead of misbehaving later.
 *
 * | env | default | rule |
 * |---|---|---|
 * | `POD_NAMESPACE` | `dynatrace` | the operator namespace: DynaKubes, the Lease and owned objects live here |
 * | `POD_NAME` | host name | leader-election identity, event reporting instance |
 * | `APP_VERSION` | the binary's version | compared with the CRD's version label; stamped on labels |
 * | `DT_OPERATOR_IMAGE`, `DT_OPERATOR_PULL_SECRET` | – | image (and pull secret) reused for init containers |
 * | `DT_DEFAULT_REQUEUE_AFTER` | 15m | Go duration, 1m–1h, otherwise the default |
 * | `DT_CLIENT_CONNECTION_TIMEOUT` | 30s | Go duration, 30s–15m, otherwise the default |
 * | `DT_CLIENT_CACHE_CLEAN_INTERVAL` | 1h | Go duration, 5m–100h, otherwise the default |
 * | `ONEAGENT_OPERATOR_UPDATE_INTERVAL` | 5 | minutes between refreshes of `status.oneAgent.instances` |
 * | `DT_HOST_AVAILABILITY_DETECTION` | true | nodes controller, and the `DataExport` scope requirement |
 * | `EXPERIMENTAL_ENABLE_KUBEMON_OPERAND` | false | honour `spec.kubernetesMonitoring` |
 * | `modules.json` | all true | JSON `{csiDriver, activeGate, oneAgent, …}`; missing or invalid = all true, a key left out = off |
 * | `LEADER_ELECTION_LEASE_DURATION` / `_RENEW_DEADLINE` / `_RETRY_PERIOD` | 30 / 20 / 6 | integer seconds; must satisfy lease > renew > 1.2 × retry |
 * | `METRICS_BIND_ADDRESS` / `HEALTH_PROBE_BIND_ADDRESS` | `:8080` / `:10080` | Go-style bind addresses, `0` disables |
 * | `MAX_CONCURRENT_RECONCILES` | 1 | DynaKube reconciles running at once (different DynaKubes) |
 * | `SHUTDOWN_GRACE_PERIOD` | 10s | Go duration: how long in-flight reconciles may finish on SIGTERM |
 * | `DT_MISSED_INJECTION` | off | `off`, `report` or `restart`: the missed-injection controller (docs/missed-injection.md) |
 *
 * The last five are this implementation's additions (the original hard-codes the first four and has no
 * missed-injection controller).
 *
 * @since 0.1.0
 */
import { Config, Duration, Effect, Option, Schema } from "effect"
import { hostname } from "node:os"
import * as SharedModules from "../../schemas/Modules.ts"
import * as GoDuration from "../../services/certs/GoDuration.ts"
import { type BindAddress, parseBindAddress } from "../../services/Probes.ts"
import * as LeaderElection from "./runtime/LeaderElection.ts"

export class OperatorConfigError extends Schema.TaggedError<OperatorConfigError>()("OperatorConfigError", {
  message: Schema.String
}) {}

/** Which product modules the installation enabled (`modules.json`, read by the shared parser). */
export type Modules = SharedModules.Modules

export const allModules: Modules = SharedModules.all

/** `modules.json`, parsed as the original does (see src/schemas/Modules.ts). */
export const parseModules = SharedModules.parse

/** What to do about pods that missed injection (`DT_MISSED_INJECTION`). */
export type MissedInjectionMode = "off" | "report" | "restart"

export const missedInjectionModes: ReadonlyArray<MissedInjectionMode> = ["off", "report", "restart"]

export interface OperatorConfig {
  readonly namespace: string
  readonly podName: string
  readonly operatorVersion: string
  readonly operatorImage: string | undefined
  readonly operatorPullSecret: string | undefined
  readonly defaultRequeueAfter: Duration.Duration
  readonly clientTimeout: Duration.Duration
  readonly cacheCleanInterval: Duration.Duration
  readonly oneAgentUpdateInterval: Duration.Duration
  readonly hostAvailabilityDetection: boolean
  readonly kubemonOperand: boolean
  readonly modules: Modules
  readonly leaderElection: LeaderElection.Timings
  readonly metricsBindAddress: BindAddress | undefined
  readonly healthProbeBindAddress: BindAddress | undefined
  readonly maxConcurrentReconciles: number
  readonly shutdownGracePeriod: Duration.Duration
  readonly missedInjection: MissedInjectionMode
}

/** The env values as read, before parsing (all optional). */
export type RawOperatorConfig = Readonly<Record<(typeof envVars)[number], string | undefined>>

export const envVars = [
  "POD_NAMESPACE",
  "POD_NAME",
  "APP_VERSION",
  "DT_OPERATOR_IMAGE",
  "DT_OPERATOR_PULL_SECRET",
  "DT_DEFAULT_REQUEUE_AFTER",
  "DT_CLIENT_CONNECTION_TIMEOUT",
  "DT_CLIENT_CACHE_CLEAN_INTERVAL",
  "ONEAGENT_OPERATOR_UPDATE_INTERVAL",
  "DT_HOST_AVAILABILITY_DETECTION",
  "EXPERIMENTAL_ENABLE_KUBEMON_OPERAND",
  "modules.json",
  "LEADER_ELECTION_LEASE_DURATION",
  "LEADER_ELECTION_RENEW_DEADLINE",
  "LEADER_ELECTION_RETRY_PERIOD",
  "METRICS_BIND_ADDRESS",
  "HEALTH_PROBE_BIND_ADDRESS",
  "MAX_CONCURRENT_RECONCILES",
  "SHUTDOWN_GRACE_PERIOD",
  "DT_MISSED_INJECTION"
] as const

const nonEmpty = (text: string | undefined): string | undefined => {
  const trimmed = text?.trim()
  return trimmed === undefined || trimmed === "" ? undefined : trimmed
}

/** A Go duration within [min, max]; absent, unparsable or out of range gives the default (as the original). */
export const boundedDuration = (
  text: string | undefined,
  fallback: Duration.Input,
  min: Duration.Input,
  max: Duration.Input
): Duration.Duration => {
  const def = Duration.fromInputUnsafe(fallback)
  const value = nonEmpty(text)
  if (value === undefined) return def
  return Option.match(GoDuration.parse(value), {
    onNone: () => def,
    onSome: (d) =>
      Duration.isGreaterThanOrEqualTo(d, Duration.fromInputUnsafe(min)) &&
      Duration.isLessThanOrEqualTo(d, Duration.fromInputUnsafe(max))
        ? d
        : def
  })
}

const bool = (text: string | undefined, fallback: boolean): boolean => {
  const value = nonEmpty(text)?.toLowerCase()
  return value === "true" ? true : value === "false" ? false : fallback
}

const seconds = (
  text: string | undefined,
  fallback: Duration.Duration
): Effect.Effect<Duration.Duration, OperatorConfigError> => {
  const value = nonEmpty(text)
  if (value === undefined) return Effect.succeed(fallback)
  const n = Number(value)
  return Number.isInteger(n) && n > 0
    ? Effect.succeed(Duration.seconds(n))
    : Effect.fail(
        new OperatorConfigError({ message: `leader election setting "${value}" is not a positive number of seconds` })
      )
}

const bind = (text: string | undefined, fallback: string, name: string) =>
  parseBindAddress(text ?? fallback).pipe(
    Effect.mapError((e) => new OperatorConfigError({ message: `${name}: ${e.message}` }))
  )

/** Parses and validates the raw values. */
export const fromRaw = Effect.fnUntraced(function* (raw: RawOperatorConfig, defaults: { readonly version: string }) {
  const defaultsLe = LeaderElection.defaultTimings
  const leaderElection = yield* LeaderElection.validateTimings({
    leaseDuration: yield* seconds(raw.LEADER_ELECTION_LEASE_DURATION, defaultsLe.leaseDuration),
    renewDeadline: yield* seconds(raw.LEADER_ELECTION_RENEW_DEADLINE, defaultsLe.renewDeadline),
    retryPeriod: yield* seconds(raw.LEADER_ELECTION_RETRY_PERIOD, defaultsLe.retryPeriod)
  }).pipe(Effect.mapError((e) => new OperatorConfigError({ message: e.message })))
  const updateMinutes = Number(nonEmpty(raw.ONEAGENT_OPERATOR_UPDATE_INTERVAL) ?? "5")
  const concurrency = Number(nonEmpty(raw.MAX_CONCURRENT_RECONCILES) ?? "1")
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    return yield* new OperatorConfigError({
      message: `MAX_CONCURRENT_RECONCILES must be an integer from 1 to 64 (got "${raw.MAX_CONCURRENT_RECONCILES}")`
    })
  }
  const missedInjection = (nonEmpty(raw.DT_MISSED_INJECTION) ?? "off").toLowerCase()
  if (!missedInjectionModes.includes(missedInjection as MissedInjectionMode)) {
    return yield* new OperatorConfigError({
      message: `DT_MISSED_INJECTION must be one of off, report, restart (got "${raw.DT_MISSED_INJECTION}")`
    })
  }
  return {
    namespace: nonEmpty(raw.POD_NAMESPACE) ?? "dynatrace",
    podName: nonEmpty(raw.POD_NAME) ?? hostname(),
    operatorVersion: nonEmpty(raw.APP_VERSION) ?? defaults.version,
    operatorImage: nonEmpty(raw.DT_OPERATOR_IMAGE),
    operatorPullSecret: nonEmpty(raw.DT_OPERATOR_PULL_SECRET),
    defaultRequeueAfter: boundedDuration(raw.DT_DEFAULT_REQUEUE_AFTER, "15 minutes", "1 minute", "1 hour"),
    clientTimeout: boundedDuration(raw.DT_CLIENT_CONNECTION_TIMEOUT, "30 seconds", "30 seconds", "15 minutes"),
    cacheCleanInterval: boundedDuration(raw.DT_CLIENT_CACHE_CLEAN_INTERVAL, "1 hour", "5 minutes", "100 hours"),
    oneAgentUpdateInterval: Duration.minutes(Number.isFinite(updateMinutes) && updateMinutes > 0 ? updateMinutes : 5),
    hostAvailabilityDetection: bool(raw.DT_HOST_AVAILABILITY_DETECTION, true),
    kubemonOperand: bool(raw.EXPERIMENTAL_ENABLE_KUBEMON_OPERAND, false),
    modules: parseModules(raw["modules.json"]),
    leaderElection,
    metricsBindAddress: yield* bind(raw.METRICS_BIND_ADDRESS, ":8080", "METRICS_BIND_ADDRESS"),
    healthProbeBindAddress: yield* bind(raw.HEALTH_PROBE_BIND_ADDRESS, ":10080", "HEALTH_PROBE_BIND_ADDRESS"),
    maxConcurrentReconciles: concurrency,
    shutdownGracePeriod: boundedDuration(raw.SHUTDOWN_GRACE_PERIOD, "10 seconds", "0 seconds", "10 minutes"),
    missedInjection: missedInjection as MissedInjectionMode
  } satisfies OperatorConfig
})

/** The raw values from the current ConfigProvider (the environment by default). */
export const rawConfig: Config.Config<RawOperatorConfig> = Config.all(
  Object.fromEntries(envVars.map((name) => [name, Config.String(name).pipe(Config.withDefault(undefined))])) as {
    readonly [K in (typeof envVars)[number]]: Config.Config<string | undefined>
  }
)

/** Reads and validates the configuration. */
export const load = (defaults: { readonly version: string }) =>
  Effect.gen(function* () {
    const raw = yield* rawConfig.pipe(
      Effect.mapError((e) => new OperatorConfigError({ message: `cannot read the environment: ${e.message}` }))
    )
    return yield* fromRaw(raw, defaults)
  })
