/**
 * The Extension Execution Controller StatefulSet `<dk>-extension-controller` (spec §2.2.11), as the original
 * builds it: one replica, service account `dynatrace-extension-controller`, fsGroup 1001, seccomp RuntimeDefault,
 * multi-arch node affinity, at most one pod per node unless the template gives topology constraints, and an
 * `extension-controller` container (port `collector-com` 14599, readiness `GET https :14599/readyz`, user/group
 * 1001, read-only root, no capabilities).
 *
 * Storage: the `agent-runtime` volume is a claim template (the template's `persistentVolumeClaim`, else 2Gi
 * ReadWriteOnce; claims deleted with the StatefulSet or on scale-down), or an emptyDir with `useEphemeralVolume`.
 * The claim templates are immutable, so their hash (`internal.operator.dynatrace.com/pvc-hash`) forces a recreate.
 *
 * The pod annotation `internal.operator.dynatrace.com/extensions-secret-hash` (hash of the TLS Secret's data)
 * restarts the controller when its certificate changes.
 *
 * Mount layout: the feature flag `feature.dynatrace.com/use-eec-legacy-mounts` (default true, as in the original)
 * puts tokens, certificates and custom files under `/var/lib/dynatrace/remotepluginmodule`, mounts only
 * `agent/runtime` from the runtime volume (1Gi by default) and adds emptyDirs `log` and `runtime-configuration`;
 * `false` mounts the runtime volume at `/var/lib/dynatrace/remotepluginmodule` (2Gi) and the rest at `/secrets/…`.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import {
  activeGateNames,
  hasActiveGateCaCert,
  tlsSecretName as activeGateTlsSecretName
} from "../activegate/Capabilities.ts"
import { pvcHashAnnotation } from "../activegate/ActiveGateStatefulSet.ts"
import { fnv1Hash32 } from "../oneagent/GoCompat.ts"
import type { WorkloadFlags } from "../oneagent/WorkloadFlags.ts"
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
  withoutAppArmorAnnotations,
  zoneAndNodeSpread
} from "../oneagent/WorkloadParts.ts"
import { canonicalJson } from "../../runtime/ObjectSync.ts"
import type { Container, EnvVar, StatefulSet, Volume, VolumeMount } from "../oneagent/WorkloadTypes.ts"
import {
  datasourcePort,
  datasourcePortName,
  extensionComponent,
  extensionNames,
  serviceFqdn,
  tlsSecretName,
  tokenKeys
} from "./Extensions.ts"

/** @category constants @since 0.1.0 */
export const containerName = "extension-controller"
/** @category constants @since 0.1.0 */
export const serviceAccountName = "dynatrace-extension-controller"
/** @category constants @since 0.1.0 */
export const extensionsSecretHashAnnotation = "internal.operator.dynatrace.com/extensions-secret-hash"

const userGroup = 1001
const secretMode = 0o640
const runtimeVolume = "agent-runtime"
/** @category constants @since 0.1.0 */
export const legacyMountsFlag = "feature.dynatrace.com/use-eec-legacy-mounts"

/** The legacy layout is used: the flag is absent, empty, unparseable or true (Go's `strconv.ParseBool`). @category predicates @since 0.1.0 */
export const useLegacyMounts = (dk: DynaKube): boolean => {
  const raw = dk.metadata?.annotations?.[legacyMountsFlag] ?? ""
  if (["0", "f", "F", "false", "FALSE", "False"].includes(raw)) return false
  return true
}

const paths = {
  tokens: "/secrets/tokens",
  runtime: "/var/lib/dynatrace/remotepluginmodule",
  https: "/secrets/https",
  customConfig: "/secrets/config",
  activeGateCert: "/secrets/ag",
  customCertificates: "/secrets/extensions"
} as const

/**
 * Inputs of {@link buildExtensionControllerStatefulSet}.
 * @category models
 * @since 0.1.0
 */
export interface ExtensionControllerStatefulSetInput {
  /** The DynaKube with this reconcile's status (tenant UUID of the ActiveGate connection info, cluster identity). */
  readonly dynakube: DynaKube
  readonly operator: OperatorContext
  readonly flags: WorkloadFlags
  /** The EEC image (template `imageRef`, else the public registry's `eec` image). */
  readonly image: string
  /** Hash of the TLS Secret's data. */
  readonly tlsSecretHash: string
}

const envVars = (dk: DynaKube, flags: WorkloadFlags): Array<EnvVar> => {
  const template = dk.spec.templates?.extensionExecutionController
  const prefix = useLegacyMounts(dk) ? paths.runtime : ""
  const env: Array<EnvVar> = [
    { name: "TenantId", value: nonEmptyString(dk.status?.activeGate?.connectionInfoStatus?.tenantUUID) },
    { name: "ServerUrl", value: `${activeGateNames(nameOf(dk)).statefulSet}.${namespaceOf(dk)}:443` },
    { name: "EecTokenPath", value: `${prefix}${paths.tokens}/${tokenKeys.eec}` },
    { name: "EecIngestPort", value: String(datasourcePort) },
    { name: "ExtensionsModuleExecPath", value: "/opt/dynatrace/remotepluginmodule/agent/lib64/extensionsmodule" },
    { name: "DsInstallDir", value: "/opt/dynatrace/remotepluginmodule/agent/datasources" },
    { name: "K8sClusterUID", value: nonEmptyString(dk.status?.kubeSystemUUID) },
    { name: "K8sClusterName", value: nonEmptyString(dk.status?.kubernetesClusterName) },
    { name: "K8sExtServiceUrl", value: `https://${serviceFqdn(dk)}` },
    { name: "DSTokenPath", value: `${prefix}${paths.tokens}/${tokenKeys.datasource}` },
    { name: "DsHttpsCertPathPem", value: `${prefix}${paths.https}/tls.crt` },
    { name: "DsHttpsPrivKeyPathPem", value: `${prefix}${paths.https}/tls.key` }
  ]
  if (hasActiveGateCaCert(dk, flags))
    env.push({ name: "ActiveGateTrustedCert", value: `${prefix}${paths.activeGateCert}/server.crt` })
  if ((template?.customConfig ?? "") !== "") {
    env.push({ name: "RuntimeConfigMountPath", value: `${prefix}${paths.customConfig}/runtimeConfiguration` })
  }
  if ((template?.customExtensionCertificates ?? "") !== "") {
    env.push({ name: "ExtensionCustomCertificateMountPath", value: `${prefix}${paths.customCertificates}` })
  }
  return env
}

const volumesAndMounts = (dk: DynaKube, flags: WorkloadFlags) => {
  const template = dk.spec.templates?.extensionExecutionController
  const legacy = useLegacyMounts(dk)
  const prefix = legacy ? paths.runtime : ""
  const tokens: Volume = {
    name: "tokens",
    secret: { secretName: extensionNames(nameOf(dk)).tokenSecret, defaultMode: secretMode }
  }
  const https: Volume = { name: "https-certs", secret: { secretName: tlsSecretName(dk), defaultMode: secretMode } }
  const volumes: Array<Volume> = legacy
    ? [tokens, { name: "log", emptyDir: {} }, { name: "runtime-configuration", emptyDir: {} }, https]
    : [tokens, https]
  const mounts: Array<VolumeMount> = legacy
    ? [
        { name: "tokens", mountPath: `${paths.runtime}${paths.tokens}`, readOnly: true },
        { name: "log", mountPath: `${paths.runtime}/log` },
        { name: runtimeVolume, mountPath: `${paths.runtime}/agent/runtime` },
        { name: "runtime-configuration", mountPath: `${paths.runtime}/agent/conf` },
        { name: "https-certs", mountPath: `${paths.runtime}${paths.https}`, readOnly: true }
      ]
    : [
        { name: "tokens", mountPath: paths.tokens, readOnly: true },
        { name: runtimeVolume, mountPath: paths.runtime },
        { name: "https-certs", mountPath: paths.https, readOnly: true }
      ]
  if (template?.useEphemeralVolume === true) volumes.push({ name: runtimeVolume, emptyDir: {} })
  const customConfig = template?.customConfig ?? ""
  if (customConfig !== "") {
    volumes.push({ name: "custom-config", configMap: { name: customConfig } })
    mounts.push({ name: "custom-config", mountPath: `${prefix}${paths.customConfig}`, readOnly: true })
  }
  const agSecret = activeGateTlsSecretName(dk, flags)
  if (hasActiveGateCaCert(dk, flags) && agSecret !== undefined) {
    volumes.push({
      name: "server-certs",
      secret: { defaultMode: secretMode, secretName: agSecret, items: [{ key: "server.crt", path: "server.crt" }] }
    })
    mounts.push({ name: "server-certs", mountPath: `${prefix}${paths.activeGateCert}`, readOnly: true })
  }
  const customCertificates = template?.customExtensionCertificates ?? ""
  if (customCertificates !== "") {
    volumes.push({
      name: "extension-custom-certs",
      secret: { secretName: customCertificates, defaultMode: secretMode }
    })
    mounts.push({ name: "extension-custom-certs", mountPath: `${prefix}${paths.customCertificates}`, readOnly: true })
  }
  return { volumes, mounts }
}

/**
 * The EEC StatefulSet. Write it with `ObjectSync.ensure(…, { recreate: recreateActiveGateStatefulSet })` (the
 * same selector + pvc-hash rule).
 * @category constructors
 * @since 0.1.0
 */
export const buildExtensionControllerStatefulSet = (input: ExtensionControllerStatefulSetInput): StatefulSet => {
  const dk = input.dynakube
  const name = nameOf(dk)
  const template = dk.spec.templates?.extensionExecutionController
  const labels = appLabels(extensionComponent, name, extensionComponent, template?.imageRef?.tag ?? "")
  const match = appMatchLabels(extensionComponent, name)
  const minor = input.operator.kubernetesMinorVersion
  const { volumes, mounts } = volumesAndMounts(dk, input.flags)
  const container: Container = {
    name: containerName,
    image: input.image,
    imagePullPolicy: template?.imageRef?.pullPolicy,
    readinessProbe: {
      httpGet: { path: "/readyz", port: datasourcePort, scheme: "HTTPS" },
      initialDelaySeconds: 15,
      periodSeconds: 15,
      failureThreshold: 3,
      timeoutSeconds: 2,
      successThreshold: 1
    },
    securityContext: {
      capabilities: { drop: ["ALL"] },
      privileged: false,
      runAsUser: userGroup,
      runAsGroup: userGroup,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      seccompProfile: { type: "RuntimeDefault" },
      appArmorProfile: appArmorProfile(template?.annotations, containerName, minor)
    },
    ports: [{ name: datasourcePortName, containerPort: datasourcePort }],
    env: envVars(dk, input.flags),
    resources: nonEmptyMap(template?.resources as Readonly<Record<string, unknown>> | undefined),
    volumeMounts: mounts
  }
  const claimTemplates =
    template?.useEphemeralVolume === true
      ? undefined
      : [
          {
            metadata: { name: runtimeVolume },
            spec: (template?.persistentVolumeClaim as Readonly<Record<string, unknown>> | undefined) ?? {
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: useLegacyMounts(dk) ? "1Gi" : "2Gi" } }
            }
          }
        ]
  return prune<StatefulSet>({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: ownedMeta(
      dk,
      extensionNames(name).statefulSet,
      labels,
      claimTemplates === undefined ? undefined : { [pvcHashAnnotation]: fnv1Hash32(canonicalJson(claimTemplates)) }
    ),
    spec: {
      replicas: 1,
      selector: { matchLabels: match },
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      template: {
        metadata: {
          labels: { ...template?.labels, ...labels },
          annotations: {
            ...withoutAppArmorAnnotations(template?.annotations ?? {}, [containerName], minor),
            [extensionsSecretHashAnnotation]: input.tlsSecretHash
          }
        },
        spec: {
          containers: [container],
          volumes,
          serviceAccountName,
          tolerations: nonEmptyList(template?.tolerations),
          affinity: nodeAffinity(undefined),
          topologySpreadConstraints:
            nonEmptyList(template?.topologySpreadConstraints) ?? zoneAndNodeSpread(match, "DoNotSchedule"),
          securityContext: { seccompProfile: { type: "RuntimeDefault" }, fsGroup: userGroup },
          imagePullSecrets: nonEmptyList(customPullSecrets(dk, input.operator.operatorPullSecret))
        }
      },
      volumeClaimTemplates: claimTemplates,
      persistentVolumeClaimRetentionPolicy:
        claimTemplates === undefined ? undefined : { whenDeleted: "Delete", whenScaled: "Delete" }
    }
  })
}
