/**
 * The ActiveGate Service `<dk>-activegate` (spec §2.2.3): ClusterIP, port `https` 443 → container port `https`
 * (9999) and `http` 80 → `http` (9998), selecting the ActiveGate pods by their match labels. Its cluster IPs go
 * into `status.activeGate.serviceIPs`, from where they reach the StatefulSet (`DT_DNS_ENTRY_POINT`), the TLS
 * certificate and the OneAgents' no-proxy list.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import {
  appMatchLabels,
  coreLabels,
  nameOf,
  type OperatorContext,
  ownedMeta,
  prune
} from "../oneagent/WorkloadParts.ts"
import type { Service } from "../oneagent/WorkloadTypes.ts"
import { activeGateNames, httpServicePort, httpsServicePort } from "./Capabilities.ts"

/** `app.kubernetes.io/name` of the ActiveGate pods and `component` of its objects. @category constants @since 0.1.0 */
export const activeGateComponent = "activegate"

/**
 * Inputs of {@link buildActiveGateService}.
 * @category models
 * @since 0.1.0
 */
export interface ActiveGateServiceInput {
  readonly dynakube: DynaKube
  readonly operator: Pick<OperatorContext, "operatorVersion">
}

/**
 * The Service `<dk>-activegate`. Write it when `needsActiveGateStatefulSet` holds, delete it otherwise.
 * @category constructors
 * @since 0.1.0
 */
export const buildActiveGateService = (input: ActiveGateServiceInput): Service => {
  const name = nameOf(input.dynakube)
  return prune<Service>({
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMeta(
      input.dynakube,
      activeGateNames(name).service,
      coreLabels(name, activeGateComponent, input.operator.operatorVersion)
    ),
    spec: {
      type: "ClusterIP",
      selector: appMatchLabels(activeGateComponent, name),
      ports: [
        { name: "https", protocol: "TCP", port: httpsServicePort, targetPort: "https" },
        { name: "http", protocol: "TCP", port: httpServicePort, targetPort: "http" }
      ]
    }
  })
}
