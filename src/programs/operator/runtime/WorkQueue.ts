/**
 * The controller's queue of object keys (`namespace/name`) waiting to be reconciled.
 *
 * It keeps the semantics of controller-runtime's work queue, which operator authors and users rely on:
 * - a key waiting in the queue is queued only once, so a burst of events becomes one reconcile;
 * - a key being reconciled is never handed to a second worker; adding it meanwhile marks it dirty, and it is queued
 *   again when its worker calls `done`, so the newest state is always reconciled once more;
 * - `addAfter` schedules a key for later (the earliest pending time wins), which is how `requeueAfter` works;
 * - `addRateLimited` schedules with per-key exponential backoff until `forget` resets it after a success.
 *
 * Time comes from Effect's `Clock`, so tests drive it with `TestClock`.
 */
import { Clock, Duration, Effect, FiberSet, Queue, type Scope } from "effect"

/** Backoff for failed keys: `baseDelay * 2^failures`, capped at `maxDelay`. */
export interface BackoffOptions {
  readonly baseDelay: Duration.Input
  readonly maxDelay: Duration.Input
}

export interface WorkQueue {
  /** Queues a key unless it is already waiting. */
  readonly add: (key: string) => Effect.Effect<void>
  /** Queues a key after a delay; of several pending delays for one key the earliest wins. */
  readonly addAfter: (key: string, delay: Duration.Input) => Effect.Effect<void>
  /** Queues a key after its backoff delay and counts one more failure for it. */
  readonly addRateLimited: (key: string) => Effect.Effect<void>
  /** Resets a key's failure count (after a successful reconcile). */
  readonly forget: (key: string) => Effect.Effect<void>
  /** Waits for the next key and marks it as being processed. */
  readonly take: Effect.Effect<string>
  /** Marks a key as processed; queues it again if it was added meanwhile. */
  readonly done: (key: string) => Effect.Effect<void>
  /** Keys waiting now (not counting delayed or in-flight ones): the queue-depth metric. */
  readonly length: Effect.Effect<number>
  /** How many times in a row a key failed. */
  readonly failures: (key: string) => Effect.Effect<number>
}

/** The delay before the next attempt of a key that failed `failures` times before. */
export const backoffDelay = (options: BackoffOptions, failures: number): Duration.Duration => {
  const base = Duration.toMillis(Duration.fromInputUnsafe(options.baseDelay))
  const max = Duration.toMillis(Duration.fromInputUnsafe(options.maxDelay))
  return Duration.millis(Math.min(max, base * 2 ** Math.min(failures, 62)))
}

export const defaultBackoff: BackoffOptions = { baseDelay: "5 millis", maxDelay: "1000 seconds" }

/** Creates a work queue whose delayed adds live as long as the surrounding scope. */
export const make = (backoff: BackoffOptions = defaultBackoff): Effect.Effect<WorkQueue, never, Scope.Scope> =>
  Effect.gen(function* () {
    const ready = yield* Queue.unbounded<string>()
    const timers = yield* FiberSet.make<void>()
    const dirty = new Set<string>()
    const processing = new Set<string>()
    const failureCounts = new Map<string, number>()
    const dueAt = new Map<string, number>()

    const add = (key: string) =>
      Effect.sync(() => {
        if (dirty.has(key)) return
        dirty.add(key)
        if (!processing.has(key)) Queue.offerUnsafe(ready, key)
      })

    const addAfter = (key: string, delay: Duration.Input) =>
      Effect.gen(function* () {
        const millis = Duration.toMillis(Duration.fromInputUnsafe(delay))
        if (millis <= 0) return yield* add(key)
        const due = (yield* Clock.currentTimeMillis) + millis
        const pending = dueAt.get(key)
        if (pending !== undefined && pending <= due) return
        dueAt.set(key, due)
        yield* FiberSet.run(
          timers,
          Effect.sleep(Duration.millis(millis)).pipe(
            Effect.andThen(
              Effect.suspend(() => {
                // A later, earlier-due schedule of the same key superseded this one.
                if (dueAt.get(key) !== due) return Effect.void
                dueAt.delete(key)
                return add(key)
              })
            )
          )
        )
      })

    const addRateLimited = (key: string) =>
      Effect.suspend(() => {
        const n = failureCounts.get(key) ?? 0
        failureCounts.set(key, n + 1)
        return addAfter(key, backoffDelay(backoff, n))
      })

    const take = Queue.take(ready).pipe(
      Effect.tap((key) =>
        Effect.sync(() => {
          dirty.delete(key)
          processing.add(key)
        })
      )
    )

    const done = (key: string) =>
      Effect.sync(() => {
        processing.delete(key)
        if (dirty.has(key)) Queue.offerUnsafe(ready, key)
      })

    return {
      add,
      addAfter,
      addRateLimited,
      forget: (key) => Effect.sync(() => void failureCounts.delete(key)),
      take,
      done,
      length: Queue.size(ready),
      failures: (key) => Effect.sync(() => failureCounts.get(key) ?? 0)
    } satisfies WorkQueue
  })
