/**
 * Which image and version each component runs (spec §2.2.8), recorded in the status as a VersionStatus
 * `{source, imageID, version, lastProbeTimestamp}` that the workload builders read.
 *
 * Source precedence: a custom image (`custom-image`); the public registry (feature flag `use-public-registry`, or a
 * platform token) through the fleet-management container images; a custom version (`custom-version`); else the
 * tenant registry: the latest version the tenant offers, image `<apiUrl host>/linux/<oneagent|activegate>:<version>-raw`.
 *
 * - The tenant is asked only when the recorded answer is missing, of another source, or older than the request
 *   threshold, so steady-state reconciles neither call the tenant nor move `lastProbeTimestamp`.
 * - Auto-update off (OneAgent: version or image set; ActiveGate: feature flag) ⇒ only the first resolution.
 * - A tenant-registry OneAgent downgrade is refused (the old version stays; condition `OneAgentVersion=False`).
 * - A failure keeps the previous value when there is one (429/503 still requeue the whole reconcile).
 * - Code modules with a custom version get `status.codeModules.version` only (no API call, no image).
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import type { VersionStatus } from "../../../schemas/Shared.ts"
import { isUnreachable } from "../../../services/DynatraceApiError.ts"
import * as Controller from "../runtime/Controller.ts"
import {
  condition,
  InvalidDynaKube,
  isStale,
  nowTime,
  type Phase,
  type ReconcileScope,
  removeCondition,
  setCondition,
  updateStatus
} from "./ReconcileScope.ts"

export type VersionedComponent = "oneAgent" | "activeGate" | "codeModules"

export const conditionTypes: Readonly<Record<VersionedComponent, string>> = {
  oneAgent: "OneAgentVersion",
  activeGate: "ActiveGateVersion",
  codeModules: "CodeModulesVersion"
}

export const reasons = {
  resolved: "VersionResolved",
  downgradeRefused: "DowngradeRefused",
  failed: "VersionResolutionFailed"
} as const

const publicType: Readonly<Record<VersionedComponent, string>> = {
  oneAgent: "oneagent",
  activeGate: "activegate",
  codeModules: "codemodules"
}

const versionParts = (v: string) =>
  v
    .split(/[^0-9]+/)
    .filter((p) => p !== "")
    .map(Number)

/** Compares `major.minor.patch.YYYYMMDD-HHMMSS` versions numerically, part by part. */
export const compareVersions = (a: string, b: string): number => {
  const x = versionParts(a)
  const y = versionParts(b)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** What the spec says about one component's version. */
export interface VersionInput {
  readonly component: VersionedComponent
  readonly customImage: string | undefined
  readonly customVersion: string | undefined
  readonly autoUpdate: boolean
}

const inputOf = (scope: ReconcileScope, component: VersionedComponent): VersionInput => {
  const f = scope.features
  switch (component) {
    case "oneAgent":
      return {
        component,
        customImage: f.oneAgentCustomImage,
        customVersion: f.oneAgentCustomVersion,
        autoUpdate: f.oneAgentCustomImage === undefined && f.oneAgentCustomVersion === undefined
      }
    case "activeGate": {
      const image = scope.dk.spec.activeGate?.image
      return {
        component,
        customImage: image === undefined || image === "" ? undefined : image,
        customVersion: undefined,
        autoUpdate: scope.flags.activeGateUpdates
      }
    }
    case "codeModules":
      return {
        component,
        customImage: f.codeModulesImage,
        customVersion: f.codeModulesVersion,
        autoUpdate: f.codeModulesVersion === undefined
      }
  }
}

const previousOf = (scope: ReconcileScope, component: VersionedComponent): VersionStatus | undefined => {
  const s = component === "codeModules" ? scope.oldStatus.codeModules : scope.oldStatus[component]
  if (s === undefined || s.source === undefined) return undefined
  const { source, imageID, version, type, lastProbeTimestamp } = s
  return { source, imageID, version, type, lastProbeTimestamp } as VersionStatus
}

const needed = (scope: ReconcileScope, component: VersionedComponent): boolean =>
  component === "oneAgent"
    ? scope.features.hostAgent
    : component === "activeGate"
      ? scope.features.activeGate
      : scope.features.appInjection

const write = (scope: ReconcileScope, component: VersionedComponent, version: VersionStatus | undefined) => {
  const fields = ["source", "imageID", "version", "type", "lastProbeTimestamp"] as const
  if (component === "codeModules") {
    updateStatus(scope, { codeModules: version })
    return
  }
  const current: Record<string, unknown> = { ...scope.status[component] }
  for (const f of fields) delete current[f]
  const next = { ...current, ...version }
  updateStatus(scope, { [component]: Object.keys(next).length === 0 ? undefined : next })
}

/** Resolves one component; returns what to record. */
const resolve = (scope: ReconcileScope, input: VersionInput) =>
  Effect.gen(function* () {
    const tenant = scope.tenant!
    const host = tenant.api.apiUrl.rawHost
    const now = nowTime(scope)
    if (input.customImage !== undefined) {
      return {
        source: "custom-image",
        imageID: input.customImage,
        version: "custom-image",
        lastProbeTimestamp: now
      } as const
    }
    if (tenant.publicRegistry) {
      const images = yield* tenant.api.containerImages(scope.dk.spec.publicRegistryOverride)
      const wanted = publicType[input.component]
      const image = images.find((i) => i.type === wanted)
      if (image === undefined) {
        return yield* new InvalidDynaKube({ message: `the tenant offers no public ${wanted} image` })
      }
      return {
        source: "public-registry",
        imageID: image.imageUri,
        version: image.tag,
        lastProbeTimestamp: now
      } as const
    }
    if (input.customVersion !== undefined) {
      return input.component === "codeModules"
        ? ({ source: "custom-version", version: input.customVersion, lastProbeTimestamp: now } as const)
        : ({
            source: "custom-version",
            imageID: `${host}/linux/oneagent:${input.customVersion}-raw`,
            version: input.customVersion,
            lastProbeTimestamp: now
          } as const)
    }
    switch (input.component) {
      case "oneAgent": {
        const version = yield* tenant.api.latestAgentVersion({ type: "default" })
        return {
          source: "tenant-registry",
          imageID: `${host}/linux/oneagent:${version}-raw`,
          version,
          lastProbeTimestamp: now
        } as const
      }
      case "activeGate": {
        const version = yield* tenant.api.latestActiveGateVersion
        return {
          source: "tenant-registry",
          imageID: `${host}/linux/activegate:${version}-raw`,
          version,
          lastProbeTimestamp: now
        } as const
      }
      case "codeModules": {
        const version = yield* tenant.api.latestAgentVersion({ type: "paas" })
        return { source: "tenant-registry", version, lastProbeTimestamp: now } as const
      }
    }
  })

/** The source the inputs select, to notice a change of source without asking the tenant. */
const expectedSource = (scope: ReconcileScope, input: VersionInput): VersionStatus["source"] =>
  input.customImage !== undefined
    ? "custom-image"
    : scope.tenant?.publicRegistry === true
      ? "public-registry"
      : input.customVersion !== undefined
        ? "custom-version"
        : "tenant-registry"

/** Whether the recorded version must be (re)resolved now. */
export const needsProbe = (
  scope: ReconcileScope,
  input: VersionInput,
  previous: VersionStatus | undefined
): boolean => {
  if (previous === undefined) return true
  if (previous.source !== expectedSource(scope, input)) return true
  if (input.customImage !== undefined && previous.imageID !== input.customImage) return true
  if (input.customVersion !== undefined && previous.version !== input.customVersion) return true
  if (!input.autoUpdate) return false
  return isStale(scope, previous.lastProbeTimestamp)
}

const componentPhase = (component: VersionedComponent) =>
  Effect.fnUntraced(function* (scope: ReconcileScope) {
    const type = conditionTypes[component]
    if (!needed(scope, component) || scope.tenant === undefined) {
      write(scope, component, undefined)
      removeCondition(scope, type)
      return
    }
    const input = inputOf(scope, component)
    const previous = previousOf(scope, component)
    if (!needsProbe(scope, input, previous)) {
      write(scope, component, previous)
      return
    }
    const resolved = yield* Effect.result(resolve(scope, input))
    if (Result.isFailure(resolved)) {
      const failure = resolved.failure
      if (failure._tag === "DynatraceApiError" && isUnreachable(failure)) return yield* failure
      setCondition(scope, {
        type,
        status: "False",
        reason: reasons.failed,
        message: `Version resolution failed: ${failure.message}`
      })
      if (previous === undefined) return yield* failure
      yield* Effect.logWarning("Version resolution failed; keeping the previous version.").pipe(
        Effect.annotateLogs({ dynakube: scope.key, component, error: failure.message })
      )
      write(scope, component, previous)
      return
    }
    const next: VersionStatus = resolved.success
    if (
      component === "oneAgent" &&
      previous?.source === "tenant-registry" &&
      next.source === "tenant-registry" &&
      previous.version !== undefined &&
      next.version !== undefined &&
      compareVersions(next.version, previous.version) < 0
    ) {
      setCondition(scope, {
        type,
        status: "False",
        reason: reasons.downgradeRefused,
        message: `The tenant offers ${next.version}, older than ${previous.version}; downgrades are refused.`
      })
      write(scope, component, previous)
      return
    }
    // Only the timestamp moved: keep the old one unless it is stale, so an unchanged answer writes nothing.
    const unchanged =
      previous !== undefined &&
      previous.source === next.source &&
      previous.imageID === next.imageID &&
      previous.version === next.version
    write(scope, component, unchanged && !isStale(scope, previous.lastProbeTimestamp) ? previous : next)
    const c = condition(scope, type)
    const message = `${next.version ?? ""} from ${next.source ?? ""}`
    if (c?.status !== "True" || c.message !== message) {
      setCondition(scope, { type, status: "True", reason: reasons.resolved, message })
    }
  })

export const phase: Phase<never> = {
  name: "versions",
  run: (scope) =>
    Effect.gen(function* () {
      for (const component of ["activeGate", "oneAgent", "codeModules"] as const) {
        yield* componentPhase(component)(scope)
      }
      return Controller.done
    })
}
