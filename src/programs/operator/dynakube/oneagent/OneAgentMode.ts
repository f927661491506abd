/**
 * The OneAgent mode of a DynaKube (spec §1.2): which of `classicFullStack`, `cloudNativeFullStack`,
 * `hostMonitoring` and `applicationMonitoring` is set (a present, non-null object selects it; the validation
 * webhook allows at most one), and what follows from it for the host agent DaemonSet.
 *
 * @since 0.1.0
 */
import type { DynaKube, HostInjectSpec } from "../../../../schemas/DynaKubeV1beta6.ts"

/** @category models @since 0.1.0 */
export type OneAgentMode = "classicFullStack" | "cloudNativeFullStack" | "hostMonitoring" | "applicationMonitoring"

/** The modes that run the host agent DaemonSet. @category models @since 0.1.0 */
export type HostAgentMode = Exclude<OneAgentMode, "applicationMonitoring">

/**
 * The configured mode; `undefined` when none is. When several are set (the validation webhook prevents it), the
 * first of classicFullStack, hostMonitoring, cloudNativeFullStack, applicationMonitoring wins, the order in which
 * the original's reconciler picks the DaemonSet builder.
 * @category predicates
 * @since 0.1.0
 */
export const oneAgentMode = (dk: DynaKube): OneAgentMode | undefined => {
  const oa = dk.spec.oneAgent
  if (oa === undefined) return undefined
  if (oa.classicFullStack !== undefined && oa.classicFullStack !== null) return "classicFullStack"
  if (oa.hostMonitoring !== undefined && oa.hostMonitoring !== null) return "hostMonitoring"
  if (oa.cloudNativeFullStack !== undefined && oa.cloudNativeFullStack !== null) return "cloudNativeFullStack"
  if (oa.applicationMonitoring !== undefined && oa.applicationMonitoring !== null) return "applicationMonitoring"
  return undefined
}

/**
 * The mode runs the host agent DaemonSet `<dk>-oneagent` (classicFullStack, cloudNativeFullStack, hostMonitoring).
 * @category predicates
 * @since 0.1.0
 */
export const needsOneAgentDaemonSet = (dk: DynaKube): boolean => {
  const mode = oneAgentMode(dk)
  return mode !== undefined && mode !== "applicationMonitoring"
}

/**
 * The mode runs the agent with a read-only host file system (hostMonitoring, cloudNativeFullStack).
 * @category predicates
 * @since 0.1.0
 */
export const isReadOnlyMode = (mode: OneAgentMode | undefined): boolean =>
  mode === "hostMonitoring" || mode === "cloudNativeFullStack"

/**
 * The webhook injects code modules into applications (cloudNativeFullStack, applicationMonitoring).
 * @category predicates
 * @since 0.1.0
 */
export const isAppInjectionMode = (mode: OneAgentMode | undefined): boolean =>
  mode === "cloudNativeFullStack" || mode === "applicationMonitoring"

/**
 * The host agent settings of the active host-agent mode (`HostInjectSpec`); `undefined` without a DaemonSet mode.
 * @category accessors
 * @since 0.1.0
 */
export const hostInjectSpec = (dk: DynaKube): HostInjectSpec | undefined => {
  const oa = dk.spec.oneAgent
  switch (oneAgentMode(dk)) {
    case "cloudNativeFullStack":
      return oa?.cloudNativeFullStack ?? undefined
    case "classicFullStack":
      return oa?.classicFullStack ?? undefined
    case "hostMonitoring":
      return oa?.hostMonitoring ?? undefined
    default:
      return undefined
  }
}

/**
 * The deployment type of a mode as written into `<dk>-deployment-metadata` and (without underscores) into the
 * pods' `app.kubernetes.io/component` label.
 * @category accessors
 * @since 0.1.0
 */
export const deploymentType = (mode: OneAgentMode): string =>
  ({
    classicFullStack: "classic_fullstack",
    cloudNativeFullStack: "cloud_native_fullstack",
    hostMonitoring: "host_monitoring",
    applicationMonitoring: "application_monitoring"
  })[mode]

/**
 * The tenant UUID known from the status (OneAgent, then ActiveGate, then Kubernetes monitoring connection info).
 * @category accessors
 * @since 0.1.0
 */
export const tenantUUID = (dk: DynaKube): string | undefined => {
  const candidates = [
    dk.status?.oneAgent?.connectionInfoStatus?.tenantUUID,
    dk.status?.activeGate?.connectionInfoStatus?.tenantUUID,
    dk.status?.kubernetesMonitoring?.connectionInfo?.tenantUUID
  ]
  return candidates.find((c) => c !== undefined && c !== "")
}
