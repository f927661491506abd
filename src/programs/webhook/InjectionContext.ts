/**
 * What the admission handlers need to know about the cluster, behind one small service so the handlers stay
 * testable without an apiserver:
 *
 * - `namespace(name)` — the Namespace (labels, annotations);
 * - `dynakube(name)` / `dynakubes` — DynaKubes of the operator namespace, decoded at the hub version;
 * - `ensureSecret(namespace, name, source)` — the Secret exists in the namespace, copied from the source if needed
 *   (`false` when neither exists);
 * - `workload(pod)` — the pod's top-most owner, following `ownerReferences` (ReplicaSet → Deployment, Job →
 *   CronJob, ...);
 * - `recordEvent(...)` — a best-effort Event on the pod, sent in the background.
 *
 * `layer` is backed by KubeClient: informers on Namespaces (cluster-wide) and DynaKubes (operator namespace), so a
 * review normally costs no API request; a cache miss (a namespace created a moment ago, a label just set) falls
 * back to a GET. Secrets that were found are remembered for a minute, resolved owners by uid. Readiness waits for
 * the informers' first list. `layerTest` serves fixed objects from memory.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, FiberSet, Layer, Option, Result, Schema } from "effect"
import { DynaKube } from "../../schemas/DynaKubeV1beta6.ts"
import type { Namespace, Pod } from "../../schemas/Pod.ts"
import { decodeNamespace } from "../../schemas/Pod.ts"
import * as KubeApiError from "../../services/KubeApiError.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import * as Informer from "../../services/kube/Informer.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import { resource, type Resource } from "../../services/kube/Resource.ts"
import * as Resources from "../../services/kube/Resources.ts"
import { Readiness } from "../../services/Probes.ts"
import * as Keys from "./Keys.ts"
import type { Workload } from "./pod/Attributes.ts"
import type { PodEvent } from "./pod/InjectionPlan.ts"

/** A lookup that failed (the apiserver did not answer, or answered with an error). @category errors @since 0.1.0 */
export class LookupError extends Schema.TaggedError<LookupError>()("LookupError", {
  operation: Schema.String,
  message: Schema.String
}) {}

/** A Secret to copy from. @category models @since 0.1.0 */
export interface SecretSource {
  readonly namespace: string
  readonly name: string
}

/** The lookups. @category services @since 0.1.0 */
export class InjectionContext extends Context.Service<
  InjectionContext,
  {
    readonly namespace: (name: string) => Effect.Effect<Option.Option<Namespace>, LookupError>
    readonly dynakube: (name: string) => Effect.Effect<Option.Option<DynaKube>, LookupError>
    readonly dynakubes: Effect.Effect<ReadonlyArray<DynaKube>, LookupError>
    /** `dryRun`: report whether it exists or could be copied, without copying */
    readonly ensureSecret: (
      namespace: string,
      name: string,
      source: SecretSource,
      options?: { readonly dryRun?: boolean }
    ) => Effect.Effect<boolean, LookupError>
    readonly workload: (pod: Pod, namespace: string) => Effect.Effect<Workload, LookupError>
    readonly recordEvent: (pod: Pod, namespace: string, event: PodEvent) => Effect.Effect<void>
  }
>()("dynatrace-operator/webhook/InjectionContext") {}

/** Decodes a DynaKube (hub version); `undefined` when it does not fit the schema. @category decoding @since 0.1.0 */
export const decodeDynaKube = (raw: unknown): DynaKube | undefined =>
  Result.getOrUndefined(Schema.decodeUnknownResult(DynaKube)(raw))

/** Owner kinds followed upwards, with their resources. @category workloads @since 0.1.0 */
export const workloadResources: Readonly<Record<string, Resource>> = {
  "apps/v1/ReplicaSet": Resources.ReplicaSet,
  "apps/v1/Deployment": Resources.Deployment,
  "apps/v1/StatefulSet": Resources.StatefulSet,
  "apps/v1/DaemonSet": Resources.DaemonSet,
  "batch/v1/Job": Resources.Job,
  "batch/v1/CronJob": resource({
    group: "batch",
    version: "v1",
    plural: "cronjobs",
    kind: "CronJob",
    namespaced: true
  }),
  "v1/ReplicationController": resource({
    group: "",
    version: "v1",
    plural: "replicationcontrollers",
    kind: "ReplicationController",
    namespaced: true
  }),
  "apps.openshift.io/v1/DeploymentConfig": resource({
    group: "apps.openshift.io",
    version: "v1",
    plural: "deploymentconfigs",
    kind: "DeploymentConfig",
    namespaced: true
  })
}

interface OwnerRef {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly uid?: string | undefined
  readonly controller?: boolean | undefined
}

/** The controlling owner reference, else the first. @category workloads @since 0.1.0 */
export const primaryOwner = (refs: ReadonlyArray<OwnerRef> | undefined): OwnerRef | undefined =>
  refs?.find((r) => r.controller === true) ?? refs?.[0]

const maxOwnerDepth = 10

/**
 * Follows owner references from a pod to its top-most owner; `get` fetches an owner (only kinds in
 * {@link workloadResources} are fetched; another kind is itself the top). A pod without owner is its own workload.
 * @category workloads
 * @since 0.1.0
 */
export const resolveWorkload = <E>(
  pod: Pod,
  get: (resource: Resource, name: string) => Effect.Effect<KubeObject, E>
): Effect.Effect<Workload, E> =>
  Effect.gen(function* () {
    let owner = primaryOwner(pod.metadata.ownerReferences)
    if (owner === undefined) return { kind: "pod", name: pod.metadata.name ?? pod.metadata.generateName ?? "" }
    for (let depth = 0; depth < maxOwnerDepth; depth++) {
      const res = workloadResources[`${owner.apiVersion}/${owner.kind}`]
      if (res === undefined) break
      const object = yield* get(res, owner.name)
      const next = primaryOwner(object.metadata?.ownerReferences)
      if (next === undefined) break
      owner = next
    }
    return { kind: owner.kind.toLowerCase(), name: owner.name }
  })

/** The test layer's objects. @category testing @since 0.1.0 */
export interface Fixtures {
  readonly namespaces?: ReadonlyArray<Namespace>
  readonly dynakubes?: ReadonlyArray<DynaKube>
  /** `namespace/name` of Secrets that exist */
  readonly secrets?: ReadonlyArray<string>
  /** workloads by the pod's primary owner name (`*` for any); default: the owner itself, or the pod */
  readonly workloads?: Readonly<Record<string, Workload>>
  /** make these lookups fail */
  readonly failing?: ReadonlyArray<"namespace" | "dynakube" | "secret" | "workload">
  /** Events recorded (the array is appended to) */
  readonly events?: Array<PodEvent & { readonly namespace: string }>
}

const failWith = (operation: string) =>
  Effect.fail(new LookupError({ operation, message: `${operation} failed (test fixture)` }))

/** An in-memory context for tests and benchmarks; secrets are "copied" when their source exists. @category layers @since 0.1.0 */
export const layerTest = (fixtures: Fixtures): Layer.Layer<InjectionContext> =>
  Layer.sync(InjectionContext, () => {
    const secrets = new Set(fixtures.secrets ?? [])
    const failing = new Set(fixtures.failing ?? [])
    return InjectionContext.of({
      namespace: (name) =>
        failing.has("namespace")
          ? failWith("namespace")
          : Effect.succeed(Option.fromUndefinedOr(fixtures.namespaces?.find((n) => n.metadata.name === name))),
      dynakube: (name) =>
        failing.has("dynakube")
          ? failWith("dynakube")
          : Effect.succeed(Option.fromUndefinedOr(fixtures.dynakubes?.find((d) => d.metadata?.name === name))),
      dynakubes: failing.has("dynakube") ? failWith("dynakube") : Effect.succeed(fixtures.dynakubes ?? []),
      ensureSecret: (namespace, name, source, opts) => {
        if (failing.has("secret")) return failWith("secret")
        const key = `${namespace}/${name}`
        if (secrets.has(key)) return Effect.succeed(true)
        if (!secrets.has(`${source.namespace}/${source.name}`)) return Effect.succeed(false)
        if (opts?.dryRun !== true) secrets.add(key)
        return Effect.succeed(true)
      },
      workload: (pod) => {
        if (failing.has("workload")) return failWith("workload")
        const owner = primaryOwner(pod.metadata.ownerReferences)
        const fixed = fixtures.workloads?.[owner?.name ?? ""] ?? fixtures.workloads?.["*"]
        if (fixed !== undefined) return Effect.succeed(fixed)
        return Effect.succeed(
          owner === undefined
            ? { kind: "pod", name: pod.metadata.name ?? pod.metadata.generateName ?? "" }
            : { kind: owner.kind.toLowerCase(), name: owner.name }
        )
      },
      recordEvent: (_pod, namespace, event) =>
        Effect.sync(() => {
          fixtures.events?.push({ ...event, namespace })
        })
    })
  })

const lookupError = (operation: string) => (error: KubeApiError.KubeApiError) =>
  new LookupError({ operation, message: error.message })

const getOption = <T>(effect: Effect.Effect<T, KubeApiError.KubeApiError>, operation: string) =>
  effect.pipe(
    Effect.map(Option.some),
    Effect.catchIf(KubeApiError.isNotFound, () => Effect.succeed(Option.none<T>())),
    Effect.mapError(lookupError(operation))
  )

const secretCacheMillis = 60_000
const maxCacheEntries = 10_000

/** Options of the KubeClient-backed layer. @category layers @since 0.1.0 */
export interface LayerOptions {
  /** where DynaKubes and the source Secrets live */
  readonly operatorNamespace: string
  /** `source.component` of Events */
  readonly component?: string | undefined
}

/**
 * The KubeClient-backed context: informers for Namespaces and DynaKubes (readiness check `informers synced`), GETs
 * on a cache miss, Secrets copied with `create`, owners resolved with GETs and remembered by uid.
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: LayerOptions): Layer.Layer<InjectionContext, never, KubeClient | Readiness> =>
  Layer.effect(
    InjectionContext,
    Effect.gen(function* () {
      const client = yield* KubeClient
      const readiness = yield* Readiness
      const synced = yield* readiness.register("informers synced")
      const namespaces = yield* Informer.make<KubeObject>(Resources.Namespace)
      const dynakubeInformer = yield* Informer.make<KubeObject>(Resources.DynaKube, {
        namespace: options.operatorNamespace
      })
      yield* Effect.forkScoped(
        Effect.andThen(Effect.all([namespaces.awaitSynced, dynakubeInformer.awaitSynced]), synced)
      )
      const events = yield* FiberSet.make<void, never>()
      const decoded = new Map<string, { readonly rv: string | undefined; readonly dk: DynaKube | undefined }>()
      const secretsSeen = new Map<string, number>()
      const owners = new Map<string, Workload>()

      const decodeCached = (raw: KubeObject): DynaKube | undefined => {
        const key = raw.metadata?.uid ?? raw.metadata?.name ?? ""
        const hit = decoded.get(key)
        if (hit !== undefined && hit.rv === raw.metadata?.resourceVersion) return hit.dk
        const dk = decodeDynaKube(raw)
        if (decoded.size > maxCacheEntries) decoded.clear()
        decoded.set(key, { rv: raw.metadata?.resourceVersion, dk })
        return dk
      }

      // The lookups below run on every admission (and are cache hits nearly always): untraced, like
      // `PodMutator.handle`, because a span per call costs more than the lookup and the webhook installs no tracer.
      const getNamespace = Effect.fnUntraced(function* (name: string) {
        const cached = yield* namespaces.get(name)
        const fromCache = Option.flatMap(cached, (raw) => Result.getSuccess(decodeNamespace(raw)))
        // The pod webhook only sees labelled namespaces; an unlabelled or missing cache entry is just stale.
        if (Option.isSome(fromCache) && fromCache.value.metadata.labels?.[Keys.instanceLabel] !== undefined) {
          return fromCache
        }
        const live = yield* getOption(client.get<KubeObject>(Resources.Namespace, name), "get namespace")
        return Option.flatMap(live, (raw) => Result.getSuccess(decodeNamespace(raw)))
      })

      const getDynakube = Effect.fnUntraced(function* (name: string) {
        const cached = yield* dynakubeInformer.get(`${options.operatorNamespace}/${name}`)
        const raw = Option.isSome(cached)
          ? cached
          : yield* getOption(
              client.get<KubeObject>(Resources.DynaKube, name, { namespace: options.operatorNamespace }),
              "get dynakube"
            )
        return Option.flatMap(raw, (r) => Option.fromUndefinedOr(decodeCached(r)))
      })

      const dynakubes = Effect.map(dynakubeInformer.list(), (all) =>
        all.map(decodeCached).filter((dk): dk is DynaKube => dk !== undefined)
      ).pipe(Effect.withSpan("InjectionContext.dynakubes"))

      const ensureSecret = Effect.fnUntraced(function* (
        namespace: string,
        name: string,
        source: SecretSource,
        opts?: { readonly dryRun?: boolean }
      ) {
        const key = `${namespace}/${name}`
        const now = yield* Clock.currentTimeMillis
        const seen = secretsSeen.get(key)
        if (seen !== undefined && now - seen < secretCacheMillis) return true
        const remember = Effect.sync(() => {
          if (secretsSeen.size > maxCacheEntries) secretsSeen.clear()
          secretsSeen.set(key, now)
        })
        const existing = yield* getOption(
          client.get<KubeObject & { readonly data?: unknown; readonly type?: unknown }>(Resources.Secret, name, {
            namespace
          }),
          "get secret"
        )
        if (Option.isSome(existing)) return yield* Effect.as(remember, true)
        const from = yield* getOption(
          client.get<KubeObject & { readonly data?: unknown; readonly type?: unknown }>(Resources.Secret, source.name, {
            namespace: source.namespace
          }),
          "get source secret"
        )
        if (Option.isNone(from)) return false
        if (opts?.dryRun === true) return true
        const copy = {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name, namespace, ...(from.value.metadata?.labels ? { labels: from.value.metadata.labels } : {}) },
          ...(from.value.type === undefined ? {} : { type: from.value.type }),
          ...(from.value.data === undefined ? {} : { data: from.value.data })
        }
        yield* client.create(Resources.Secret, copy).pipe(
          Effect.catchIf(KubeApiError.isAlreadyExists, () => Effect.void),
          Effect.mapError(lookupError("create secret"))
        )
        yield* Effect.logInfo("Copied Secret into the pod's namespace").pipe(
          Effect.annotateLogs({ namespace, secret: name, source: `${source.namespace}/${source.name}` })
        )
        return yield* Effect.as(remember, true)
      })

      const workload = Effect.fnUntraced(function* (pod: Pod, namespace: string) {
        const owner = primaryOwner(pod.metadata.ownerReferences)
        const cached = owner?.uid === undefined ? undefined : owners.get(owner.uid)
        if (cached !== undefined) return cached
        const result = yield* resolveWorkload(pod, (res, name) =>
          client.get<KubeObject>(res, name, { namespace }).pipe(Effect.mapError(lookupError(`get ${res.plural}`)))
        )
        if (owner?.uid !== undefined) {
          if (owners.size > maxCacheEntries) owners.clear()
          owners.set(owner.uid, result)
        }
        return result
      })

      const recordEvent = (pod: Pod, namespace: string, event: PodEvent) => {
        const base = (pod.metadata.name ?? pod.metadata.generateName ?? "pod").replace(/[-.]+$/, "")
        const object = {
          apiVersion: "v1",
          kind: "Event",
          metadata: { generateName: `${base === "" ? "pod" : base}-`, namespace },
          involvedObject: {
            apiVersion: "v1",
            kind: "Pod",
            namespace,
            ...(pod.metadata.name === undefined ? {} : { name: pod.metadata.name }),
            ...(pod.metadata.uid === undefined ? {} : { uid: pod.metadata.uid })
          },
          reason: event.reason,
          message: event.message,
          type: event.type,
          source: { component: options.component ?? "dynatrace-webhook" }
        }
        const send = Effect.gen(function* () {
          const now = new Date(yield* Clock.currentTimeMillis).toISOString()
          yield* client.create(Resources.Event, { ...object, firstTimestamp: now, lastTimestamp: now, count: 1 })
        }).pipe(
          Effect.catch((error) =>
            Effect.logDebug("Could not record an Event on the pod").pipe(Effect.annotateLogs({ error: error.message }))
          )
        )
        return Effect.asVoid(FiberSet.run(events, send))
      }

      return InjectionContext.of({
        namespace: getNamespace,
        dynakube: getDynakube,
        dynakubes,
        ensureSecret,
        workload,
        recordEvent
      })
    })
  )

/**
 * A context that only reads, with plain GETs and no caches: for `explain`, which previews one admission. Secrets
 * are never copied (every `ensureSecret` is a dry run) and Events are not recorded.
 * @category layers
 * @since 0.1.0
 */
export const layerReadOnly = (options: LayerOptions): Layer.Layer<InjectionContext, never, KubeClient> =>
  Layer.effect(
    InjectionContext,
    Effect.gen(function* () {
      const client = yield* KubeClient
      const getSecret = (namespace: string, name: string) =>
        getOption(client.get<KubeObject>(Resources.Secret, name, { namespace }), "get secret")
      const getDynakube = (name: string) =>
        Effect.map(
          getOption(
            client.get<KubeObject>(Resources.DynaKube, name, { namespace: options.operatorNamespace }),
            "get dynakube"
          ),
          (raw) => Option.flatMap(raw, (r) => Option.fromUndefinedOr(decodeDynaKube(r)))
        )
      return InjectionContext.of({
        namespace: (name) =>
          Effect.map(getOption(client.get<KubeObject>(Resources.Namespace, name), "get namespace"), (raw) =>
            Option.flatMap(raw, (r) => Result.getSuccess(decodeNamespace(r)))
          ),
        dynakube: getDynakube,
        dynakubes: client.list<KubeObject>(Resources.DynaKube, { namespace: options.operatorNamespace }).pipe(
          Effect.map((list) => list.items.map(decodeDynaKube).filter((dk): dk is DynaKube => dk !== undefined)),
          Effect.mapError(lookupError("list dynakubes"))
        ),
        ensureSecret: (namespace, name, source) =>
          Effect.gen(function* () {
            if (Option.isSome(yield* getSecret(namespace, name))) return true
            return Option.isSome(yield* getSecret(source.namespace, source.name))
          }),
        workload: (pod, namespace) =>
          resolveWorkload(pod, (res, name) =>
            client.get<KubeObject>(res, name, { namespace }).pipe(Effect.mapError(lookupError(`get ${res.plural}`)))
          ),
        recordEvent: () => Effect.void
      })
    })
  )
