import { assert, describe, it } from "@effect/vitest"
import * as RequestCounter from "./RequestCounter.ts"

describe("RequestCounter", () => {
  it("counts by verb and resource, writes apart from reads and watches", () => {
    const counter = RequestCounter.make()
    counter.record("get", "configmaps")
    counter.record("list", "configmaps")
    counter.record("watch", "configmaps")
    counter.record("create", "secrets")
    counter.record("apply", "apps/deployments")
    counter.record("apply", "apps/deployments")
    counter.record("update", "dynatrace.com/dynakubes/status")
    counter.record("patch", "namespaces")
    counter.record("delete", "secrets")
    counter.recordFailure()
    const stats = counter.stats()
    assert.strictEqual(stats.total, 9)
    assert.strictEqual(stats.reads, 2)
    assert.strictEqual(stats.watches, 1)
    assert.strictEqual(stats.writes, 6)
    assert.strictEqual(stats.failed, 1)
    assert.strictEqual(stats.byVerb.apply, 2)
    assert.deepStrictEqual(stats.byRequest, {
      "apply apps/deployments": 2,
      "create secrets": 1,
      "delete secrets": 1,
      "get configmaps": 1,
      "list configmaps": 1,
      "patch namespaces": 1,
      "update dynatrace.com/dynakubes/status": 1,
      "watch configmaps": 1
    })
  })

  it("snapshots do not change afterwards; reset starts from zero", () => {
    const counter = RequestCounter.make()
    counter.record("create", "secrets")
    const before = counter.stats()
    counter.record("create", "secrets")
    assert.strictEqual(before.writes, 1)
    assert.strictEqual(before.byVerb.create, 1)
    counter.reset()
    assert.deepStrictEqual(counter.stats(), RequestCounter.empty)
  })

  it("diff shows only what happened in between", () => {
    const counter = RequestCounter.make()
    counter.record("get", "configmaps")
    const before = counter.stats()
    counter.record("get", "configmaps")
    counter.record("update", "configmaps")
    const d = RequestCounter.diff(counter.stats(), before)
    assert.strictEqual(d.reads, 1)
    assert.strictEqual(d.writes, 1)
    assert.deepStrictEqual(d.byRequest, { "get configmaps": 1, "update configmaps": 1 })
    assert.strictEqual(RequestCounter.diff(counter.stats(), counter.stats()).total, 0)
  })
})
