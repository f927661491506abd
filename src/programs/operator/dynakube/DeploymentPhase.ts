/**
 * `status.phase` (spec §2.2.6): `Deploying` while a workload the DynaKube asked for is missing or not ready,
 * `Running` when all are; `Error` is set by the reconciler when a phase failed. Read from the informer caches.
 *
 * Checked in the original's order, first non-Running wins: the ActiveGate StatefulSet (missing, or
 * `replicas - readyReplicas > 0`), the extension controller StatefulSet and SQL executor Deployments
 * (`extensions/Readiness.ts`), then the OneAgent DaemonSet (missing, or `currentNumberScheduled - numberReady > 0`),
 * then the standalone log monitoring DaemonSet and the KSPM node-config collector DaemonSet (same rule), last the OTel
 * collector StatefulSet (`otelc/Readiness.ts`).
 * Workloads this implementation does not deploy yet are not waited for.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { Phase as DynaKubePhase } from "../../../schemas/Shared.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { keyOf } from "../../../services/kube/KubeObject.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as KspmDaemonSet from "./kspm/KspmDaemonSet.ts"
import * as LogMonitoringDaemonSet from "./logmonitoring/LogMonitoringDaemonSet.ts"
import * as ExtensionsReadiness from "./extensions/Readiness.ts"
import * as Names from "./Names.ts"
import * as OtelcReadiness from "./otelc/Readiness.ts"
import type { ReconcileScope } from "./ReconcileScope.ts"

interface WorkloadStatus extends KubeObject {
  readonly spec?: { readonly replicas?: number | undefined } | undefined
  readonly status?:
    | {
        readonly readyReplicas?: number | undefined
        readonly currentNumberScheduled?: number | undefined
        readonly numberReady?: number | undefined
      }
    | undefined
}

/** A StatefulSet is ready when all desired replicas are. */
export const statefulSetReady = (sts: WorkloadStatus): boolean =>
  (sts.spec?.replicas ?? 1) - (sts.status?.readyReplicas ?? 0) <= 0

/** A DaemonSet is ready when every scheduled pod is. */
export const daemonSetReady = (ds: WorkloadStatus): boolean =>
  (ds.status?.currentNumberScheduled ?? 0) - (ds.status?.numberReady ?? 0) <= 0

/** Which workloads the phase waits for (those this build deploys). */
export interface Deployed {
  readonly activeGateStatefulSet: boolean
  readonly oneAgentDaemonSet: boolean
}

export const compute = (scope: ReconcileScope, deployed: Deployed) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const n = Names.names(scope.name)
    if (scope.features.activeGate && deployed.activeGateStatefulSet) {
      const sts = yield* caches.statefulSets.get(keyOf(scope.namespace, n.activeGateStatefulSet))
      if (Option.isNone(sts) || !statefulSetReady(sts.value as WorkloadStatus)) return "Deploying" as DynaKubePhase
    }
    if (!(yield* ExtensionsReadiness.extensionsReady(scope))) return "Deploying" as DynaKubePhase
    if (scope.features.hostAgent && deployed.oneAgentDaemonSet) {
      const ds = yield* caches.daemonSets.get(keyOf(scope.namespace, n.oneAgentDaemonSet))
      if (Option.isNone(ds) || !daemonSetReady(ds.value as WorkloadStatus)) return "Deploying" as DynaKubePhase
    }
    if (scope.features.logMonitoring && !scope.features.hostAgent) {
      const ds = yield* caches.daemonSets.get(keyOf(scope.namespace, LogMonitoringDaemonSet.daemonSetName(scope.name)))
      if (Option.isNone(ds) || !daemonSetReady(ds.value as WorkloadStatus)) return "Deploying" as DynaKubePhase
    }
    if (scope.features.kspm) {
      const ds = yield* caches.daemonSets.get(keyOf(scope.namespace, KspmDaemonSet.daemonSetName(scope.name)))
      if (Option.isNone(ds) || !daemonSetReady(ds.value as WorkloadStatus)) return "Deploying" as DynaKubePhase
    }
    if (!(yield* OtelcReadiness.collectorReady(scope))) return "Deploying" as DynaKubePhase
    return "Running" as DynaKubePhase
  })
