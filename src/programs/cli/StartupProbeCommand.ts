/**
 * `dynatrace-operator startup-probe`: the exec startup probe of the operator, webhook and CSI provisioner
 * containers (spec §7). It exits 0 once the cluster DNS resolves `kubernetes.default.svc`, and non-zero with a
 * one-line reason otherwise, so a component does not start talking to the API server before the pod's DNS works.
 *
 * The name is resolved as the system resolver does (`getaddrinfo`: `/etc/hosts`, then the pod's `resolv.conf`
 * with its search domains), like any other name the component will look up. `--timeout` (seconds, default 5)
 * bounds the lookup. `--host` resolves another name instead (tests, debugging); the chart never sets it.
 *
 * Nothing is logged on success: the kubelet runs the probe every few seconds.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import * as dns from "node:dns"

/**
 * The name did not resolve (in time).
 *
 * @category errors
 * @since 0.1.0
 */
export class StartupProbeError extends Schema.TaggedError<StartupProbeError>()("StartupProbeError", {
  reason: Schema.Literals(["NotResolved", "NoAddress", "TimedOut", "InvalidFlag"]),
  host: Schema.String,
  message: Schema.String
}) {}

/** The name the original probes. @category constants @since 0.1.0 */
export const defaultHost = "kubernetes.default.svc"
/** Seconds. @category constants @since 0.1.0 */
export const defaultTimeoutSeconds = 5

/**
 * How a name is looked up: the system resolver by default (tests pass one that never answers).
 *
 * @category models
 * @since 0.1.0
 */
export type Lookup = (host: string) => Promise<ReadonlyArray<{ readonly address: string }>>

const systemLookup: Lookup = (host) => dns.promises.lookup(host, { all: true })

/**
 * Resolves `host` within `timeout`; succeeds with its addresses.
 *
 * @category probing
 * @since 0.1.0
 */
export const probe = Effect.fn("startup-probe")(function* (
  host: string,
  timeout: Duration.Duration,
  lookup: Lookup = systemLookup
) {
  const addresses = yield* Effect.tryPromise({
    try: () => lookup(host),
    catch: (error) =>
      new StartupProbeError({
        reason: "NotResolved",
        host,
        message: `DNS service not ready: cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
      })
  }).pipe(
    Effect.timeoutOrElse({
      duration: timeout,
      orElse: () =>
        Effect.fail(
          new StartupProbeError({
            reason: "TimedOut",
            host,
            message: `DNS service not ready: resolving ${host} took longer than ${Duration.format(timeout)}`
          })
        )
    })
  )
  if (addresses.length === 0) {
    return yield* new StartupProbeError({ reason: "NoAddress", host, message: `no DNS record found for ${host}` })
  }
  return addresses.map((a) => a.address)
})

const timeout = Flag.Int("timeout").pipe(
  Flag.withDescription("Give up on the lookup after this many seconds."),
  Flag.withDefault(defaultTimeoutSeconds)
)
const host = Flag.String("host").pipe(
  Flag.withDescription(`The name to resolve (default ${defaultHost}).`),
  Flag.withDefault(defaultHost)
)

/** @category commands @since 0.1.0 */
export const startupProbeCommand = Command.make(
  "startup-probe",
  { timeout, host },
  Effect.fn("startup-probe-command")(function* (flags) {
    if (flags.timeout <= 0) {
      return yield* new StartupProbeError({
        reason: "InvalidFlag",
        host: flags.host,
        message: `--timeout must be a positive number of seconds, got ${flags.timeout}`
      })
    }
    yield* probe(flags.host, Duration.seconds(flags.timeout))
  })
).pipe(Command.withDescription(`Exit 0 once the cluster DNS resolves ${defaultHost} (startup probes).`))
