import { assert, describe, it } from "@effect/vitest"
import type { CacheEntry } from "./NodeCache.ts"
import * as NodeDecisions from "./NodeDecisions.ts"

const minute = 60_000
const hour = 60 * minute
const now = Date.parse("2026-11-24T10:00:00Z")
const owner = { dynakube: "dk", ip: "10.0.0.1" }
const ready = { spec: {} }
const cordoned = { spec: { unschedulable: true } }
const autoscaled = { spec: { taints: [{ key: "ToBeDeletedByClusterAutoscaler" }] } }
const entry = (overrides: Partial<CacheEntry> = {}): CacheEntry => ({
  instance: "dk",
  ip: "10.0.0.1",
  seen: now - 5 * minute,
  ...overrides
})

describe("NodeDecisions.decideNode", () => {
  it("a node with a OneAgent is cached with seen = now; nothing is reported while it is schedulable", () => {
    const action = NodeDecisions.decideNode({ node: ready, cached: undefined, owner, now })
    assert.deepStrictEqual(action, { next: { instance: "dk", ip: "10.0.0.1", seen: now }, mark: undefined })
  })

  it("cordoned or tainted by the autoscaler: reported, dated seen − 10 min", () => {
    for (const node of [cordoned, autoscaled]) {
      const action = NodeDecisions.decideNode({ node, cached: undefined, owner, now })
      assert.deepStrictEqual(action.mark, { instance: "dk", ip: "10.0.0.1", seen: now })
      assert.strictEqual(NodeDecisions.eventTime(action.mark!), now - 10 * minute)
    }
    assert.isFalse(NodeDecisions.isLeaving({ spec: { taints: [{ key: "node.kubernetes.io/unschedulable" }] } }))
  })

  it("at most once per hour: a mark 59 minutes ago blocks, 60 minutes ago allows", () => {
    const recent = NodeDecisions.decideNode({
      node: cordoned,
      cached: entry({ marked: now - 59 * minute }),
      owner,
      now
    })
    assert.isUndefined(recent.mark)
    assert.strictEqual(recent.next?.marked, now - 59 * minute, "the mark time is kept")
    const old = NodeDecisions.decideNode({ node: cordoned, cached: entry({ marked: now - hour }), owner, now })
    assert.isDefined(old.mark)
  })

  it("a node without a OneAgent of any DynaKube keeps its entry as it is and is never reported", () => {
    const cached = entry()
    assert.deepStrictEqual(NodeDecisions.decideNode({ node: cordoned, cached, owner: undefined, now }), {
      next: cached,
      mark: undefined
    })
  })

  it("a deleted node is reported with its last entry and forgotten; unknown or without DynaKube: only forgotten", () => {
    const cached = entry()
    assert.deepStrictEqual(NodeDecisions.decideNode({ node: undefined, cached, owner, now }), {
      next: undefined,
      mark: cached
    })
    assert.deepStrictEqual(NodeDecisions.decideNode({ node: undefined, cached, owner: undefined, now }), {
      next: undefined,
      mark: undefined
    })
    assert.deepStrictEqual(
      NodeDecisions.decideNode({ node: undefined, cached: entry({ marked: now - minute }), owner, now }),
      { next: undefined, mark: undefined }
    )
    assert.deepStrictEqual(NodeDecisions.decideNode({ node: undefined, cached: undefined, owner, now }), {
      next: undefined,
      mark: undefined
    })
  })
})

describe("NodeDecisions.prune", () => {
  it("deleted nodes become marks, owned nodes are refreshed, stale or IP-less foreign entries go", () => {
    const entries = new Map<string, CacheEntry>([
      ["gone", entry()],
      ["gone-dk-deleted", entry({ instance: "old-dk" })],
      ["gone-marked", entry({ marked: now - 10 * minute })],
      ["owned", entry({ seen: now - 3 * hour })],
      ["foreign-fresh", entry({ seen: now - 30 * minute })],
      ["foreign-stale", entry({ seen: now - 2 * hour })],
      ["foreign-no-ip", entry({ ip: "" })]
    ])
    const nodes = new Set(["owned", "foreign-fresh", "foreign-stale", "foreign-no-ip", "new-owned", "new-foreign"])
    const result = NodeDecisions.prune({
      entries,
      nodes,
      ownerOf: (name) => (name === "owned" || name === "new-owned" ? { dynakube: "dk", ip: "10.0.0.9" } : undefined),
      dynakubeExists: (name) => name === "dk",
      now
    })
    assert.deepStrictEqual(
      result.marks.map(([name]) => name),
      ["gone"]
    )
    assert.deepStrictEqual([...result.entries.keys()].toSorted(), ["foreign-fresh", "new-owned", "owned"])
    assert.deepStrictEqual(result.entries.get("owned"), { instance: "dk", ip: "10.0.0.9", seen: now })
  })
})
