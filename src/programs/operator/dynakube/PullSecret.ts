/**
 * The tenant registry pull secret `<dk>-pull-secret` (spec §2.2.3): a `kubernetes.io/dockerconfigjson` Secret that
 * lets the host agent DaemonSet, the ActiveGate and kubemon pull their images from the tenant registry (the apiUrl's
 * host as written), with the tenant UUID as user and the PaaS token (or the apiToken) as password.
 *
 * It exists only when images come from the tenant registry (not the public registry, not with a platform token)
 * and a workload needs them; otherwise it is deleted. Condition `PullSecret`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import type { KubeClient } from "../../../services/KubeClient.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import * as Names from "./Names.ts"
import { type Phase, type ReconcileScope, removeCondition, setCondition } from "./ReconcileScope.ts"

export const conditionType = "PullSecret"

/** `.dockerconfigjson` for one registry. */
export const dockerConfigJson = (registry: string, username: string, password: string): string =>
  JSON.stringify({
    auths: {
      [registry]: { username, password, auth: Buffer.from(`${username}:${password}`, "utf8").toString("base64") }
    }
  })

/** Whether the DynaKube needs the pull secret. */
export const needed = (scope: ReconcileScope): boolean =>
  scope.tenant !== undefined &&
  !scope.tenant.publicRegistry &&
  (scope.features.hostAgent || scope.features.activeGate || scope.features.kubemon)

/** The tenant UUID, from whichever connection info is known. */
const tenantUUID = (scope: ReconcileScope): string | undefined => {
  const uuid =
    scope.status.oneAgent?.connectionInfoStatus?.tenantUUID ?? scope.status.activeGate?.connectionInfoStatus?.tenantUUID
  return uuid === undefined || uuid === "" ? undefined : uuid
}

export const secret = (scope: ReconcileScope, uuid: string): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: Names.ownedMetadata(
      scope.owner,
      Names.names(scope.name).pullSecret,
      Names.commonLabels(scope.name, "operator", scope.config.operatorVersion)
    ),
    type: "kubernetes.io/dockerconfigjson",
    data: {
      ".dockerconfigjson": Buffer.from(
        dockerConfigJson(scope.tenant!.api.apiUrl.rawHost, uuid, scope.tenant!.registryPassword),
        "utf8"
      ).toString("base64")
    }
  }) as KubeObject

export const phase: Phase<OperatorCaches | KubeClient> = {
  name: "pull-secret",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const name = Names.names(scope.name).pullSecret
      const uuid = tenantUUID(scope)
      if (!needed(scope)) {
        yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, name, { read: caches.read })
        removeCondition(scope, conditionType)
        return Controller.done
      }
      // Without a tenant UUID (connection info postponed) the secret cannot be built yet; the next look makes it.
      if (uuid === undefined) return Controller.done
      yield* ObjectSync.ensure(Resources.Secret, secret(scope, uuid), { read: caches.read })
      setCondition(scope, { type: conditionType, status: "True", reason: "SecretCreated", message: `${name} created` })
      return Controller.done
    })
}
