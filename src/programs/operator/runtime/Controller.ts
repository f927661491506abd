/**
 * A controller: watch sources feed object keys into a work queue, and a fixed number of workers reconcile them.
 *
 * - One reconcile in flight per key (the work queue guarantees it), up to `maxConcurrentReconciles` keys at once.
 * - A reconcile returns data, not control flow: `Result.requeueAfter` schedules the next look; an ordinary error is
 *   retried with per-key exponential backoff; a `TerminalError` is logged and not retried until the object changes.
 * - Workers never die: a defect in a reconcile is logged and retried like an error.
 * - Shutdown is graceful: when the controller's scope closes, workers stop taking keys, reconciles in flight get
 *   `shutdownGracePeriod` to finish, and whatever is still running then is interrupted (abandoned: reconciles are
 *   idempotent, the next leader repeats them).
 * - Metrics follow controller-runtime's names so existing dashboards and alerts keep working.
 */
import { Cause, Clock, Duration, Effect, Metric, Schema, type Scope, Stream } from "effect"
import * as WorkQueue from "./WorkQueue.ts"

/** A reconcile error that retrying cannot fix (e.g. an invalid spec): reported, then left until the object changes. */
export class TerminalError extends Schema.TaggedError<TerminalError>()("TerminalError", {
  message: Schema.String
}) {}

/** What a reconcile returns: when to look at the object again, if at all. */
export interface Result {
  readonly requeueAfter?: Duration.Duration | undefined
}

/** Nothing more to do until the object or something it watches changes. */
export const done: Result = {}

/** Look again after `delay` even if nothing changes (e.g. to refresh tenant data). */
export const requeueAfter = (delay: Duration.Input): Result => ({ requeueAfter: Duration.fromInputUnsafe(delay) })

/** Of several requested requeues, the sooner one wins; "none" loses to any. */
export const soonest = (a: Result, b: Result): Result => {
  if (a.requeueAfter === undefined) return b
  if (b.requeueAfter === undefined) return a
  return Duration.isLessThanOrEqualTo(a.requeueAfter, b.requeueAfter) ? a : b
}

export interface ControllerOptions<E, R> {
  /** Used in logs and metric labels, e.g. "dynakube-controller". */
  readonly name: string
  readonly reconcile: (key: string) => Effect.Effect<Result, E, R>
  /** Streams of keys to reconcile (built from informers: the object itself, its owned objects, related objects). */
  readonly sources?: ReadonlyArray<Stream.Stream<string, never, R>> | undefined
  readonly maxConcurrentReconciles?: number | undefined
  readonly backoff?: WorkQueue.BackoffOptions | undefined
  /** How long in-flight reconciles may finish when the controller stops (default 0: abandon at once). */
  readonly shutdownGracePeriod?: Duration.Input | undefined
}

export interface Controller {
  /** Queues a key by hand (tests, or a periodic trigger). */
  readonly enqueue: (key: string) => Effect.Effect<void>
  /** Keys waiting to be reconciled now. */
  readonly queueLength: Effect.Effect<number>
}

/** The controller metrics, exported for tests and dashboards. */
export const reconcileTotal = Metric.counter("controller_runtime_reconcile_total", {
  description: "Total number of reconciliations per controller and result"
})
export const reconcileErrors = Metric.counter("controller_runtime_reconcile_errors_total", {
  description: "Total number of reconciliation errors per controller"
})
export const reconcileTime = Metric.histogram("controller_runtime_reconcile_time_seconds", {
  description: "Length of time per reconciliation per controller",
  boundaries: Metric.exponentialBoundaries({ start: 0.005, factor: 2, count: 16 })
})
export const queueDepth = Metric.gauge("workqueue_depth", { description: "Current depth of the work queue" })

/** Starts the controller's source consumers and workers in the current scope. */
export const make = <E, R>(options: ControllerOptions<E, R>): Effect.Effect<Controller, never, R | Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* WorkQueue.make(options.backoff)
    const labels = { controller: options.name }
    const depth = Metric.withAttributes(queueDepth, { name: options.name })
    const recordDepth = queue.length.pipe(Effect.flatMap((n) => Metric.update(depth, n)))
    const count = (result: "success" | "error" | "requeue_after") =>
      Metric.update(Metric.withAttributes(reconcileTotal, { ...labels, result }), 1)

    const enqueue = (key: string) => queue.add(key).pipe(Effect.andThen(recordDepth))

    const reconcileOnce = (key: string) =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(options.reconcile(key))
        const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
        yield* Metric.update(Metric.withAttributes(reconcileTime, labels), seconds)
        if (exit._tag === "Success") {
          yield* queue.forget(key)
          const after = exit.value.requeueAfter
          if (after !== undefined && Duration.toMillis(after) > 0) {
            yield* queue.addAfter(key, after)
            return yield* count("requeue_after")
          }
          return yield* count("success")
        }
        yield* count("error")
        yield* Metric.update(Metric.withAttributes(reconcileErrors, labels), 1)
        const error = Cause.squash(exit.cause)
        if (error instanceof TerminalError) {
          yield* queue.forget(key)
          return yield* Effect.logError("Reconcile failed terminally; waiting for a change.").pipe(
            Effect.annotateLogs({ error: error.message })
          )
        }
        const failures = yield* queue.failures(key)
        yield* Effect.logWarning("Reconcile failed; will retry.").pipe(
          Effect.annotateLogs({ error: describeError(error), failures: failures + 1 })
        )
        yield* queue.addRateLimited(key)
      }).pipe(Effect.annotateLogs({ controller: options.name, key }))

    let draining = false
    let inFlight = 0
    const worker = Effect.forever(
      Effect.gen(function* () {
        const key = yield* queue.take
        if (draining) {
          yield* queue.done(key)
          return yield* Effect.never
        }
        yield* recordDepth
        inFlight++
        yield* reconcileOnce(key).pipe(Effect.ensuring(queue.done(key)), Effect.ensuring(Effect.sync(() => inFlight--)))
      })
    )

    for (const source of options.sources ?? []) {
      yield* Effect.forkScoped(Stream.runForEach(source, enqueue))
    }
    const workers = Math.max(1, options.maxConcurrentReconciles ?? 1)
    for (let i = 0; i < workers; i++) yield* Effect.forkScoped(worker)

    // Added after the workers, so it runs before they are interrupted (finalizers run in reverse order).
    const grace = Duration.toMillis(Duration.fromInputUnsafe(options.shutdownGracePeriod ?? 0))
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        draining = true
        if (inFlight === 0 || grace <= 0) return
        const idle = Effect.sync(() => inFlight === 0)
        const waitIdle = Effect.gen(function* () {
          while (!(yield* idle)) yield* Effect.sleep("20 millis")
        })
        const finished = yield* waitIdle.pipe(Effect.timeoutOption(Duration.millis(grace)))
        yield* Effect.logInfo(
          finished._tag === "Some"
            ? "In-flight reconciles finished before shutdown."
            : "In-flight reconciles did not finish in the grace period; abandoning them."
        ).pipe(Effect.annotateLogs({ controller: options.name }))
      })
    )

    return { enqueue, queueLength: queue.length } satisfies Controller
  })

const describeError = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)
