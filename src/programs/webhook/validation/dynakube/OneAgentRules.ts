/**
 * Rules on `spec.oneAgent`: one mode at most, a well-formed custom version, installer arguments (no repeated keys
 * except `--set-host-property`/`--set-host-tag`, no `--set-host-id-source` in cloudNativeFullStack), no two host
 * agents on one node, volume storage in read-only modes, code modules for node image pull; and the warnings about
 * deprecated or ignored settings.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { AutoUpdateAnnotation } from "../../../../schemas/DynaKubeConversion.ts"
import type * as V6 from "../../../../schemas/DynaKubeV1beta6.ts"
import * as Finding from "../Finding.ts"
import * as GoSemver from "../support/GoSemver.ts"
import { toSecondGen } from "./ApiUrlRules.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as Flags from "./Flags.ts"
import * as View from "./View.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  multipleModes: "The DynaKube sets more than one OneAgent mode; only one mode can be used at a time.",
  invalidVersion: "The OneAgent version must have the form major.minor.patch.timestamp, e.g. 1.0.0.20240101-000000.",
  duplicateArgument: (key: string) =>
    `${key} is given more than once; only --set-host-property and --set-host-tag may be repeated.`,
  duplicateHostTags: (tags: ReadonlyArray<string>) =>
    `The same host tag(s) (${tags.join(", ")}) are given more than once with --set-host-tag.`,
  hostIdSourceInCloudNative: "--set-host-id-source cannot be used in cloudNativeFullStack mode.",
  nodeSelectorConflict: (names: ReadonlyArray<string>) =>
    `The DynaKube's OneAgents or standalone log monitoring would run on the same nodes as those of another DynaKube, and only one agent per node is supported. Use a nodeSelector to separate them. Conflicting DynaKubes: ${names.join(", ")}`,
  volumeStorageReadOnly:
    "The DynaKube uses a read-only host file system, but the OneAgent environment turns volume storage off (ONEAGENT_ENABLE_VOLUME_STORAGE is not true).",
  nodeImagePullWithoutImage:
    "The DynaKube enables node image pull, but sets no code modules image and does not use the public registry.",
  installerEnvVars:
    "ONEAGENT_INSTALLER_SCRIPT_URL and ONEAGENT_INSTALLER_TOKEN only matter for an unsupported OneAgent image; use a supported image.",
  hostGroupParameter:
    "The DynaKube sets the host group with the --set-host-group argument. Use spec.oneAgent.hostGroup instead; when both are set, the field wins.",
  maxUnavailableWithRollingUpdate:
    'The DynaKube sets both the deprecated feature flag "oneagent-max-unavailable" and a rollingUpdate configuration. Use only rollingUpdate.',
  autoUpdate:
    "The autoUpdate field is deprecated. Automatic updates are now configured in the Dynatrace environment; see the documentation.",
  deprecatedVersion: (replacement: string) =>
    `The version field is deprecated. Set the version with the "${replacement}" field instead.`,
  deprecatedVersionIgnored:
    "The version field is deprecated and ignored with the public registry. Remove it from the DynaKube."
} as const

const enableVolumeStorageEnv = "ONEAGENT_ENABLE_VOLUME_STORAGE"

/** @category rules @since 0.1.0 */
export const oneAgentVersion = Finding.error("oneAgentVersion", (ctx: DynaKubeContext) => {
  const version = View.customVersion(ctx.spec)
  if (version === "") return undefined
  // The dots of the original's pattern are not escaped, so any character separates the parts.
  const valid = GoSemver.isSemverConvertible(version) && /^\d+.\d+.\d+.\d{8}-\d{6}$/.test(version)
  return valid ? undefined : messages.invalidVersion
})

/** @category rules @since 0.1.0 */
export const duplicateOneAgentArguments = Finding.error("duplicateOneAgentArguments", (ctx: DynaKubeContext) => {
  for (const [key, values] of View.argsByKey(ctx.spec)) {
    if (key !== "--set-host-property" && key !== "--set-host-tag" && values.length > 1) {
      return messages.duplicateArgument(key)
    }
    if (key === "--set-host-tag") {
      const seen = new Map<string, number>()
      const duplicates: Array<string> = []
      for (const value of values) {
        const count = (seen.get(value) ?? 0) + 1
        seen.set(value, count)
        if (count === 2) duplicates.push(value)
      }
      if (duplicates.length > 0) return messages.duplicateHostTags(duplicates)
    }
  }
  return undefined
})

/** @category rules @since 0.1.0 */
export const hostIdSourceArgument = Finding.error("hostIdSourceArgument", (ctx: DynaKubeContext) =>
  View.isMode(ctx.spec, "cloudNativeFullStack") && View.argsByKey(ctx.spec).has("--set-host-id-source")
    ? messages.hostIdSourceInCloudNative
    : undefined
)

/** @category rules @since 0.1.0 */
export const multipleOneAgentModes = Finding.error("multipleOneAgentModes", (ctx: DynaKubeContext) =>
  View.modes(ctx.spec).length > 1 ? messages.multipleModes : undefined
)

type Selector = Readonly<Record<string, string>> | undefined

/** `hasConflictingMatchLabels`: nil or empty selects every node; else one selector's labels satisfy the other. */
const within = (x: Readonly<Record<string, string>>, y: Readonly<Record<string, string>>) =>
  Object.entries(x).every(([k, v]) => y[k] === v)

const selectorsOverlap = (a: Selector, b: Selector): boolean =>
  a === undefined || b === undefined || within(a, b) || within(b, a)

const selectorOf = (spec: V6.DynaKubeSpec, fallbackFrom: V6.DynaKubeSpec): Selector =>
  View.nodeSelector(spec, View.logMonitoringNodeSelector(fallbackFrom))

const logMonitoringConflict = (a: V6.DynaKubeSpec, b: V6.DynaKubeSpec): boolean =>
  View.isLogMonitoringStandalone(a) &&
  toSecondGen(a.apiUrl) === toSecondGen(b.apiUrl) &&
  (View.isDaemonSetRequired(b) || View.isLogMonitoringStandalone(b)) &&
  selectorsOverlap(selectorOf(a, a), selectorOf(b, b))

const oneAgentConflict = (a: V6.DynaKubeSpec, b: V6.DynaKubeSpec): boolean =>
  View.isDaemonSetRequired(a) &&
  (View.isDaemonSetRequired(b) ||
    (View.isLogMonitoringStandalone(b) && toSecondGen(a.apiUrl) === toSecondGen(b.apiUrl))) &&
  selectorsOverlap(selectorOf(a, a), selectorOf(b, b))

/**
 * Another DynaKube in the namespace runs host agents (or standalone log monitoring for the same environment) on
 * nodes this one selects too. A failed list skips the check.
 * @category rules
 * @since 0.1.0
 */
export const conflictingNodeSelector = Finding.error("conflictingNodeSelector", (ctx: DynaKubeContext) => {
  const spec = ctx.spec
  if (!View.isDaemonSetRequired(spec) && !View.isLogMonitoringStandalone(spec)) return undefined
  return ctx.cluster.dynaKubes.pipe(
    Effect.map((items) => {
      const own = selectorOf(spec, spec)
      const conflicting = items
        .filter((item) => (item.metadata?.name ?? "") !== ctx.name)
        .filter(
          (item) =>
            (logMonitoringConflict(spec, item.spec) || oneAgentConflict(spec, item.spec)) &&
            // The other DynaKube's fallback selector is this one's log-monitoring selector, as in the original.
            selectorsOverlap(own, selectorOf(item.spec, spec))
        )
        .map((item) => item.metadata?.name ?? "")
      const names = [...new Set(conflicting)].toSorted()
      return names.length > 0 ? messages.nodeSelectorConflict(names) : undefined
    }),
    Effect.orElseSucceed(() => undefined)
  )
})

/** @category rules @since 0.1.0 */
export const volumeStorageReadOnly = Finding.error("volumeStorageReadOnly", (ctx: DynaKubeContext) => {
  const variable = View.findEnv(ctx.spec, enableVolumeStorageEnv)
  return View.isReadOnlyFs(ctx.spec) && variable !== undefined && variable.value !== "true"
    ? messages.volumeStorageReadOnly
    : undefined
})

/** @category rules @since 0.1.0 */
export const nodeImagePullWithoutImage = Finding.error("nodeImagePullWithoutImage", (ctx: DynaKubeContext) =>
  View.isAppInjection(ctx.spec) &&
  Flags.isNodeImagePull(ctx.annotations) &&
  View.codeModulesImage(ctx.spec) === "" &&
  !Flags.isPublicRegistry(ctx.annotations, ctx.platformToken)
    ? messages.nodeImagePullWithoutImage
    : undefined
)

// ---------------------------------------------------------------------------------------------------------------
// Warnings

/** @category rules @since 0.1.0 */
export const installerEnvVars = Finding.warning("installerEnvVars", (ctx: DynaKubeContext) =>
  View.findEnv(ctx.spec, "ONEAGENT_INSTALLER_SCRIPT_URL") !== undefined ||
  View.findEnv(ctx.spec, "ONEAGENT_INSTALLER_TOKEN") !== undefined
    ? messages.installerEnvVars
    : undefined
)

/** @category rules @since 0.1.0 */
export const hostGroupParameter = Finding.warning("hostGroupParameter", (ctx: DynaKubeContext) =>
  View.hostGroupAsParam(ctx.spec) !== "" ? messages.hostGroupParameter : undefined
)

/** @category rules @since 0.1.0 */
export const maxUnavailableWithRollingUpdate = Finding.warning(
  "maxUnavailableWithRollingUpdate",
  (ctx: DynaKubeContext) =>
    Flags.isSet(ctx.annotations, Flags.keys.oneAgentMaxUnavailable) &&
    (View.hasHostModeRollingUpdate(ctx.spec) ||
      (ctx.spec.templates?.logMonitoring?.rollingUpdate !== undefined &&
        ctx.spec.templates.logMonitoring.rollingUpdate !== null))
      ? messages.maxUnavailableWithRollingUpdate
      : undefined
)

/** Whether the conversion stashed a v1beta5 `autoUpdate` (JSON that decodes into a bool) on the object. */
const hasAutoUpdate = (ctx: DynaKubeContext): boolean => {
  const raw = ctx.annotations[AutoUpdateAnnotation]
  if (raw === undefined) return false
  try {
    const value: unknown = JSON.parse(raw)
    return typeof value === "boolean" || value === null
  } catch {
    return false
  }
}

/** @category rules @since 0.1.0 */
export const deprecatedAutoUpdate = Finding.warning("deprecatedAutoUpdate", (ctx: DynaKubeContext) =>
  View.isDaemonSetRequired(ctx.spec) && hasAutoUpdate(ctx) ? messages.autoUpdate : undefined
)

/** @category rules @since 0.1.0 */
export const deprecatedVersionField = Finding.warning("deprecatedVersionField", (ctx: DynaKubeContext) => {
  if (View.customVersion(ctx.spec) === "") return undefined
  if (Flags.isPublicRegistry(ctx.annotations, ctx.platformToken)) return messages.deprecatedVersionIgnored
  if (View.isMode(ctx.spec, "applicationMonitoring")) return messages.deprecatedVersion("codeModulesImage")
  if (View.isMode(ctx.spec, "cloudNativeFullStack")) return messages.deprecatedVersion("image and/or codeModulesImage")
  return messages.deprecatedVersion("image")
})
