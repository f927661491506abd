/**
 * The KSPM node configuration collector DaemonSet `<dk>-node-config-collector` (spec §2.2.11), as a plain
 * Kubernetes object built from the DynaKube, the tenant UUID and the token hash.
 *
 * Pod template, as the original builds it from `spec.templates.kspmNodeConfigurationCollector`:
 * - one container `node-config-collector`, image `imageRef` (default
 *   `public.ecr.aws/dynatrace/dynatrace-k8s-node-config-collector:latest`; a digest replaces the tag), its pull
 *   policy, resources (default 100m / 128Mi for both requests and limits, each replaced as a whole when given),
 *   non-root 65532 with a read-only root file system, drop ALL + add DAC_OVERRIDE, seccomp RuntimeDefault, and the
 *   AppArmor profile of a legacy annotation (Kubernetes 1.31+);
 * - env `KUBERNETES_NODE_NAME` (the node), `KUBERNETES_NODE_ROOT=/node_root`, `DT_ACTIVEGATE_ENDPOINT`
 *   (`https://<dk>-activegate.<ns>/e/<tenant UUID>/api/v2/kubernetes/node-config`, `<dk>-kubemon` with the kubemon
 *   operand), `DT_CA_CERTIFICATE_FILE` when the ActiveGate has a certificate, then the template's `env`;
 * - each distinct `spec.kspm.mappedHostPaths` entry (sorted) as hostPath volume `node-path-<i>` (type Directory),
 *   mounted read-only below `/node_root`; the token Secret at
 *   `/var/lib/dynatrace/secrets/tokens/kspm/node-configuration-collector`; the ActiveGate's `server.crt` at
 *   `/var/lib/dynatrace/ncc/customkeys/ca-chain.pem`;
 * - SA `dynatrace-node-config-collector` without a mounted token, `hostPID`, fsGroup 65532, amd64 node affinity
 *   unless the template gives one, the template's nodeSelector, tolerations, priority class, update strategy, labels
 *   and annotations; image pull secrets are the custom ones only (the image is public);
 * - pod annotation `internal.operator.dynatrace.com/kspm-token-secret-hash`.
 *
 * The template's `args` are not used, as in the original. Write it with
 * `ObjectSync.ensure(Resources.DaemonSet, ds, { recreate: recreateKspmDaemonSet })`.
 *
 * @since 0.1.0
 */
import { posix } from "node:path"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { activeGateNames, hasActiveGateCaCert, tlsSecretName } from "../activegate/Capabilities.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import {
  appArmorProfile,
  appLabels,
  appMatchLabels,
  customPullSecrets,
  nameOf,
  namespaceOf,
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
import type { Container, DaemonSet, EnvVar, StringMap, Volume, VolumeMount } from "../oneagent/WorkloadTypes.ts"
import { kspmComponent, tokenKey, tokenSecretName } from "./KspmToken.ts"

/** @category constants @since 0.1.0 */
export const containerName = "node-config-collector"
/** @category constants @since 0.1.0 */
export const serviceAccountName = "dynatrace-node-config-collector"
/** @category constants @since 0.1.0 */
export const defaultImageRepository = "public.ecr.aws/dynatrace/dynatrace-k8s-node-config-collector"
/** @category constants @since 0.1.0 */
export const defaultImageTag = "latest"
/** @category constants @since 0.1.0 */
export const tokenHashAnnotation = "internal.operator.dynatrace.com/kspm-token-secret-hash"
/** Where the host paths are mounted in the collector. @category constants @since 0.1.0 */
export const nodeRootMountPath = "/node_root"
/** @category constants @since 0.1.0 */
export const tokenMountPath = "/var/lib/dynatrace/secrets/tokens/kspm/node-configuration-collector"
/** @category constants @since 0.1.0 */
export const caCertificatePath = "/var/lib/dynatrace/ncc/customkeys/ca-chain.pem"

const runAs = 65532
const secretMode = 0o640
const defaultResources = { cpu: "100m", memory: "128Mi" }

/** The name of the DaemonSet. @category names @since 0.1.0 */
export const daemonSetName = (dk: string): string => `${dk}-node-config-collector`

/**
 * Inputs of {@link buildKspmDaemonSet}.
 * @category models
 * @since 0.1.0
 */
export interface KspmDaemonSetInput {
  /** The DynaKube with the status computed in this reconcile (`kspm.tokenSecretHash` is read). */
  readonly dynakube: DynaKube
  readonly operator: OperatorContext
  /** The tenant UUID (from the OneAgent or ActiveGate connection info). */
  readonly tenantUUID: string
  /** The kubemon operand is on (operator switch and `spec.kubernetesMonitoring`): reports go to its Service. */
  readonly kubemon?: boolean | undefined
}

/** The sorted, distinct host paths (the original's `GetUniqueMappedHostPaths`). @category volumes @since 0.1.0 */
export const uniqueMappedHostPaths = (dk: DynaKube): ReadonlyArray<string> =>
  [...new Set(dk.spec.kspm?.mappedHostPaths ?? [])].toSorted((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))

/** Go's `filepath.Join` on Linux: joined, cleaned, no trailing slash. */
const goJoin = (base: string, path: string): string => {
  const joined = posix.normalize(posix.join(base, path))
  return joined.length > 1 && joined.endsWith("/") ? joined.slice(0, -1) : joined
}

/**
 * The image: repository and tag of `imageRef` with the defaults for missing parts; with a digest, `repo@digest`.
 * @category images
 * @since 0.1.0
 */
export const collectorImage = (dk: DynaKube): string => {
  const ref = dk.spec.templates?.kspmNodeConfigurationCollector?.imageRef
  const repository = nonEmptyString(ref?.repository) ?? defaultImageRepository
  const digest = nonEmptyString(ref?.digest)
  if (digest !== undefined) return `${repository}@${digest}`
  return `${repository}:${nonEmptyString(ref?.tag) ?? defaultImageTag}`
}

/**
 * `DT_ACTIVEGATE_ENDPOINT`: the node-config ingest of the in-cluster ActiveGate (or kubemon) Service.
 * @category env
 * @since 0.1.0
 */
export const activeGateEndpoint = (dk: DynaKube, tenantUUID: string, kubemon: boolean): string => {
  const name = nameOf(dk)
  const service = kubemon ? `${name}-kubemon` : activeGateNames(name).service
  return `https://${service}.${namespaceOf(dk)}/e/${tenantUUID}/api/v2/kubernetes/node-config`
}

const collectorResources = (dk: DynaKube) => {
  const resources = dk.spec.templates?.kspmNodeConfigurationCollector?.resources
  return {
    requests: resources?.requests ?? defaultResources,
    limits: resources?.limits ?? defaultResources
  }
}

const collectorEnv = (input: KspmDaemonSetInput, caCert: boolean): Array<EnvVar> => [
  { name: "KUBERNETES_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
  { name: "KUBERNETES_NODE_ROOT", value: nodeRootMountPath },
  {
    name: "DT_ACTIVEGATE_ENDPOINT",
    value: activeGateEndpoint(input.dynakube, input.tenantUUID, input.kubemon === true)
  },
  ...(caCert ? [{ name: "DT_CA_CERTIFICATE_FILE", value: caCertificatePath }] : []),
  ...(input.dynakube.spec.templates?.kspmNodeConfigurationCollector?.env ?? [])
]

const volumesAndMounts = (dk: DynaKube, caCert: boolean, caSecret: string | undefined) => {
  const paths = uniqueMappedHostPaths(dk)
  const volumes: Array<Volume> = paths.map((path, i) => ({
    name: `node-path-${i + 1}`,
    hostPath: { path, type: "Directory" }
  }))
  const mounts: Array<VolumeMount> = paths.map((path, i) => ({
    name: `node-path-${i + 1}`,
    mountPath: goJoin(nodeRootMountPath, path),
    readOnly: true
  }))
  volumes.push({
    name: tokenKey,
    secret: { secretName: tokenSecretName(nameOf(dk)), defaultMode: secretMode }
  })
  mounts.push({ name: tokenKey, mountPath: tokenMountPath, subPath: tokenKey })
  if (caCert) {
    volumes.push({ name: "certs", secret: { secretName: caSecret ?? "", defaultMode: secretMode } })
    mounts.push({ name: "certs", mountPath: caCertificatePath, subPath: "server.crt" })
  }
  return { volumes, mounts }
}

/**
 * The update strategy: the template's, else a rolling update with `maxUnavailable: 0, maxSurge: 1`. (The original
 * means "25%" but builds an int-or-string without its type, which serialises as 0; we send what it sends.)
 */
const updateStrategy = (dk: DynaKube) =>
  dk.spec.templates?.kspmNodeConfigurationCollector?.updateStrategy ?? {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
  }

/** The custom pull secrets: `spec.customPullSecret`, then the operator's own when different. */
/**
 * The DaemonSet `<dk>-node-config-collector`. Write it when `spec.kspm` is present, delete it otherwise.
 * @category constructors
 * @since 0.1.0
 */
export const buildKspmDaemonSet = (input: KspmDaemonSetInput): DaemonSet => {
  const dk = input.dynakube
  const name = nameOf(dk)
  const template = dk.spec.templates?.kspmNodeConfigurationCollector
  const minor = input.operator.kubernetesMinorVersion
  const flags = readWorkloadFlags(dk)
  const caCert = hasActiveGateCaCert(dk, flags)

  const labels = appLabels(kspmComponent, name, kspmComponent, template?.imageRef?.tag ?? "")
  const matchLabels = appMatchLabels(kspmComponent, name)
  const userAnnotations: StringMap = template?.annotations ?? {}
  const podAnnotations: StringMap = {
    [tokenHashAnnotation]: dk.status?.kspm?.tokenSecretHash ?? "",
    ...withoutAppArmorAnnotations(userAnnotations, [containerName], minor)
  }
  const { volumes, mounts } = volumesAndMounts(dk, caCert, tlsSecretName(dk, flags))

  const container: Container = {
    name: containerName,
    image: collectorImage(dk),
    imagePullPolicy: nonEmptyString(template?.imageRef?.pullPolicy),
    env: collectorEnv(input, caCert),
    resources: collectorResources(dk),
    volumeMounts: mounts,
    securityContext: {
      privileged: false,
      allowPrivilegeEscalation: false,
      runAsUser: runAs,
      runAsGroup: runAs,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      seccompProfile: { type: "RuntimeDefault" },
      capabilities: { add: ["DAC_OVERRIDE"], drop: ["ALL"] },
      appArmorProfile: appArmorProfile(userAnnotations, containerName, minor)
    }
  }

  const affinity =
    template?.nodeAffinity === undefined
      ? nodeAffinity("tenant-registry")
      : { nodeAffinity: template.nodeAffinity as Readonly<Record<string, unknown>> }

  return prune<DaemonSet>({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: ownedMeta(dk, daemonSetName(name), labels, userAnnotations),
    spec: {
      selector: { matchLabels },
      template: {
        // The app labels win over the template's, so the pods always match the selector.
        metadata: { labels: { ...template?.labels, ...labels }, annotations: podAnnotations },
        spec: {
          containers: [container],
          volumes,
          serviceAccountName,
          automountServiceAccountToken: false,
          hostPID: true,
          securityContext: { fsGroup: runAs },
          affinity,
          priorityClassName: nonEmptyString(template?.priorityClassName),
          nodeSelector: nonEmptyMap(template?.nodeSelector),
          tolerations: nonEmptyList(template?.tolerations),
          imagePullSecrets: nonEmptyList(customPullSecrets(dk, input.operator.operatorPullSecret))
        }
      },
      updateStrategy: updateStrategy(dk)
    }
  })
}

/**
 * Whether the live DaemonSet must be replaced instead of updated: its (immutable) selector differs.
 * @category predicates
 * @since 0.1.0
 */
export const recreateKspmDaemonSet = selectorChanged
