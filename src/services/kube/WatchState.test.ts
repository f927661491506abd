import { assert, describe, it } from "@effect/vitest"
import type { KubeObject } from "./KubeObject.ts"
import * as WatchState from "./WatchState.ts"

const cm = (name: string, rv: string): KubeObject => ({ metadata: { namespace: "ns", name, resourceVersion: rv } })

/** `Added a@1`, `Modified a@2<-1`, `Deleted a@1`, `Synced 7` */
const show = (events: ReadonlyArray<WatchState.WatchEvent<KubeObject> | undefined>) =>
  events.map((e) => {
    if (e === undefined) return "-"
    switch (e.type) {
      case "Synced":
        return `Synced ${e.resourceVersion}${e.relist ? " relist" : ""}`
      case "Modified":
        return `Modified ${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}<-${e.old.metadata?.resourceVersion}`
      default:
        return `${e.type} ${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}`
    }
  })

describe("WatchState", () => {
  it("the first list adds everything and syncs at the list's version", () => {
    const state = WatchState.make<KubeObject>()
    assert.isUndefined(state.resourceVersion())
    assert.deepStrictEqual(show(state.relisted([cm("a", "1"), cm("b", "2")], "5")), [
      "Added a@1",
      "Added b@2",
      "Synced 5"
    ])
    assert.strictEqual(state.resourceVersion(), "5")
  })

  it("normalises watch events against what was told", () => {
    const state = WatchState.make<KubeObject>()
    state.relisted([cm("a", "1")], "1")
    assert.deepStrictEqual(
      show([
        state.observed({ type: "MODIFIED", object: cm("b", "2") }), // unknown: Added
        state.observed({ type: "ADDED", object: cm("a", "3") }), // known: Modified
        state.observed({ type: "MODIFIED", object: cm("a", "3") }), // same version again: nothing
        state.observed({ type: "DELETED", object: cm("zz", "4") }), // never told: nothing
        state.observed({ type: "DELETED", object: cm("b", "5") }),
        state.observed({ type: "DELETED", object: cm("b", "5") })
      ]),
      ["Added b@2", "Modified a@3<-1", "-", "-", "Deleted b@5", "-"]
    )
    assert.strictEqual(state.resourceVersion(), "5")
    assert.strictEqual(state.size(), 1)
  })

  it("bookmarks move the resourceVersion without an event", () => {
    const state = WatchState.make<KubeObject>()
    state.relisted([], "1")
    assert.isUndefined(state.observed({ type: "BOOKMARK", resourceVersion: "42" }))
    assert.strictEqual(state.resourceVersion(), "42")
  })

  it("a relist after 410 emits exactly the difference: added, modified, deleted; unchanged stays silent", () => {
    const state = WatchState.make<KubeObject>()
    state.relisted([cm("same", "1"), cm("changed", "2"), cm("gone", "3")], "3")
    state.observed({ type: "ADDED", object: cm("seen-by-watch", "4") })
    state.expire()
    assert.isUndefined(state.resourceVersion())
    const events = state.relisted([cm("same", "1"), cm("changed", "7"), cm("seen-by-watch", "4"), cm("new", "8")], "9")
    assert.deepStrictEqual(show(events), ["Modified changed@7<-2", "Added new@8", "Deleted gone@3", "Synced 9 relist"])
    assert.strictEqual(state.resourceVersion(), "9")
    assert.strictEqual(state.size(), 4)
  })

  it("the deleted event of a relist carries the last known object", () => {
    const state = WatchState.make<KubeObject>()
    state.relisted([cm("a", "1")], "1")
    state.observed({ type: "MODIFIED", object: cm("a", "2") })
    const [deleted] = state.relisted([], "3")
    assert.strictEqual(deleted?.type, "Deleted")
    if (deleted?.type === "Deleted") assert.strictEqual(deleted.object.metadata?.resourceVersion, "2")
  })

  it("a replay of events after a reconnect does not repeat changes", () => {
    const state = WatchState.make<KubeObject>()
    state.relisted([], "1")
    const first = [
      state.observed({ type: "ADDED", object: cm("a", "2") }),
      state.observed({ type: "MODIFIED", object: cm("a", "3") })
    ]
    const replay = [
      state.observed({ type: "ADDED", object: cm("a", "3") }),
      state.observed({ type: "MODIFIED", object: cm("a", "3") })
    ]
    assert.deepStrictEqual(show(first), ["Added a@2", "Modified a@3<-2"])
    assert.deepStrictEqual(show(replay), ["-", "-"])
  })
})
