/**
 * Leader election on a `coordination.k8s.io/v1` Lease, so that of several operator replicas exactly one reconciles.
 *
 * The algorithm is client-go's, because a mixed fleet (or a user's mental model) expects it:
 * - A candidate reads the Lease. It takes it when it is absent, when it holds it already, or when the holder's record
 *   has not changed for `leaseDuration` *as observed on this candidate's own clock* (so clock skew between nodes
 *   cannot make two leaders). Writes carry the read resourceVersion: of two candidates, one gets a Conflict.
 * - The leader renews every `retryPeriod`; if it cannot renew for `renewDeadline` it stops leading (the work it ran is
 *   interrupted and `run` fails with `LeadershipLost`, so the process exits and restarts as a candidate).
 * - On graceful shutdown the leader releases the Lease (empty holder, 1 s duration) so a successor takes over at once.
 *
 * Timings default to the original's: lease 30 s, renew deadline 20 s, retry 6 s.
 */
import { Clock, Context, Duration, Effect, Option, Schema } from "effect"

/** The Lease spec fields that leader election reads and writes (wire names of coordination.k8s.io/v1). */
export interface LeaseRecord {
  readonly holderIdentity?: string | undefined
  readonly leaseDurationSeconds?: number | undefined
  readonly acquireTime?: string | undefined
  readonly renewTime?: string | undefined
  readonly leaseTransitions?: number | undefined
}

export class LeaseAccessError extends Schema.TaggedError<LeaseAccessError>()("LeaseAccessError", {
  message: Schema.String
}) {}

export class LeadershipLost extends Schema.TaggedError<LeadershipLost>()("LeadershipLost", {
  message: Schema.String
}) {}

/** Reads and writes one Lease; backed by KubeClient in production. */
export class LeaseAccess extends Context.Service<
  LeaseAccess,
  {
    readonly get: Effect.Effect<
      Option.Option<{ readonly record: LeaseRecord; readonly resourceVersion: string }>,
      LeaseAccessError
    >
    /** Fails when the Lease exists already. */
    readonly create: (record: LeaseRecord) => Effect.Effect<void, LeaseAccessError>
    /** Fails on a resourceVersion conflict. */
    readonly update: (record: LeaseRecord, resourceVersion: string) => Effect.Effect<void, LeaseAccessError>
  }
>()("dynatrace-operator/operator/LeaseAccess") {}

export interface Timings {
  readonly leaseDuration: Duration.Duration
  readonly renewDeadline: Duration.Duration
  readonly retryPeriod: Duration.Duration
}

export const defaultTimings: Timings = {
  leaseDuration: Duration.seconds(30),
  renewDeadline: Duration.seconds(20),
  retryPeriod: Duration.seconds(6)
}

/** Rejects timings that cannot work (the same rules client-go enforces). */
export const validateTimings = (timings: Timings): Effect.Effect<Timings, LeaseAccessError> => {
  const [lease, renew, retry] = [timings.leaseDuration, timings.renewDeadline, timings.retryPeriod].map(
    Duration.toMillis
  )
  if (!(lease! > renew! && renew! > retry! * 1.2 && retry! > 0)) {
    return Effect.fail(
      new LeaseAccessError({
        message: `leader election timings must satisfy leaseDuration > renewDeadline > 1.2 × retryPeriod > 0 (got ${lease} ms, ${renew} ms, ${retry} ms)`
      })
    )
  }
  return Effect.succeed(timings)
}

/** Lease times are RFC 3339 with microseconds (metav1.MicroTime). */
const microTime = (millis: number) => new Date(millis).toISOString().replace("Z", "000Z")

const sameRecord = (a: LeaseRecord, b: LeaseRecord) =>
  a.holderIdentity === b.holderIdentity &&
  a.renewTime === b.renewTime &&
  a.acquireTime === b.acquireTime &&
  a.leaseDurationSeconds === b.leaseDurationSeconds &&
  a.leaseTransitions === b.leaseTransitions

export interface Elector {
  /** One attempt to acquire or renew; true when this identity holds the lease afterwards. */
  readonly tryAcquireOrRenew: Effect.Effect<boolean>
  /** Gives the lease up if this identity holds it. */
  readonly release: Effect.Effect<void>
}

/** The stateful half of the algorithm: remembers what was observed, and when, on this candidate's clock. */
export const makeElector = (identity: string, timings: Timings): Effect.Effect<Elector, never, LeaseAccess> =>
  Effect.gen(function* () {
    const lease = yield* LeaseAccess
    let observed: LeaseRecord | undefined
    let observedAt = 0
    const leaseSeconds = Math.ceil(Duration.toSeconds(timings.leaseDuration))

    const tryAcquireOrRenew = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const current = yield* lease.get
      if (Option.isNone(current)) {
        const record: LeaseRecord = {
          holderIdentity: identity,
          leaseDurationSeconds: leaseSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0
        }
        yield* lease.create(record)
        observed = record
        observedAt = now
        return true
      }
      const { record, resourceVersion } = current.value
      if (observed === undefined || !sameRecord(observed, record)) {
        observed = record
        observedAt = now
      }
      const holder = record.holderIdentity ?? ""
      const heldByUs = holder === identity
      const duration = (record.leaseDurationSeconds ?? leaseSeconds) * 1000
      if (!heldByUs && holder !== "" && observedAt + duration > now) return false

      const next: LeaseRecord = {
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: heldByUs ? record.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: heldByUs ? (record.leaseTransitions ?? 0) : (record.leaseTransitions ?? 0) + 1
      }
      yield* lease.update(next, resourceVersion)
      observed = next
      observedAt = now
      return true
    }).pipe(
      Effect.catchTag("LeaseAccessError", (error) =>
        Effect.logDebug("Lease acquire or renew failed.").pipe(
          Effect.annotateLogs({ identity, error: error.message }),
          Effect.as(false)
        )
      )
    )

    const release = Effect.gen(function* () {
      const current = yield* lease.get
      if (Option.isNone(current) || current.value.record.holderIdentity !== identity) return
      const now = yield* Clock.currentTimeMillis
      yield* lease.update(
        {
          ...current.value.record,
          holderIdentity: "",
          leaseDurationSeconds: 1,
          renewTime: microTime(now)
        },
        current.value.resourceVersion
      )
      yield* Effect.logInfo("Released the leader lease.").pipe(Effect.annotateLogs({ identity }))
    }).pipe(Effect.catchTag("LeaseAccessError", () => Effect.void))

    return { tryAcquireOrRenew, release }
  })

/**
 * Waits to become leader, then runs `whileLeader` while renewing. Fails with `LeadershipLost` when renewal does not
 * succeed within the renew deadline; `whileLeader` is interrupted then. On interruption the lease is released.
 */
export const runWhileLeader = <A, E, R>(
  identity: string,
  timings: Timings,
  whileLeader: Effect.Effect<A, E, R>
): Effect.Effect<A, E | LeadershipLost, R | LeaseAccess> =>
  Effect.gen(function* () {
    const elector = yield* makeElector(identity, timings)
    while (!(yield* elector.tryAcquireOrRenew)) yield* Effect.sleep(timings.retryPeriod)
    yield* Effect.logInfo("Became leader.").pipe(Effect.annotateLogs({ identity }))

    const renewLoop = Effect.gen(function* () {
      let lastRenew = yield* Clock.currentTimeMillis
      while (true) {
        yield* Effect.sleep(timings.retryPeriod)
        const now = yield* Clock.currentTimeMillis
        if (yield* elector.tryAcquireOrRenew) lastRenew = now
        else if (now - lastRenew >= Duration.toMillis(timings.renewDeadline)) {
          return yield* new LeadershipLost({ message: `could not renew the leader lease for ${now - lastRenew} ms` })
        }
      }
    })

    // The loser of the race is interrupted: losing the lease stops the work, ending the work stops renewing.
    return yield* Effect.raceFirst(whileLeader, renewLoop).pipe(Effect.ensuring(elector.release))
  })
