/**
 * What the CSI provisioner does for one DynaKube (spec §5.5, steps 2–7), decided from the DynaKube alone. Pure:
 * the same value drives the reconcile, its log line and the tests.
 *
 * | DynaKube                                                         | plan                                   |
 * |------------------------------------------------------------------|----------------------------------------|
 * | CSI module off (`modules.json` `csiDriver: false`, migration)    | `CleanupOnly` (requeue 30 min)         |
 * | neither app injection nor a read-only host agent                 | `CleanupOnly` (requeue 30 min)         |
 * | host agent only (`hostMonitoring`)                               | `CleanupOnly` + its directory (30 min) |
 * | app injection, custom `codeModulesImage` or FF `node-image-pull` | `Unsupported` (not implemented here)   |
 * | app injection, no `status.codeModules.version` yet               | `WaitForStatus` (requeue 1 min)        |
 * | app injection with a version                                     | `Install` into `codemodules/<version>` |
 *
 * The wanted version is the one the operator resolved into `status.codeModules.version` (spec §2.2.8: custom
 * version, public registry tag or the tenant's latest); the provisioner never asks the tenant for it, as the
 * original does, so a steady-state reconcile makes no tenant call at all.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import * as DataDir from "../DataDir.ts"
import type { DynaKubeView } from "../../programs/operator/nodes/NodeTenant.ts"

/** One-agent mode objects: set when present and not `null` (a Go nil pointer). */
interface ModeSpec {
  readonly codeModulesImage?: string | null | undefined
  readonly [key: string]: unknown
}

/**
 * The DynaKube fields the provisioner reads (plain JSON from the informer; everything optional).
 *
 * @category models
 * @since 0.1.0
 */
export interface ProvisionerDynaKube extends Omit<DynaKubeView, "spec" | "status"> {
  readonly spec?:
    | (NonNullable<DynaKubeView["spec"]> & {
        readonly oneAgent?:
          | {
              readonly classicFullStack?: ModeSpec | null | undefined
              readonly hostMonitoring?: ModeSpec | null | undefined
              readonly cloudNativeFullStack?: ModeSpec | null | undefined
              readonly applicationMonitoring?: ModeSpec | null | undefined
            }
          | null
          | undefined
      })
    | undefined
  readonly status?:
    | {
        readonly codeModules?:
          | {
              readonly version?: string | undefined
              readonly imageID?: string | undefined
              readonly source?: string | undefined
            }
          | undefined
        readonly [key: string]: unknown
      }
    | undefined
}

/**
 * The feature flag that moves extraction into a Job on the node (spec §5.5 step 7).
 *
 * @category constants
 * @since 0.1.0
 */
export const nodeImagePullAnnotation = "feature.dynatrace.com/node-image-pull"

/**
 * How long until the provisioner looks at a DynaKube again (spec Appendix A: 5 m / 30 m / 1 m).
 *
 * @category models
 * @since 0.1.0
 */
export interface Requeues {
  /** After a successful install (then the throttled clean-up runs). */
  readonly installed: Duration.Duration
  /** Nothing to install (clean-up only). */
  readonly idle: Duration.Duration
  /** Status not ready yet, or the tenant answered 429/503. */
  readonly short: Duration.Duration
}

/** @category constants @since 0.1.0 */
export const defaultRequeues: Requeues = {
  installed: Duration.minutes(5),
  idle: Duration.minutes(30),
  short: Duration.minutes(1)
}

/**
 * What a DynaKube needs from the node.
 *
 * @category models
 * @since 0.1.0
 */
export interface Needs {
  /** `cloudNativeFullStack` or `applicationMonitoring`: code modules for injected pods. */
  readonly appInjection: boolean
  /** `cloudNativeFullStack` or `hostMonitoring`: host agents with a CSI `host` volume. */
  readonly readOnlyHostAgent: boolean
}

const isSet = <A>(value: A | null | undefined): value is A => value !== undefined && value !== null

const nonEmpty = (value: string | null | undefined): string | undefined =>
  value === undefined || value === null || value.trim() === "" ? undefined : value

type Mode = "classicFullStack" | "hostMonitoring" | "cloudNativeFullStack" | "applicationMonitoring"

/** The OneAgent mode; the original's order when several are set (the validation webhook forbids that). */
const modeOf = (dk: ProvisionerDynaKube): Mode | undefined => {
  const oneAgent = dk.spec?.oneAgent
  if (!isSet(oneAgent)) return undefined
  for (const mode of ["classicFullStack", "hostMonitoring", "cloudNativeFullStack", "applicationMonitoring"] as const) {
    if (isSet(oneAgent[mode])) return mode
  }
  return undefined
}

/**
 * @category decisions
 * @since 0.1.0
 */
export const needsOf = (dk: ProvisionerDynaKube): Needs => {
  const mode = modeOf(dk)
  return {
    appInjection: mode === "cloudNativeFullStack" || mode === "applicationMonitoring",
    readOnlyHostAgent: mode === "cloudNativeFullStack" || mode === "hostMonitoring"
  }
}

/**
 * What to do for one DynaKube.
 *
 * @category models
 * @since 0.1.0
 */
export type Plan =
  | {
      readonly _tag: "CleanupOnly"
      readonly reason: "MigrationMode" | "NotNeeded" | "NoAppInjection"
      /** Create `_dynakubes/<dk>` (and `codemodules`) first: the DynaKube has a host agent that uses the driver. */
      readonly createDirectories: boolean
    }
  | { readonly _tag: "WaitForStatus" }
  | { readonly _tag: "Unsupported"; readonly message: string }
  | {
      readonly _tag: "Install"
      /** The version to download (`status.codeModules.version`). */
      readonly version: string
      /** Its directory name under `codemodules/`. */
      readonly dirName: string
    }

/**
 * @category models
 * @since 0.1.0
 */
export interface PlanOptions {
  /** `modules.json` `csiDriver` (false = migration mode: clean up only). */
  readonly csiDriverEnabled: boolean
}

/**
 * The plan for `dk` (spec §5.5 steps 2–7).
 *
 * @category decisions
 * @since 0.1.0
 */
export const plan = (dk: ProvisionerDynaKube, options: PlanOptions): Plan => {
  if (!options.csiDriverEnabled) return { _tag: "CleanupOnly", reason: "MigrationMode", createDirectories: false }
  const needs = needsOf(dk)
  if (!needs.appInjection && !needs.readOnlyHostAgent) {
    return { _tag: "CleanupOnly", reason: "NotNeeded", createDirectories: false }
  }
  if (!needs.appInjection) return { _tag: "CleanupOnly", reason: "NoAppInjection", createDirectories: true }

  const mode = modeOf(dk)
  const modeSpec = mode === undefined ? undefined : dk.spec?.oneAgent?.[mode]
  const customImage = nonEmpty(modeSpec?.codeModulesImage)
  if (customImage !== undefined) {
    return {
      _tag: "Unsupported",
      message:
        "Code modules from a custom codeModulesImage are not supported by this provisioner yet (OCI image extraction); remove codeModulesImage to download the zip from the tenant."
    }
  }
  if (dk.metadata?.annotations?.[nodeImagePullAnnotation]?.trim().toLowerCase() === "true") {
    return {
      _tag: "Unsupported",
      message: `The feature flag ${nodeImagePullAnnotation} (extraction by a Job on the node) is not supported by this provisioner yet; remove it to download the zip from the tenant.`
    }
  }
  const version = nonEmpty(dk.status?.codeModules?.version)
  if (version === undefined) return { _tag: "WaitForStatus" }
  const dirName = DataDir.codeModuleDirName(version)
  if (!DataDir.isSafeComponent(dirName)) {
    return { _tag: "Unsupported", message: "status.codeModules.version is too long to name a directory." }
  }
  return { _tag: "Install", version, dirName }
}
