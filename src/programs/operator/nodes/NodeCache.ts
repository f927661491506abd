/**
 * The nodes controller's memory (spec §2.5): the ConfigMap `dynatrace-node-cache` in the operator namespace, one
 * data key per node, value `{"seen":<time>,"marked":<time>,"ip":"<host IP>","instance":"<dk>"}`, and the annotation
 * `DTOperatorLastUpdated` (RFC 3339) saying when it was last pruned.
 *
 * Times are written the way Go's `time.Time` marshals (RFC 3339, UTC), and "never" as Go's zero time
 * `0001-01-01T00:00:00Z`, so a cache written by the original operator is read back unchanged and vice versa. An
 * entry that does not parse is dropped (it is only a cache).
 *
 * @since 0.1.0
 */
import type { KubeObject } from "../../../services/kube/KubeObject.ts"

/** Name of the cache ConfigMap. @category constants */
export const configMapName = "dynatrace-node-cache"

/** Annotation with the time of the last prune. @category constants */
export const lastUpdatedAnnotation = "DTOperatorLastUpdated"

/** Go's zero `time.Time`, the original's "never". @category constants */
export const goZeroTime = "0001-01-01T00:00:00Z"

/** What is remembered about one node. @category models */
export interface CacheEntry {
  /** The DynaKube whose OneAgent ran on the node. */
  readonly instance: string
  /** The host IP (from the DynaKube's `status.oneAgent.instances`), used to find the host entity. */
  readonly ip: string
  /** When the node was last seen with a OneAgent (epoch millis). */
  readonly seen: number
  /** When the node was last reported as marked for termination (epoch millis), if ever. */
  readonly marked?: number | undefined
}

/** The cache as read from the ConfigMap. @category models */
export interface NodeCacheState {
  readonly entries: ReadonlyMap<string, CacheEntry>
  /** `DTOperatorLastUpdated`, if present and valid (epoch millis). */
  readonly lastUpdated?: number | undefined
}

/** The ConfigMap's shape as far as the cache is concerned. @category models */
export interface NodeCacheConfigMap extends KubeObject {
  readonly data?: Readonly<Record<string, string>> | undefined
}

/** A Go time text → epoch millis; the zero time, absent or invalid text → undefined. @category decoding */
export const parseTime = (text: unknown): number | undefined => {
  if (typeof text !== "string" || text === "" || text.startsWith("0001-01-01")) return undefined
  const millis = Date.parse(text)
  return Number.isNaN(millis) ? undefined : millis
}

/** Epoch millis → RFC 3339 in UTC (millisecond precision, which Go's RFC3339Nano parser accepts). @category encoding */
export const formatTime = (millis: number | undefined): string =>
  millis === undefined ? goZeroTime : new Date(millis).toISOString()

/** RFC 3339 without fractions, as the original writes the annotation. @category encoding */
export const formatAnnotationTime = (millis: number): string =>
  new Date(Math.floor(millis / 1000) * 1000).toISOString().replace(".000Z", "Z")

/** One entry from its JSON text, if it is one. @category decoding */
export const decodeEntry = (text: string): CacheEntry | undefined => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const record = value as Record<string, unknown>
  const seen = parseTime(record["seen"])
  if (seen === undefined) return undefined
  const marked = parseTime(record["marked"])
  return {
    instance: typeof record["instance"] === "string" ? record["instance"] : "",
    ip: typeof record["ip"] === "string" ? record["ip"] : "",
    seen,
    ...(marked === undefined ? {} : { marked })
  }
}

/** One entry as JSON text, in the spec's field order. @category encoding */
export const encodeEntry = (entry: CacheEntry): string =>
  JSON.stringify({
    seen: formatTime(entry.seen),
    marked: formatTime(entry.marked),
    ip: entry.ip,
    instance: entry.instance
  })

/** Reads the cache from the ConfigMap (`undefined` = no ConfigMap yet). @category decoding */
export const fromConfigMap = (configMap: NodeCacheConfigMap | undefined): NodeCacheState => {
  const entries = new Map<string, CacheEntry>()
  for (const [node, text] of Object.entries(configMap?.data ?? {})) {
    const entry = decodeEntry(text)
    if (entry !== undefined) entries.set(node, entry)
  }
  const lastUpdated = parseTime(configMap?.metadata?.annotations?.[lastUpdatedAnnotation])
  return lastUpdated === undefined ? { entries } : { entries, lastUpdated }
}

/** The ConfigMap's `data` for the entries, keys sorted. @category encoding */
export const toData = (entries: ReadonlyMap<string, CacheEntry>): Record<string, string> =>
  Object.fromEntries([...entries.keys()].toSorted().map((node) => [node, encodeEntry(entries.get(node)!)]))
