/**
 * The ActiveGate StatefulSet `<dk>-activegate` (spec §2.2.5), as a plain Kubernetes object built from the DynaKube,
 * its freshly computed status and the configuration hash.
 *
 * Status fields read: `activeGate.imageID` (image), `activeGate.version` (label `app.kubernetes.io/version`),
 * `activeGate.source` (amd64-only affinity for the tenant registry), `activeGate.serviceIPs`
 * (`DT_DNS_ENTRY_POINT`), `activeGate.connectionInfoStatus.tenantTokenHash`, `kubeSystemUUID`,
 * `kspm.tokenSecretHash` and `apiToken.platform`.
 *
 * Pod: one `activegate` container (ports `https` 9999 / `http` 9998; readiness `GET https:/rest/health`, liveness
 * `GET 9999:/rest/state`; non-root 1001, read-only root, drop ALL), `automountServiceAccountToken: false` (true
 * with `kubernetes-monitoring`, which also adds the `certificate-loader` init container and the trust store), fsGroup
 * 1001, seccomp RuntimeDefault, topology spread over zones and hosts unless the spec gives constraints.
 *
 * Volumes and mounts, in this order: the user's, then `ag-tmp-gateway` (emptyDir unless a claim template is used),
 * `ag-authtoken-secret`, `ag-lib-gateway-ssl` (certificate or trusted CAs), `server-certs`, `trustedcas`,
 * `deployment-properties` (global resource attributes), `custom-properties`, `internal-proxy-secret-volume`,
 * `connection-info-secret`, the four gateway emptyDirs, `truststore-volume` + `cert-tmp` (kubernetes-monitoring),
 * `eec-token` (extensions), `kspm-token` (KSPM with kubernetes-monitoring).
 *
 * Env, by name, user `env` winning: `DT_CAPABILITIES`, `DT_ID_SEED_NAMESPACE`, `DT_ID_SEED_K8S_CLUSTER_ID`,
 * `DT_DEPLOYMENT_METADATA`, `DT_HTTP_PORT`, `DT_GROUP`, `DT_NETWORK_ZONE`, `DT_TENANT` / `DT_SERVER`,
 * `DT_DNS_ENTRY_POINT`.
 *
 * Write it with `ObjectSync.ensure(Resources.StatefulSet, sts, { recreate: recreateActiveGateStatefulSet })`.
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { fnv1Hash32 } from "../oneagent/GoCompat.ts"
import { envMap, Priority } from "../oneagent/PriorityMap.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import {
  appArmorAnnotationPrefix,
  appArmorProfile,
  appLabels,
  appMatchLabels,
  imagePullSecrets,
  internalProxyMountPath,
  internalProxyVolumeName,
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
  withoutAppArmorAnnotations,
  zoneAndNodeSpread
} from "../oneagent/WorkloadParts.ts"
import { canonicalJson } from "../../runtime/ObjectSync.ts"
import type {
  Container,
  EnvVar,
  SecurityContext,
  StatefulSet,
  StringMap,
  Volume,
  VolumeClaimTemplate,
  VolumeMount
} from "../oneagent/WorkloadTypes.ts"
import { activeGateComponent } from "./ActiveGateService.ts"
import { customPropertiesSecretName, needsCustomPropertiesSecret } from "./ActiveGateSecrets.ts"
import {
  activeGateCapabilities,
  activeGateNames,
  dnsEntryPoint,
  extensionsEnabled,
  hasActiveGateCaCert,
  hasCapability,
  httpContainerPort,
  httpsContainerPort,
  kspmEnabled,
  needsActiveGateProxy,
  telemetryIngestEnabled,
  tlsSecretName
} from "./Capabilities.ts"

/** @category constants @since 0.1.0 */
export const activeGateContainerName = "activegate"
/** @category constants @since 0.1.0 */
export const activeGateServiceAccount = "dynatrace-activegate"
/** @category constants @since 0.1.0 */
export const configurationHashAnnotation = "internal.operator.dynatrace.com/activegate-configuration-hash"
/** @category constants @since 0.1.0 */
export const tenantTokenHashAnnotation = "internal.operator.dynatrace.com/activegate-tenant-token-hash"
/** @category constants @since 0.1.0 */
export const kspmTokenHashAnnotation = "internal.operator.dynatrace.com/kspm-token-secret-hash"
/** @category constants @since 0.1.0 */
export const pvcHashAnnotation = "internal.operator.dynatrace.com/pvc-hash"
/** @category constants @since 0.1.0 */
export const splitMountsAnnotation = "dynatrace.com/split-mounts"

const secretsDir = "/var/lib/dynatrace/secrets"
const gatewayTmpVolume = "ag-tmp-gateway"
const certificateLoader = "certificate-loader"
const imageUserGroup = 1001
const secretMode = 0o640

/**
 * Inputs of {@link buildActiveGateStatefulSet}.
 * @category models
 * @since 0.1.0
 */
export interface ActiveGateStatefulSetInput {
  /** The DynaKube with the status computed in this reconcile (see the module comment for the fields read). */
  readonly dynakube: DynaKube
  readonly operator: OperatorContext
  /** {@link activeGateConfigurationHash} of the custom properties, auth token and resource attributes. */
  readonly configurationHash: string
  /**
   * Replicas of the live StatefulSet, used when the spec sets none (so a HorizontalPodAutoscaler keeps control);
   * 1 when there is no live object either.
   */
  readonly currentReplicas?: number | undefined
}

/** The ActiveGate container's security context (the init container's is the same). */
const securityContext = (readOnlyRootFilesystem: boolean): SecurityContext => ({
  capabilities: { drop: ["ALL"] },
  privileged: false,
  runAsUser: imageUserGroup,
  runAsGroup: imageUserGroup,
  runAsNonRoot: true,
  readOnlyRootFilesystem,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: "RuntimeDefault" }
})

const secretVolume = (name: string, secretName: string): Volume => ({
  name,
  secret: { secretName, defaultMode: secretMode }
})

const emptyDir = (name: string): Volume => ({ name, emptyDir: {} })

/** A volume and its mount in the `activegate` container. */
interface Part {
  readonly volumes: ReadonlyArray<Volume>
  readonly mounts: ReadonlyArray<VolumeMount>
}

/** The volume parts added after the user's and the gateway tmp volume, in the original's order. */
const volumeParts = (dk: DynaKube, flags: ReturnType<typeof readWorkloadFlags>): Array<Part> => {
  const name = nameOf(dk)
  const names = activeGateNames(name)
  const parts: Array<Part> = []
  const caCert = hasActiveGateCaCert(dk, flags)
  const trustedCAs = nonEmptyString(dk.spec.trustedCAs)
  const kubemon = hasCapability(dk, "kubernetes-monitoring")

  parts.push({
    volumes: [secretVolume("ag-authtoken-secret", names.authTokenSecret)],
    mounts: [
      {
        name: "ag-authtoken-secret",
        readOnly: true,
        mountPath: `${secretsDir}/tokens/auth-token`,
        subPath: "auth-token"
      }
    ]
  })
  if (caCert || trustedCAs !== undefined) {
    parts.push({
      volumes: [emptyDir("ag-lib-gateway-ssl")],
      mounts: [{ name: "ag-lib-gateway-ssl", readOnly: false, mountPath: "/var/lib/dynatrace/gateway/ssl" }]
    })
  }
  if (caCert) {
    parts.push({
      volumes: [secretVolume("server-certs", tlsSecretName(dk, flags) ?? "")],
      mounts: [{ name: "server-certs", readOnly: true, mountPath: `${secretsDir}/tls` }]
    })
  }
  if (trustedCAs !== undefined) {
    parts.push({
      volumes: [{ name: "trustedcas", configMap: { name: trustedCAs, items: [{ key: "certs", path: "rootca.pem" }] } }],
      mounts: [{ name: "trustedcas", readOnly: true, mountPath: `${secretsDir}/rootca` }]
    })
  }
  if (Object.keys(dk.spec.resourceAttributes ?? {}).length > 0) {
    parts.push({
      volumes: [
        {
          name: "deployment-properties",
          configMap: {
            name: names.deploymentProperties,
            items: [{ key: "deployment.properties", path: "deployment.properties" }]
          }
        }
      ],
      mounts: [
        {
          name: "deployment-properties",
          readOnly: true,
          mountPath: `${secretsDir}/config/deployment.properties`,
          subPath: "deployment.properties"
        }
      ]
    })
  }
  if (needsCustomPropertiesSecret(dk, flags)) {
    parts.push({
      volumes: [
        {
          name: "custom-properties",
          secret: {
            secretName: customPropertiesSecretName(dk),
            items: [{ key: "customProperties", path: "custom.properties" }]
          }
        }
      ],
      mounts: [
        {
          name: "custom-properties",
          readOnly: true,
          mountPath: "/var/lib/dynatrace/gateway/config_template/custom.properties",
          subPath: "custom.properties"
        }
      ]
    })
  }
  if (needsActiveGateProxy(dk, flags)) {
    parts.push({
      volumes: [secretVolume(internalProxyVolumeName, `${name}-internal-proxy`)],
      mounts: [{ name: internalProxyVolumeName, mountPath: internalProxyMountPath }]
    })
  }
  parts.push({
    volumes: [secretVolume("connection-info-secret", names.tenantSecret)],
    mounts: [
      {
        name: "connection-info-secret",
        readOnly: true,
        mountPath: `${secretsDir}/tokens/tenant-token`,
        subPath: "tenant-token"
      }
    ]
  })
  const gatewayDirs: ReadonlyArray<readonly [string, string]> = [
    ["ag-lib-gateway-temp", "/var/lib/dynatrace/gateway/temp"],
    ["ag-lib-gateway-data", "/var/lib/dynatrace/gateway/data"],
    ["ag-log-gateway", "/var/log/dynatrace/gateway"],
    ["ag-lib-gateway-config", "/var/lib/dynatrace/gateway/config"]
  ]
  parts.push({
    volumes: gatewayDirs.map(([volume]) => emptyDir(volume)),
    mounts: gatewayDirs.map(([volume, mountPath]) => ({ name: volume, readOnly: false, mountPath }))
  })
  if (kubemon) {
    parts.push({
      volumes: [emptyDir("truststore-volume"), emptyDir("cert-tmp")],
      mounts: [
        {
          name: "truststore-volume",
          readOnly: true,
          mountPath: "/opt/dynatrace/gateway/jre/lib/security/cacerts",
          subPath: "k8s-local.jks"
        }
      ]
    })
  }
  if (extensionsEnabled(dk)) {
    parts.push({
      volumes: [
        {
          name: "eec-token",
          secret: {
            secretName: names.extensionsToken,
            defaultMode: secretMode,
            items: [{ key: "eec.token", path: "eec.token", mode: secretMode }]
          }
        }
      ],
      mounts: [{ name: "eec-token", readOnly: true, mountPath: `${secretsDir}/eec/token` }]
    })
  }
  if (kspmEnabled(dk) && kubemon) {
    parts.push({
      volumes: [{ name: "kspm-token", secret: { secretName: names.kspmToken } }],
      mounts: [
        {
          name: "kspm-token",
          readOnly: true,
          mountPath: `${secretsDir}/tokens/kspm/node-configuration-collector`,
          subPath: "kspm-token"
        }
      ]
    })
  }
  return parts
}

const activeGateEnv = (dk: DynaKube): Array<EnvVar> => {
  const ag = dk.spec.activeGate
  const name = nameOf(dk)
  const names = activeGateNames(name)
  const env = envMap()
  env.setAll([
    { name: "DT_CAPABILITIES", value: activeGateCapabilities(dk) },
    { name: "DT_ID_SEED_NAMESPACE", value: namespaceOf(dk) },
    { name: "DT_ID_SEED_K8S_CLUSTER_ID", value: dk.status?.kubeSystemUUID ?? "" },
    {
      name: "DT_DEPLOYMENT_METADATA",
      valueFrom: { configMapKeyRef: { name: `${name}-deployment-metadata`, key: "activegate", optional: false } }
    },
    { name: "DT_HTTP_PORT", value: String(httpContainerPort) }
  ])
  const group = nonEmptyString(ag?.group)
  if (group !== undefined) env.set({ name: "DT_GROUP", value: group })
  const networkZone = nonEmptyString(dk.spec.networkZone)
  if (networkZone !== undefined) env.set({ name: "DT_NETWORK_ZONE", value: networkZone })
  env.setAll(ag?.env, Priority.high)
  env.setAll(
    [
      {
        name: "DT_TENANT",
        valueFrom: { configMapKeyRef: { name: names.connectionInfo, key: "tenant-uuid", optional: false } }
      },
      {
        name: "DT_SERVER",
        valueFrom: { configMapKeyRef: { name: names.connectionInfo, key: "communication-endpoints", optional: false } }
      }
    ],
    Priority.medium
  )
  env.set({ name: "DT_DNS_ENTRY_POINT", value: dnsEntryPoint(dk) }, Priority.medium)
  return env.toEnv()
}

/** The default claim for `/var/tmp/dynatrace/gateway` with telemetry ingest: 1Gi ReadWriteOnce. */
const defaultClaimSpec = { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } }

const claimTemplates = (dk: DynaKube): Array<VolumeClaimTemplate> | undefined => {
  const ag = dk.spec.activeGate
  if (ag?.volumeClaimTemplate !== undefined)
    return [{ metadata: { name: gatewayTmpVolume }, spec: ag.volumeClaimTemplate }]
  if (telemetryIngestEnabled(dk) && ag?.useEphemeralVolume !== true) {
    return [{ metadata: { name: gatewayTmpVolume }, spec: defaultClaimSpec }]
  }
  return undefined
}

/**
 * The StatefulSet `<dk>-activegate`. Write it when `needsActiveGateStatefulSet` holds, delete it otherwise.
 * @category constructors
 * @since 0.1.0
 */
export const buildActiveGateStatefulSet = (input: ActiveGateStatefulSetInput): StatefulSet => {
  const dk = input.dynakube
  const ag = dk.spec.activeGate
  const name = nameOf(dk)
  const flags = readWorkloadFlags(dk)
  const status = dk.status?.activeGate
  const minor = input.operator.kubernetesMinorVersion
  const kubemon = hasCapability(dk, "kubernetes-monitoring")

  const labels = appLabels(activeGateComponent, name, activeGateComponent, status?.version ?? "")
  const matchLabels = appMatchLabels(activeGateComponent, name)

  const templateAnnotations: Record<string, string> = {
    [configurationHashAnnotation]: input.configurationHash,
    [tenantTokenHashAnnotation]: status?.connectionInfoStatus?.tenantTokenHash ?? "",
    [splitMountsAnnotation]: "true",
    ...ag?.annotations
  }
  if (flags.activeGateAppArmor)
    templateAnnotations[appArmorAnnotationPrefix + activeGateContainerName] = "runtime/default"
  if (kspmEnabled(dk) && kubemon) templateAnnotations[kspmTokenHashAnnotation] = dk.status?.kspm?.tokenSecretHash ?? ""

  const claims = claimTemplates(dk)
  const parts = volumeParts(dk, flags)
  const volumes: Array<Volume> = [
    ...(ag?.volumes ?? []),
    ...(claims === undefined ? [emptyDir(gatewayTmpVolume)] : []),
    ...parts.flatMap((p) => p.volumes)
  ]
  const mounts: Array<VolumeMount> = [
    ...(ag?.volumeMounts ?? []),
    { name: gatewayTmpVolume, mountPath: "/var/tmp/dynatrace/gateway" },
    ...parts.flatMap((p) => p.mounts)
  ]

  const image = nonEmptyString(status?.imageID)
  const container: Container = {
    name: activeGateContainerName,
    image,
    imagePullPolicy: ag?.imagePullPolicy,
    ports: [
      { name: "https", containerPort: httpsContainerPort },
      { name: "http", containerPort: httpContainerPort }
    ],
    env: activeGateEnv(dk),
    resources: nonEmptyMap(ag?.resources),
    volumeMounts: mounts,
    readinessProbe: {
      httpGet: { path: "/rest/health", port: "https", scheme: "HTTPS" },
      initialDelaySeconds: 90,
      periodSeconds: 15,
      timeoutSeconds: 2,
      successThreshold: 1,
      failureThreshold: 3
    },
    livenessProbe: {
      httpGet: { path: "/rest/state", port: httpsContainerPort, scheme: "HTTPS" },
      initialDelaySeconds: 90,
      periodSeconds: 30,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 2
    },
    securityContext: {
      ...securityContext(true),
      appArmorProfile: appArmorProfile(templateAnnotations, activeGateContainerName, minor)
    }
  }
  const initContainers: Array<Container> | undefined = kubemon
    ? [
        {
          name: certificateLoader,
          image,
          imagePullPolicy: ag?.imagePullPolicy,
          workingDir: "/var/lib/dynatrace/gateway",
          command: ["/bin/bash"],
          args: ["-c", "/opt/dynatrace/gateway/k8scrt2jks.sh"],
          resources: nonEmptyMap(ag?.resources),
          volumeMounts: [
            { name: "truststore-volume", readOnly: false, mountPath: "/var/lib/dynatrace/gateway/ssl" },
            { name: "cert-tmp", readOnly: false, mountPath: "/var/lib/dynatrace/gateway" }
          ],
          securityContext: {
            ...securityContext(true),
            appArmorProfile: appArmorProfile(ag?.annotations, certificateLoader, minor)
          }
        }
      ]
    : undefined

  const topologySpreadConstraints =
    nonEmptyList(ag?.topologySpreadConstraints) ?? zoneAndNodeSpread(matchLabels, "ScheduleAnyway")

  return prune<StatefulSet>({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: ownedMeta(dk, activeGateNames(name).statefulSet, labels, {
      ...ag?.annotations,
      ...(claims === undefined ? {} : { [pvcHashAnnotation]: fnv1Hash32(canonicalJson(claims)) })
    }),
    spec: {
      replicas: ag?.replicas ?? input.currentReplicas ?? 1,
      selector: { matchLabels },
      podManagementPolicy: "Parallel",
      updateStrategy: { rollingUpdate: ag?.rollingUpdate },
      template: {
        metadata: {
          labels: { ...ag?.labels, ...labels },
          annotations: withoutAppArmorAnnotations(templateAnnotations, [activeGateContainerName], minor)
        },
        spec: {
          initContainers,
          containers: [container],
          nodeSelector: nonEmptyMap(ag?.nodeSelector),
          serviceAccountName: activeGateServiceAccount,
          automountServiceAccountToken: kubemon,
          affinity: nodeAffinity(status?.source),
          tolerations: nonEmptyList(ag?.tolerations),
          securityContext: { fsGroup: imageUserGroup, seccompProfile: { type: "RuntimeDefault" } },
          imagePullSecrets: nonEmptyList(imagePullSecrets(dk, flags, input.operator.operatorPullSecret)),
          priorityClassName: nonEmptyString(ag?.priorityClassName),
          dnsPolicy: nonEmptyString(ag?.dnsPolicy),
          terminationGracePeriodSeconds: ag?.terminationGracePeriodSeconds,
          topologySpreadConstraints,
          volumes
        }
      },
      volumeClaimTemplates: claims,
      persistentVolumeClaimRetentionPolicy:
        claims === undefined ? undefined : { whenDeleted: "Delete", whenScaled: "Delete" }
    }
  })
}

/**
 * Whether the live StatefulSet must be deleted and created again instead of updated: its selector or its volume
 * claim templates (both immutable; the latter tracked by the `pvc-hash` annotation) differ from the desired ones.
 * @category predicates
 * @since 0.1.0
 */
export const recreateActiveGateStatefulSet = (
  current: {
    readonly metadata?: { readonly annotations?: StringMap | undefined } | undefined
    readonly spec?: { readonly selector?: { readonly matchLabels?: StringMap | undefined } }
  },
  desired: {
    readonly metadata?: { readonly annotations?: StringMap | undefined } | undefined
    readonly spec?: { readonly selector?: { readonly matchLabels?: StringMap | undefined } }
  }
): boolean =>
  selectorChanged(current, desired) ||
  current.metadata?.annotations?.[pvcHashAnnotation] !== desired.metadata?.annotations?.[pvcHashAnnotation]
