/**
 * The missed-injection controller (`missed-injection-controller`, opt-in with `DT_MISSED_INJECTION`,
 * docs/missed-injection.md): finds pods the webhook would inject into but never saw, reports them, and in
 * `restart` mode rolls their workloads the way `kubectl rollout restart` does.
 *
 * Keys are namespace names. Sources:
 * - a cluster-wide Pod informer of running and pending pods, slimmed to what the decision reads
 *   (`MissedInjection.slimPod`): a pod added or gone;
 * - the operator's Namespace cache: a namespace added, gone, or whose instance label changed;
 * - the operator's DynaKube cache: a DynaKube added, gone or changed (generation or annotations) queues the
 *   namespaces labelled with its name.
 *
 * Per namespace: count the missed pods (gauge `dynatrace_operator_pods_missed_injection{namespace}`), group them by
 * workload (ReplicaSet → its Deployment, StatefulSet, DaemonSet; anything else is reported only), then per workload:
 * - `report`: a Warning `MissedInjection` on the DynaKube ("3 pods of deployment/shop in namespace demo missed
 *   injection; restart the workload");
 * - `restart`: through the guards (`RestartGuard.ts`) a merge patch of the template's `restartedAt`, Normal Events
 *   `RestartedForInjection` on the workload and the DynaKube and `dynatrace_operator_injection_restarts_total`. A
 *   workload restarted less than an hour ago is not restarted again: if pods created since that restart still miss
 *   injection, a Warning says the webhook is likely not running; older pods are the rollout still in progress.
 *
 * Events go through the operator's EventRecorder, which de-duplicates. One worker: the rate limit has one writer.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Metric, Option, Result, Schema, type Scope, Stream } from "effect"
import { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import * as DynaKubeV1beta6 from "../../../schemas/DynaKubeV1beta6.ts"
import { decodeNamespace } from "../../../schemas/Pod.ts"
import type { KubeApiError } from "../../../services/KubeApiError.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import * as Informer from "../../../services/kube/Informer.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { keyOf } from "../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../services/kube/Resource.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Keys from "../../webhook/Keys.ts"
import type { Settings } from "../../webhook/pod/InjectionPolicy.ts"
import { EventRecorder, type Regarding, regardingObject } from "../EventRecorder.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import * as MissedInjection from "./MissedInjection.ts"
import * as RestartGuard from "./RestartGuard.ts"

/** Controller name in logs and metrics. @category constants */
export const controllerName = "missed-injection-controller"

/** Event reasons. @category constants */
export const eventReasons = {
  missed: "MissedInjection",
  restarted: "RestartedForInjection"
} as const

/** What the controller does with what it finds. @category models */
export type Mode = "report" | "restart"

/** What the controller needs. @category models */
export interface MissedInjectionControllerConfig {
  readonly mode: Mode
  /** The webhook's settings, as the operator knows them (operator namespace, CSI driver, ...). */
  readonly settings: Settings
}

/**
 * The webhook settings the decision reads, from the operator's own configuration (the two share the namespace,
 * the operator image and `modules.json`); the rest only shapes the patch, which is not made here.
 * @category constructors
 */
export const settingsOf = (config: {
  readonly namespace: string
  readonly operatorImage: string | undefined
  readonly operatorVersion: string
  readonly modules: { readonly csiDriver: boolean }
}): Settings => ({
  operatorNamespace: config.namespace,
  operatorImage: config.operatorImage ?? "",
  operatorVersion: config.operatorVersion,
  csiDriver: config.modules.csiDriver,
  openShift: false,
  metadataSizeLimit: 24576,
  extractCodeModulesImageLinks: false
})

/** Missed pods per namespace. @category metrics */
export const missedPods = Metric.gauge("dynatrace_operator_pods_missed_injection", {
  description: "Pods that missed injection (the webhook would inject them but never saw them), per namespace"
})

/** Workloads restarted because their pods missed injection. @category metrics */
export const restarts = Metric.counter("dynatrace_operator_injection_restarts_total", {
  description: "Workloads restarted by the operator because their pods missed injection",
  incremental: true
})

const workloadResources: Readonly<Record<MissedInjection.RestartableKind, Resource>> = {
  Deployment: Resources.Deployment,
  StatefulSet: Resources.StatefulSet,
  DaemonSet: Resources.DaemonSet
}

interface WorkloadObject extends KubeObject {
  readonly spec?: {
    readonly template?: { readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> } }
  }
}

interface Group {
  readonly workload: MissedInjection.WorkloadRef
  readonly pods: Array<MissedInjection.SlimPod>
}

const decodeDynaKube = Schema.decodeUnknownOption(DynaKube)

const regardingDynaKube = (raw: KubeObject): Regarding => regardingObject(DynaKubeV1beta6, raw)

const labelOf = (o: KubeObject) => o.metadata?.labels?.[Keys.instanceLabel]

/** Lists and watches running and pending pods only: finished pods cannot miss anything. */
const activePods = "status.phase!=Succeeded,status.phase!=Failed"

/** `replicaSets`: the ReplicaSets looked up in this reconcile (many pods share one; one GET each). */
const workloadOf = (
  namespace: string,
  pod: MissedInjection.SlimPod,
  replicaSets: Map<string, MissedInjection.WorkloadRef>
) =>
  Effect.gen(function* () {
    const owner = MissedInjection.podOwner(pod)
    switch (owner._tag) {
      case "Workload":
        return { kind: owner.kind, name: owner.name, restartable: true } satisfies MissedInjection.WorkloadRef
      case "Other":
        return { kind: owner.kind, name: owner.name, restartable: false } satisfies MissedInjection.WorkloadRef
      case "ReplicaSet": {
        const known = replicaSets.get(owner.name)
        if (known !== undefined) return known
        const rs = yield* ObjectSync.readWithGet<KubeObject>(Resources.ReplicaSet, namespace, owner.name)
        const workload = MissedInjection.replicaSetWorkload(owner.name, Option.getOrUndefined(rs))
        replicaSets.set(owner.name, workload)
        return workload
      }
    }
  })

/**
 * Starts the controller in the current scope (the operator's caches must be synced).
 * @category constructors
 */
export const makeMissedInjectionController = (
  config: MissedInjectionControllerConfig
): Effect.Effect<Controller.Controller, never, KubeClient | OperatorCaches | EventRecorder | Scope.Scope> =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const caches = yield* OperatorCaches
    const events = yield* EventRecorder
    const operatorNamespace = config.settings.operatorNamespace
    const pods = yield* Informer.make<MissedInjection.SlimPod>(Resources.Pod, {
      fieldSelector: activePods,
      transform: MissedInjection.slimPod
    })

    let lastRestart: number | undefined
    const reported = new Set<string>()
    const decoded = new Map<string, { readonly rv: string | undefined; readonly dk: Option.Option<DynaKube> }>()

    const dynakubeOf = (raw: KubeObject) => {
      const key = raw.metadata?.uid ?? ""
      const hit = decoded.get(key)
      if (hit !== undefined && hit.rv === raw.metadata?.resourceVersion) return hit.dk
      const dk = decodeDynaKube(raw)
      if (decoded.size > 256) decoded.clear()
      decoded.set(key, { rv: raw.metadata?.resourceVersion, dk })
      return dk
    }

    const setGauge = (namespace: string, count: number) =>
      Effect.suspend(() => {
        // Namespaces without missed pods get no series, unless they had one (then it drops to 0).
        if (count === 0 && !reported.has(namespace)) return Effect.void
        if (count > 0) reported.add(namespace)
        return Metric.update(Metric.withAttributes(missedPods, { namespace }), count)
      })

    const restartGroup = (namespace: string, dkRaw: KubeObject, group: Group) =>
      Effect.gen(function* () {
        const { workload } = group
        const kind = workload.kind as MissedInjection.RestartableKind
        const resource = workloadResources[kind]
        const found = yield* ObjectSync.readWithGet<WorkloadObject>(resource, namespace, workload.name)
        if (Option.isNone(found)) return Controller.done
        const object = found.value
        const restartedAt = object.spec?.template?.metadata?.annotations?.[RestartGuard.restartedAtAnnotation]
        const now = yield* Clock.currentTimeMillis
        const verdict = RestartGuard.check({ now, lastRestart, restartedAt })
        switch (verdict._tag) {
          case "RecentlyRestarted": {
            // Pods created since the restart that still miss injection: restarting did not help.
            const since = group.pods.filter(
              (p) => (RestartGuard.parseTime(p.metadata.creationTimestamp) ?? 0) >= verdict.restartedAt
            )
            if (since.length > 0) {
              yield* events.event(
                regardingDynaKube(dkRaw),
                "Warning",
                eventReasons.missed,
                MissedInjection.stillMissingNote(since.length, workload, namespace)
              )
            }
            return Controller.done
          }
          case "RateLimited":
            yield* events.event(
              regardingDynaKube(dkRaw),
              "Warning",
              eventReasons.missed,
              MissedInjection.missedNote(group.pods.length, workload, namespace)
            )
            return Controller.requeueAfter(verdict.retryAfter)
          case "Restart": {
            yield* kube.patch(
              resource,
              workload.name,
              { type: "merge", patch: RestartGuard.restartPatch(now) },
              { namespace }
            )
            lastRestart = now
            yield* Metric.update(restarts, 1)
            const note = MissedInjection.restartedNote(group.pods.length, workload, namespace)
            yield* events.event(
              regardingObject({ apiVersion: "apps/v1", kind: workload.kind }, object),
              "Normal",
              eventReasons.restarted,
              note,
              "Restart"
            )
            yield* events.event(regardingDynaKube(dkRaw), "Normal", eventReasons.restarted, note, "Restart")
            yield* Effect.logInfo("Restarted a workload whose pods missed injection.").pipe(
              Effect.annotateLogs({ workload: MissedInjection.workloadLabel(workload), pods: group.pods.length })
            )
            return Controller.done
          }
        }
      })

    const reconcile = (namespace: string) =>
      Effect.gen(function* () {
        yield* pods.awaitSynced
        const ns = Option.flatMap(yield* caches.namespaces.get(namespace), (raw) =>
          Result.getSuccess(decodeNamespace(raw))
        )
        const label = Option.getOrUndefined(ns)?.metadata.labels?.[Keys.instanceLabel]
        const dkRaw =
          label === undefined || label === ""
            ? Option.none<KubeObject>()
            : yield* caches.dynakubes.get(keyOf(operatorNamespace, label))
        const dynakube = Option.flatMap(dkRaw, dynakubeOf)
        if (Option.isNone(dkRaw) || Option.isNone(dynakube)) {
          yield* setGauge(namespace, 0)
          return Controller.done
        }
        const missed = (yield* pods.list({ namespace })).filter(
          (pod) => MissedInjection.assess({ settings: config.settings, pod, namespace: ns, dynakube })._tag === "Missed"
        )
        yield* setGauge(namespace, missed.length)
        if (missed.length === 0) return Controller.done

        const groups = new Map<string, Group>()
        const replicaSets = new Map<string, MissedInjection.WorkloadRef>()
        for (const pod of missed) {
          const workload = yield* workloadOf(namespace, pod, replicaSets)
          const key = MissedInjection.workloadLabel(workload)
          const group = groups.get(key) ?? { workload, pods: [] }
          group.pods.push(pod)
          groups.set(key, group)
        }

        let result = Controller.done
        for (const [, group] of [...groups].toSorted(([a], [b]) => a.localeCompare(b))) {
          if (config.mode === "restart" && group.workload.restartable) {
            result = Controller.soonest(result, yield* restartGroup(namespace, dkRaw.value, group))
            continue
          }
          yield* events.event(
            regardingDynaKube(dkRaw.value),
            "Warning",
            eventReasons.missed,
            MissedInjection.missedNote(group.pods.length, group.workload, namespace)
          )
        }
        return result
      }).pipe(Effect.annotateLogs({ namespace }), Effect.provideService(KubeClient, kube))

    const podKeys = pods.events.pipe(
      Stream.filter((event) => event.type === "Added" || event.type === "Deleted"),
      Stream.map((event) => event.object.metadata.namespace ?? "")
    )
    const namespaceKeys = caches.namespaces.events.pipe(
      Stream.filter(
        (event) =>
          event.type === "Added" ||
          event.type === "Deleted" ||
          (event.type === "Modified" && labelOf(event.old) !== labelOf(event.object))
      ),
      Stream.map((event) => event.object.metadata?.name ?? "")
    )
    const dynakubeKeys = caches.dynakubes.events.pipe(
      Stream.filter(
        (event) =>
          event.type === "Added" ||
          event.type === "Deleted" ||
          (event.type === "Modified" &&
            (event.old.metadata?.generation !== event.object.metadata?.generation ||
              JSON.stringify(event.old.metadata?.annotations ?? {}) !==
                JSON.stringify(event.object.metadata?.annotations ?? {})))
      ),
      Stream.mapEffect((event) =>
        Effect.map(caches.namespaces.list(), (all) =>
          all.filter((n) => labelOf(n) === event.object.metadata?.name).map((n) => n.metadata?.name ?? "")
        )
      ),
      Stream.flatMap((names) => Stream.fromIterable(names))
    )

    return yield* Controller.make<KubeApiError, never>({
      name: controllerName,
      reconcile,
      sources: [podKeys, namespaceKeys, dynakubeKeys],
      maxConcurrentReconciles: 1
    })
  })

/** The restart counter's current value (tests). @category metrics */
export const restartCount = Effect.map(Metric.value(restarts), (state) => Number(state.count))
