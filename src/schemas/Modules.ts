/**
 * The product modules the installation enabled (spec §2.1): env `modules.json`, written by the Helm chart, e.g.
 * `{"csiDriver":true,"activeGate":true,"oneAgent":true,"extensions":true,"logMonitoring":true,"edgeConnect":true,
 * "supportability":true,"kubernetesMonitoring":true,"kspm":true}`. The one reader of that value: the operator, the
 * webhook (CSI volumes, validation), certgen and the CSI provisioner all parse it here.
 *
 * Read like the original reads it with `encoding/json` into a zero struct: an absent or unparsable value (not a JSON
 * object, a non-boolean value) means every module is on; in a valid object a missing key means off, JSON `null`
 * (as a whole or as a value) changes nothing, and keys match case-insensitively.
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"

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

const every = (on: boolean): Modules => Object.fromEntries(keys.map((k) => [k, on])) as unknown as Modules

/** Every module on. @category constants @since 0.1.0 */
export const all: Modules = every(true)

const decodeJson = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))

/** Parses the env value. @category parsing @since 0.1.0 */
export const parse = (text: string | undefined): Modules => {
  if (text === undefined || text === "") return all
  const parsed = decodeJson(text)
  if (Option.isNone(parsed)) return all
  const json = parsed.value
  // Unmarshalling `null` into the zero struct leaves it untouched: every module off.
  if (json === null) return every(false)
  if (typeof json !== "object" || Array.isArray(json)) return all
  const result: Record<string, boolean> = { ...every(false) }
  for (const [name, value] of Object.entries(json)) {
    const key = keys.find((k) => k.toLowerCase() === name.toLowerCase())
    if (key === undefined || value === null) continue
    // A type error makes the original fall back to its defaults.
    if (typeof value !== "boolean") return all
    result[key] = value
  }
  return result as unknown as Modules
}
