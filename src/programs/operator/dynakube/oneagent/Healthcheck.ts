/**
 * The OneAgent health check (spec §2.2.4): `status.oneAgent.healthcheck` holds a Docker `HealthConfig`
 * (`Test`, `Interval`, `Timeout`, `StartPeriod` in nanoseconds, `Retries`), which the version reconcile writes for
 * the agent version in use and the DaemonSet turns into exec probes.
 *
 * - command: `/usr/bin/watchdog-healthcheck64` (agents from 1.276, unknown and custom images), else
 *   `/bin/sh -c "grep -q oneagentwatchdo /proc/[0-9]*\/stat"`;
 * - interval 10 s, timeout 30 s, start period 1200 s, retries 3;
 * - readiness probe: initial delay capped at 90 s; liveness probe: as configured, left out with the
 *   `oneagent-skip-liveness-probe` flag. No health check in the status means no probes.
 *
 * @since 0.1.0
 */
import { hasWatchdogHealthcheck } from "./AgentVersion.ts"
import type { Probe } from "./WorkloadTypes.ts"

const second = 1_000_000_000

/** `status.oneAgent.healthcheck` as the original stores it. @category models @since 0.1.0 */
export type HealthConfig = {
  readonly Test: ReadonlyArray<string>
  readonly Interval: number
  readonly Timeout: number
  readonly StartPeriod: number
  readonly Retries: number
}

/** @category constants @since 0.1.0 */
export const watchdogHealthcheck: ReadonlyArray<string> = ["/usr/bin/watchdog-healthcheck64"]
/** @category constants @since 0.1.0 */
export const legacyHealthcheck: ReadonlyArray<string> = ["/bin/sh", "-c", "grep -q oneagentwatchdo /proc/[0-9]*/stat"]

/**
 * The health check for an agent version, to store in `status.oneAgent.healthcheck`; `undefined` when the version
 * cannot be read (the original then keeps the previous value).
 * @category constructors
 * @since 0.1.0
 */
export const oneAgentHealthcheck = (agentVersion: string | undefined): HealthConfig | undefined => {
  const modern = hasWatchdogHealthcheck(agentVersion)
  if (modern === undefined) return undefined
  return {
    Test: modern ? watchdogHealthcheck : legacyHealthcheck,
    Interval: 10 * second,
    Timeout: 30 * second,
    StartPeriod: 1200 * second,
    Retries: 3
  }
}

const nanos = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)

/** Whole seconds of a Go duration, truncated like Go's `int32(d.Seconds())`. */
const seconds = (value: unknown): number => Math.trunc(nanos(value) / second)

/** Drops zero fields, as Go's `omitempty` does for probe numbers. */
const positive = (n: number): number | undefined => (n === 0 ? undefined : n)

const probeInitialDelayCap = 90

/**
 * The readiness and liveness probes for a stored health check; both `undefined` when there is none.
 * @category probes
 * @since 0.1.0
 */
export const oneAgentProbes = (
  healthcheck: Readonly<Record<string, unknown>> | undefined,
  skipLivenessProbe: boolean
): { readonly readiness: Probe | undefined; readonly liveness: Probe | undefined } => {
  if (healthcheck === undefined) return { readiness: undefined, liveness: undefined }
  const test = Array.isArray(healthcheck["Test"])
    ? (healthcheck["Test"] as Array<unknown>).filter((t): t is string => typeof t === "string")
    : []
  const retries = healthcheck["Retries"]
  const base = (initialDelay: number): Probe => ({
    exec: { command: test },
    initialDelaySeconds: positive(initialDelay),
    periodSeconds: positive(seconds(healthcheck["Interval"])),
    timeoutSeconds: positive(seconds(healthcheck["Timeout"])),
    successThreshold: 1,
    failureThreshold: positive(typeof retries === "number" && Number.isInteger(retries) ? retries : 0)
  })
  const startPeriod = seconds(healthcheck["StartPeriod"])
  return {
    readiness: base(Math.min(startPeriod, probeInitialDelayCap)),
    liveness: skipLivenessProbe ? undefined : base(startPeriod)
  }
}
