/**
 * KubeClient against the shared real control plane (process.env.KUBECONFIG from the integration global setup):
 * CRUD, errors, selectors and pagination, server-side apply ownership, status subresource, informer and the
 * request counter. Every test works in its own namespace.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Schedule, Stream } from "effect"
import * as KubeApiError from "./KubeApiError.ts"
import { KubeClient } from "./KubeClient.ts"
import * as Informer from "./kube/Informer.ts"
import type { KubeObject } from "./kube/KubeObject.ts"
import * as RequestCounter from "./kube/RequestCounter.ts"
import { resource } from "./kube/Resource.ts"
import * as Resources from "./kube/Resources.ts"
import * as Store from "./kube/Store.ts"

interface ConfigMap extends KubeObject {
  readonly data?: Record<string, string>
}
interface Secret extends KubeObject {
  readonly data?: Record<string, string>
  readonly stringData?: Record<string, string>
  readonly type?: string
}
interface Widget extends KubeObject {
  readonly spec?: { readonly size?: number }
  readonly status?: { readonly phase?: string }
}

const suffix = Math.random().toString(36).slice(2, 7)
let counter = 0
const unique = (prefix: string) => `${prefix}-${suffix}-${++counter}`

/** A fresh namespace for one test, deleted when the test's scope closes. */
const namespace = Effect.gen(function* () {
  const kube = yield* KubeClient
  const name = unique("kubeclient")
  yield* Effect.acquireRelease(kube.create(Resources.Namespace, { metadata: { name } }), () =>
    kube.delete(Resources.Namespace, name).pipe(Effect.ignore)
  )
  return name
})

const cm = (ns: string, name: string, data: Record<string, string>, labels?: Record<string, string>): ConfigMap => ({
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
  data
})

/** Retries `check` every 100 ms for up to 30 s until it succeeds. */
const eventually = <A, E, R>(check: Effect.Effect<A, E, R>) =>
  check.pipe(Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo({ duration: "30 seconds" }))))

const reasonOf = <A>(effect: Effect.Effect<A, KubeApiError.KubeApiError>) =>
  Effect.map(Effect.flip(effect), (e) => e.reason._tag)

layer(KubeClient.layer, { excludeTestServices: true })("KubeClient (shared control plane)", (it) => {
  it.effect("answers version from the server in KUBECONFIG", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      assert.match((yield* kube.version).gitVersion, /^v1\.\d+\.\d+/)
      assert.include(kube.server, process.env["KUBE_TEST_SERVER"] ?? "https://")
    })
  )

  it.effect("ConfigMap CRUD: create, get, update, merge patch, JSON patch, delete", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const ns = yield* namespace
      const created = yield* kube.create(Resources.ConfigMap, cm(ns, "a", { k: "1" }))
      assert.strictEqual(created.kind, "ConfigMap")
      assert.isString(created.metadata?.uid)
      const got = yield* kube.get<ConfigMap>(Resources.ConfigMap, "a", { namespace: ns })
      assert.deepStrictEqual(got.data, { k: "1" })

      const updated = yield* kube.update(Resources.ConfigMap, { ...got, data: { k: "2" } })
      assert.deepStrictEqual(updated.data, { k: "2" })
      assert.notStrictEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion)

      const merged = yield* kube.patch<ConfigMap>(
        Resources.ConfigMap,
        "a",
        { type: "merge", patch: { data: { extra: "x" } } },
        { namespace: ns }
      )
      assert.deepStrictEqual(merged.data, { k: "2", extra: "x" })
      const jsonPatched = yield* kube.patch<ConfigMap>(
        Resources.ConfigMap,
        "a",
        {
          type: "json",
          patch: [
            { op: "test", path: "/data/k", value: "2" },
            { op: "remove", path: "/data/extra" }
          ]
        },
        { namespace: ns }
      )
      assert.deepStrictEqual(jsonPatched.data, { k: "2" })
      const strategic = yield* kube.patch<ConfigMap>(
        Resources.ConfigMap,
        "a",
        { type: "strategic", patch: { metadata: { labels: { l: "v" } } } },
        { namespace: ns }
      )
      assert.deepStrictEqual(strategic.metadata?.labels, { l: "v" })

      yield* kube.delete(Resources.ConfigMap, "a", { namespace: ns })
      assert.strictEqual(yield* reasonOf(kube.get(Resources.ConfigMap, "a", { namespace: ns })), "NotFound")
    })
  )

  it.effect("Secret CRUD; data stays base64 and stringData is merged by the server", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const ns = yield* namespace
      yield* kube.create<Secret>(Resources.Secret, {
        metadata: { name: "s", namespace: ns },
        type: "Opaque",
        data: { token: Buffer.from("t0p").toString("base64") },
        stringData: { plain: "text" }
      })
      const got = yield* kube.get<Secret>(Resources.Secret, "s", { namespace: ns })
      assert.strictEqual(Buffer.from(got.data?.["token"] ?? "", "base64").toString(), "t0p")
      assert.strictEqual(Buffer.from(got.data?.["plain"] ?? "", "base64").toString(), "text")
      // delete with a uid precondition that does not match: Conflict, the secret stays
      const wrongUid = kube.delete(Resources.Secret, "s", { namespace: ns, preconditions: { uid: "not-the-uid" } })
      assert.strictEqual(yield* reasonOf(wrongUid), "Conflict")
      yield* kube.get(Resources.Secret, "s", { namespace: ns })
      yield* kube.delete(Resources.Secret, "s", {
        namespace: ns,
        propagationPolicy: "Foreground",
        preconditions: { uid: got.metadata?.uid, resourceVersion: got.metadata?.resourceVersion }
      })
      // Foreground deletion of an object without dependents completes right away
      yield* eventually(
        reasonOf(kube.get(Resources.Secret, "s", { namespace: ns })).pipe(Effect.filterOrFail((r) => r === "NotFound"))
      )
    })
  )

  it.effect("maps NotFound, AlreadyExists, Conflict and Invalid with the API's messages", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const ns = yield* namespace
      const notFound = yield* Effect.flip(kube.get(Resources.ConfigMap, "nope", { namespace: ns }))
      assert.strictEqual(notFound.reason._tag, "NotFound")
      assert.strictEqual(notFound.status, 404)
      assert.strictEqual(notFound.message, `get configmaps ${ns}/nope: NotFound: configmaps "nope" not found`)

      const first = yield* kube.create(Resources.ConfigMap, cm(ns, "dup", {}))
      const exists = yield* Effect.flip(kube.create(Resources.ConfigMap, cm(ns, "dup", {})))
      assert.strictEqual(exists.reason._tag, "AlreadyExists")
      assert.strictEqual(exists.reason.message, 'configmaps "dup" already exists')

      yield* kube.update(Resources.ConfigMap, { ...first, data: { v: "new" } })
      const stale = yield* Effect.flip(kube.update(Resources.ConfigMap, { ...first, data: { v: "stale" } }))
      assert.strictEqual(stale.reason._tag, "Conflict")
      assert.include(stale.reason.message, "the object has been modified")

      const invalid = yield* Effect.flip(kube.create(Resources.ConfigMap, cm(ns, "Not_A_Valid_Name", {})))
      assert.strictEqual(invalid.reason._tag, "Invalid")
      assert.strictEqual(invalid.status, 422)
      if (invalid.reason._tag !== "Invalid") return
      assert.include(
        invalid.reason.causes.map((c) => c.field),
        "metadata.name"
      )
      const badPatch = yield* Effect.flip(
        kube.patch(
          Resources.ConfigMap,
          "dup",
          { type: "json", patch: [{ op: "test", path: "/data/v", value: "x" }] },
          {
            namespace: ns
          }
        )
      )
      assert.strictEqual(badPatch.reason._tag, "Invalid")
    })
  )

  it.effect("lists with label and field selectors, page by page and all pages", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const ns = yield* namespace
      for (let i = 0; i < 5; i++) {
        yield* kube.create(Resources.ConfigMap, cm(ns, `item-${i}`, {}, { tier: i < 3 ? "web" : "db", app: "x" }))
      }
      const web = yield* kube.list(Resources.ConfigMap, { namespace: ns, labelSelector: "tier=web" })
      assert.deepStrictEqual(web.items.map((o) => o.metadata?.name).toSorted(), ["item-0", "item-1", "item-2"])
      const notWeb = yield* kube.list(Resources.ConfigMap, { namespace: ns, labelSelector: "app=x,tier!=web" })
      assert.strictEqual(notWeb.items.length, 2)
      const byName = yield* kube.list(Resources.ConfigMap, { namespace: ns, fieldSelector: "metadata.name=item-4" })
      assert.deepStrictEqual(
        byName.items.map((o) => o.metadata?.name),
        ["item-4"]
      )

      const page1 = yield* kube.list(Resources.ConfigMap, { namespace: ns, labelSelector: "app=x", limit: 2 })
      assert.strictEqual(page1.items.length, 2)
      assert.isString(page1.metadata.continue)
      const page2 = yield* kube.list(Resources.ConfigMap, {
        namespace: ns,
        labelSelector: "app=x",
        limit: 2,
        continue: page1.metadata.continue
      })
      assert.strictEqual(page2.items.length, 2)

      const before = yield* kube.requestStats
      const all = yield* kube.listAll<ConfigMap>(Resources.ConfigMap, {
        namespace: ns,
        labelSelector: "app=x",
        pageSize: 2
      })
      const delta = RequestCounter.diff(yield* kube.requestStats, before)
      assert.deepStrictEqual(
        all.items.map((o) => o.metadata?.name).toSorted(),
        [0, 1, 2, 3, 4].map((i) => `item-${i}`)
      )
      assert.isString(all.resourceVersion)
      assert.deepStrictEqual(delta.byRequest, { "list configmaps": 3 })

      // all namespaces: a namespaced resource without namespace
      const everywhere = yield* kube.list(Resources.ConfigMap, {
        labelSelector: "app=x",
        fieldSelector: `metadata.namespace=${ns}`
      })
      assert.strictEqual(everywhere.items.length, 5)
    })
  )

  it.effect("server-side apply: two managers, ownership, conflict without force, takeover with force", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const ns = yield* namespace
      const applied = yield* kube.apply(Resources.ConfigMap, cm(ns, "ssa", { a: "1", b: "1" }), { fieldManager: "m1" })
      assert.deepStrictEqual(applied.data, { a: "1", b: "1" })
      // a second manager adds its own field: no conflict
      yield* kube.apply(Resources.ConfigMap, cm(ns, "ssa", { c: "2" }), { fieldManager: "m2" })
      // ... but changing a field m1 owns conflicts
      const conflict = yield* Effect.flip(
        kube.apply(Resources.ConfigMap, cm(ns, "ssa", { a: "2", c: "2" }), { fieldManager: "m2" })
      )
      assert.strictEqual(conflict.reason._tag, "Conflict")
      assert.include(conflict.reason.message, 'conflict with "m1"')
      assert.include(conflict.reason.message, ".data.a")
      assert.deepStrictEqual((yield* kube.get<ConfigMap>(Resources.ConfigMap, "ssa", { namespace: ns })).data, {
        a: "1",
        b: "1",
        c: "2"
      })
      // force takes the field over
      const forced = yield* kube.apply(Resources.ConfigMap, cm(ns, "ssa", { a: "2", c: "2" }), {
        fieldManager: "m2",
        force: true
      })
      assert.deepStrictEqual(forced.data, { a: "2", b: "1", c: "2" })
      const owners = (forced.metadata?.managedFields ?? []) as ReadonlyArray<{
        manager: string
        fieldsV1?: { "f:data"?: Record<string, unknown> }
      }>
      const fieldsOf = (manager: string) =>
        Object.keys(owners.find((m) => m.manager === manager)?.fieldsV1?.["f:data"] ?? {}).toSorted()
      assert.deepStrictEqual(fieldsOf("m1"), ["f:b"])
      assert.deepStrictEqual(fieldsOf("m2"), ["f:a", "f:c"])
      // m1 applies without b: b is removed (it owned it alone)
      const pruned = yield* kube.apply(Resources.ConfigMap, cm(ns, "ssa", {}), { fieldManager: "m1" })
      assert.deepStrictEqual(pruned.data, { a: "2", c: "2" })
      // applying an object read from the server works (managedFields are dropped from the body)
      yield* kube.apply(Resources.ConfigMap, pruned, { fieldManager: "m2" })
    })
  )

  it.effect("status subresource: updateStatus / status patch / status apply change only status", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const ns = yield* namespace
      const group = `kubeclient-${suffix}.test.dynatrace.com`
      const Widget = resource({ group, version: "v1", plural: "widgets", kind: "Widget", namespaced: true })
      const crdName = `widgets.${group}`
      yield* Effect.acquireRelease(
        kube.create(Resources.CustomResourceDefinition, {
          metadata: { name: crdName },
          spec: {
            group,
            scope: "Namespaced",
            names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
            versions: [
              {
                name: "v1",
                served: true,
                storage: true,
                subresources: { status: {} },
                schema: {
                  openAPIV3Schema: {
                    type: "object",
                    properties: {
                      spec: { type: "object", properties: { size: { type: "integer" } } },
                      status: { type: "object", properties: { phase: { type: "string" } } }
                    }
                  }
                }
              }
            ]
          }
        } as KubeObject),
        () => kube.delete(Resources.CustomResourceDefinition, crdName).pipe(Effect.ignore)
      )
      // the CRD is served once established
      const created = yield* eventually(
        kube.create<Widget>(Widget, { metadata: { name: "w", namespace: ns }, spec: { size: 1 } })
      )
      assert.strictEqual(created.apiVersion, `${group}/v1`)

      const withStatus = yield* kube.updateStatus<Widget>(Widget, {
        ...created,
        spec: { size: 99 },
        status: { phase: "Ready" }
      })
      assert.deepStrictEqual(withStatus.status, { phase: "Ready" })
      assert.deepStrictEqual(withStatus.spec, { size: 1 }, "spec changes are ignored by the status subresource")

      const mainUpdate = yield* kube.update<Widget>(Widget, {
        ...withStatus,
        spec: { size: 2 },
        status: { phase: "X" }
      })
      assert.deepStrictEqual(mainUpdate.spec, { size: 2 })
      assert.deepStrictEqual(mainUpdate.status, { phase: "Ready" }, "status changes are ignored by the main resource")

      const patched = yield* kube.patch<Widget>(
        Widget,
        "w",
        { type: "merge", patch: { status: { phase: "Patched" } } },
        { namespace: ns, subresource: "status" }
      )
      assert.strictEqual(patched.status?.phase, "Patched")
      const appliedStatus = yield* kube.apply<Widget>(
        Widget,
        { metadata: { name: "w", namespace: ns }, status: { phase: "Applied" } },
        { subresource: "status", fieldManager: "status-writer", force: true }
      )
      assert.strictEqual(appliedStatus.status?.phase, "Applied")
      assert.strictEqual(appliedStatus.spec?.size, 2)
      const stats = yield* kube.requestStats
      assert.isAtLeast(stats.byRequest[`update ${group}/widgets/status`] ?? 0, 1)
      assert.isAtLeast(stats.byRequest[`apply ${group}/widgets/status`] ?? 0, 1)
    })
  )

  it.effect("an informer caches, indexes and reports changes made through the API", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const ns = yield* namespace
      yield* kube.create(Resources.ConfigMap, cm(ns, "pre", { v: "0" }, { app: "a" }))
      // (the selector leaves out kube-root-ca.crt, which the controller manager puts in every namespace)
      const informer = yield* Informer.make<ConfigMap>(Resources.ConfigMap, {
        namespace: ns,
        labelSelector: "app",
        indexers: { app: Store.byLabel("app") }
      })
      yield* informer.awaitSynced
      assert.deepStrictEqual(yield* informer.keys, [`${ns}/pre`])
      const events = yield* informer.events.pipe(
        Stream.filter((e) => e.object.metadata?.name !== "pre" || e.type !== "Added"),
        Stream.take(4),
        Stream.runCollect,
        Effect.forkChild
      )
      const created = yield* kube.create(Resources.ConfigMap, cm(ns, "new", { v: "1" }, { app: "b" }))
      yield* kube.update(Resources.ConfigMap, { ...created, data: { v: "2" } })
      yield* kube.patch(
        Resources.ConfigMap,
        "pre",
        { type: "merge", patch: { metadata: { labels: { app: "b" } } } },
        {
          namespace: ns
        }
      )
      yield* kube.delete(Resources.ConfigMap, "new", { namespace: ns })
      const seen = Array.from(yield* Fiber.join(events)).map((e) => `${e.type} ${e.object.metadata?.name}`)
      assert.deepStrictEqual(seen, ["Added new", "Modified new", "Modified pre", "Deleted new"])
      assert.deepStrictEqual(
        (yield* informer.byIndex("app", "b")).map((o) => o.metadata?.name),
        ["pre"]
      )
      assert.isTrue(Option.isNone(yield* informer.get(`${ns}/new`)))
    })
  )

  it.effect("renews a watch the server ended (timeoutSeconds) without relisting or losing events", () =>
    Effect.gen(function* () {
      const ns = yield* namespace
      const program = Effect.gen(function* () {
        const kube = yield* KubeClient
        const seen = yield* kube.watch<ConfigMap>(Resources.ConfigMap, { namespace: ns, timeoutSeconds: 1 }).pipe(
          Stream.filter((e) => e.type !== "Synced" && e.object.metadata?.name === "late"),
          Stream.take(1),
          Stream.runCollect,
          Effect.forkChild
        )
        yield* Effect.sleep("3500 millis")
        yield* kube.create(Resources.ConfigMap, cm(ns, "late", {}))
        const [event] = Array.from(yield* Fiber.join(seen))
        assert.strictEqual(event?.type, "Added")
        const stats = yield* kube.requestStats
        assert.strictEqual(stats.byVerb.list, 1)
        assert.isAtLeast(stats.byVerb.watch, 3)
      })
      yield* program.pipe(Effect.provide(Layer.fresh(KubeClient.layer)))
    })
  )

  it.effect("the request counter counts exactly the requests made", () =>
    Effect.gen(function* () {
      const ns = yield* namespace
      // A client of its own, so nothing else is counted.
      const program = Effect.gen(function* () {
        const kube = yield* KubeClient
        yield* kube.create(Resources.ConfigMap, cm(ns, "c", { a: "1" }))
        const got = yield* kube.get<ConfigMap>(Resources.ConfigMap, "c", { namespace: ns })
        yield* kube.update(Resources.ConfigMap, { ...got, data: { a: "2" } })
        yield* kube.patch(Resources.ConfigMap, "c", { type: "merge", patch: { data: { b: "3" } } }, { namespace: ns })
        yield* kube.apply(Resources.ConfigMap, cm(ns, "c", { z: "1" }), { fieldManager: "counter-test" })
        yield* kube.list(Resources.ConfigMap, { namespace: ns })
        yield* Effect.flip(kube.get(Resources.Secret, "missing", { namespace: ns }))
        yield* kube.delete(Resources.ConfigMap, "c", { namespace: ns })
        return yield* kube.requestStats
      })
      const stats = yield* program.pipe(Effect.provide(Layer.fresh(KubeClient.layer)))
      assert.deepStrictEqual(stats, {
        total: 8,
        reads: 3,
        watches: 0,
        writes: 5,
        failed: 1,
        byVerb: { get: 2, list: 1, watch: 0, create: 1, update: 1, patch: 1, apply: 1, delete: 1 },
        byRequest: {
          "apply configmaps": 1,
          "create configmaps": 1,
          "delete configmaps": 1,
          "get configmaps": 1,
          "get secrets": 1,
          "list configmaps": 1,
          "patch configmaps": 1,
          "update configmaps": 1
        }
      })
    })
  )
})
