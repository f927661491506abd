import { assert, describe, it } from "@effect/vitest"
import type { KubeObject, OwnerReference } from "./KubeObject.ts"
import * as Store from "./Store.ts"

const obj = (
  namespace: string | undefined,
  name: string,
  rv: string,
  extra: { labels?: Record<string, string>; owners?: Array<OwnerReference> } = {}
): KubeObject => ({
  metadata: {
    name,
    namespace,
    resourceVersion: rv,
    ...(extra.labels ? { labels: extra.labels } : {}),
    ...(extra.owners ? { ownerReferences: extra.owners } : {})
  }
})
const owner = (kind: string, name: string, uid: string): OwnerReference => ({ apiVersion: "v1", kind, name, uid })
const names = (objects: ReadonlyArray<KubeObject>) => objects.map((o) => o.metadata?.name).toSorted()

describe("Store", () => {
  it("keys objects by namespace/name, cluster-scoped ones by name", () => {
    const store = Store.make()
    store.upsert(obj("a", "x", "1"))
    store.upsert(obj(undefined, "node-1", "2"))
    assert.deepStrictEqual(store.keys().toSorted(), ["a/x", "node-1"])
    assert.strictEqual(store.get("a/x")?.metadata?.resourceVersion, "1")
    assert.strictEqual(store.get("node-1")?.metadata?.resourceVersion, "2")
    assert.isUndefined(store.get("b/x"))
  })

  it("upsert returns the previous object and replaces it; remove returns the removed one", () => {
    const store = Store.make()
    assert.isUndefined(store.upsert(obj("a", "x", "1")))
    assert.strictEqual(store.upsert(obj("a", "x", "2"))?.metadata?.resourceVersion, "1")
    assert.strictEqual(store.size(), 1)
    assert.strictEqual(store.remove("a/x")?.metadata?.resourceVersion, "2")
    assert.isUndefined(store.remove("a/x"))
    assert.strictEqual(store.size(), 0)
  })

  it("always indexes by namespace and keeps the index current", () => {
    const store = Store.make()
    store.upsert(obj("a", "x", "1"))
    store.upsert(obj("a", "y", "1"))
    store.upsert(obj("b", "z", "1"))
    assert.deepStrictEqual(names(store.byIndex("namespace", "a")), ["x", "y"])
    store.remove("a/x")
    assert.deepStrictEqual(names(store.byIndex("namespace", "a")), ["y"])
    store.remove("a/y")
    assert.deepStrictEqual(store.byIndex("namespace", "a"), [])
    assert.deepStrictEqual(store.indexValues("namespace"), ["b"])
  })

  it("re-indexes an object whose label changed", () => {
    const store = Store.make({ app: Store.byLabel("app") })
    store.upsert(obj("a", "x", "1", { labels: { app: "web" } }))
    store.upsert(obj("a", "y", "1", { labels: { app: "web" } }))
    store.upsert(obj("a", "z", "1"))
    assert.deepStrictEqual(names(store.byIndex("app", "web")), ["x", "y"])
    store.upsert(obj("a", "x", "2", { labels: { app: "db" } }))
    assert.deepStrictEqual(names(store.byIndex("app", "web")), ["y"])
    assert.deepStrictEqual(names(store.byIndex("app", "db")), ["x"])
    store.upsert(obj("a", "y", "2"))
    assert.deepStrictEqual(store.byIndex("app", "web"), [])
    assert.deepStrictEqual(store.indexValues("app"), ["db"])
  })

  it("indexes by owner uid and by owner key of one kind", () => {
    const store = Store.make({ uid: Store.byOwnerUid, dynakube: Store.byOwner("DynaKube") })
    store.upsert(obj("dt", "ag", "1", { owners: [owner("DynaKube", "dk1", "u1")] }))
    store.upsert(obj("dt", "oa", "1", { owners: [owner("DynaKube", "dk1", "u1"), owner("Other", "o", "u9")] }))
    store.upsert(obj("dt", "x", "1", { owners: [owner("DynaKube", "dk2", "u2")] }))
    store.upsert(obj("dt", "free", "1"))
    assert.deepStrictEqual(names(store.byIndex("dynakube", "dt/dk1")), ["ag", "oa"])
    assert.deepStrictEqual(names(store.byIndex("uid", "u2")), ["x"])
    assert.deepStrictEqual(names(store.byIndex("uid", "u9")), ["oa"])
    assert.deepStrictEqual(store.byIndex("dynakube", "dt/Other"), [])
  })

  it("rejects an unknown index name", () => {
    const store = Store.make()
    assert.throws(() => store.byIndex("nope", "x"), /no index named "nope"/)
  })
})
