/**
 * Changes to the application containers (spec §3.4–3.5), each idempotent: a mount whose path the container
 * already uses, or an env var it already has, is left alone, so running them on an injected container changes
 * nothing.
 *
 * - Config: `dynatrace-config` at `/var/lib/dynatrace` (subPath `<container>`), or with split mounts the OneAgent
 *   part at `/var/lib/dynatrace/oneagent` and the enrichment files and endpoint directory separately.
 * - OneAgent: `/etc/ld.so.preload` (subPath `oneagent/ld.so.preload`, read-only), the code module at the install
 *   path (read-only), `DT_DEPLOYMENT_METADATA`, `LD_PRELOAD` (appended), `DT_STORAGE`, `DT_NETWORK_ZONE`, and with
 *   `label-version-detection` the `DT_RELEASE_*` variables.
 *
 * @since 0.1.0
 */
import type { Container, EnvVar, VolumeMount } from "../../../schemas/Pod.ts"
import * as Keys from "../Keys.ts"

/** What to add to one container. @category models @since 0.1.0 */
export interface ContainerChanges {
  /** mount the config volume (for both features) */
  readonly config: boolean
  /** split mounts (pod annotation `dynatrace.com/split-mounts` or a classicFullStack DynaKube) */
  readonly split: boolean
  /** enrichment files (split mounts only) */
  readonly metadata: boolean
  /** OneAgent mounts and env, when injected */
  readonly oneAgent: OneAgentChanges | undefined
}

/** OneAgent additions. @category models @since 0.1.0 */
export interface OneAgentChanges {
  readonly installPath: string
  /** `DT_DEPLOYMENT_METADATA` value */
  readonly deploymentMetadata: string
  readonly networkZone: string | undefined
  /** env vars from field paths (`DT_RELEASE_*`) */
  readonly release: ReadonlyArray<readonly [name: string, fieldPath: string]>
}

const configMount = (subPath: string, mountPath: string): VolumeMount => ({
  name: Keys.names.configVolume,
  mountPath,
  subPath
})

/** The config mounts of a container. @category mounts @since 0.1.0 */
export const configMounts = (
  name: string,
  split: boolean,
  parts: { readonly oneAgent: boolean; readonly metadata: boolean }
): ReadonlyArray<VolumeMount> => {
  if (!split) return [configMount(name, Keys.paths.dynatraceRoot)]
  const result: Array<VolumeMount> = []
  if (parts.oneAgent) result.push(configMount(`${name}/oneagent`, Keys.paths.oneAgentStorage))
  if (parts.metadata) {
    for (const file of ["dt_metadata.json", "dt_metadata.properties", "endpoint"]) {
      result.push(configMount(`${name}/enrichment/${file}`, `${Keys.paths.enrichmentRoot}/${file}`))
    }
  }
  return result
}

/** The OneAgent mounts of a container. @category mounts @since 0.1.0 */
export const oneAgentMounts = (installPath: string): ReadonlyArray<VolumeMount> => [
  { name: Keys.names.configVolume, mountPath: Keys.paths.ldPreload, subPath: "oneagent/ld.so.preload", readOnly: true },
  { name: Keys.names.binVolume, mountPath: installPath, readOnly: true }
]

/** The container mounts the config volume already. @category predicates @since 0.1.0 */
export const hasConfigMount = (container: Container): boolean =>
  (container.volumeMounts ?? []).some((m) => m.name === Keys.names.configVolume)

/** The container has the OneAgent code module already. @category predicates @since 0.1.0 */
export const hasOneAgent = (container: Container): boolean =>
  (container.volumeMounts ?? []).some((m) => m.name === Keys.names.binVolume)

const addMounts = (
  mounts: ReadonlyArray<VolumeMount>,
  extra: ReadonlyArray<VolumeMount>
): ReadonlyArray<VolumeMount> => {
  const missing = extra.filter((mount) => !mounts.some((m) => m.mountPath === mount.mountPath))
  // The apiserver refuses two mounts at one path: an existing mount there wins.
  return missing.length === 0 ? mounts : [...mounts, ...missing]
}

const hasEnv = (env: ReadonlyArray<EnvVar>, name: string) => env.some((e) => e.name === name)

const addEnv = (env: ReadonlyArray<EnvVar>, variable: EnvVar): ReadonlyArray<EnvVar> =>
  hasEnv(env, variable.name) ? env : [...env, variable]

/** The preload library under an install path. @category env @since 0.1.0 */
export const preloadLibrary = (installPath: string): string => `${installPath}/agent/lib64/liboneagentproc.so`

/**
 * `LD_PRELOAD`: set, or appended with `:` (a space when the existing value uses spaces) unless it already names the
 * install path; a value from `valueFrom` is not touched.
 * @category env
 * @since 0.1.0
 */
export const withLdPreload = (env: ReadonlyArray<EnvVar>, installPath: string): ReadonlyArray<EnvVar> => {
  const library = preloadLibrary(installPath)
  const index = env.findIndex((e) => e.name === Keys.env.ldPreload)
  if (index < 0) return [...env, { name: Keys.env.ldPreload, value: library }]
  const current = env[index]
  if (current === undefined || current.valueFrom !== undefined) return env
  const value = current.value ?? ""
  if (value.includes(installPath)) return env
  const next = value === "" ? library : `${value}${value.includes(" ") ? " " : ":"}${library}`
  return env.map((e, i) => (i === index ? { ...e, value: next } : e))
}

const oneAgentEnv = (env: ReadonlyArray<EnvVar>, changes: OneAgentChanges): ReadonlyArray<EnvVar> => {
  let result = addEnv(env, { name: Keys.env.deploymentMetadata, value: changes.deploymentMetadata })
  result = withLdPreload(result, changes.installPath)
  result = addEnv(result, { name: Keys.env.storage, value: Keys.paths.oneAgentStorage })
  if (changes.networkZone !== undefined && changes.networkZone !== "") {
    result = addEnv(result, { name: Keys.env.networkZone, value: changes.networkZone })
  }
  for (const [name, fieldPath] of changes.release) {
    result = addEnv(result, { name, valueFrom: { fieldRef: { fieldPath } } })
  }
  return result
}

/** Applies the changes to one container. @category mutation @since 0.1.0 */
export const inject = (container: Container, changes: ContainerChanges): Container => {
  const mounts0 = container.volumeMounts ?? []
  const env0 = container.env ?? []
  let mounts = mounts0
  let env = env0
  if (changes.config) {
    mounts = addMounts(
      mounts,
      configMounts(container.name, changes.split, {
        oneAgent: changes.oneAgent !== undefined,
        metadata: changes.metadata
      })
    )
  }
  if (changes.oneAgent !== undefined) {
    mounts = addMounts(mounts, oneAgentMounts(changes.oneAgent.installPath))
    env = oneAgentEnv(env, changes.oneAgent)
  }
  if (mounts === mounts0 && env === env0) return container
  return {
    ...container,
    ...(mounts === mounts0 ? {} : { volumeMounts: mounts }),
    ...(env === env0 ? {} : { env })
  }
}

const fieldPath =
  /^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)\['[^']+'\]|spec\.(nodeName|serviceAccountName)|status\.(hostIP|hostIPs|podIP|podIPs))$/

/** A field path the apiserver accepts in a `fieldRef`. @category env @since 0.1.0 */
export const isFieldPath = (path: string): boolean => fieldPath.test(path)

/**
 * `DT_RELEASE_*` field paths: version and product from the standard labels, overridden or extended by the
 * namespace's `mapping.release.dynatrace.com/{version,product,stage,build-version}` annotations (paths the apiserver
 * would refuse are skipped).
 * @category env
 * @since 0.1.0
 */
export const releaseEnv = (
  namespaceAnnotations: Readonly<Record<string, string>> | undefined
): ReadonlyArray<readonly [string, string]> => {
  const mapping: Array<[string, string, string | undefined]> = [
    [Keys.env.releaseVersion, "version", "metadata.labels['app.kubernetes.io/version']"],
    [Keys.env.releaseProduct, "product", "metadata.labels['app.kubernetes.io/part-of']"],
    [Keys.env.releaseStage, "stage", undefined],
    [Keys.env.releaseBuildVersion, "build-version", undefined]
  ]
  const result: Array<readonly [string, string]> = []
  for (const [name, key, fallback] of mapping) {
    const custom = namespaceAnnotations?.[Keys.input.releaseMappingPrefix + key]
    const path = custom !== undefined && isFieldPath(custom.trim()) ? custom.trim() : fallback
    if (path !== undefined) result.push([name, path])
  }
  return result
}
