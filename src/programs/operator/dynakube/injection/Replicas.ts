/**
 * The replicated secrets (`dynatrace-bootstrapper-config`, `dynatrace-bootstrapper-certs`,
 * `dynatrace-otlp-exporter-config`, `dynatrace-otlp-exporter-certs`) in the namespaces a DynaKube maps, and the
 * source secrets they are copied from (spec §2.2.9, Appendix A).
 *
 * - Every replica and source carries the operator's core labels (`app.kubernetes.io/name=dynatrace-operator`,
 *   `app.kubernetes.io/created-by=<dk>`, `app.kubernetes.io/component=webhook`, `app.kubernetes.io/version`),
 *   as the original's; that is also how the webhook's on-demand copies look.
 * - A `ReplicaStore` answers "which replicas of DynaKube D exist, anywhere": from an informer (the operator's
 *   steady state: no request at all) or with one LIST per call. The reconcile compares against that snapshot and
 *   writes only what differs (`ObjectSync.ensure`: server-side apply when the template hash changed), and deletes
 *   only replicas that exist where they should not.
 * - Writes run in parallel with bounded concurrency; a namespace that is terminating (or vanished meanwhile) is
 *   skipped, not an error.
 *
 * @since 0.1.0
 */
import { Effect, Option, type Scope, Stream } from "effect"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeApiError } from "../../../../services/KubeApiError.ts"
import * as Informer from "../../../../services/kube/Informer.ts"
import type { ListWatchOptions, WatchEvent } from "../../../../services/kube/ListWatch.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import { keyOf } from "../../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../../services/kube/Resource.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Store from "../../../../services/kube/Store.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import * as Names from "../Names.ts"
import type { SecretData } from "./BootstrapperData.ts"

/** A Secret as JSON. @category models @since 0.1.0 */
export interface Secret extends KubeObject {
  readonly type?: string | undefined
  readonly data?: Readonly<Record<string, string>> | undefined
  readonly immutable?: boolean | undefined
}

/** The replica names. @category constants @since 0.1.0 */
export const replicaNames: ReadonlySet<string> = new Set(Names.replicatedSecrets)

/** The labels of sources and replicas. @category constructors @since 0.1.0 */
export const labels = (dynakube: string, operatorVersion: string): Readonly<Record<string, string>> =>
  Names.commonLabels(dynakube, "webhook", operatorVersion)

/** Base64 secret data from text / bytes. @category encoding @since 0.1.0 */
export const encodeData = (data: SecretData): Record<string, string> =>
  Object.fromEntries(
    Object.entries(data).map(([k, v]) => [
      k,
      (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v)).toString("base64")
    ])
  )

/** One key of a secret as text (undefined when absent). @category encoding @since 0.1.0 */
export const text = (secret: Secret | undefined, key: string): string | undefined => {
  const value = secret?.data?.[key]
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8")
}

/** One key of a secret as bytes (undefined when absent). @category encoding @since 0.1.0 */
export const bytes = (secret: Secret | undefined, key: string): Uint8Array | undefined => {
  const value = secret?.data?.[key]
  return value === undefined ? undefined : new Uint8Array(Buffer.from(value, "base64"))
}

/** Every key of a secret as text. @category encoding @since 0.1.0 */
export const texts = (secret: Secret | undefined): Readonly<Record<string, string>> =>
  Object.fromEntries(Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]))

/** The desired replica of `name` in `namespace`. @category constructors @since 0.1.0 */
export const replica = (input: {
  readonly name: string
  readonly namespace: string
  readonly labels: Readonly<Record<string, string>>
  readonly data: Readonly<Record<string, string>>
}): Secret => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: input.name, namespace: input.namespace, labels: input.labels },
  type: "Opaque",
  data: input.data
})

// ---------------------------------------------------------------------------------------------------------------------
// Where the existing replicas come from

/**
 * The existing replicas of a DynaKube (any of the four names, in any namespace, labelled `created-by=<dk>`).
 * @category models
 * @since 0.1.0
 */
export interface ReplicaStore {
  readonly list: (dynakube: string) => Effect.Effect<ReadonlyArray<Secret>, KubeApiError, KubeClient>
}

/** The index of the replica informer: `app.kubernetes.io/created-by`. @category constants @since 0.1.0 */
export const createdByIndex = "createdBy"

/** The selector of the replica informer: the operator's webhook-component secrets, cluster-wide. @category constants @since 0.1.0 */
export const informerLabelSelector = `${Names.labelKeys.name}=${Names.fieldManager},${Names.labelKeys.component}=webhook`

const onlyReplicas = (secrets: ReadonlyArray<Secret>) => secrets.filter((s) => replicaNames.has(s.metadata?.name ?? ""))

/** Merges list-then-watch streams; `Synced` is passed on once every stream has synced (later ones as they come). */
const mergeSynced = <T>(streams: ReadonlyArray<Stream.Stream<WatchEvent<T>>>): Stream.Stream<WatchEvent<T>> =>
  Stream.suspend(() => {
    const synced = new Set<number>()
    return Stream.mergeAll(
      streams.map((stream, index) =>
        stream.pipe(
          Stream.filter((event) => {
            if (event.type !== "Synced") return true
            synced.add(index)
            return synced.size === streams.length
          })
        )
      ),
      { concurrency: "unbounded" }
    )
  })

/**
 * A cluster-wide informer of the replicated secrets (the four names, with the operator's webhook-component labels),
 * indexed by DynaKube; it lives as long as the scope. Pass it to `fromInformer`.
 *
 * One list-then-watch per name (field selector `metadata.name=<name>`): RBAC limits list/watch by `resourceNames`
 * only for requests that name the object, so the operator can be allowed these four names in every namespace
 * without being able to read any other Secret outside its own namespace (the chart's ClusterRole does exactly that).
 * @category constructors
 * @since 0.1.0
 */
export const makeInformer = (
  options: Pick<ListWatchOptions, "transform"> = {}
): Effect.Effect<Informer.Informer<Secret>, never, KubeClient | Scope.Scope> =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const streams = Names.replicatedSecrets.map((name) =>
      kube.watch<Secret>(Resources.Secret, {
        labelSelector: informerLabelSelector,
        fieldSelector: `metadata.name=${name}`,
        transform: options.transform
      })
    )
    return yield* Informer.fromWatchEvents(mergeSynced(streams), {
      indexers: { [createdByIndex]: Store.byLabel(Names.labelKeys.createdBy) }
    })
  })

/** Replicas from an informer made by `makeInformer` (no requests). @category constructors @since 0.1.0 */
export const fromInformer = (informer: Informer.Informer<Secret>): ReplicaStore => ({
  list: (dynakube) => Effect.map(informer.byIndex(createdByIndex, dynakube), onlyReplicas)
})

/**
 * Replicas with one LIST per replicated name (label and name selectors, see `makeInformer`) per call: for callers
 * without an informer. @category constructors @since 0.1.0
 */
export const byList: ReplicaStore = {
  list: (dynakube) =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const results = yield* Effect.forEach(Names.replicatedSecrets, (name) =>
        kube.listAll<Secret>(Resources.Secret, {
          labelSelector: `${Names.labelKeys.createdBy}=${dynakube},${Names.labelKeys.component}=webhook`,
          fieldSelector: `metadata.name=${name}`
        })
      )
      return onlyReplicas(results.flatMap((result) => result.items))
    })
}

/** An `ObjectSync.Reader` over a snapshot of secrets (absent = `None`). @category constructors @since 0.1.0 */
export const snapshotReader = (secrets: ReadonlyArray<Secret>): ObjectSync.Reader => {
  const byKey = new Map(secrets.map((s) => [keyOf(s.metadata?.namespace, s.metadata?.name ?? ""), s] as const))
  return <T extends KubeObject>(_resource: Resource, namespace: string | undefined, name: string) =>
    Effect.succeed(Option.fromUndefinedOr(byKey.get(keyOf(namespace, name)) as T | undefined))
}

// ---------------------------------------------------------------------------------------------------------------------
// Writes

/** What happened to one replica. @category models @since 0.1.0 */
export type ReplicaOutcome =
  | { readonly _tag: "Written"; readonly action: ObjectSync.SyncAction }
  | { readonly _tag: "Skipped"; readonly why: string }

/** A namespace being deleted refuses new content (403) or is gone (404): nothing to do there. */
const namespaceGoingAway = (error: KubeApiError): string | undefined => {
  const reason = error.reason
  if (reason._tag === "NotFound") return "namespace not found"
  if (reason._tag === "Forbidden" && /being terminated/.test(reason.message)) return "namespace is terminating"
  return undefined
}

/**
 * Creates or updates one replica (no write when it is unchanged), reading the current one from `read`.
 * A Secret marked immutable is replaced (delete and create), as its data cannot be updated in place.
 * @category writes
 * @since 0.1.0
 */
export const ensureReplica = (
  desired: Secret,
  read: ObjectSync.Reader
): Effect.Effect<ReplicaOutcome, KubeApiError, KubeClient> =>
  ObjectSync.ensure(Resources.Secret, desired, {
    read,
    recreate: (current) => current.immutable === true
  }).pipe(
    Effect.map((r): ReplicaOutcome => ({ _tag: "Written", action: r.action })),
    Effect.catch((error: KubeApiError) => {
      const why = namespaceGoingAway(error)
      return why === undefined ? Effect.fail(error) : Effect.succeed<ReplicaOutcome>({ _tag: "Skipped", why })
    })
  )

/**
 * Deletes one existing replica, only if it is still the object seen (uid and resourceVersion preconditions), so a
 * replica another DynaKube has taken over in the meantime is left alone. Gone already = done.
 * @category writes
 * @since 0.1.0
 */
export const deleteReplica = (existing: Secret): Effect.Effect<boolean, KubeApiError, KubeClient> =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const metadata = existing.metadata ?? {}
    return yield* kube
      .delete(Resources.Secret, metadata.name ?? "", {
        namespace: metadata.namespace,
        preconditions: {
          ...(metadata.uid === undefined ? {} : { uid: metadata.uid }),
          ...(metadata.resourceVersion === undefined ? {} : { resourceVersion: metadata.resourceVersion })
        }
      })
      .pipe(
        Effect.as(true),
        Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(false)),
        Effect.catchReason("KubeApiError", "Conflict", () => Effect.succeed(false))
      )
  })
