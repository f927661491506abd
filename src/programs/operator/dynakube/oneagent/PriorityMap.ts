/**
 * Merging operator defaults with user settings by priority, for container arguments and environment variables
 * (the original's `prioritymap`). Every entry has a key (`--set-host-group`, `DT_TENANT`) and a priority; for a
 * key that may appear once, a later entry replaces an earlier one only with a strictly higher priority, so among
 * equals the first one stays. Keys that may repeat (`--set-host-property`, `--set-host-tag`) collect every distinct
 * value. The output is ordered by key (Go byte order), repeated values by priority, lowest first.
 *
 * Priorities: operator defaults 1, ActiveGate connection env 5, user args 2, user env and `hostGroup` 10.
 *
 * @since 0.1.0
 */
import type { EnvVar } from "./WorkloadTypes.ts"
import { compareBytes, sanitizeArg } from "./GoCompat.ts"

/** @category constants @since 0.1.0 */
export const Priority = { default: 1, userArgs: 2, medium: 5, high: 10 } as const

interface Entry<V> {
  readonly value: V
  readonly delimiter: string
  readonly priority: number
}

/** A priority map under construction: local mutable state of one builder call. */
interface PriorityMap<V> {
  readonly entries: Map<string, Array<Entry<V>>>
  readonly allowDuplicates: ReadonlySet<string>
}

const make = <V>(allowDuplicates: ReadonlyArray<string> = []): PriorityMap<V> => ({
  entries: new Map(),
  allowDuplicates: new Set(allowDuplicates)
})

const add = <V>(
  map: PriorityMap<V>,
  key: string,
  entry: Entry<V>,
  same: (a: V, b: V) => boolean = (a, b) => a === b
): void => {
  if (key.length === 0) return
  const normalizedKey =
    entry.delimiter !== "" && key.endsWith(entry.delimiter) ? key.slice(0, -entry.delimiter.length) : key
  const duplicatesAllowed = map.allowDuplicates.has(key)
  const existing = map.entries.get(normalizedKey)
  if (existing !== undefined && !duplicatesAllowed && entry.priority <= (existing[0]?.priority ?? 0)) return
  const list = existing === undefined || !duplicatesAllowed ? [] : existing
  if (!list.some((e) => same(e.value, entry.value))) list.push(entry)
  map.entries.set(normalizedKey, list)
}

const orderedKeys = <V>(map: PriorityMap<V>): Array<string> => [...map.entries.keys()].toSorted(compareBytes)

// ---------------------------------------------------------------------------------------------------------------
// Arguments

/**
 * Installer arguments of the OneAgent container.
 * @category arguments
 * @since 0.1.0
 */
export interface ArgumentMap {
  /** Adds `key=value` (value sanitised). */
  readonly set: (key: string, value: string, priority?: number) => void
  /** Adds user arguments (`--key=value` or `--flag`), each sanitised and split at its first `=`. */
  readonly setUserArgs: (args: ReadonlyArray<string> | undefined, priority: number) => void
  /** The arguments in their final order. */
  readonly toArgs: () => Array<string>
}

/**
 * A new argument map; only `repeatable` keys keep several values.
 * @category arguments
 * @since 0.1.0
 */
export const argumentMap = (repeatable: ReadonlyArray<string>): ArgumentMap => {
  const map = make<string>(repeatable)
  return {
    set: (key, value, priority = Priority.default) =>
      add(map, key, { value: sanitizeArg(value), delimiter: "=", priority }),
    setUserArgs: (args, priority) => {
      for (const raw of args ?? []) {
        const arg = sanitizeArg(raw)
        const eq = arg.indexOf("=")
        const [key, delimiter, value] = eq < 0 ? [arg, "", ""] : [arg.slice(0, eq), "=", arg.slice(eq + 1)]
        add(map, key, { value, delimiter, priority })
      }
    },
    toArgs: () =>
      orderedKeys(map).flatMap((key) =>
        (map.entries.get(key) ?? [])
          .toSorted((a, b) => a.priority - b.priority)
          .map((e) => `${key}${e.delimiter}${e.value}`)
      )
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Environment

/**
 * Environment variables of a container.
 * @category environment
 * @since 0.1.0
 */
export interface EnvMap {
  readonly set: (env: EnvVar, priority?: number) => void
  readonly setAll: (envs: ReadonlyArray<EnvVar> | undefined, priority?: number) => void
  /** The variables ordered by name. */
  readonly toEnv: () => Array<EnvVar>
}

/**
 * A new environment map: one variable per name.
 * @category environment
 * @since 0.1.0
 */
export const envMap = (): EnvMap => {
  const map = make<EnvVar>()
  const set = (env: EnvVar, priority: number = Priority.default) =>
    add(map, env.name, { value: env, delimiter: "", priority }, () => false)
  return {
    set,
    setAll: (envs, priority) => {
      for (const env of envs ?? []) set(env, priority)
    },
    toEnv: () => orderedKeys(map).flatMap((key) => (map.entries.get(key) ?? []).map((e) => e.value))
  }
}
