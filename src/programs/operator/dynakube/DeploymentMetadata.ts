/**
 * The deployment-metadata ConfigMap `<dk>-deployment-metadata` (spec §2.2.1 step 4): what the OneAgents and the
 * ActiveGate report to the tenant about how they were deployed. Keys: `oneagent` and `activegate` (and `kubemon`)
 * as `orchestration_tech=Operator-<type>;script_version=<operator version>;orchestrator_id=<kube-system UID>`, plus
 * `operator` (the operator version) when a host agent DaemonSet runs. The ConfigMap is deleted when it would be empty.
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
import { deploymentType } from "./Features.ts"
import * as Names from "./Names.ts"
import type { Phase, ReconcileScope } from "./ReconcileScope.ts"

/** One metadata value. */
export const metadataValue = (type: string, operatorVersion: string, kubeSystemUUID: string): string =>
  `orchestration_tech=Operator-${type};script_version=${operatorVersion};orchestrator_id=${kubeSystemUUID}`

/** The ConfigMap's data for a scope (empty when no component needs it). */
export const data = (scope: ReconcileScope): Readonly<Record<string, string>> => {
  const uuid = scope.kubeSystemUUID ?? ""
  const version = scope.config.operatorVersion
  const out: Record<string, string> = {}
  const mode = scope.features.oneAgentMode
  if (mode !== undefined) out["oneagent"] = metadataValue(deploymentType[mode], version, uuid)
  if (scope.features.activeGate) out["activegate"] = metadataValue("activegate", version, uuid)
  if (scope.features.kubemon) out["kubemon"] = metadataValue("kubemon", version, uuid)
  if (scope.features.hostAgent) out["operator"] = version
  return out
}

/** The desired ConfigMap. */
export const configMap = (scope: ReconcileScope, content: Readonly<Record<string, string>>): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: Names.ownedMetadata(
      scope.owner,
      Names.names(scope.name).deploymentMetadata,
      Names.commonLabels(scope.name, "operator", scope.config.operatorVersion)
    ),
    data: content
  }) as KubeObject

export const phase: Phase<OperatorCaches | KubeClient> = {
  name: "deployment-metadata",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const content = data(scope)
      if (Object.keys(content).length === 0) {
        yield* ObjectSync.ensureAbsent(
          Resources.ConfigMap,
          scope.namespace,
          Names.names(scope.name).deploymentMetadata,
          { read: caches.read }
        )
      } else {
        yield* ObjectSync.ensure(Resources.ConfigMap, configMap(scope, content), { read: caches.read })
      }
      return Controller.done
    })
}
