/**
 * The host agent DaemonSet `<dk>-oneagent` of classicFullStack, hostMonitoring and cloudNativeFullStack (spec
 * §2.2.4), as a plain Kubernetes object, built from the DynaKube and its freshly computed status alone.
 *
 * The builder reads these status fields, which the reconcile must have set first: `oneAgent.imageID` (the image),
 * `oneAgent.version` (pod label `app.kubernetes.io/version`, proxy and read-only-root thresholds),
 * `oneAgent.source` (amd64-only affinity for the tenant registry), `oneAgent.healthcheck` (probes),
 * `oneAgent.connectionInfoStatus.{tenantTokenHash, tenantUUID}`, `activeGate.serviceIPs` (no-proxy list),
 * `kubeSystemUUID`, `kubernetesClusterName`, `kubernetesClusterMEID` and `apiToken.platform` (public registry).
 *
 * The caller writes it with `ObjectSync.ensure(Resources.DaemonSet, ds, { recreate: recreateOneAgentDaemonSet })`,
 * which adds the template-hash annotation; this builder never does.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { fnv1Hash32 } from "./GoCompat.ts"
import { oneAgentProbes } from "./Healthcheck.ts"
import {
  containerName,
  initContainerName,
  oneAgentArgs,
  oneAgentEnv,
  oneAgentInitContainer,
  oneAgentResources,
  oneAgentSecurityContext
} from "./OneAgentContainer.ts"
import { deploymentType, hostInjectSpec, isAppInjectionMode, oneAgentMode, type OneAgentMode } from "./OneAgentMode.ts"
import { oneAgentVolumeMounts, oneAgentVolumes } from "./OneAgentVolumes.ts"
import { readWorkloadFlags } from "./WorkloadFlags.ts"
import {
  appArmorAnnotationPrefix,
  appLabels,
  appMatchLabels,
  imagePullSecrets,
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
} from "./WorkloadParts.ts"
import type { DaemonSet, StringMap } from "./WorkloadTypes.ts"

/** `app.kubernetes.io/name` of the OneAgent pods. @category constants @since 0.1.0 */
export const oneAgentComponent = "oneagent"
/** @category constants @since 0.1.0 */
export const oneAgentServiceAccount = "dynatrace-dynakube-oneagent"
/** @category constants @since 0.1.0 */
export const tenantTokenHashAnnotation = "internal.operator.dynatrace.com/tenant-token-hash"
/** @category constants @since 0.1.0 */
export const pgcHashAnnotation = "internal.operator.dynatrace.com/pgc-hash"
/** @category constants @since 0.1.0 */
export const injectAnnotation = "dynatrace.com/inject"
/** @category constants @since 0.1.0 */
export const dsEvictionAnnotation = "cluster-autoscaler.kubernetes.io/enable-ds-eviction"

/** The name of the host agent DaemonSet. @category names @since 0.1.0 */
export const oneAgentDaemonSetName = (dk: string): string => `${dk}-oneagent`

/**
 * Inputs of {@link buildOneAgentDaemonSet}.
 * @category models
 * @since 0.1.0
 */
export interface OneAgentDaemonSetInput {
  /** The DynaKube with the status computed in this reconcile (see the module comment for the fields read). */
  readonly dynakube: DynaKube
  readonly operator: OperatorContext
  /**
   * Hash of `declarative.cbor` in `<dk>-bootstrapper-config` ({@link processGroupingConfigHash}); when set, and the
   * mode uses process-grouping config (hostMonitoring, cloudNativeFullStack), the file is mounted into the agent
   * and the hash stamped on the pods so a new config rolls them.
   */
  readonly processGroupingConfigHash?: string | undefined
}

/**
 * The hash of a process-grouping config file (`declarative.cbor`) as the original computes it: FNV-1 over the JSON
 * encoding of the bytes, i.e. their quoted base64.
 * @category hashing
 * @since 0.1.0
 */
export const processGroupingConfigHash = (declarativeCbor: Uint8Array): string =>
  fnv1Hash32(JSON.stringify(Buffer.from(declarativeCbor).toString("base64")))

const podAnnotations = (input: OneAgentDaemonSetInput, mode: OneAgentMode, user: StringMap | undefined): StringMap => {
  const dk = input.dynakube
  const pgc = input.processGroupingConfigHash ?? ""
  const annotations: Record<string, string> = {
    [appArmorAnnotationPrefix + containerName]: "unconfined",
    [injectAnnotation]: "false",
    [tenantTokenHashAnnotation]: dk.status?.oneAgent?.connectionInfoStatus?.tenantTokenHash ?? "",
    [dsEvictionAnnotation]: "false"
  }
  if ((isAppInjectionMode(mode) || mode === "hostMonitoring") && pgc !== "") annotations[pgcHashAnnotation] = pgc
  return withoutAppArmorAnnotations(
    { ...annotations, ...user },
    [containerName, initContainerName],
    input.operator.kubernetesMinorVersion
  )
}

/**
 * The DaemonSet `<dk>-oneagent`; `undefined` when the DynaKube's mode has no host agent (none or
 * applicationMonitoring).
 * @category constructors
 * @since 0.1.0
 */
export const buildOneAgentDaemonSet = (input: OneAgentDaemonSetInput): DaemonSet | undefined => {
  const dk = input.dynakube
  const mode = oneAgentMode(dk)
  const spec = hostInjectSpec(dk)
  if (mode === undefined || spec === undefined) return undefined

  const name = nameOf(dk)
  const flags = readWorkloadFlags(dk)
  const status = dk.status?.oneAgent
  // User labels may replace the component and version labels (as in the original) but not the selector's: pods
  // that do not match their DaemonSet's selector are rejected by the apiserver.
  const labels = {
    ...appLabels(oneAgentComponent, name, deploymentType(mode), status?.version ?? ""),
    ...spec.labels,
    ...appMatchLabels(oneAgentComponent, name)
  }
  const containerInput = {
    dynakube: dk,
    mode,
    spec,
    flags,
    kubernetesMinorVersion: input.operator.kubernetesMinorVersion
  }
  const volumeInput = {
    dynakube: dk,
    mode,
    flags,
    csiDriver: input.operator.csiDriver,
    storageHostPath: spec.storageHostPath,
    processGroupingConfigHash: input.processGroupingConfigHash
  }
  const probes = oneAgentProbes(status?.healthcheck, flags.oneAgentSkipLivenessProbe)

  return prune<DaemonSet>({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: ownedMeta(dk, oneAgentDaemonSetName(name), labels),
    spec: {
      selector: { matchLabels: appMatchLabels(oneAgentComponent, name) },
      template: {
        metadata: { labels, annotations: podAnnotations(input, mode, spec.annotations) },
        spec: {
          initContainers: [oneAgentInitContainer(dk, spec, input.operator.operatorImage)],
          containers: [
            {
              name: containerName,
              image: nonEmptyString(status?.imageID),
              imagePullPolicy: spec.imagePullPolicy,
              args: oneAgentArgs(containerInput),
              env: oneAgentEnv(containerInput),
              resources: oneAgentResources(spec),
              volumeMounts: oneAgentVolumeMounts(volumeInput),
              readinessProbe: probes.readiness,
              livenessProbe: probes.liveness,
              securityContext: oneAgentSecurityContext(containerInput)
            }
          ],
          volumes: oneAgentVolumes(volumeInput),
          imagePullSecrets: nonEmptyList(imagePullSecrets(dk, flags, input.operator.operatorPullSecret)),
          hostNetwork: true,
          hostPID: true,
          securityContext: { fsGroup: 1000 },
          nodeSelector: nonEmptyMap(spec.nodeSelector),
          priorityClassName: nonEmptyString(spec.priorityClassName),
          serviceAccountName: oneAgentServiceAccount,
          tolerations: nonEmptyList(spec.tolerations),
          dnsPolicy: nonEmptyString(spec.dnsPolicy) ?? "ClusterFirstWithHostNet",
          affinity: nodeAffinity(status?.source),
          terminationGracePeriodSeconds: 80
        }
      },
      updateStrategy: { rollingUpdate: spec.rollingUpdate ?? { maxUnavailable: flags.oneAgentMaxUnavailable } }
    }
  })
}

/**
 * Whether the live DaemonSet must be deleted and created again instead of updated: its selector (immutable)
 * differs from the desired one. For `ObjectSync.ensure`'s `recreate` option.
 * @category predicates
 * @since 0.1.0
 */
export const recreateOneAgentDaemonSet = selectorChanged
