/**
 * The containers of the OneAgent pod (spec §2.2.4): the `dynatrace-oneagent` container's installer arguments,
 * environment, security context and resources, and the `dynatrace-operator` init container that writes the node
 * metadata file (`generate-metadata`).
 *
 * Arguments, by key, in Go byte order of the key (only `--set-host-property` and `--set-host-tag` repeat):
 * `--set-no-proxy=<no-proxy flag, only with a proxy>[,<ActiveGate hosts>]` (always present, maybe empty),
 * `--set-network-zone=<zone>`, `--set-host-property=OperatorVersion=$(DT_OPERATOR_VERSION)`,
 * `--set-tenant=$(DT_TENANT)`, `--set-server={$(DT_SERVER)}`, `--set-host-id-source=auto` (classic) or
 * `k8s-node-name`, then the user's `args` (win over the defaults), then `--set-host-group=<spec.oneAgent.hostGroup>`
 * (wins over everything). `--set-proxy` is `$(https_proxy)` for agents older than 1.273 with a proxy, and empty
 * (to clear a cached proxy) whenever no proxy is configured.
 *
 * Environment, ordered by name, user `env` winning: `DT_K8S_NODE_NAME`, `DT_K8S_CLUSTER_ID`,
 * `DT_DEPLOYMENT_METADATA` / `DT_OPERATOR_VERSION` (from `<dk>-deployment-metadata`), `DT_TENANT` / `DT_SERVER`
 * (from `<dk>-oneagent-connection-info`), `ONEAGENT_READ_ONLY_MODE` and `ONEAGENT_DISABLE_CONTAINER_INJECTION`
 * (read-only modes), `KUBELET_API_NODENAME` / `KUBELET_API_ADDRESS` (log monitoring), `https_proxy` (agents older
 * than 1.273 with a proxy).
 *
 * @since 0.1.0
 */
import type { DynaKube, HostInjectSpec } from "../../../../schemas/DynaKubeV1beta6.ts"
import { activeGateHostEntries, isActiveGateEnabled } from "../activegate/Capabilities.ts"
import { isProxyAsEnvDeprecated, supportsReadOnlyRootFs } from "./AgentVersion.ts"
import { sanitizeArg, sortedKeys } from "./GoCompat.ts"
import { isReadOnlyMode, type OneAgentMode } from "./OneAgentMode.ts"
import {
  needsOneAgentProxy,
  nodeMetadataDirectory,
  nodeMetadataFile,
  nodeMetadataVolumeName
} from "./OneAgentVolumes.ts"
import { argumentMap, envMap, Priority } from "./PriorityMap.ts"
import type { WorkloadFlags } from "./WorkloadFlags.ts"
import {
  appArmorAnnotationPrefix,
  appArmorProfile,
  nameOf,
  needsCustomNoProxy,
  nonEmptyString
} from "./WorkloadParts.ts"
import type { Container, EnvVar, SecurityContext } from "./WorkloadTypes.ts"

/** @category constants @since 0.1.0 */
export const containerName = "dynatrace-oneagent"
/** @category constants @since 0.1.0 */
export const initContainerName = "dynatrace-operator"

/** The uid/gid non-root OneAgent containers run as. */
const userGroupId = 1000

/**
 * Inputs of the container builders.
 * @category models
 * @since 0.1.0
 */
export interface ContainerInput {
  readonly dynakube: DynaKube
  readonly mode: OneAgentMode
  readonly spec: HostInjectSpec
  readonly flags: WorkloadFlags
  readonly kubernetesMinorVersion: number
}

const agentVersion = (dk: DynaKube): string | undefined => dk.status?.oneAgent?.version

const configMapRef = (name: string, key: string) => ({ configMapKeyRef: { name, key, optional: false } })
const fieldRef = (fieldPath: string) => ({ fieldRef: { fieldPath } })

/**
 * The installer arguments of the `dynatrace-oneagent` container.
 * @category containers
 * @since 0.1.0
 */
export const oneAgentArgs = (input: ContainerInput): Array<string> => {
  const dk = input.dynakube
  const args = argumentMap(["--set-host-property", "--set-host-tag"])
  const proxy = needsOneAgentProxy(dk, input.flags)

  // Without a proxy the argument is still sent, empty, so the agent drops a proxy it may have cached.
  if (!isProxyAsEnvDeprecated(agentVersion(dk)) || !proxy) {
    if (proxy) args.set("--set-proxy", "$(https_proxy)")
    args.set("--set-proxy", "")
  }

  const noProxy = [
    needsCustomNoProxy(dk, input.flags) ? input.flags.noProxy : "",
    isActiveGateEnabled(dk) ? activeGateHostEntries(dk) : ""
  ]
    .filter((part) => part !== "")
    .join(",")
  args.set("--set-no-proxy", noProxy)

  const networkZone = nonEmptyString(dk.spec.networkZone)
  if (networkZone !== undefined) args.set("--set-network-zone", networkZone)

  args.set("--set-host-property", "OperatorVersion=$(DT_OPERATOR_VERSION)")
  args.set("--set-tenant", "$(DT_TENANT)")
  args.set("--set-server", "{$(DT_SERVER)}")
  args.set("--set-host-id-source", input.mode === "classicFullStack" ? "auto" : "k8s-node-name")

  args.setUserArgs(input.spec.args, Priority.userArgs)

  const hostGroup = nonEmptyString(dk.spec.oneAgent?.hostGroup)
  if (hostGroup !== undefined) args.set("--set-host-group", hostGroup, Priority.high)

  return args.toArgs()
}

/**
 * The environment of the `dynatrace-oneagent` container.
 * @category containers
 * @since 0.1.0
 */
export const oneAgentEnv = (input: ContainerInput): Array<EnvVar> => {
  const dk = input.dynakube
  const name = nameOf(dk)
  const env = envMap()
  env.setAll(input.spec.env, Priority.high)

  env.set({ name: "DT_K8S_NODE_NAME", valueFrom: fieldRef("spec.nodeName") })
  env.set({ name: "DT_K8S_CLUSTER_ID", value: dk.status?.kubeSystemUUID ?? "" })
  env.set({ name: "DT_DEPLOYMENT_METADATA", valueFrom: configMapRef(`${name}-deployment-metadata`, "oneagent") })
  env.set({ name: "DT_OPERATOR_VERSION", valueFrom: configMapRef(`${name}-deployment-metadata`, "operator") })
  env.set({ name: "DT_TENANT", valueFrom: configMapRef(`${name}-oneagent-connection-info`, "tenant-uuid") })
  env.set({ name: "DT_SERVER", valueFrom: configMapRef(`${name}-oneagent-connection-info`, "communication-endpoints") })
  if (isReadOnlyMode(input.mode)) env.set({ name: "ONEAGENT_READ_ONLY_MODE", value: "true" })
  if (dk.spec.logMonitoring !== undefined) {
    env.set({ name: "KUBELET_API_NODENAME", valueFrom: fieldRef("spec.nodeName") })
    env.set({ name: "KUBELET_API_ADDRESS", valueFrom: fieldRef("status.hostIP") })
  }
  if (!isProxyAsEnvDeprecated(agentVersion(dk)) && needsOneAgentProxy(dk, input.flags)) {
    const valueFrom = nonEmptyString(dk.spec.proxy?.valueFrom)
    env.set(
      valueFrom !== undefined
        ? { name: "https_proxy", valueFrom: { secretKeyRef: { name: valueFrom, key: "proxy" } } }
        : { name: "https_proxy", value: dk.spec.proxy?.value ?? "" }
    )
  }
  if (isReadOnlyMode(input.mode)) env.set({ name: "ONEAGENT_DISABLE_CONTAINER_INJECTION", value: "true" })
  return env.toEnv()
}

/** Capabilities of the unprivileged OneAgent container. @category constants @since 0.1.0 */
export const oneAgentCapabilities: ReadonlyArray<string> = [
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "NET_ADMIN",
  "NET_RAW",
  "SETFCAP",
  "SETGID",
  "SETUID",
  "SYS_ADMIN",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_RESOURCE"
]

/**
 * The security context of the `dynatrace-oneagent` container.
 * @category containers
 * @since 0.1.0
 */
export const oneAgentSecurityContext = (input: ContainerInput): SecurityContext => {
  const readOnly = isReadOnlyMode(input.mode)
  const nonRoot = readOnly || input.flags.oneAgentClassicNonRoot
  const seccomp = nonEmptyString(input.spec.secCompProfile)
  // The pod runs unconfined by default; a user annotation may choose another profile.
  const appArmorAnnotations = {
    [appArmorAnnotationPrefix + containerName]: "unconfined",
    ...input.spec.annotations
  }
  return {
    ...(input.flags.oneAgentPrivileged ? {} : { capabilities: { drop: ["ALL"], add: oneAgentCapabilities } }),
    privileged: input.flags.oneAgentPrivileged ? true : undefined,
    runAsUser: nonRoot ? userGroupId : undefined,
    runAsGroup: nonRoot ? userGroupId : undefined,
    runAsNonRoot: nonRoot ? true : undefined,
    readOnlyRootFilesystem: readOnly ? supportsReadOnlyRootFs(agentVersion(input.dynakube)) : false,
    seccompProfile:
      !input.flags.oneAgentPrivileged && seccomp !== undefined
        ? { type: "Localhost", localhostProfile: seccomp }
        : undefined,
    appArmorProfile: appArmorProfile(appArmorAnnotations, containerName, input.kubernetesMinorVersion)
  }
}

/**
 * The resources of both containers: the spec's `oneAgentResources`, with a CPU request of 100m when none is set.
 * @category containers
 * @since 0.1.0
 */
export const oneAgentResources = (spec: HostInjectSpec): Readonly<Record<string, unknown>> => {
  const resources = spec.oneAgentResources ?? {}
  const requests = resources.requests ?? {}
  return { ...resources, requests: Object.hasOwn(requests, "cpu") ? requests : { ...requests, cpu: "100m" } }
}

/**
 * The `generate-metadata` arguments: cluster name, cluster UID, node name, the cluster's monitored-entity id when
 * known, and the resource attributes (global merged with the mode's `additionalResourceAttributes`) by key.
 * @category containers
 * @since 0.1.0
 */
export const initContainerArgs = (dk: DynaKube, spec: HostInjectSpec): Array<string> => {
  const status = dk.status
  const attributes = [
    `k8s.cluster.name=${status?.kubernetesClusterName ?? ""}`,
    `k8s.cluster.uid=${status?.kubeSystemUUID ?? ""}`,
    "k8s.node.name=$(DT_K8S_NODE_NAME)"
  ]
  const meid = nonEmptyString(status?.kubernetesClusterMEID)
  if (meid !== undefined) attributes.push(`dt.entity.kubernetes_cluster=${meid}`)
  const resourceAttributes = { ...dk.spec.resourceAttributes, ...spec.additionalResourceAttributes }
  for (const key of sortedKeys(resourceAttributes)) attributes.push(`${key}=${resourceAttributes[key]}`)
  return ["generate-metadata", "--file", nodeMetadataFile, "--attributes", attributes.join(",")].map(sanitizeArg)
}

/**
 * The `dynatrace-operator` init container.
 * @category containers
 * @since 0.1.0
 */
export const oneAgentInitContainer = (dk: DynaKube, spec: HostInjectSpec, operatorImage: string): Container => ({
  name: initContainerName,
  image: operatorImage,
  imagePullPolicy: spec.imagePullPolicy,
  args: initContainerArgs(dk, spec),
  env: [{ name: "DT_K8S_NODE_NAME", valueFrom: fieldRef("spec.nodeName") }],
  resources: oneAgentResources(spec),
  volumeMounts: [{ name: nodeMetadataVolumeName, mountPath: nodeMetadataDirectory }],
  securityContext: {
    capabilities: { drop: ["ALL"] },
    privileged: false,
    runAsUser: userGroupId,
    runAsGroup: userGroupId,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    seccompProfile: { type: "RuntimeDefault" }
  }
})
