/**
 * Keeps a desired object in the cluster with as few writes as possible: the operator's "no writes when nothing
 * changed" rule lives here, so every reconcile phase gets it by calling `ensure`.
 *
 * As the original does, the desired object is stamped with `internal.operator.dynatrace.com/template-hash` (FNV-32a
 * of its canonical JSON). The current object is read (from an informer cache when the caller has one, else a GET);
 * when its hash equals the desired one nothing is written. Otherwise the object is server-side applied with the
 * operator's field manager (so fields we stop setting disappear, and fields others own survive), or deleted and
 * created again when `recreate` says an immutable field (a workload selector) changed.
 */
import { Effect, Option } from "effect"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeApiError } from "../../../services/KubeApiError.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../services/kube/Resource.ts"

export const templateHashAnnotation = "internal.operator.dynatrace.com/template-hash"

/** FNV-32a over the UTF-16 code units of `text`, as an unsigned decimal string. */
export const fnv32a = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return String(hash >>> 0)
}

/** JSON with object keys sorted, so equal objects hash equally whatever order their fields were built in. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        )
      : v
  )

/** The hash of a desired object, ignoring any hash annotation it already carries. */
export const templateHash = (desired: KubeObject): string => {
  const { [templateHashAnnotation]: _ignored, ...annotations } = desired.metadata?.annotations ?? {}
  return fnv32a(canonicalJson({ ...desired, metadata: { ...desired.metadata, annotations } }))
}

/** `desired` with its template hash annotation. */
export const withTemplateHash = <T extends KubeObject>(desired: T): T => ({
  ...desired,
  metadata: {
    ...desired.metadata,
    annotations: { ...desired.metadata?.annotations, [templateHashAnnotation]: templateHash(desired) }
  }
})

/** Reads the current object; `None` when it does not exist. */
export type Reader = <T extends KubeObject>(
  resource: Resource,
  namespace: string | undefined,
  name: string
) => Effect.Effect<Option.Option<T>, KubeApiError, KubeClient>

/** Reads with a GET (no cache). */
export const readWithGet: Reader = <T extends KubeObject>(
  resource: Resource,
  namespace: string | undefined,
  name: string
) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    return yield* kube.get<T>(resource, name, { namespace }).pipe(
      Effect.map(Option.some),
      Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<T>()))
    )
  })

export type SyncAction = "created" | "updated" | "recreated" | "unchanged"

export interface EnsureOptions<T> {
  readonly read?: Reader | undefined
  /** True when `current` cannot be changed into `desired` in place (e.g. a DaemonSet's selector changed). */
  readonly recreate?: ((current: T, desired: T) => boolean) | undefined
}

/** Makes the cluster hold `desired` (namespace and name from its metadata), writing only when it changed. */
export const ensure = <T extends KubeObject>(
  resource: Resource,
  desired: T,
  options: EnsureOptions<T> = {}
): Effect.Effect<{ readonly action: SyncAction; readonly object: T }, KubeApiError, KubeClient> =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const read = options.read ?? readWithGet
    const wanted = withTemplateHash(desired)
    const namespace = wanted.metadata?.namespace
    const name = wanted.metadata?.name ?? ""
    const current = yield* read<T>(resource, namespace, name)

    if (Option.isNone(current)) {
      // Created by apply, not POST, so that every field is owned by our apply manager and later applies can
      // remove fields we stop setting. Also safe when a stale cache said "absent" but the object exists.
      return { action: "created" as const, object: yield* kube.apply(resource, wanted, { force: true }) }
    }
    const existing = current.value
    if (
      existing.metadata?.annotations?.[templateHashAnnotation] ===
      wanted.metadata?.annotations?.[templateHashAnnotation]
    ) {
      return { action: "unchanged" as const, object: existing }
    }
    if (options.recreate?.(existing, wanted) === true) {
      yield* kube
        .delete(resource, name, { namespace, propagationPolicy: "Background" })
        .pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void))
      return { action: "recreated" as const, object: yield* kube.apply(resource, wanted, { force: true }) }
    }
    return { action: "updated" as const, object: yield* kube.apply(resource, wanted, { force: true }) }
  })

/** Makes sure the object does not exist; deletes it only when it does. */
export const ensureAbsent = (
  resource: Resource,
  namespace: string | undefined,
  name: string,
  options: { readonly read?: Reader | undefined } = {}
): Effect.Effect<boolean, KubeApiError, KubeClient> =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const current = yield* (options.read ?? readWithGet)(resource, namespace, name)
    if (Option.isNone(current)) return false
    yield* kube
      .delete(resource, name, { namespace })
      .pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void))
    return true
  })
