/**
 * Rules on `spec.activeGate`: known capabilities, persistent volume claim and ephemeral volume not both, extra
 * volumes that neither reuse the names or mount paths the operator uses nor have a source type outside the
 * allowed list; warnings for a missing memory limit and for `rollingUpdate` on Kubernetes older than 1.35.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { Capabilities } from "../../../../schemas/DynaKubeV1beta6.ts"
import * as Finding from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as View from "./View.ts"

/** Volume names the operator puts on the ActiveGate pod. @category constants @since 0.1.0 */
export const reservedVolumeNames: ReadonlyArray<string> = [
  "ag-authtoken-secret",
  "connection-info-secret",
  "server-certs",
  "trustedcas",
  "custom-properties",
  "deployment-properties",
  "internal-proxy-secret-volume",
  "eec-token",
  "kspm-token",
  "truststore-volume",
  "cert-tmp",
  "ag-lib-gateway-config",
  "ag-lib-gateway-temp",
  "ag-lib-gateway-data",
  "ag-lib-gateway-ssl",
  "ag-log-gateway",
  "ag-tmp-gateway"
]

const secretsDir = "/var/lib/dynatrace/secrets"

/** Mount paths the operator uses in the ActiveGate container. @category constants @since 0.1.0 */
export const reservedMountPaths: ReadonlyArray<string> = [
  `${secretsDir}/tokens/auth-token`,
  `${secretsDir}/tokens/tenant-token`,
  `${secretsDir}/tls`,
  `${secretsDir}/rootca`,
  "/var/lib/dynatrace/gateway/config_template/custom.properties",
  `${secretsDir}/config/deployment.properties`,
  `${secretsDir}/internal-proxy`,
  `${secretsDir}/eec/token`,
  `${secretsDir}/tokens/kspm/node-configuration-collector`,
  "/opt/dynatrace/gateway/jre/lib/security/cacerts",
  "/var/lib/dynatrace/gateway/config",
  "/var/lib/dynatrace/gateway/temp",
  "/var/lib/dynatrace/gateway/data",
  "/var/lib/dynatrace/gateway/ssl",
  "/var/log/dynatrace/gateway",
  "/var/tmp/dynatrace/gateway"
]

/** Volume sources an ActiveGate volume may use (what OpenShift's nonroot-v2 SCC admits). @category constants @since 0.1.0 */
export const allowedVolumeSources: ReadonlyArray<string> = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
  "image"
]

/** Kubernetes minor version from which the ActiveGate StatefulSet honours `rollingUpdate`. @category constants @since 0.1.0 */
export const minMinorForRollingUpdate = 35

/** @category messages @since 0.1.0 */
export const messages = {
  invalidCapability: (capability: string) =>
    `The DynaKube's ActiveGate section uses an unknown capability: ${capability}. Valid capabilities are ${Object.keys(Capabilities).join(", ")}.`,
  pvcAndEphemeral:
    "The DynaKube gives the ActiveGate a volumeClaimTemplate and also enables useEphemeralVolume. These settings exclude each other; choose one.",
  reservedVolumeName: (name: string) =>
    `The DynaKube's ActiveGate volume name ${name} is used by the operator itself. Choose a different name.`,
  reservedMountPath: (path: string) =>
    `The DynaKube's ActiveGate volume mount path ${path} is used by the operator itself. Choose a different path.`,
  disallowedVolumeType: (name: string) =>
    `The DynaKube's ActiveGate volume "${name}" has a volume type that is not allowed (allowed: ${allowedVolumeSources.join(", ")}).`,
  missingMemoryLimit: "The ActiveGate has no memory limit, so it may use excessive memory.",
  rollingUpdateOldKubernetes:
    "The ActiveGate rollingUpdate setting needs Kubernetes 1.35 or newer. This cluster is older, so the setting is ignored."
} as const

/** @category rules @since 0.1.0 */
export const invalidCapability = Finding.error("invalidActiveGateCapability", (ctx: DynaKubeContext) => {
  if (!View.isActiveGateEnabled(ctx.spec)) return undefined
  const unknown = (ctx.spec.activeGate?.capabilities ?? []).find((c) => !Object.hasOwn(Capabilities, c))
  return unknown === undefined ? undefined : messages.invalidCapability(unknown)
})

/** @category rules @since 0.1.0 */
export const pvcAndEphemeral = Finding.error("activeGatePvcAndEphemeral", (ctx: DynaKubeContext) =>
  ctx.spec.activeGate?.useEphemeralVolume === true &&
  ctx.spec.activeGate.volumeClaimTemplate !== undefined &&
  ctx.spec.activeGate.volumeClaimTemplate !== null
    ? messages.pvcAndEphemeral
    : undefined
)

/** @category rules @since 0.1.0 */
export const conflictingVolumes = Finding.error("activeGateConflictingVolumes", (ctx: DynaKubeContext) => {
  const volume = (ctx.spec.activeGate?.volumes ?? []).find((v) => reservedVolumeNames.includes(v.name))
  if (volume !== undefined) return messages.reservedVolumeName(volume.name)
  const mount = (ctx.spec.activeGate?.volumeMounts ?? []).find((m) => reservedMountPaths.includes(m.mountPath))
  return mount === undefined ? undefined : messages.reservedMountPath(mount.mountPath)
})

/** @category rules @since 0.1.0 */
export const disallowedVolumeType = Finding.error("activeGateDisallowedVolumeType", (ctx: DynaKubeContext) => {
  const volume = (ctx.spec.activeGate?.volumes ?? []).find(
    (v) => !allowedVolumeSources.some((source) => v[source] !== undefined && v[source] !== null)
  )
  return volume === undefined ? undefined : messages.disallowedVolumeType(volume.name)
})

/** @category rules @since 0.1.0 */
export const missingMemoryLimit = Finding.warning("activeGateMissingMemoryLimit", (ctx: DynaKubeContext) =>
  View.isActiveGateEnabled(ctx.spec) && ctx.spec.activeGate?.resources?.limits?.["memory"] === undefined
    ? messages.missingMemoryLimit
    : undefined
)

/** A failed version lookup skips the warning. @category rules @since 0.1.0 */
export const rollingUpdateOldKubernetes = Finding.warning(
  "activeGateRollingUpdateOldKubernetes",
  (ctx: DynaKubeContext) => {
    if (ctx.spec.activeGate?.rollingUpdate === undefined || ctx.spec.activeGate.rollingUpdate === null) return undefined
    return ctx.cluster.kubernetesMinorVersion.pipe(
      Effect.map((minor) => (minor < minMinorForRollingUpdate ? messages.rollingUpdateOldKubernetes : undefined)),
      Effect.orElseSucceed(() => undefined)
    )
  }
)
