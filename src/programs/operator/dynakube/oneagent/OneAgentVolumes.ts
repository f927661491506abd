/**
 * Volumes and mounts of the OneAgent pods (spec §2.2.4).
 *
 * | volume | source | mount in `dynatrace-oneagent` |
 * |---|---|---|
 * | `host-root` | hostPath `/` | `/mnt/root` (read-only in hostMonitoring / cloudNativeFullStack) |
 * | `dynatrace-operator` | emptyDir (written by the init container) | `/var/lib/dynatrace/enrichment/dt_node_metadata.properties` (subPath) |
 * | `connection-info-secret` | Secret `<dk>-oneagent-tenant-secret` (0444) | `/var/lib/dynatrace/secrets/tokens/tenant-token` (subPath `tenant-token`) |
 * | `osagent-storage` (read-only modes, CSI) | CSI `csi.oneagent.dynatrace.com`, `mode=host`, `dynakube=<dk>` | `/mnt/volume_storage_mount` |
 * | `volume-storage` (read-only modes, no CSI) | hostPath `storageHostPath` (DirectoryOrCreate) | `/mnt/volume_storage_mount` (subPath tenant UUID) |
 * | `bootstrapper-pgc` (PGC hash known) | Secret `<dk>-bootstrapper-config`, key `declarative.cbor` | `/mnt/volume_storage_mount/opt/agent/conf/declarative.cbor` |
 * | `dynatrace-cluster-ca` (`trustedCAs`) | ConfigMap, key `certs` → `certs.pem` | `/mnt/dynatrace/certs` |
 * | `active-gate-ca` (ActiveGate with certificate) | TLS Secret, key `server.crt` → `custom.pem` (0444) | `/mnt/dynatrace/certs/activegate` |
 * | `internal-proxy-secret-volume` (proxy) | Secret `<dk>-internal-proxy` (0444) | `/var/lib/dynatrace/secrets/internal-proxy` |
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { hasActiveGateCaCert, tlsSecretName } from "../activegate/Capabilities.ts"
import { isAppInjectionMode, isReadOnlyMode, type OneAgentMode, tenantUUID } from "./OneAgentMode.ts"
import type { WorkloadFlags } from "./WorkloadFlags.ts"
import { hasProxy, internalProxyMountPath, internalProxyVolumeName, nameOf, nonEmptyString } from "./WorkloadParts.ts"
import type { Volume, VolumeMount } from "./WorkloadTypes.ts"

/** Files are readable by every process: classicFullStack may copy them into instrumented containers. */
const globalReadMode = 0o444

/** @category constants @since 0.1.0 */
export const nodeMetadataDirectory = "/var/lib/dynatrace/enrichment"
/** @category constants @since 0.1.0 */
export const nodeMetadataFile = `${nodeMetadataDirectory}/dt_node_metadata.properties`
/** @category constants @since 0.1.0 */
export const nodeMetadataVolumeName = "dynatrace-operator"
/** @category constants @since 0.1.0 */
export const storageMountPath = "/mnt/volume_storage_mount"
/** @category constants @since 0.1.0 */
export const csiDriverName = "csi.oneagent.dynatrace.com"
/** Default `storageHostPath`. @category constants @since 0.1.0 */
export const defaultStorageHostPath = "/var/opt/dynatrace"

/**
 * Inputs of the volume layout.
 * @category models
 * @since 0.1.0
 */
export interface VolumeInput {
  readonly dynakube: DynaKube
  readonly mode: OneAgentMode
  readonly flags: WorkloadFlags
  readonly csiDriver: boolean
  readonly storageHostPath: string | undefined
  readonly processGroupingConfigHash: string | undefined
}

/** The OneAgent uses the proxy (deprecated flag `oneagent-ignore-proxy` off). @category predicates @since 0.1.0 */
export const needsOneAgentProxy = (dk: DynaKube, flags: WorkloadFlags): boolean =>
  !flags.oneAgentIgnoreProxy && hasProxy(dk)

/** The process-grouping config is mounted: a PGC-using mode and a known hash. */
const mountsPgc = (input: VolumeInput): boolean =>
  (isAppInjectionMode(input.mode) || input.mode === "hostMonitoring") && (input.processGroupingConfigHash ?? "") !== ""

/**
 * The volumes of the OneAgent pod.
 * @category volumes
 * @since 0.1.0
 */
export const oneAgentVolumes = (input: VolumeInput): Array<Volume> => {
  const dk = input.dynakube
  const name = nameOf(dk)
  const volumes: Array<Volume> = [
    { name: "host-root", hostPath: { path: "/" } },
    { name: nodeMetadataVolumeName, emptyDir: {} },
    {
      name: "connection-info-secret",
      secret: { secretName: `${name}-oneagent-tenant-secret`, defaultMode: globalReadMode }
    }
  ]
  if (isReadOnlyMode(input.mode)) {
    volumes.push(
      input.csiDriver
        ? {
            name: "osagent-storage",
            csi: { driver: csiDriverName, volumeAttributes: { mode: "host", dynakube: name } }
          }
        : {
            name: "volume-storage",
            hostPath: {
              path: nonEmptyString(input.storageHostPath) ?? defaultStorageHostPath,
              type: "DirectoryOrCreate"
            }
          }
    )
  }
  if (mountsPgc(input)) {
    volumes.push({
      name: "bootstrapper-pgc",
      secret: {
        secretName: `${name}-bootstrapper-config`,
        items: [{ key: "declarative.cbor", path: "declarative.cbor" }]
      }
    })
  }
  const trustedCAs = nonEmptyString(dk.spec.trustedCAs)
  if (trustedCAs !== undefined) {
    volumes.push({
      name: "dynatrace-cluster-ca",
      configMap: { name: trustedCAs, items: [{ key: "certs", path: "certs.pem" }] }
    })
  }
  if (hasActiveGateCaCert(dk, input.flags)) {
    volumes.push({
      name: "active-gate-ca",
      secret: {
        secretName: tlsSecretName(dk, input.flags),
        items: [{ key: "server.crt", path: "custom.pem" }],
        defaultMode: globalReadMode
      }
    })
  }
  if (needsOneAgentProxy(dk, input.flags)) {
    volumes.push({
      name: internalProxyVolumeName,
      secret: { secretName: `${name}-internal-proxy`, defaultMode: globalReadMode }
    })
  }
  return volumes
}

/**
 * The volume mounts of the `dynatrace-oneagent` container.
 * @category volumes
 * @since 0.1.0
 */
export const oneAgentVolumeMounts = (input: VolumeInput): Array<VolumeMount> => {
  const dk = input.dynakube
  const mounts: Array<VolumeMount> = [
    {
      name: "connection-info-secret",
      readOnly: true,
      mountPath: "/var/lib/dynatrace/secrets/tokens/tenant-token",
      subPath: "tenant-token"
    },
    {
      name: nodeMetadataVolumeName,
      readOnly: true,
      mountPath: nodeMetadataFile,
      subPath: "dt_node_metadata.properties"
    }
  ]
  if (isReadOnlyMode(input.mode)) {
    mounts.push({ name: "host-root", mountPath: "/mnt/root", readOnly: true })
    mounts.push(
      input.csiDriver
        ? { name: "osagent-storage", mountPath: storageMountPath }
        : { name: "volume-storage", mountPath: storageMountPath, subPath: tenantUUID(dk) }
    )
  } else {
    mounts.push({ name: "host-root", mountPath: "/mnt/root" })
  }
  if (nonEmptyString(dk.spec.trustedCAs) !== undefined) {
    mounts.push({ name: "dynatrace-cluster-ca", mountPath: "/mnt/dynatrace/certs" })
  }
  if (hasActiveGateCaCert(dk, input.flags)) {
    mounts.push({ name: "active-gate-ca", mountPath: "/mnt/dynatrace/certs/activegate" })
  }
  if (needsOneAgentProxy(dk, input.flags)) {
    mounts.push({ name: internalProxyVolumeName, mountPath: internalProxyMountPath })
  }
  if (mountsPgc(input)) {
    mounts.push({
      name: "bootstrapper-pgc",
      mountPath: `${storageMountPath}/opt/agent/conf/declarative.cbor`,
      subPath: "declarative.cbor",
      readOnly: true
    })
  }
  return mounts
}
