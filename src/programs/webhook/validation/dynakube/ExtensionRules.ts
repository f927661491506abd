/**
 * Extensions (`spec.extensions`): the Extension Execution Controller needs an image (unless the public registry is
 * used) and either a persistent volume claim or an ephemeral volume; SQL database executors need an image, every
 * volume mount needs a volume, mount paths must be absolute and outside the executor's own mounts, every volume
 * must be mounted. Warnings: another DynaKube with extensions for the same environment, extensions without
 * Kubernetes monitoring, hostPath volumes (refused by OpenShift's SCC), and the OpenTelemetry collector image.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as Finding from "../Finding.ts"
import * as GoPath from "../support/GoPath.ts"
import { toSecondGen } from "./ApiUrlRules.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as Flags from "./Flags.ts"
import * as View from "./View.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  eecImageMissing:
    "The DynaKube enables extensions, but spec.templates.extensionExecutionController.imageRef names no image (repository and tag or digest).",
  eecPvcAndEphemeral:
    "The DynaKube gives the extension controller a persistentVolumeClaim and also enables useEphemeralVolume. These settings exclude each other; choose one.",
  databaseImageMissing:
    "The DynaKube enables database extensions, but spec.templates.sqlExtensionExecutor.imageRef names no image (repository and tag or digest).",
  mountWithoutVolume: (name: string) => `The database volume mount ${name} refers to no database volume of that name.`,
  mountPathNotAbsolute: (path: string) => `The database volume mount path ${path} is not absolute.`,
  mountPathConflict: (path: string, reserved: string) =>
    `The database volume mount path ${path} conflicts with the executor's own mount ${reserved}. Choose another path.`,
  unusedVolumes: (names: ReadonlyArray<string>) =>
    `The database volume(s) ${names.join(", ")} are not mounted. Mount every database volume the DynaKube defines.`,
  otelImageMissing:
    "The DynaKube uses the OpenTelemetry collector (telemetryIngest or Prometheus extensions), but spec.templates.otelCollector.imageRef names no image (repository and tag or digest).",
  sameApiUrl: (name: string) =>
    `The DynaKube '${name}' in this namespace already enables extensions for the same spec.apiUrl. Two DynaKubes with extensions for one environment can distort "sum" and "count" metrics and double the billing.`,
  withoutKubernetesMonitoring:
    "The DynaKube enables extensions without an ActiveGate with the kubernetes-monitoring capability and the automatic-kubernetes-api-monitoring feature flag. Make sure Kubernetes monitoring is set up for this cluster.",
  hostPathVolume:
    "A database volume is a hostPath volume. On OpenShift the default SCC forbids hostPath volumes and the executor will silently fail; create and bind the roles it needs if you want this.",
  otelTemplateIgnored:
    "spec.templates.otelCollector is ignored because spec.telemetryIngest is not set. Remove spec.templates.otelCollector.imageRef or enable spec.telemetryIngest."
} as const

/** @category rules @since 0.1.0 */
export const eecImageMissing = Finding.error("extensionControllerImageMissing", (ctx: DynaKubeContext) =>
  View.isExtensionsEnabled(ctx.spec) &&
  !Flags.isPublicRegistry(ctx.annotations, ctx.platformToken) &&
  !View.hasImage(ctx.spec.templates?.extensionExecutionController?.imageRef)
    ? messages.eecImageMissing
    : undefined
)

/** @category rules @since 0.1.0 */
export const eecPvcAndEphemeral = Finding.error("extensionControllerPvcAndEphemeral", (ctx: DynaKubeContext) => {
  const eec = ctx.spec.templates?.extensionExecutionController
  return View.isExtensionsEnabled(ctx.spec) &&
    eec?.useEphemeralVolume === true &&
    eec.persistentVolumeClaim !== undefined &&
    eec.persistentVolumeClaim !== null
    ? messages.eecPvcAndEphemeral
    : undefined
})

/** @category rules @since 0.1.0 */
export const otelCollectorImageMissing = Finding.error("otelCollectorImageMissing", (ctx: DynaKubeContext) =>
  (View.isTelemetryIngestEnabled(ctx.spec) || View.isPrometheusEnabled(ctx.spec)) &&
  !View.hasImage(ctx.spec.templates?.otelCollector?.imageRef)
    ? messages.otelImageMissing
    : undefined
)

/** @category rules @since 0.1.0 */
export const databaseImageMissing = Finding.error("databaseExecutorImageMissing", (ctx: DynaKubeContext) =>
  View.isDatabasesEnabled(ctx.spec) &&
  !Flags.isPublicRegistry(ctx.annotations, ctx.platformToken) &&
  !View.hasImage(ctx.spec.templates?.sqlExtensionExecutor?.imageRef)
    ? messages.databaseImageMissing
    : undefined
)

/** The executor's own mounts; `/var/ssl-certs/user` only with trusted CAs. @category constants @since 0.1.0 */
export const defaultDatabaseMountPaths = (trustedCAs: boolean): ReadonlyArray<string> => [
  "/tmp",
  "/var/run/dynatrace/executor/token",
  "/var/ssl-certs/dynatrace",
  ...(trustedCAs ? ["/var/ssl-certs/user"] : [])
]

/** @category rules @since 0.1.0 */
export const databaseVolumeMounts = Finding.error("databaseVolumeMounts", (ctx: DynaKubeContext) => {
  if (!View.isDatabasesEnabled(ctx.spec)) return undefined
  const reserved = defaultDatabaseMountPaths((ctx.spec.trustedCAs ?? "") !== "")
  for (const database of ctx.spec.extensions?.databases ?? []) {
    for (const mount of database.volumeMounts ?? []) {
      if (!(database.volumes ?? []).some((v) => v.name === mount.name)) return messages.mountWithoutVolume(mount.name)
      for (const path of reserved) {
        const rel = GoPath.rel(path, mount.mountPath)
        if (rel === undefined) return messages.mountPathNotAbsolute(mount.mountPath)
        // Inside (or equal to, or the direct parent of) a reserved mount.
        if (!rel.startsWith("../")) return messages.mountPathConflict(mount.mountPath, path)
      }
    }
  }
  return undefined
})

/** @category rules @since 0.1.0 */
export const unusedDatabaseVolumes = Finding.error("unusedDatabaseVolumes", (ctx: DynaKubeContext) => {
  if (!View.isDatabasesEnabled(ctx.spec)) return undefined
  const unused = (ctx.spec.extensions?.databases ?? []).flatMap((database) =>
    (database.volumes ?? [])
      .filter((v) => !(database.volumeMounts ?? []).some((m) => m.name === v.name))
      .map((v) => v.name)
  )
  return unused.length > 0 ? messages.unusedVolumes(unused) : undefined
})

// ---------------------------------------------------------------------------------------------------------------
// Warnings

/** A failed list skips the check. @category rules @since 0.1.0 */
export const sameApiUrlWithExtensions = Finding.warning("sameApiUrlWithExtensions", (ctx: DynaKubeContext) => {
  if (!View.isExtensionsEnabled(ctx.spec)) return undefined
  const apiUrl = toSecondGen(ctx.spec.apiUrl)
  return ctx.cluster.dynaKubes.pipe(
    Effect.map((items) => {
      const other = items.find(
        (item) =>
          (item.metadata?.name ?? "") !== ctx.name &&
          View.isExtensionsEnabled(item.spec) &&
          toSecondGen(item.spec.apiUrl) === apiUrl
      )
      return other === undefined ? undefined : messages.sameApiUrl(other.metadata?.name ?? "")
    }),
    Effect.orElseSucceed(() => undefined)
  )
})

/** @category rules @since 0.1.0 */
export const extensionsWithoutKubernetesMonitoring = Finding.warning(
  "extensionsWithoutKubernetesMonitoring",
  (ctx: DynaKubeContext) =>
    View.isExtensionsEnabled(ctx.spec) &&
    (!View.isActiveGateKubernetesMonitoring(ctx.spec) || !Flags.isAutomaticK8sApiMonitoring(ctx.annotations))
      ? messages.withoutKubernetesMonitoring
      : undefined
)

/** @category rules @since 0.1.0 */
export const hostPathDatabaseVolume = Finding.warning("hostPathDatabaseVolume", (ctx: DynaKubeContext) =>
  View.isDatabasesEnabled(ctx.spec) &&
  (ctx.spec.extensions?.databases ?? []).some((d) =>
    (d.volumes ?? []).some((v) => v["hostPath"] !== undefined && v["hostPath"] !== null)
  )
    ? messages.hostPathVolume
    : undefined
)

/** @category rules @since 0.1.0 */
export const otelCollectorTemplateIgnored = Finding.warning("otelCollectorTemplateIgnored", (ctx: DynaKubeContext) =>
  !View.isTelemetryIngestEnabled(ctx.spec) && View.isImageRefSet(ctx.spec.templates?.otelCollector?.imageRef)
    ? messages.otelTemplateIgnored
    : undefined
)
