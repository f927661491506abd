/**
 * The extensions' part of the DynaKube phase (spec §2.2.6), read from the informer caches: with extensions on, the
 * EEC StatefulSet must exist with all replicas ready; with `databases[]`, at least one executor Deployment must
 * exist and each one (not being deleted) must have observed its generation with all replicas ready.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { type KubeObject, keyOf } from "../../../../services/kube/KubeObject.ts"
import { OperatorCaches } from "../../OperatorCaches.ts"
import type { ReconcileScope } from "../ReconcileScope.ts"
import { extensionNames, extensionsEnabled } from "./Extensions.ts"
import { sharedLabels } from "./SqlExecutorDeployment.ts"

interface Workload extends KubeObject {
  readonly spec?: { readonly replicas?: number | undefined } | undefined
  readonly status?:
    | { readonly readyReplicas?: number | undefined; readonly observedGeneration?: number | undefined }
    | undefined
}

/**
 * True when the EEC StatefulSet (and the executors) are ready, or extensions are off.
 * @category phase
 * @since 0.1.0
 */
export const extensionsReady = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    if (!extensionsEnabled(scope.dk)) return true
    const caches = yield* OperatorCaches
    const sts = yield* caches.statefulSets.get(keyOf(scope.namespace, extensionNames(scope.name).statefulSet))
    if (Option.isNone(sts)) return false
    const eec = sts.value as Workload
    if ((eec.spec?.replicas ?? 1) - (eec.status?.readyReplicas ?? 0) > 0) return false
    if ((scope.dk.spec.extensions?.databases?.length ?? 0) === 0) return true
    const wanted = sharedLabels(scope.name)
    const executors = (yield* caches.deployments.list({ namespace: scope.namespace })).filter((d) =>
      Object.entries(wanted).every(([k, v]) => d.metadata?.labels?.[k] === v)
    ) as ReadonlyArray<Workload>
    if (executors.length === 0) return false
    return executors.every(
      (d) =>
        d.metadata?.deletionTimestamp !== undefined ||
        (d.metadata?.generation === d.status?.observedGeneration &&
          (d.spec?.replicas ?? 1) === (d.status?.readyReplicas ?? 0))
    )
  })
