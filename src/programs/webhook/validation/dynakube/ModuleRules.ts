/**
 * Rules that refuse features whose module the installation left out (`modules.json`, spec §2.1): the ActiveGate
 * (and its `kubernetes-monitoring` capability), extensions, log monitoring, KSPM (which also needs Kubernetes
 * monitoring) and the OneAgent DaemonSet.
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as View from "./View.ts"

/** The message for a module that is off. @category messages @since 0.1.0 */
export const moduleDisabled = (module: string): string =>
  `${module} was disabled when the operator was installed, so the resources ${module} needs do not exist in this cluster. Install the operator again with Helm with this module enabled.`

/** The message for a module another one depends on. @category messages @since 0.1.0 */
export const dependencyDisabled = (module: string, dependent: string): string =>
  `${module} was disabled when the operator was installed, and ${dependent} depends on it. Install the operator again with Helm with ${module} enabled.`

/** @category rules @since 0.1.0 */
export const activeGateModuleDisabled = Finding.error("activeGateModuleDisabled", (ctx: DynaKubeContext) => {
  if (View.isActiveGateEnabled(ctx.spec) && !ctx.modules.activeGate) return moduleDisabled("ActiveGate")
  if (View.isActiveGateKubernetesMonitoring(ctx.spec) && !ctx.modules.kubernetesMonitoring) {
    return moduleDisabled("KubernetesMonitoring")
  }
  return undefined
})

/** @category rules @since 0.1.0 */
export const extensionsModuleDisabled = Finding.error("extensionsModuleDisabled", (ctx: DynaKubeContext) =>
  View.isExtensionsEnabled(ctx.spec) && !ctx.modules.extensions ? moduleDisabled("Extensions") : undefined
)

/** @category rules @since 0.1.0 */
export const logMonitoringModuleDisabled = Finding.error("logMonitoringModuleDisabled", (ctx: DynaKubeContext) =>
  View.isLogMonitoringEnabled(ctx.spec) && !ctx.modules.logMonitoring ? moduleDisabled("LogMonitoring") : undefined
)

/** Both causes are reported in one finding, joined with a comma, as the original does. @category rules @since 0.1.0 */
export const kspmModuleDisabled = Finding.error("kspmModuleDisabled", (ctx: DynaKubeContext) => {
  if (!View.isKspmEnabled(ctx.spec)) return undefined
  const messages = [
    ...(ctx.modules.kspm ? [] : [moduleDisabled("KSPM")]),
    ...(ctx.modules.kubernetesMonitoring ? [] : [dependencyDisabled("KubernetesMonitoring", "KSPM")])
  ]
  return messages.join(",")
})

/** @category rules @since 0.1.0 */
export const oneAgentModuleDisabled = Finding.error("oneAgentModuleDisabled", (ctx: DynaKubeContext) =>
  View.isDaemonSetRequired(ctx.spec) && !ctx.modules.oneAgent ? moduleDisabled("OneAgent") : undefined
)
