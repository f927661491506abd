/**
 * Kubernetes Events about the objects the operator manages (`events.k8s.io/v1`), e.g. a Warning
 * `CRDVersionMismatch` or a Normal `DaemonSetCreated` on a DynaKube, so `kubectl describe dynakube` tells the story.
 *
 * Events are best effort: a failed write is logged and never fails a reconcile. The same event (object, type,
 * reason, note) is sent at most once per `dedupWindow`, so a reconcile that finds the same problem again writes
 * nothing (the "zero writes in steady state" rule) and a persistent problem cannot flood the apiserver.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"

/** The object an event is about. */
export interface Regarding {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly namespace: string
  readonly uid: string
}

/** What an event about a stored object regards: its type and the object's own name, namespace and uid. */
export const regardingObject = (
  type: { readonly apiVersion: string; readonly kind: string },
  object: KubeObject
): Regarding => ({
  apiVersion: type.apiVersion,
  kind: type.kind,
  name: object.metadata?.name ?? "",
  namespace: object.metadata?.namespace ?? "",
  uid: object.metadata?.uid ?? ""
})

export type EventType = "Normal" | "Warning"

export class EventRecorder extends Context.Service<
  EventRecorder,
  {
    /** Records an event (deduplicated; never fails). `reason` is CamelCase, `note` a sentence. */
    readonly event: (
      regarding: Regarding,
      type: EventType,
      reason: string,
      note: string,
      action?: string
    ) => Effect.Effect<void>
    /** Forgets the dedup state of an object (it was deleted). */
    readonly forget: (uid: string) => Effect.Effect<void>
  }
>()("dynatrace-operator/operator/EventRecorder") {}

export interface EventRecorderOptions {
  /** `reportingController` (default `dynatrace-operator`). */
  readonly controller?: string
  /** `reportingInstance`: the pod name. */
  readonly instance: string
  /** Same event at most once per window (default 15 minutes). */
  readonly dedupWindow?: Duration.Input
  /** Entries kept for dedup (default 4096). */
  readonly maxEntries?: number
}

/** MicroTime: RFC 3339 with microseconds. */
const microTime = (millis: number) => new Date(millis).toISOString().replace("Z", "000Z")

/** Event names as client-go makes them: `<object>.<hex time>` (plus random hex, so two in one millisecond differ). */
const eventName = (name: string, millis: number) =>
  `${name.slice(0, 200)}.${millis.toString(16)}${Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, "0")}`

export const make = (options: EventRecorderOptions) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const window = Duration.toMillis(Duration.fromInputUnsafe(options.dedupWindow ?? "15 minutes"))
    const maxEntries = options.maxEntries ?? 4096
    const sent = new Map<string, number>()

    const event = (regarding: Regarding, type: EventType, reason: string, note: string, action = "Reconcile") =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const dedupKey = `${regarding.uid}\u0000${type}\u0000${reason}\u0000${note}`
        const last = sent.get(dedupKey)
        if (last !== undefined && now - last < window) return
        sent.delete(dedupKey)
        sent.set(dedupKey, now)
        while (sent.size > maxEntries) sent.delete(sent.keys().next().value!)
        yield* kube
          .create(Resources.EventsV1Event, {
            apiVersion: "events.k8s.io/v1",
            kind: "Event",
            metadata: { name: eventName(regarding.name, now), namespace: regarding.namespace },
            eventTime: microTime(now),
            reportingController: options.controller ?? "dynatrace-operator",
            reportingInstance: options.instance,
            action,
            reason,
            note: note.slice(0, 1024),
            type,
            regarding
          } as Parameters<typeof kube.create>[1])
          .pipe(
            Effect.catch((error) =>
              Effect.logDebug("Could not record an event.").pipe(
                Effect.annotateLogs({
                  reason,
                  object: `${regarding.namespace}/${regarding.name}`,
                  error: error.message
                })
              )
            )
          )
      })

    const forget = (uid: string) =>
      Effect.sync(() => {
        for (const key of sent.keys()) if (key.startsWith(`${uid}\u0000`)) sent.delete(key)
      })

    return EventRecorder.of({ event, forget })
  })

export const layer = (options: EventRecorderOptions): Layer.Layer<EventRecorder, never, KubeClient> =>
  Layer.effect(EventRecorder, make(options))
