/**
 * The DaemonSet `<dk>-logmonitoring` of standalone log monitoring (spec §2.2.11: `logMonitoring` set and no host
 * agent mode), as a plain Kubernetes object built from the DynaKube, its freshly computed status and the resolved
 * log module image.
 *
 * The pod, as the original runs it:
 * - init container `init-volume` runs the image's `bootstrap` with `-p`/`-c` arguments that describe the pod and the
 *   cluster (node, pod, namespace, cluster UID; cluster name and MEID once known; the DynaKube's resource
 *   attributes; the template's extra args), writing into the per-tenant host directory;
 * - container `main` reads `deployment.conf` from `<dk>-logmonitoring-config`, its state from the host directory
 *   `/var/opt/dynatrace` (subPath `logmonitoring-<tenant UUID>`), and the node's `/var/log` and
 *   `/var/lib/docker/containers` read-only;
 * - both run as 65532 without privileges, capabilities dropped except `DAC_READ_SEARCH` (main) / `CHOWN` (init),
 *   read-only root file system; the `oneagent-privileged` feature flag makes them privileged;
 * - scheduling, resources, labels, annotations, DNS policy, priority class, seccomp profile and rolling update from
 *   `spec.templates.logMonitoring`; multi-arch node affinity; service account `dynatrace-logmonitoring`.
 *
 * Deviation: a `secCompProfile` becomes `{type: Localhost, localhostProfile}`; the original leaves out the type,
 * which the apiserver rejects.
 *
 * The caller writes it with `ObjectSync.ensure(Resources.DaemonSet, ds, { recreate })`, which adds the
 * template-hash annotation.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { defaultStorageHostPath } from "../oneagent/OneAgentVolumes.ts"
import { sanitizeArg, sortedKeys } from "../oneagent/GoCompat.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import {
  appArmorProfile,
  appLabels,
  appMatchLabels,
  customPullSecrets,
  nameOf,
  nodeAffinity,
  nonEmptyList,
  nonEmptyMap,
  nonEmptyString,
  type OperatorContext,
  ownedMeta,
  prune,
  selectorChanged,
  withoutAppArmorAnnotations
} from "../oneagent/WorkloadParts.ts"
import type { Container, DaemonSet, EnvVar, SecurityContext, Volume, VolumeMount } from "../oneagent/WorkloadTypes.ts"
import {
  configSecretName,
  deploymentConfKey,
  logMonitoringComponent,
  restartAnnotations
} from "./LogMonitoringConfig.ts"

/** @category constants @since 0.1.0 */
export const containerName = "main"
/** @category constants @since 0.1.0 */
export const initContainerName = "init-volume"
/** @category constants @since 0.1.0 */
export const serviceAccountName = "dynatrace-logmonitoring"
/** The image's bootstrapper, run by the init container. @category constants @since 0.1.0 */
export const bootstrapCommand = "/opt/dynatrace/oneagent/agent/lib64/bootstrap"
/** uid, gid and fsGroup of the pods. @category constants @since 0.1.0 */
export const runAs = 65532

/** The name of the DaemonSet. @category names @since 0.1.0 */
export const daemonSetName = (dk: string): string => `${dk}-logmonitoring`

/** Environment variable names. @category constants @since 0.1.0 */
export const envNames = {
  nodeName: "K8S_NODE_NAME",
  podName: "K8S_POD_NAME",
  podUID: "K8S_POD_UID",
  namespace: "K8S_NAMESPACE_NAME",
  clusterUID: "K8S_CLUSTER_UID",
  clusterName: "K8S_CLUSTER_NAME",
  basePodName: "K8S_BASEPODNAME",
  entity: "DT_ENTITY_KUBERNETES_CLUSTER",
  kubeletNodeName: "KUBELET_API_NODENAME",
  kubeletAddress: "KUBELET_API_ADDRESS",
  storage: "DT_STORAGE",
  ruxitConfig: "APMNG_PA_CONFIG_PATH"
} as const

const paths = {
  deploymentConf: "/var/lib/dynatrace/oneagent/agent/config/deployment.conf",
  dynatraceLib: "/var/lib/dynatrace",
  dynatraceLogs: "/tmp/dynatrace",
  dockerLogs: "/var/lib/docker/containers",
  varLog: "/var/log",
  storage: "/var/lib/dynatrace/oneagent",
  ruxitConfig: "/var/lib/dynatrace/oneagent/agent/config/ruxitagentproc.conf"
} as const

const volumeNames = {
  config: "config",
  dynatraceLib: "dynatrace-lib",
  dynatraceLogs: "dynatrace-logs",
  dockerLogs: "docker-container-logs",
  varLog: "var-log"
} as const

/**
 * Inputs of {@link buildLogMonitoringDaemonSet}.
 * @category models
 * @since 0.1.0
 */
export interface LogMonitoringDaemonSetInput {
  /**
   * The DynaKube with the status computed in this reconcile: `oneAgent.connectionInfoStatus.{tenantUUID,
   * tenantTokenHash}`, `kubeSystemUUID`, `kubernetesClusterMEID`, `kubernetesClusterName`, `proxyURLHash` and
   * `activeGate.serviceIPs` are read.
   */
  readonly dynakube: DynaKube
  readonly operator: OperatorContext
  /** The log module image: the template's `imageRef`, or the tenant's public `logmodule` image. */
  readonly image: string
}

const fieldEnv = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } })

/** Cluster name and MEID are both known (they go into the init container's env and args together). */
const meConfigured = (dk: DynaKube): boolean =>
  (dk.status?.kubernetesClusterMEID ?? "") !== "" && (dk.status?.kubernetesClusterName ?? "") !== ""

/**
 * The init container's environment: the pod's facts by field reference, the cluster UID and the DaemonSet name,
 * and the cluster's MEID and name once both are known.
 * @category containers
 * @since 0.1.0
 */
export const initEnv = (dk: DynaKube): Array<EnvVar> => [
  fieldEnv(envNames.nodeName, "spec.nodeName"),
  fieldEnv(envNames.podName, "metadata.name"),
  fieldEnv(envNames.podUID, "metadata.uid"),
  fieldEnv(envNames.namespace, "metadata.namespace"),
  { name: envNames.clusterUID, value: dk.status?.kubeSystemUUID ?? "" },
  { name: envNames.basePodName, value: daemonSetName(nameOf(dk)) },
  ...(meConfigured(dk)
    ? [
        { name: envNames.entity, value: dk.status?.kubernetesClusterMEID ?? "" },
        { name: envNames.clusterName, value: dk.status?.kubernetesClusterName ?? "" }
      ]
    : [])
]

/**
 * The bootstrapper's arguments: pod and cluster facts (`-p` properties, `-c` config), the log directory, the
 * cluster name and MEID when known, the resource attributes sorted by key, then the template's args. Every value
 * from the DynaKube is stripped of `\n\t\r\0`.
 * @category containers
 * @since 0.1.0
 */
export const initArgs = (dk: DynaKube): Array<string> => {
  const args = [
    `-p k8s.cluster.uid=$(${envNames.clusterUID})`,
    `-p k8s.node.name=$(${envNames.nodeName})`,
    `-c k8s_fullpodname $(${envNames.podName})`,
    `-c k8s_poduid $(${envNames.podUID})`,
    `-c k8s_basepodname $(${envNames.basePodName})`,
    `-c k8s_namespace $(${envNames.namespace})`,
    `-c k8s_node_name $(${envNames.nodeName})`,
    `-c k8s_cluster_id $(${envNames.clusterUID})`,
    `-c k8s_containername ${containerName}`,
    `-l ${paths.dynatraceLogs}`
  ]
  if (meConfigured(dk)) {
    args.push(`-p k8s.cluster.name=$(${envNames.clusterName})`, `-p dt.entity.kubernetes_cluster=$(${envNames.entity})`)
  }
  const attributes = dk.spec.resourceAttributes ?? {}
  for (const key of sortedKeys(attributes)) args.push(`-p ${sanitizeArg(key)}=${sanitizeArg(attributes[key] ?? "")}`)
  for (const arg of dk.spec.templates?.logMonitoring?.args ?? []) args.push(sanitizeArg(arg))
  return args
}

/** The main container's environment: the kubelet's address by field reference and the module's storage paths. */
const mainEnv = (): Array<EnvVar> => [
  fieldEnv(envNames.kubeletNodeName, "spec.nodeName"),
  fieldEnv(envNames.kubeletAddress, "status.hostIP"),
  { name: envNames.storage, value: paths.storage },
  { name: envNames.ruxitConfig, value: paths.ruxitConfig }
]

const tenantSubPath = (dk: DynaKube) => `logmonitoring-${dk.status?.oneAgent?.connectionInfoStatus?.tenantUUID ?? ""}`

const libMount = (dk: DynaKube): VolumeMount => ({
  name: volumeNames.dynatraceLib,
  subPath: tenantSubPath(dk),
  mountPath: paths.dynatraceLib
})

const mainMounts = (dk: DynaKube): Array<VolumeMount> => [
  { name: volumeNames.config, mountPath: paths.deploymentConf, subPath: deploymentConfKey },
  libMount(dk),
  { name: volumeNames.dynatraceLogs, subPath: tenantSubPath(dk), mountPath: paths.dynatraceLogs },
  { name: volumeNames.dockerLogs, mountPath: paths.dockerLogs, readOnly: true },
  { name: volumeNames.varLog, mountPath: paths.varLog, readOnly: true }
]

const volumes = (dk: DynaKube): Array<Volume> => [
  { name: volumeNames.config, secret: { secretName: configSecretName(nameOf(dk)), defaultMode: 0o640 } },
  { name: volumeNames.dynatraceLib, hostPath: { path: defaultStorageHostPath, type: "DirectoryOrCreate" } },
  { name: volumeNames.dynatraceLogs, emptyDir: {} },
  { name: volumeNames.dockerLogs, hostPath: { path: paths.dockerLogs, type: "DirectoryOrCreate" } },
  { name: volumeNames.varLog, hostPath: { path: paths.varLog, type: "Directory" } }
]

/**
 * The security context of one container: unprivileged, non-root 65532, read-only root, all capabilities dropped but
 * `add`; the template's seccomp profile; an AppArmor profile from the template's legacy annotation (1.31+); the
 * `oneagent-privileged` feature flag makes it privileged.
 * @category containers
 * @since 0.1.0
 */
export const securityContext = (
  dk: DynaKube,
  container: string,
  add: ReadonlyArray<string>,
  kubernetesMinorVersion: number
): SecurityContext => {
  const template = dk.spec.templates?.logMonitoring
  const privileged = readWorkloadFlags(dk).oneAgentPrivileged
  const seccomp = nonEmptyString(template?.secCompProfile)
  return {
    privileged,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: privileged,
    runAsUser: runAs,
    runAsGroup: runAs,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"], add },
    seccompProfile: seccomp === undefined ? undefined : { type: "Localhost", localhostProfile: seccomp },
    appArmorProfile: appArmorProfile(template?.annotations, container, kubernetesMinorVersion)
  }
}

/**
 * The DaemonSet `<dk>-logmonitoring`.
 * @category constructors
 * @since 0.1.0
 */
export const buildLogMonitoringDaemonSet = (input: LogMonitoringDaemonSetInput): DaemonSet => {
  const dk = input.dynakube
  const name = nameOf(dk)
  const template = dk.spec.templates?.logMonitoring
  const minor = input.operator.kubernetesMinorVersion
  const labels = appLabels(logMonitoringComponent, name, logMonitoringComponent, template?.imageRef?.tag ?? "")
  const annotations = restartAnnotations(
    dk,
    withoutAppArmorAnnotations(template?.annotations ?? {}, [containerName, initContainerName], minor)
  )
  const common = {
    image: input.image,
    imagePullPolicy: template?.imageRef?.pullPolicy,
    resources: template?.resources
  }
  const init: Container = {
    name: initContainerName,
    ...common,
    command: [bootstrapCommand],
    args: initArgs(dk),
    env: initEnv(dk),
    volumeMounts: [libMount(dk)],
    securityContext: securityContext(dk, initContainerName, ["CHOWN"], minor)
  }
  const main: Container = {
    name: containerName,
    ...common,
    env: mainEnv(),
    volumeMounts: mainMounts(dk),
    securityContext: securityContext(dk, containerName, ["DAC_READ_SEARCH"], minor)
  }
  return prune<DaemonSet>({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: ownedMeta(dk, daemonSetName(name), labels),
    spec: {
      selector: { matchLabels: appMatchLabels(logMonitoringComponent, name) },
      template: {
        // The operator's labels win over the template's: the selector must keep matching.
        metadata: { labels: { ...template?.labels, ...labels }, annotations: nonEmptyMap(annotations) },
        spec: {
          initContainers: [init],
          containers: [main],
          volumes: volumes(dk),
          imagePullSecrets: nonEmptyList(customPullSecrets(dk, input.operator.operatorPullSecret)),
          securityContext: { fsGroup: runAs },
          serviceAccountName,
          nodeSelector: nonEmptyMap(template?.nodeSelector),
          tolerations: nonEmptyList(template?.tolerations),
          priorityClassName: nonEmptyString(template?.priorityClassName),
          dnsPolicy: nonEmptyString(template?.dnsPolicy),
          affinity: nodeAffinity(undefined)
        }
      },
      updateStrategy: {
        rollingUpdate: template?.rollingUpdate ?? { maxUnavailable: readWorkloadFlags(dk).oneAgentMaxUnavailable }
      }
    }
  })
}

/**
 * The live DaemonSet must be replaced instead of updated: its (immutable) selector differs.
 * @category predicates
 * @since 0.1.0
 */
export const recreateLogMonitoringDaemonSet = selectorChanged

/**
 * The image `spec.templates.logMonitoring.imageRef` names, if it names one (a repository and a tag or digest):
 * `repo@digest` when a digest is set, else `repo:tag`. `undefined` means the tenant's public `logmodule` image.
 * @category images
 * @since 0.1.0
 */
export const templateImage = (dk: DynaKube): string | undefined => {
  const ref = dk.spec.templates?.logMonitoring?.imageRef
  const repository = ref?.repository ?? ""
  const tag = ref?.tag ?? ""
  const digest = ref?.digest ?? ""
  if (repository === "" || (tag === "" && digest === "")) return undefined
  return digest !== "" ? `${repository}@${digest}` : `${repository}:${tag}`
}
