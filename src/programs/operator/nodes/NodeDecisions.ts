/**
 * The nodes controller's decisions (spec §2.5) as pure functions of the node, its cache entry, the DynaKube that ran
 * a OneAgent on it and the time. The controller gathers these inputs, applies the result to its cache and talks to
 * the tenant; nothing here performs I/O.
 *
 * - A node that is cordoned (`spec.unschedulable`) or carries the cluster autoscaler's `ToBeDeletedByClusterAutoscaler`
 *   taint is about to go: mark it for termination.
 * - A node that was cached and is gone was deleted: mark it (when its DynaKube still exists) and forget it.
 * - At most one mark per node per hour, whatever happens in between.
 * - The tenant event is dated `seen − 10 min`: the host was still reporting then.
 * - Pruning (every 10 min): nodes gone from the cluster are handled as deletions; cached nodes that still exist but
 *   no longer run a OneAgent of any DynaKube are dropped once unseen for an hour; entries without an IP are dropped.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import type { CacheEntry } from "./NodeCache.ts"

/** Taint the cluster autoscaler puts on a node it is about to remove. @category constants */
export const autoscalerTaint = "ToBeDeletedByClusterAutoscaler"

/** A node is reported at most this often. @category constants */
export const markInterval = Duration.hours(1)

/** How often the cache is pruned. @category constants */
export const pruneInterval = Duration.minutes(10)

/** Entries of nodes without a OneAgent are dropped after this long unseen. @category constants */
export const staleAfter = Duration.hours(1)

/** How far before `seen` the tenant event is dated. @category constants */
export const eventLead = Duration.minutes(10)

/** The part of a Node the decisions read. @category models */
export interface NodeView {
  readonly spec?:
    | {
        readonly unschedulable?: boolean | undefined
        readonly taints?: ReadonlyArray<{ readonly key?: string | undefined }> | undefined
      }
    | undefined
}

/** The DynaKube whose status lists the node, and the node's IP there. @category models */
export interface Owner {
  readonly dynakube: string
  readonly ip: string
}

/** Whether the node is on its way out (cordoned or tainted by the autoscaler). @category predicates */
export const isLeaving = (node: NodeView): boolean =>
  node.spec?.unschedulable === true || (node.spec?.taints ?? []).some((taint) => taint.key === autoscalerTaint)

/** Whether the node may be reported now (never reported, or an hour ago or more). @category predicates */
export const canMark = (entry: CacheEntry, now: number): boolean =>
  entry.marked === undefined || now - entry.marked >= Duration.toMillis(markInterval)

/** The time the tenant event carries (start and end). @category constructors */
export const eventTime = (entry: CacheEntry): number => entry.seen - Duration.toMillis(eventLead)

/** What to do about one node. @category models */
export interface NodeAction {
  /** The cache entry afterwards (`undefined` = no entry). */
  readonly next: CacheEntry | undefined
  /** Report this entry as marked for termination. */
  readonly mark: CacheEntry | undefined
}

/** The inputs of one node's decision. @category models */
export interface NodeInput {
  /** The node, or `undefined` when it does not exist (any more). */
  readonly node: NodeView | undefined
  readonly cached: CacheEntry | undefined
  /**
   * For an existing node: the DynaKube listing it. For a deleted node: the DynaKube named by the cache entry, if it
   * still exists (its status may have dropped the node already).
   */
  readonly owner: Owner | undefined
  readonly now: number
}

/**
 * The decision for one node event.
 * @category decisions
 */
export const decideNode = (input: NodeInput): NodeAction => {
  const { node, cached, owner, now } = input
  if (node !== undefined) {
    if (owner === undefined) return { next: cached, mark: undefined }
    const next: CacheEntry = {
      instance: owner.dynakube,
      ip: owner.ip,
      seen: now,
      ...(cached?.marked === undefined ? {} : { marked: cached.marked })
    }
    return { next, mark: isLeaving(node) && canMark(next, now) ? next : undefined }
  }
  if (cached === undefined) return { next: undefined, mark: undefined }
  return { next: undefined, mark: owner !== undefined && canMark(cached, now) ? cached : undefined }
}

/** The inputs of a prune. @category models */
export interface PruneInput {
  readonly entries: ReadonlyMap<string, CacheEntry>
  /** Names of the nodes that exist. */
  readonly nodes: ReadonlySet<string>
  /** The DynaKube listing an existing node, if any. */
  readonly ownerOf: (node: string) => Owner | undefined
  /** Whether a DynaKube of this name exists. */
  readonly dynakubeExists: (name: string) => boolean
  readonly now: number
}

/** What a prune decided. @category models */
export interface PruneResult {
  /** The cache afterwards (before any marks are recorded). */
  readonly entries: ReadonlyMap<string, CacheEntry>
  /** Deleted nodes to report, with their last entry. */
  readonly marks: ReadonlyArray<readonly [string, CacheEntry]>
}

/**
 * The prune pass. Nodes that run a OneAgent are (re)added with `seen = now`, so a node that stays quiet for hours is
 * still known when it is finally deleted.
 * @category decisions
 */
export const prune = (input: PruneInput): PruneResult => {
  const { now } = input
  const entries = new Map<string, CacheEntry>()
  const marks: Array<readonly [string, CacheEntry]> = []
  for (const [name, entry] of input.entries) {
    if (!input.nodes.has(name)) {
      if (input.dynakubeExists(entry.instance) && canMark(entry, now)) marks.push([name, entry])
      continue
    }
    const owner = input.ownerOf(name)
    if (owner !== undefined) {
      if (owner.ip !== "") {
        entries.set(name, { ...entry, instance: owner.dynakube, ip: owner.ip, seen: now })
      }
      continue
    }
    if (entry.ip !== "" && now - entry.seen <= Duration.toMillis(staleAfter)) entries.set(name, entry)
  }
  for (const name of input.nodes) {
    if (entries.has(name) || input.entries.has(name)) continue
    const owner = input.ownerOf(name)
    if (owner !== undefined && owner.ip !== "") entries.set(name, { instance: owner.dynakube, ip: owner.ip, seen: now })
  }
  return { entries, marks }
}
