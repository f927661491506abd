/**
 * The plumbing the DynaKube component phases (extensions, OTel collector, KSPM, log monitoring, ActiveGate and
 * OneAgent) share around their pure builders: the DynaKube as the builders read it, the Event target, a failed
 * apiserver write shown on the component's condition, the "workload written" condition and Event, the public image
 * of a component, the removal of a component's objects that are no longer wanted, and reads that confirm a cache
 * miss with a GET.
 *
 * The condition of a written workload says `<Kind>Created` / `<name> created` whatever happened, as the original's
 * do; the Event tells creates (`<Kind>Created`) from updates and recreates (`<Kind>Updated`). The ActiveGate and
 * OneAgent conditions differ on purpose (they name updates) and keep their own helper in `Components.ts`.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { KubeApiError } from "../../../../services/KubeApiError.ts"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../../services/kube/Resource.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import { EventRecorder } from "../../EventRecorder.ts"
import { OperatorCaches } from "../../OperatorCaches.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import { ComponentError, condition, type ReconcileScope, setCondition } from "../ReconcileScope.ts"

/**
 * The DynaKube with the status this reconcile computed so far: what the builders read.
 * @category scope
 * @since 0.1.0
 */
export const currentDynaKube = (scope: ReconcileScope): DynaKube => ({ ...scope.dk, status: scope.status })

/**
 * The DynaKube as the object an Event is about.
 * @category events
 * @since 0.1.0
 */
export const regarding = (scope: ReconcileScope) => ({
  apiVersion: scope.owner.apiVersion,
  kind: scope.owner.kind,
  name: scope.name,
  namespace: scope.namespace,
  uid: scope.owner.uid
})

/**
 * A failed apiserver call is recorded on the condition `type` (False, reason `KubeApiError`, the error's message
 * unless `message` is given) before the phase fails with it.
 * @category conditions
 * @since 0.1.0
 */
export const recordKubeApiError =
  (scope: ReconcileScope, type: string, message?: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    effect.pipe(
      Effect.tapError((error) =>
        Effect.sync(() => {
          if (error instanceof KubeApiError) {
            setCondition(scope, { type, status: "False", reason: "KubeApiError", message: message ?? error.message })
          }
        })
      )
    )

/**
 * Options of {@link workloadWritten}.
 * @category models
 * @since 0.1.0
 */
export interface WorkloadWritten {
  /** The component's condition type. */
  readonly type: string
  readonly kind: "DaemonSet" | "StatefulSet"
  readonly name: string
  readonly action: ObjectSync.SyncAction
  /**
   * An unchanged workload whose condition is already True: `"keep"` leaves the condition as it is, `"restamp"`
   * sets it again (its `observedGeneration` follows the DynaKube's generation).
   */
  readonly whenUnchanged: "keep" | "restamp"
}

/**
 * Records a workload write: condition True (`<Kind>Created`) and, when something changed, a Normal Event.
 * @category conditions
 * @since 0.1.0
 */
export const workloadWritten = (scope: ReconcileScope, written: WorkloadWritten) =>
  Effect.gen(function* () {
    const { type, kind, name, action } = written
    if (written.whenUnchanged === "keep" && action === "unchanged" && condition(scope, type)?.status === "True") return
    setCondition(scope, { type, status: "True", reason: `${kind}Created`, message: `${name} created` })
    if (action !== "unchanged") {
      const reason = action === "created" ? `${kind}Created` : `${kind}Updated`
      yield* (yield* EventRecorder).event(regarding(scope), "Normal", reason, `${kind} ${name} ${action}.`)
    }
  })

/**
 * Options of {@link ensureWorkload}.
 * @category models
 * @since 0.1.0
 */
export interface EnsureWorkload<T extends KubeObject> {
  /** The component's condition type. */
  readonly type: string
  readonly kind: WorkloadWritten["kind"]
  /** The built workload (named). */
  readonly object: T
  /** When the live object must be deleted and created again (an immutable field changed). */
  readonly recreate: (live: T, desired: T) => boolean
  readonly whenUnchanged: WorkloadWritten["whenUnchanged"]
  /** The condition message of a failed write (default: the error's message). */
  readonly kubeApiErrorMessage?: string
}

/**
 * Applies a component's workload through the cache (`ObjectSync.ensure`), records a failed write on the
 * component's condition, and a successful one with {@link workloadWritten}.
 * @category writes
 * @since 0.1.0
 */
export const ensureWorkload = <T extends KubeObject>(scope: ReconcileScope, options: EnsureWorkload<T>) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const resource = options.kind === "DaemonSet" ? Resources.DaemonSet : Resources.StatefulSet
    const written = yield* ObjectSync.ensure(resource, options.object, {
      read: caches.read,
      recreate: options.recreate
    }).pipe(recordKubeApiError(scope, options.type, options.kubeApiErrorMessage))
    yield* workloadWritten(scope, {
      type: options.type,
      kind: options.kind,
      name: options.object.metadata?.name ?? "",
      action: written.action,
      whenUnchanged: options.whenUnchanged
    })
  })

/**
 * The object from the cache or — when the cache has none — from a GET (the cache may lag a create of this very
 * reconcile).
 * @category reads
 * @since 0.1.0
 */
export const readConfirmed = (scope: ReconcileScope, resource: Resource, name: string) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const cached = yield* caches.read<KubeObject>(resource, scope.namespace, name)
    if (Option.isSome(cached)) return cached
    return yield* ObjectSync.readWithGet<KubeObject>(resource, scope.namespace, name)
  })

/**
 * A Secret's `data` as stored (base64 values).
 * @category reads
 * @since 0.1.0
 */
export const rawSecretData = (secret: KubeObject): Readonly<Record<string, string>> =>
  (secret as KubeObject & { readonly data?: Readonly<Record<string, string>> }).data ?? {}

/**
 * `spec.replicas` of a live workload, if there is one (kept when the DynaKube names no replica count).
 * @category reads
 * @since 0.1.0
 */
export const liveReplicas = (live: Option.Option<KubeObject>): number | undefined =>
  Option.match(live, {
    onNone: () => undefined,
    onSome: (o) => (o as KubeObject & { spec?: { replicas?: number } }).spec?.replicas
  })

/**
 * The URI of the tenant's public image of the first of `types` it offers (later types are former names of the
 * same image), asked with `spec.publicRegistryOverride` (a cached tenant answer). Fails with a `ComponentError` of
 * `component` without a tenant client or when none of the types is offered.
 * @category images
 * @since 0.1.0
 */
export const publicImage = (scope: ReconcileScope, component: string, types: readonly [string, ...Array<string>]) =>
  Effect.gen(function* () {
    const tenant = scope.tenant
    if (tenant === undefined) {
      return yield* new ComponentError({ component, message: `no tenant client to resolve the ${types[0]} image` })
    }
    const images = yield* tenant.api.containerImages(scope.dk.spec.publicRegistryOverride)
    for (const type of types) {
      const image = images.find((i) => i.type === type)
      if (image !== undefined) return image.imageUri
    }
    return yield* new ComponentError({ component, message: `the tenant offers no public ${types[0]} image` })
  })

/**
 * Deletes the objects among `objects` (the namespace's, from a cache) whose labels include every `selector` entry
 * and whose name is not in `keep`; an object already gone counts as deleted. Each deletion is logged with
 * `message`, the name under the key `logKey`.
 * @category cleanup
 * @since 0.1.0
 */
export const deleteUnwanted = (
  scope: ReconcileScope,
  resource: Resource,
  objects: ReadonlyArray<KubeObject>,
  unwanted: {
    readonly selector: Readonly<Record<string, string>>
    readonly keep: ReadonlyArray<string>
    readonly message: string
    readonly logKey: string
  }
) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    for (const object of objects) {
      const labels = object.metadata?.labels ?? {}
      const name = object.metadata?.name ?? ""
      if (!Object.entries(unwanted.selector).every(([k, v]) => labels[k] === v) || unwanted.keep.includes(name))
        continue
      yield* kube
        .delete(resource, name, { namespace: scope.namespace })
        .pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void))
      yield* Effect.logInfo(unwanted.message).pipe(Effect.annotateLogs({ [unwanted.logKey]: name }))
    }
  })
