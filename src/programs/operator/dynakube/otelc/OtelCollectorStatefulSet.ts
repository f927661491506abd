/**
 * The OpenTelemetry collector StatefulSet `<dk>-otel-collector` (spec §2.2.11), as the original builds it.
 *
 * Pod: service account `dynatrace-otel-collector`, fsGroup 10001, seccomp RuntimeDefault, multi-arch node
 * affinity, at most one pod per node (topology spread over zones and hostnames) unless the template gives
 * constraints, `spec.customPullSecret` (and the operator's pull secret) as image pull secrets. One `collector`
 * container running as 10001 with a read-only root file system and no capabilities; HTTP probes on the health
 * check port 13133 only with telemetryIngest (with Prometheus alone the configuration comes from the Extension
 * Execution Controller and has no health check).
 *
 * Args: `--config=eec://<dk>-extension-controller.<ns>:14599/otcconfig/prometheusMetrics#…` with Prometheus,
 * `--config=file:///config/telemetry.yaml` with telemetryIngest.
 *
 * Pod annotations (restart triggers): `extensions-secret-hash` (EEC TLS Secret, Prometheus),
 * `telemetry-ingest-secret-hash` (`tlsRefName` Secret), `telemetry-ingest-config-hash` (the configuration) and
 * `data-ingest-token-hash` (telemetryIngest); the caller reads the Secrets and passes their hashes.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { isActiveGateEnabled, serviceHostname, tlsSecretName } from "../activegate/Capabilities.ts"
import { fnv1Hash32 } from "../oneagent/GoCompat.ts"
import type { WorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import {
  appArmorProfile,
  appLabels,
  appMatchLabels,
  customPullSecrets,
  hasProxy,
  nameOf,
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
import type { Container, EnvVar, StatefulSet, Volume, VolumeMount } from "../oneagent/WorkloadTypes.ts"
import * as Extensions from "../extensions/Extensions.ts"
import { configKey, ports } from "./CollectorConfig.ts"
import {
  dataIngestTokenEnv,
  endpointConfigMapName,
  endpointKey,
  needsActiveGateCertificate,
  needsTrustedCAs,
  otelCollectorComponent,
  otelcNames,
  paths,
  prometheusEnabled,
  telemetryIngestEnabled
} from "./OtelCollector.ts"

/** @category constants @since 0.1.0 */
export const containerName = "collector"
/** @category constants @since 0.1.0 */
export const serviceAccountName = "dynatrace-otel-collector"
/** Pod annotations that restart the collector when their input changes. @category constants @since 0.1.0 */
export const annotations = {
  extensionsSecretHash: "internal.operator.dynatrace.com/extensions-secret-hash",
  telemetryIngestSecretHash: "internal.operator.dynatrace.com/telemetry-ingest-secret-hash",
  configHash: "internal.operator.dynatrace.com/telemetry-ingest-config-hash",
  dataIngestTokenHash: "internal.operator.dynatrace.com/data-ingest-token-hash"
} as const

const runAs = 10001
const secretMode = 0o640
const secretsTokensPath = "/secrets/tokens"
const eecCertDir = "/tls/custom/eec"

/** The Extension Execution Controller's Secret with its TLS certificate. @category names @since 0.1.0 */
export const extensionsTlsSecretName = Extensions.tlsSecretName

/** `<dk>-extension-controller.<ns>`. @category names @since 0.1.0 */
export const extensionControllerFqdn = Extensions.serviceFqdn

const tokensVolume = "tokens"

/**
 * Go's `hasher.GenerateHash` of a Secret's or ConfigMap's `data` (FNV-1 of the JSON, keys sorted; Secret bytes are
 * base64 in JSON, which is what `data` holds already).
 * @category hashing
 * @since 0.1.0
 */
export const dataHash = (data: Readonly<Record<string, string>>): string =>
  fnv1Hash32(JSON.stringify(Object.fromEntries(Object.entries(data).toSorted(([a], [b]) => (a < b ? -1 : 1)))))

/**
 * Go's `hasher.GenerateSecureHash` of a token: the first 16 hex digits of SHA-256 over its JSON string.
 * @category hashing
 * @since 0.1.0
 */
export const secureHash = (value: string): string =>
  createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16)

/** The image of an `imageRef`: digest wins over tag. @category images @since 0.1.0 */
export const imageOf = (ref: { readonly repository?: string; readonly tag?: string; readonly digest?: string }) =>
  (ref.digest ?? "") !== "" ? `${ref.repository ?? ""}@${ref.digest}` : `${ref.repository ?? ""}:${ref.tag ?? ""}`

/**
 * Inputs of {@link buildOtelCollectorStatefulSet}.
 * @category models
 * @since 0.1.0
 */
export interface OtelCollectorStatefulSetInput {
  /** The DynaKube with this reconcile's status (cluster name, UID and MEID become env). */
  readonly dynakube: DynaKube
  readonly operator: OperatorContext
  readonly flags: WorkloadFlags
  /** Replicas of the live StatefulSet, kept when the template sets none (an autoscaler may own them). */
  readonly currentReplicas?: number | undefined
  /** The `telemetry.yaml` text (its hash restarts the pods). */
  readonly configText?: string | undefined
  /** Hash of the data-ingest token ({@link secureHash}). */
  readonly dataIngestTokenHash?: string | undefined
  /** {@link dataHash} of the `tlsRefName` Secret. */
  readonly telemetryIngestTlsHash?: string | undefined
  /** {@link dataHash} of the Extension Execution Controller's TLS Secret. */
  readonly extensionsTlsHash?: string | undefined
}

const secretVolume = (name: string, secretName: string, items: ReadonlyArray<readonly [string, string]>): Volume => ({
  name,
  secret: { secretName, items: items.map(([key, path]) => ({ key, path })), defaultMode: secretMode }
})

const trustedCAsVolumeNeeded = (dk: DynaKube): boolean =>
  (prometheusEnabled(dk) && (dk.spec.trustedCAs ?? "") !== "") || (telemetryIngestEnabled(dk) && needsTrustedCAs(dk))

const volumesAndMounts = (dk: DynaKube, flags: WorkloadFlags) => {
  const volumes: Array<Volume> = []
  const mounts: Array<VolumeMount> = []
  if (prometheusEnabled(dk)) {
    volumes.push(
      secretVolume(tokensVolume, Extensions.extensionNames(nameOf(dk)).tokenSecret, [
        [Extensions.tokenKeys.datasource, Extensions.tokenKeys.datasource]
      ]),
      secretVolume("extension-controller-tls", extensionsTlsSecretName(dk), [["tls.crt", "tls.crt"]])
    )
    mounts.push(
      { name: tokensVolume, readOnly: true, mountPath: secretsTokensPath },
      { name: "extension-controller-tls", mountPath: eecCertDir, readOnly: true }
    )
  }
  if (trustedCAsVolumeNeeded(dk)) {
    volumes.push({
      name: "cacerts",
      configMap: { name: dk.spec.trustedCAs, items: [{ key: "certs", path: paths.trustedCAsFile }] }
    })
    mounts.push({ name: "cacerts", mountPath: paths.trustedCAsDir, readOnly: true })
  }
  if (telemetryIngestEnabled(dk)) {
    const agSecret = tlsSecretName(dk, flags)
    if (needsActiveGateCertificate(dk, flags) && agSecret !== undefined) {
      volumes.push(secretVolume("agcert", agSecret, [["server.crt", paths.activeGateCertFile]]))
      mounts.push({ name: "agcert", mountPath: paths.activeGateCertDir, readOnly: true })
    }
    const tlsRef = dk.spec.telemetryIngest?.tlsRefName ?? ""
    if (tlsRef !== "") {
      volumes.push(
        secretVolume("telemetry-ingest-custom-tls", tlsRef, [
          ["tls.crt", "tls.crt"],
          ["tls.key", "tls.key"]
        ])
      )
      mounts.push({ name: "telemetry-ingest-custom-tls", mountPath: paths.customTls, readOnly: true })
    }
    volumes.push({
      name: "telemetry-collector-config",
      configMap: { name: otelcNames(nameOf(dk)).configConfigMap }
    })
    mounts.push({ name: "telemetry-collector-config", mountPath: paths.config, readOnly: true })
  }
  return { volumes, mounts }
}

const proxyEnv = (name: string, dk: DynaKube): EnvVar => {
  const from = dk.spec.proxy?.valueFrom ?? ""
  return from === ""
    ? { name, value: dk.spec.proxy?.value ?? "" }
    : { name, valueFrom: { secretKeyRef: { name: from, key: "proxy" } } }
}

/** The `NO_PROXY` value: the apiserver, the EEC and ActiveGate Services, then the `no-proxy` flag's hosts. */
export const noProxy = (dk: DynaKube, flags: WorkloadFlags): string => {
  const hosts = ["$(KUBERNETES_SERVICE_HOST)", "kubernetes.default"]
  if (prometheusEnabled(dk)) hosts.push(extensionControllerFqdn(dk))
  if (isActiveGateEnabled(dk)) hosts.push(serviceHostname(dk))
  for (const host of flags.noProxy.split(",")) if (host.trim() !== "") hosts.push(host.trim())
  return hosts.join(",")
}

const fieldRef = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } })

const envVars = (dk: DynaKube, flags: WorkloadFlags, replicas: number): Array<EnvVar> => {
  const name = nameOf(dk)
  const env: Array<EnvVar> = [
    { name: "SHARDS", value: String(replicas) },
    { name: "POD_NAME_PREFIX", value: otelcNames(name).statefulSet },
    fieldRef("POD_NAME", "metadata.labels['statefulset.kubernetes.io/pod-name']"),
    fieldRef("SHARD_ID", "metadata.labels['apps.kubernetes.io/pod-index']"),
    { name: "OTLP_GRPC_PORT", value: "10001" },
    { name: "OTLP_HTTP_PORT", value: "10002" },
    { name: "K8S_CLUSTER_NAME", value: nonEmptyString(dk.status?.kubernetesClusterName) },
    { name: "K8S_CLUSTER_UID", value: nonEmptyString(dk.status?.kubeSystemUUID) },
    { name: "DT_ENTITY_KUBERNETES_CLUSTER", value: nonEmptyString(dk.status?.kubernetesClusterMEID) }
  ]
  if (hasProxy(dk)) {
    env.push(proxyEnv("HTTPS_PROXY", dk), proxyEnv("HTTP_PROXY", dk), { name: "NO_PROXY", value: noProxy(dk, flags) })
  }
  if (prometheusEnabled(dk)) {
    env.push(
      {
        name: "EEC_DS_TOKEN",
        valueFrom: {
          secretKeyRef: { name: Extensions.extensionNames(name).tokenSecret, key: Extensions.tokenKeys.datasource }
        }
      },
      { name: "SSL_CERT_DIR", value: eecCertDir },
      { name: "EXTENSIONS_CONTROLLER_TLS", value: `${eecCertDir}/tls.crt` }
    )
  }
  if (telemetryIngestEnabled(dk)) {
    env.push(
      { name: endpointKey, valueFrom: { configMapKeyRef: { name: endpointConfigMapName, key: endpointKey } } },
      fieldRef("MY_POD_IP", "status.podIP"),
      {
        name: dataIngestTokenEnv,
        valueFrom: { secretKeyRef: { name: nonEmptyString(dk.spec.tokens) ?? name, key: "dataIngestToken" } }
      }
    )
  }
  if (prometheusEnabled(dk) && (dk.spec.trustedCAs ?? "") !== "") {
    env.push({ name: "TRUSTED_CAS", value: `${paths.trustedCAsDir}/${paths.trustedCAsFile}` })
  }
  return env
}

const probe = (initialDelaySeconds: number, periodSeconds: number) => ({
  httpGet: { path: "/", port: ports.healthCheck, scheme: "HTTP" as const },
  initialDelaySeconds,
  periodSeconds,
  failureThreshold: 3,
  timeoutSeconds: 2,
  successThreshold: 1
})

const args = (dk: DynaKube): Array<string> => {
  const out: Array<string> = []
  if (prometheusEnabled(dk)) {
    out.push(
      `--config=eec://${extensionControllerFqdn(dk)}:${Extensions.datasourcePort}/otcconfig/prometheusMetrics#refresh-interval=5s&auth-file=${secretsTokensPath}/${Extensions.tokenKeys.datasource}`
    )
  }
  if (telemetryIngestEnabled(dk)) out.push(`--config=file://${paths.config}/${configKey}`)
  return out
}

/**
 * The collector StatefulSet. Write it with `ObjectSync.ensure` when {@link collectorEnabled} holds.
 * @category constructors
 * @since 0.1.0
 */
export const buildOtelCollectorStatefulSet = (input: OtelCollectorStatefulSetInput): StatefulSet => {
  const dk = input.dynakube
  const name = nameOf(dk)
  const template = dk.spec.templates?.otelCollector
  const replicas = template?.replicas ?? input.currentReplicas ?? 1
  const labels = appLabels(otelCollectorComponent, name, otelCollectorComponent, "")
  const match = appMatchLabels(otelCollectorComponent, name)
  const minor = input.operator.kubernetesMinorVersion
  const podAnnotations: Record<string, string> = {
    ...withoutAppArmorAnnotations(template?.annotations ?? {}, [containerName], minor)
  }
  if (prometheusEnabled(dk) && input.extensionsTlsHash !== undefined) {
    podAnnotations[annotations.extensionsSecretHash] = input.extensionsTlsHash
  }
  if (telemetryIngestEnabled(dk)) {
    if ((dk.spec.telemetryIngest?.tlsRefName ?? "") !== "" && input.telemetryIngestTlsHash !== undefined) {
      podAnnotations[annotations.telemetryIngestSecretHash] = input.telemetryIngestTlsHash
    }
    if (input.configText !== undefined)
      podAnnotations[annotations.configHash] = dataHash({ [configKey]: input.configText })
    if (input.dataIngestTokenHash !== undefined)
      podAnnotations[annotations.dataIngestTokenHash] = input.dataIngestTokenHash
  }
  const { volumes, mounts } = volumesAndMounts(dk, input.flags)
  const imageRef = template?.imageRef ?? {}
  const container: Container = {
    name: containerName,
    image: imageOf(imageRef),
    imagePullPolicy: imageRef.pullPolicy,
    securityContext: {
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: runAs,
      runAsGroup: runAs,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
      appArmorProfile: appArmorProfile(template?.annotations, containerName, minor)
    },
    env: envVars(dk, input.flags, replicas),
    resources: nonEmptyMap(template?.resources as Readonly<Record<string, unknown>> | undefined),
    args: nonEmptyList(args(dk)),
    volumeMounts: nonEmptyList(mounts),
    ...(telemetryIngestEnabled(dk) ? { livenessProbe: probe(10, 30), readinessProbe: probe(5, 10) } : {})
  }
  return prune<StatefulSet>({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: ownedMeta(dk, otelcNames(name).statefulSet, labels),
    spec: {
      replicas,
      selector: { matchLabels: match },
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      template: {
        metadata: { labels: { ...template?.labels, ...labels }, annotations: nonEmptyMap(podAnnotations) },
        spec: {
          containers: [container],
          volumes: nonEmptyList(volumes),
          serviceAccountName,
          nodeSelector: nonEmptyMap(template?.nodeSelector),
          tolerations: nonEmptyList(template?.tolerations),
          affinity: nodeAffinity(undefined),
          topologySpreadConstraints:
            nonEmptyList(template?.topologySpreadConstraints) ?? zoneAndNodeSpread(match, "DoNotSchedule"),
          securityContext: { fsGroup: runAs, seccompProfile: { type: "RuntimeDefault" } },
          imagePullSecrets: nonEmptyList(customPullSecrets(dk, input.operator.operatorPullSecret))
        }
      }
    }
  })
}

/** The selector changed (immutable): the StatefulSet must be recreated. @category predicates @since 0.1.0 */
export const recreateOtelCollectorStatefulSet = selectorChanged
