/**
 * KSPM (`spec.kspm`): at most one ActiveGate or kubemon replica, automatic Kubernetes-monitoring registration, a
 * node-collector image, and `mappedHostPaths` that are absolute and either `/` alone or specific paths; a warning
 * when no paths are mapped.
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import * as GoPath from "../support/GoPath.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as View from "./View.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  tooManyReplicas:
    "The DynaKube enables KSPM with more than one ActiveGate or kubernetesMonitoring replica; KSPM works with exactly one.",
  noRegistration:
    "The DynaKube enables KSPM, which needs either spec.kubernetesMonitoring with registration, or an ActiveGate with the kubernetes-monitoring capability and the automatic-kubernetes-api-monitoring feature flag on.",
  imageMissing:
    "The DynaKube enables KSPM, but spec.templates.kspmNodeConfigurationCollector.imageRef names no image (repository and tag or digest).",
  noHostPaths: "The DynaKube enables KSPM, but spec.kspm.mappedHostPaths is empty.",
  rootWithOthers: "The DynaKube's spec.kspm.mappedHostPaths must contain either '/' alone or specific paths, not both.",
  relativePath: (path: string) =>
    `The DynaKube's spec.kspm.mappedHostPaths contains a relative path (${path}); only absolute paths are allowed.`
} as const

/** @category rules @since 0.1.0 */
export const tooManyReplicas = Finding.error("kspmTooManyReplicas", (ctx: DynaKubeContext) => {
  if (!View.isKspmEnabled(ctx.spec)) return undefined
  const kubemon =
    View.isKubemonEnabled(ctx.spec, ctx.kubemonOperand) && (ctx.spec.kubernetesMonitoring?.replicas ?? 0) > 1
  const activeGate = View.isActiveGateKubernetesMonitoring(ctx.spec) && View.activeGateReplicas(ctx.spec) > 1
  return kubemon || activeGate ? messages.tooManyReplicas : undefined
})

/** @category rules @since 0.1.0 */
export const imageMissing = Finding.error("kspmImageMissing", (ctx: DynaKubeContext) =>
  View.isKspmEnabled(ctx.spec) && !View.hasImage(ctx.spec.templates?.kspmNodeConfigurationCollector?.imageRef)
    ? messages.imageMissing
    : undefined
)

/** @category rules @since 0.1.0 */
export const withoutRegistration = Finding.error("kspmWithoutKubernetesMonitoring", (ctx: DynaKubeContext) =>
  View.isKspmEnabled(ctx.spec) &&
  !View.isKubernetesMonitoringRegistration(ctx.spec, ctx.annotations, ctx.kubemonOperand)
    ? messages.noRegistration
    : undefined
)

/** @category rules @since 0.1.0 */
export const rootWithOtherPaths = Finding.error("kspmRootHostPath", (ctx: DynaKubeContext) => {
  if (!View.isKspmEnabled(ctx.spec)) return undefined
  const paths = View.uniqueMappedHostPaths(ctx.spec)
  return paths.includes("/") && paths.length > 1 ? messages.rootWithOthers : undefined
})

/** @category rules @since 0.1.0 */
export const relativePath = Finding.error("kspmRelativeHostPath", (ctx: DynaKubeContext) => {
  if (!View.isKspmEnabled(ctx.spec)) return undefined
  const path = View.uniqueMappedHostPaths(ctx.spec).find((p) => !GoPath.isAbs(p))
  return path === undefined ? undefined : messages.relativePath(path)
})

/** @category rules @since 0.1.0 */
export const noHostPaths = Finding.warning("kspmNoMappedHostPaths", (ctx: DynaKubeContext) =>
  View.isKspmEnabled(ctx.spec) && View.uniqueMappedHostPaths(ctx.spec).length === 0 ? messages.noHostPaths : undefined
)
