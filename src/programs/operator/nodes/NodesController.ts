/**
 * The nodes controller (`nodes-controller`, host availability detection, spec §2.5): tells the tenant when a node
 * with a OneAgent is about to disappear, so its host is not reported as an outage.
 *
 * Keys are node names, plus one internal key for the prune pass. Sources:
 * - Nodes: added, deleted, or changed in what matters (cordon, taints). Status heartbeats are ignored.
 * - DynaKubes (operator namespace): a node that appears in, or changes in, `status.oneAgent.instances`.
 * - The prune key, queued at start, which schedules itself every 10 minutes (or when `DTOperatorLastUpdated` says
 *   the last prune is due).
 *
 * The cache (`NodeCache.ts`) lives in memory and in the ConfigMap `dynatrace-node-cache`. The ConfigMap is written
 * when a report was sent (so "once per hour" survives a restart), when a node was forgotten, and by every prune;
 * `seen` refreshes in between stay in memory until the next write. Writes are conditional on the last
 * resourceVersion; a Conflict reloads the cache and retries. One worker, so the cache has a single writer.
 *
 * A report that fails (tenant unreachable) is retried with backoff and the node stays cached, also when it was
 * deleted; the hour starts only when the tenant took the event or had nothing to attach it to.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Option, type Scope, Stream } from "effect"
import type { DynatraceApiError } from "../../../services/DynatraceApiError.ts"
import type { KubeApiError } from "../../../services/KubeApiError.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import * as Informer from "../../../services/kube/Informer.ts"
import type { KubeObject, OwnerReference } from "../../../services/kube/KubeObject.ts"
import { keyOf } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import * as NodeCache from "./NodeCache.ts"
import * as NodeDecisions from "./NodeDecisions.ts"
import * as NodeTenant from "./NodeTenant.ts"

/** Controller name in logs and metrics. @category constants */
export const controllerName = "nodes-controller"

/** The key of the prune pass (`#` cannot occur in a node name). @category constants */
export const pruneKey = "#prune"

/** What the controller needs. @category models */
export interface NodesControllerConfig {
  /** The operator namespace: DynaKubes and the cache ConfigMap live here. */
  readonly namespace: string
  /** Per-call timeout of tenant calls (`DT_CLIENT_CONNECTION_TIMEOUT`, default 30 s). */
  readonly clientTimeout?: Duration.Input | undefined
  /** Reported as `dynatrace-operator/<version>`. */
  readonly operatorVersion?: string | undefined
  /** The Deployment that owns the cache ConfigMap (default `dynatrace-operator`; absent ⇒ no owner). */
  readonly operatorDeploymentName?: string | undefined
}

interface NodeObject extends KubeObject, NodeDecisions.NodeView {}

const instancesIndex = "instances"

/** Whether a node change can matter (cordon or taints; heartbeats and status do not). */
const relevantChange = (old: NodeObject, next: NodeObject) =>
  old.spec?.unschedulable !== next.spec?.unschedulable ||
  ObjectSync.canonicalJson(old.spec?.taints ?? []) !== ObjectSync.canonicalJson(next.spec?.taints ?? [])

/** Nodes whose instance entry a DynaKube change added or changed. */
const changedInstances = (event: Informer.InformerEvent<NodeTenant.DynaKubeView>): ReadonlyArray<string> => {
  if (event.type === "Deleted" || event.type === "Resync") return []
  const next = event.object.status?.oneAgent?.instances ?? {}
  if (event.type === "Added") return Object.keys(next)
  const old = event.old.status?.oneAgent?.instances ?? {}
  return Object.keys(next).filter((node) => old[node]?.ipAddress !== next[node]?.ipAddress)
}

interface State {
  loaded: boolean
  entries: Map<string, NodeCache.CacheEntry>
  lastUpdated: number | undefined
  resourceVersion: string | undefined
  owner: OwnerReference | undefined
}

/**
 * Starts the controller in the current scope.
 * @category constructors
 */
export const makeNodesController = (
  config: NodesControllerConfig
): Effect.Effect<Controller.Controller, never, KubeClient | Scope.Scope> =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const { namespace } = config
    const tenantOptions = {
      timeout: config.clientTimeout ?? "30 seconds",
      userAgent: `dynatrace-operator/${config.operatorVersion ?? "unknown"}`
    }
    const nodes = yield* Informer.make<NodeObject>(Resources.Node)
    const dynakubes = yield* Informer.make<NodeTenant.DynaKubeView>(Resources.DynaKube, {
      namespace,
      indexers: { [instancesIndex]: NodeTenant.instanceNodes }
    })
    const state: State = {
      loaded: false,
      entries: new Map(),
      lastUpdated: undefined,
      resourceVersion: undefined,
      owner: undefined
    }

    const reportedAt = new Map<string, number>()

    const load = Effect.gen(function* () {
      if (state.loaded) return
      const configMap = yield* kube
        .get<NodeCache.NodeCacheConfigMap>(Resources.ConfigMap, NodeCache.configMapName, { namespace })
        .pipe(
          Effect.map(Option.some),
          Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none()))
        )
      const read = NodeCache.fromConfigMap(Option.getOrUndefined(configMap))
      state.entries = new Map(
        [...read.entries].map(([node, entry]) => {
          // A report whose write was lost (Conflict) still counts: never report a node twice within the hour.
          const marked = reportedAt.get(node)
          return [node, marked !== undefined && (entry.marked ?? 0) < marked ? { ...entry, marked } : entry]
        })
      )
      state.lastUpdated = read.lastUpdated
      state.resourceVersion = Option.getOrUndefined(configMap)?.metadata?.resourceVersion
      const deployment = yield* kube
        .get<KubeObject>(Resources.Deployment, config.operatorDeploymentName ?? "dynatrace-operator", { namespace })
        .pipe(
          Effect.map(Option.some),
          Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<KubeObject>()))
        )
      state.owner = Option.match(deployment, {
        onNone: () => undefined,
        onSome: (d) => ({
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: d.metadata?.name ?? "",
          uid: d.metadata?.uid ?? ""
        })
      })
      state.loaded = true
    })

    /** Writes the cache (create, or update conditional on the last resourceVersion). */
    const persist = Effect.gen(function* () {
      const desired: NodeCache.NodeCacheConfigMap = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: NodeCache.configMapName,
          namespace,
          ...(state.resourceVersion === undefined ? {} : { resourceVersion: state.resourceVersion }),
          ...(state.lastUpdated === undefined
            ? {}
            : {
                annotations: { [NodeCache.lastUpdatedAnnotation]: NodeCache.formatAnnotationTime(state.lastUpdated) }
              }),
          ...(state.owner === undefined ? {} : { ownerReferences: [state.owner] })
        },
        data: NodeCache.toData(state.entries)
      }
      const written = yield* (
        state.resourceVersion === undefined
          ? kube.create(Resources.ConfigMap, desired)
          : kube.update(Resources.ConfigMap, desired)
      ).pipe(
        Effect.tapError((error) =>
          error.reason._tag === "Conflict" || error.reason._tag === "AlreadyExists" || error.reason._tag === "NotFound"
            ? Effect.sync(() => {
                // Someone else wrote it (or removed it): start again from what is stored.
                state.loaded = false
              })
            : Effect.void
        )
      )
      state.resourceVersion = written.metadata?.resourceVersion
    })

    const dynakubeNamed = (name: string) => dynakubes.get(keyOf(namespace, name))

    const ownerOf = (node: string) =>
      Effect.map(dynakubes.byIndex(instancesIndex, node), (list) => {
        const dk = list.toSorted((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))[0]
        return dk === undefined ? undefined : { dk, owner: NodeTenant.ownerIn(dk, node) }
      })

    const platformMemo = new Map<string, boolean>()
    const isPlatform = (dk: NodeTenant.DynaKubeView) =>
      Effect.gen(function* () {
        const memoKey = `${dk.metadata?.uid}/${dk.metadata?.resourceVersion}`
        const known = platformMemo.get(memoKey)
        if (known !== undefined) return known
        const secret = yield* NodeTenant.tokenSecret(dk)
        const platform = NodeTenant.isPlatform(secret)
        if (platformMemo.size > 256) platformMemo.clear()
        platformMemo.set(memoKey, platform)
        return platform
      })

    /** Reports one entry; true when the hour starts now (sent, or nothing to attach the event to). */
    const report = (node: string, dk: NodeTenant.DynaKubeView, entry: NodeCache.CacheEntry) =>
      Effect.gen(function* () {
        const outcome = yield* NodeTenant.reportMarkedForTermination(
          dk,
          entry.ip,
          NodeDecisions.eventTime(entry),
          tenantOptions
        )
        const log =
          outcome._tag === "Sent"
            ? Effect.logInfo("Reported a node as marked for termination.").pipe(
                Effect.annotateLogs({ entityId: outcome.entityId })
              )
            : Effect.logInfo("Skipped reporting a node: the tenant knows no matching host.").pipe(
                Effect.annotateLogs({ outcome: outcome._tag })
              )
        yield* log.pipe(Effect.annotateLogs({ node, dynakube: dk.metadata?.name ?? "" }))
        return true
      })

    const reconcileNode = (name: string) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const node = Option.getOrUndefined(yield* nodes.get(name))
        const cached = state.entries.get(name)
        let dk: NodeTenant.DynaKubeView | undefined
        let owner: NodeDecisions.Owner | undefined
        if (node !== undefined) {
          const found = yield* ownerOf(name)
          dk = found?.dk
          owner = found?.owner
        } else if (cached !== undefined) {
          dk = Option.getOrUndefined(yield* dynakubeNamed(cached.instance))
          owner = dk === undefined ? undefined : { dynakube: cached.instance, ip: cached.ip }
        }
        if (dk !== undefined && (yield* isPlatform(dk))) return Controller.done

        const action = NodeDecisions.decideNode({ node, cached, owner, now })
        let next = action.next
        let write = false
        if (action.mark !== undefined && dk !== undefined) {
          const reported = yield* report(name, dk, action.mark).pipe(
            Effect.tapError(() =>
              Effect.sync(() => {
                // Keep what we know (also for a deleted node) so the retry can still report it.
                if (node !== undefined && action.next !== undefined) state.entries.set(name, action.next)
              })
            )
          )
          if (reported) reportedAt.set(name, now)
          if (reported && next !== undefined) next = { ...next, marked: now }
          write = true
        }
        if (next === undefined) {
          if (state.entries.delete(name)) write = true
        } else {
          const previous = state.entries.get(name)
          state.entries.set(name, next)
          // New nodes and IP/owner changes are written by the next prune; a lost `seen` costs nothing.
          if (previous?.marked !== next.marked) write = true
        }
        if (write) yield* persist
        return Controller.done
      }).pipe(Effect.annotateLogs({ node: name }))

    const reconcilePrune = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const interval = Duration.toMillis(NodeDecisions.pruneInterval)
      if (state.lastUpdated !== undefined && now - state.lastUpdated < interval) {
        return Controller.requeueAfter(Duration.millis(interval - (now - state.lastUpdated)))
      }
      const names = new Set(yield* nodes.keys)
      const owners = new Map<string, NodeDecisions.Owner>()
      for (const name of names) {
        const found = yield* ownerOf(name)
        if (found?.owner !== undefined && !(yield* isPlatform(found.dk))) owners.set(name, found.owner)
      }
      const existing = new Map<string, NodeTenant.DynaKubeView>()
      for (const dk of yield* dynakubes.list()) existing.set(dk.metadata?.name ?? "", dk)
      const pruned = NodeDecisions.prune({
        entries: state.entries,
        nodes: names,
        ownerOf: (name) => owners.get(name),
        dynakubeExists: (name) => existing.has(name),
        now
      })
      const entries = new Map(pruned.entries)
      const failed: Array<unknown> = []
      for (const [name, entry] of pruned.marks) {
        const dk = existing.get(entry.instance)
        if (dk === undefined || (yield* isPlatform(dk))) continue
        const result = yield* Effect.result(report(name, dk, entry).pipe(Effect.annotateLogs({ node: name })))
        if (result._tag === "Success") reportedAt.set(name, now)
        // A failed report keeps the deleted node cached: the next prune (or its retry) tries again.
        if (result._tag === "Failure") {
          entries.set(name, entry)
          failed.push(result.failure)
        }
      }
      state.entries = entries
      state.lastUpdated = now
      for (const [node, at] of reportedAt)
        if (now - at >= Duration.toMillis(NodeDecisions.markInterval)) reportedAt.delete(node)
      // Nothing to remember and nothing stored: no ConfigMap is created just to hold the prune time.
      if (entries.size > 0 || state.resourceVersion !== undefined) yield* persist
      if (failed.length > 0) return yield* Effect.fail(failed[0] as NodeTenant.NodeTenantError | DynatraceApiError)
      return Controller.requeueAfter(NodeDecisions.pruneInterval)
    })

    const reconcile = (key: string) =>
      Effect.gen(function* () {
        yield* nodes.awaitSynced
        yield* dynakubes.awaitSynced
        yield* load
        return key === pruneKey ? yield* reconcilePrune : yield* reconcileNode(key)
      })

    const nodeKeys = nodes.events.pipe(
      Stream.filter(
        (event) =>
          event.type === "Added" ||
          event.type === "Deleted" ||
          (event.type === "Modified" && relevantChange(event.old, event.object))
      ),
      Stream.map((event) => event.object.metadata?.name ?? "")
    )
    const instanceKeys = dynakubes.events.pipe(Stream.flatMap((event) => Stream.fromIterable(changedInstances(event))))

    const controller = yield* Controller.make<
      KubeApiError | DynatraceApiError | NodeTenant.NodeTenantError,
      KubeClient
    >({
      name: controllerName,
      reconcile,
      sources: [nodeKeys, instanceKeys],
      maxConcurrentReconciles: 1
    })
    yield* controller.enqueue(pruneKey)
    return controller
  })
