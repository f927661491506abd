/**
 * The product modules the installation enabled (spec §2.1): env `modules.json`, written by the Helm chart, e.g.
 * `{"csiDriver":true,"activeGate":true,"oneAgent":true,"extensions":true,"logMonitoring":true,"edgeConnect":true,
 * "supportability":true,"kubernetesMonitoring":true,"kspm":true}`. Validation refuses objects that use a module the
 * installation left out.
 *
 * Read like the original reads it with `encoding/json`: an absent or unparsable value (not a JSON object, a
 * non-boolean value) means every module is on; in a valid object a missing key means off, and keys match
 * case-insensitively.
 *
 * @since 0.1.0
 */

/** @category models @since 0.1.0 */
export interface Modules {
  readonly csiDriver: boolean
  readonly activeGate: boolean
  readonly oneAgent: boolean
  readonly extensions: boolean
  readonly logMonitoring: boolean
  readonly edgeConnect: boolean
  readonly supportability: boolean
  readonly kubernetesMonitoring: boolean
  readonly kspm: boolean
}

/** Name of the environment variable. @category constants @since 0.1.0 */
export const envName = "modules.json"

const keys = [
  "csiDriver",
  "activeGate",
  "oneAgent",
  "extensions",
  "logMonitoring",
  "edgeConnect",
  "supportability",
  "kubernetesMonitoring",
  "kspm"
] as const satisfies ReadonlyArray<keyof Modules>

/** Every module on. @category constants @since 0.1.0 */
export const all: Modules = Object.fromEntries(keys.map((k) => [k, true])) as unknown as Modules

/** Parses the env value. @category parsing @since 0.1.0 */
export const parse = (text: string | undefined): Modules => {
  if (text === undefined || text === "") return all
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return all
  }
  if (parsed === null) return Object.fromEntries(keys.map((k) => [k, false])) as unknown as Modules
  if (typeof parsed !== "object" || Array.isArray(parsed)) return all
  const result: Record<string, boolean> = Object.fromEntries(keys.map((k) => [k, false]))
  for (const [name, value] of Object.entries(parsed)) {
    const key = keys.find((k) => k.toLowerCase() === name.toLowerCase())
    if (key === undefined || value === null) continue
    if (typeof value !== "boolean") return all
    result[key] = value
  }
  return result as unknown as Modules
}
