/**
 * The component phases of a DynaKube reconcile (spec §2.2.1 step 6): ActiveGate, app injection, OneAgent — in that
 * order, each error collected. The workload builders (OneAgent DaemonSet, ActiveGate StatefulSet/Service/secrets,
 * §2.2.4–§2.2.5) and the injection phase (§2.2.9) are written in `oneagent/`, `activegate/` and `injection/`; this
 * file applies what they build and does the parts that are the controller's: cleanup when a component is switched
 * off, "postponed" connection info, the `status.oneAgent.instances` refresh and the creation Events.
 *
 * Until a builder exists, its part is a clearly named "not yet" function: it logs once and does nothing, and the
 * phase computation does not wait for that workload (`deployed`).
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Option } from "effect"
import { KubeClient } from "../../../services/KubeClient.ts"
import { type KubeObject, keyOf } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import { EventRecorder } from "../EventRecorder.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import type { Deployed } from "./DeploymentPhase.ts"
import * as Names from "./Names.ts"
import {
  nowTime,
  oneAgentStatus,
  type Phase,
  type ReconcileScope,
  removeCondition,
  updateStatus
} from "./ReconcileScope.ts"

/** Which workloads this build deploys (the phase computation waits only for these). */
export const deployed: Deployed = { activeGateStatefulSet: false, oneAgentDaemonSet: false }

export const conditionTypes = {
  oneAgentDaemonSet: "OneAgentDaemonSet",
  activeGateStatefulSet: "ActiveGateStatefulSet"
} as const

const notYetLogged = new Set<string>()
const notYet = (what: string) =>
  Effect.suspend(() => {
    if (notYetLogged.has(what)) return Effect.void
    notYetLogged.add(what)
    return Effect.logWarning("This component is not implemented yet; skipping it.").pipe(
      Effect.annotateLogs({ component: what })
    )
  })

/** NOT YET: the ActiveGate StatefulSet, Service, auth-token and TLS secrets (builders in `activegate/`). */
export const reconcileActiveGateWorkload = (_scope: ReconcileScope) => notYet("activegate")

/** NOT YET: the OneAgent DaemonSet (builder in `oneagent/`). */
export const reconcileOneAgentDaemonSet = (_scope: ReconcileScope) => notYet("oneagent-daemonset")

/** NOT YET: namespace mapping and replicated secrets (the phase in `injection/`). */
export const reconcileInjection = (_scope: ReconcileScope) => notYet("injection")

export const activeGate: Phase<OperatorCaches | KubeClient> = {
  name: "activegate",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const n = Names.names(scope.name)
      if (!scope.features.activeGate) {
        yield* ObjectSync.ensureAbsent(Resources.StatefulSet, scope.namespace, n.activeGateStatefulSet, {
          read: caches.read
        })
        yield* ObjectSync.ensureAbsent(Resources.Service, scope.namespace, n.activeGateService, { read: caches.read })
        removeCondition(scope, conditionTypes.activeGateStatefulSet)
        return Controller.done
      }
      if (scope.activeGateConnectionInfoPostponed) return Controller.done
      yield* reconcileActiveGateWorkload(scope)
      return Controller.done
    })
}

export const injection: Phase<never> = {
  name: "injection",
  run: (scope) =>
    Effect.gen(function* () {
      if (scope.oneAgentConnectionInfoPostponed && scope.features.appInjection) return Controller.done
      yield* reconcileInjection(scope)
      return Controller.done
    })
}

interface Pod extends KubeObject {
  readonly spec?: { readonly nodeName?: string | undefined } | undefined
  readonly status?: { readonly hostIP?: string | undefined } | undefined
}

/** Last refresh of `status.oneAgent.instances` per DynaKube (in memory, so a refresh writes only on change). */
const instancesCheckedAt = new Map<string, number>()

/** Forgets the per-DynaKube memory of a deleted DynaKube. */
export const forget = (key: string): void => void instancesCheckedAt.delete(key)

/** `status.oneAgent.instances`: the DaemonSet's pods by node, refreshed every ONEAGENT_OPERATOR_UPDATE_INTERVAL. */
const refreshInstances = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const last = instancesCheckedAt.get(scope.key)
    if (last !== undefined && now - last < Duration.toMillis(scope.config.oneAgentUpdateInterval)) return
    instancesCheckedAt.set(scope.key, now)
    const caches = yield* OperatorCaches
    const kube = yield* KubeClient
    const ds = Option.getOrUndefined(
      yield* caches.daemonSets.get(keyOf(scope.namespace, Names.names(scope.name).oneAgentDaemonSet))
    )
    if (ds?.metadata?.uid === undefined) return
    const pods = yield* kube.listAll<Pod>(Resources.Pod, {
      namespace: scope.namespace,
      labelSelector: `${Names.labelKeys.createdBy}=${scope.name}`
    })
    const instances: Record<string, { podName?: string; ipAddress?: string }> = {}
    for (const pod of pods.items) {
      if (!(pod.metadata?.ownerReferences ?? []).some((r) => r.uid === ds.metadata?.uid)) continue
      const node = pod.spec?.nodeName
      if (node === undefined || node === "") continue
      instances[node] = { podName: pod.metadata?.name ?? "", ipAddress: pod.status?.hostIP ?? "" }
    }
    const previous = scope.oldStatus.oneAgent?.instances ?? {}
    if (ObjectSync.canonicalJson(previous) === ObjectSync.canonicalJson(instances)) return
    updateStatus(scope, { oneAgent: { ...oneAgentStatus(scope), instances, lastInstanceStatusUpdate: nowTime(scope) } })
  })

export const oneAgent: Phase<OperatorCaches | KubeClient | EventRecorder> = {
  name: "oneagent",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const n = Names.names(scope.name)
      yield* ObjectSync.ensureAbsent(Resources.DaemonSet, scope.namespace, n.classicDaemonSet, { read: caches.read })
      if (!scope.features.hostAgent) {
        yield* ObjectSync.ensureAbsent(Resources.DaemonSet, scope.namespace, n.oneAgentDaemonSet, { read: caches.read })
        removeCondition(scope, conditionTypes.oneAgentDaemonSet)
        if (scope.status.oneAgent?.instances !== undefined) {
          const { instances: _i, lastInstanceStatusUpdate: _l, ...rest } = oneAgentStatus(scope)
          updateStatus(scope, { oneAgent: rest })
        }
        forget(scope.key)
        return Controller.done
      }
      if (scope.oneAgentConnectionInfoPostponed) return Controller.done
      yield* reconcileOneAgentDaemonSet(scope)
      yield* refreshInstances(scope)
      return Controller.done
    })
}
