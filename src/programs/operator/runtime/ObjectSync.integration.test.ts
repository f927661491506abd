import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as ObjectSync from "./ObjectSync.ts"

interface ConfigMap extends KubeObject {
  readonly data?: Record<string, string>
}

const namespace = `objectsync-${Date.now().toString(36)}`
const configMap = (data: Record<string, string>): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace, labels: { "app.kubernetes.io/name": "dynatrace-operator" } },
  data
})

const writes = Effect.gen(function* () {
  const stats = yield* (yield* KubeClient).requestStats
  return stats.writes
})

layer(KubeClient.layer, { excludeTestServices: true })("ObjectSync on the real apiserver", (it) => {
  it.effect("creates, leaves an unchanged object alone (no write), updates a changed one", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      yield* kube.create(Resources.Namespace, { metadata: { name: namespace } })

      const created = yield* ObjectSync.ensure(Resources.ConfigMap, configMap({ a: "1" }))
      assert.strictEqual(created.action, "created")
      assert.strictEqual(
        created.object.metadata?.annotations?.[ObjectSync.templateHashAnnotation],
        ObjectSync.templateHash(configMap({ a: "1" }))
      )

      const before = yield* writes
      const again = yield* ObjectSync.ensure(Resources.ConfigMap, configMap({ a: "1" }))
      assert.strictEqual(again.action, "unchanged")
      assert.strictEqual(yield* writes, before, "no write for an unchanged object")

      const changed = yield* ObjectSync.ensure(Resources.ConfigMap, configMap({ b: "2" }))
      assert.strictEqual(changed.action, "updated")
      const stored = yield* kube.get<ConfigMap>(Resources.ConfigMap, "settings", { namespace })
      assert.deepStrictEqual(stored.data, { b: "2" }, "fields we stopped setting are gone (server-side apply)")
    })
  )

  it.effect(
    "a new desired state wins over a foreign edit; recreate replaces an object whose immutable part changed",
    () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        yield* kube.patch(
          Resources.ConfigMap,
          "settings",
          { type: "merge", patch: { data: { b: "tampered" } } },
          { namespace }
        )
        // A foreign edit keeps our hash annotation, so ensure alone does not undo it (as in the original: the hash
        // covers what we want, not what is live). When what we want changes, apply takes the field back.
        const fixed = yield* ObjectSync.ensure(Resources.ConfigMap, configMap({ b: "3" }))
        assert.strictEqual(fixed.action, "updated")
        assert.deepStrictEqual((yield* kube.get<ConfigMap>(Resources.ConfigMap, "settings", { namespace })).data, {
          b: "3"
        })

        const old = yield* kube.get<ConfigMap>(Resources.ConfigMap, "settings", { namespace })
        const recreated = yield* ObjectSync.ensure(Resources.ConfigMap, configMap({ c: "4" }), { recreate: () => true })
        assert.strictEqual(recreated.action, "recreated")
        assert.notStrictEqual(recreated.object.metadata?.uid, old.metadata?.uid)
      })
  )

  it.effect("ensureAbsent deletes only what exists", () =>
    Effect.gen(function* () {
      assert.isTrue(yield* ObjectSync.ensureAbsent(Resources.ConfigMap, namespace, "settings"))
      const before = yield* writes
      assert.isFalse(yield* ObjectSync.ensureAbsent(Resources.ConfigMap, namespace, "settings"))
      assert.strictEqual(yield* writes, before)
      yield* (yield* KubeClient).delete(Resources.Namespace, namespace)
    })
  )
})
