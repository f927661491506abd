/**
 * The OTel collector's part of the DynaKube phase (spec §2.2.6, checked last): with telemetryIngest or Prometheus
 * extensions, the collector StatefulSet must exist with all replicas ready. Read from the informer cache.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { type KubeObject, keyOf } from "../../../../services/kube/KubeObject.ts"
import { OperatorCaches } from "../../OperatorCaches.ts"
import type { ReconcileScope } from "../ReconcileScope.ts"
import { collectorEnabled, otelcNames } from "./OtelCollector.ts"

/**
 * True when the collector StatefulSet is ready, or no collector is wanted.
 * @category phase
 * @since 0.1.0
 */
export const collectorReady = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    if (!collectorEnabled(scope.dk)) return true
    const caches = yield* OperatorCaches
    const sts = yield* caches.statefulSets.get(keyOf(scope.namespace, otelcNames(scope.name).statefulSet))
    if (Option.isNone(sts)) return false
    const workload = sts.value as KubeObject & {
      readonly spec?: { readonly replicas?: number }
      readonly status?: { readonly readyReplicas?: number }
    }
    return (workload.spec?.replicas ?? 1) - (workload.status?.readyReplicas ?? 0) <= 0
  })
