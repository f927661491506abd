/**
 * One watch connection: `GET …?watch=true&resourceVersion=…` as a Stream of the server's events.
 *
 * The stream first yields `Connected` once the server accepted the watch (the reconnect backoff resets on it),
 * then `ADDED` / `MODIFIED` / `DELETED` / `BOOKMARK` events. An `ERROR` event fails the stream with the mapped
 * `KubeApiError` (code 410 "too old resource version" → reason Gone). The stream ends when the server closes
 * the connection (after `timeoutSeconds`), and fails with Transport when nothing arrives for `idleTimeout`.
 * Reconnecting, relisting and de-duplication are `ListWatch`'s job.
 */
import { Duration, Effect, Stream } from "effect"
import * as KubeApiError from "../KubeApiError.ts"
import type { KubeObject } from "./KubeObject.ts"
import * as Resource from "./Resource.ts"
import type { Transport } from "./Transport.ts"

export type RawEvent<T> =
  | { readonly type: "Connected" }
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: T }
  | { readonly type: "BOOKMARK"; readonly resourceVersion: string }

export interface WatchOptions {
  readonly namespace?: string | undefined
  readonly labelSelector?: string | undefined
  readonly fieldSelector?: string | undefined
  /** Start after this version; absent means "from now" (the server sends synthetic ADDED events first). */
  readonly resourceVersion?: string | undefined
  /** The server ends the watch after this long (default 300). */
  readonly timeoutSeconds?: number | undefined
  /** No data for this long means the connection is dead (default timeoutSeconds + 30 s). */
  readonly idleTimeout?: Duration.Input | undefined
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/** Opens one watch connection. */
export const watch = <T extends KubeObject>(
  transport: Transport,
  resource: Resource.Resource,
  options: WatchOptions = {}
): Stream.Stream<RawEvent<T>, KubeApiError.KubeApiError> => {
  const timeoutSeconds = options.timeoutSeconds ?? 300
  const idle = Duration.fromInputUnsafe(options.idleTimeout ?? Duration.seconds(timeoutSeconds + 30))
  const info = {
    verb: "watch",
    resource: Resource.label(resource),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace })
  }
  const parse = (line: string): Effect.Effect<RawEvent<T> | undefined, KubeApiError.KubeApiError> => {
    if (line.trim() === "") return Effect.succeed(undefined)
    let event: unknown
    try {
      event = JSON.parse(line)
    } catch (e) {
      return Effect.fail(KubeApiError.fromTransport(info, e, "watch stream sent a line that is not JSON"))
    }
    if (!isRecord(event) || typeof event["type"] !== "string" || !isRecord(event["object"])) {
      return Effect.fail(KubeApiError.fromTransport(info, "event without type or object", "watch stream"))
    }
    const object = event["object"]
    switch (event["type"]) {
      case "ADDED":
      case "MODIFIED":
      case "DELETED":
        return Effect.succeed({ type: event["type"], object: object as T })
      case "BOOKMARK": {
        const metadata = object["metadata"]
        const rv = isRecord(metadata) ? metadata["resourceVersion"] : undefined
        return Effect.succeed(typeof rv === "string" ? { type: "BOOKMARK", resourceVersion: rv } : undefined)
      }
      case "ERROR":
        return Effect.fail(KubeApiError.fromStatus(info, object))
      default:
        return Effect.succeed(undefined)
    }
  }
  return Stream.unwrap(
    Effect.map(
      transport.stream({
        method: "GET",
        path: Resource.collectionPath(resource, options.namespace),
        query: {
          watch: true,
          allowWatchBookmarks: true,
          timeoutSeconds,
          resourceVersion: options.resourceVersion,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector
        },
        verb: "watch",
        info
      }),
      (lines) =>
        Stream.concat(
          Stream.succeed<RawEvent<T>>({ type: "Connected" }),
          lines.pipe(
            Stream.mapEffect(parse),
            Stream.filter((e): e is RawEvent<T> => e !== undefined)
          )
        )
    )
  ).pipe(
    Stream.timeoutOrElse({
      duration: idle,
      orElse: () =>
        Stream.fail(KubeApiError.fromTransport(info, `no data for ${Duration.format(idle)}`, "watch connection idle"))
    })
  )
}
