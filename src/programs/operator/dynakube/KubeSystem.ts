/**
 * The cluster's identity (spec §2.2.1 step 3): the UID of the `kube-system` namespace, read from the namespace cache
 * and stored as `status.kubeSystemUUID`. Components use it as the cluster id (`DT_K8S_CLUSTER_ID`, deployment
 * metadata, ActiveGate id seed).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as Controller from "../runtime/Controller.ts"
import { InvalidDynaKube, type Phase, updateStatus } from "./ReconcileScope.ts"

export const phase: Phase<OperatorCaches> = {
  name: "kube-system",
  abortOnError: true,
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const kubeSystem = yield* caches.namespaces.get("kube-system")
      const uid = Option.getOrUndefined(kubeSystem)?.metadata?.uid
      if (uid === undefined || uid === "") {
        return yield* new InvalidDynaKube({ message: "the kube-system namespace (the cluster id) was not found" })
      }
      scope.kubeSystemUUID = uid
      updateStatus(scope, { kubeSystemUUID: uid })
      return Controller.done
    })
}
