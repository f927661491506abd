/**
 * The watch survives what real clusters do to it, on private control planes:
 * - an apiserver restart (the watch breaks, the server is down for a while, then answers again);
 * - an etcd compaction while the client is cut off (the resume point is gone: 410 → relist).
 * In both, the informer cache ends equal to the API's list, and every change is reported exactly once.
 *
 * The client is cut off with a small TCP proxy between it and the real apiserver (network fault injection;
 * every answer still comes from kube-apiserver).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Schedule, Stream } from "effect"
import * as net from "node:net"
import { startControlPlane, type ControlPlane } from "../../../e2e/controlplane/ControlPlane.ts"
import { KubeClient, make as makeClient } from "../KubeClient.ts"
import * as Informer from "./Informer.ts"
import * as KubeConfigLoader from "./KubeConfigLoader.ts"
import type { KubeObject } from "./KubeObject.ts"
import * as RetryPolicy from "./RetryPolicy.ts"
import * as Resources from "./Resources.ts"

interface ConfigMap extends KubeObject {
  readonly data?: Record<string, string>
}

interface Proxy {
  readonly port: number
  /** Drops every open connection and refuses new ones (they are reset right away). */
  readonly cut: () => void
  readonly restore: () => void
  readonly close: () => Promise<void>
}

const startProxy = (targetPort: number): Promise<Proxy> =>
  new Promise((resolve) => {
    let cut = false
    const open = new Set<net.Socket>()
    const server = net.createServer((client) => {
      if (cut) return void client.resetAndDestroy()
      const upstream = net.connect(targetPort, "127.0.0.1")
      open.add(client).add(upstream)
      const close = () => {
        client.destroy()
        upstream.destroy()
        open.delete(client)
        open.delete(upstream)
      }
      for (const s of [client, upstream]) {
        s.on("error", close)
        s.on("close", close)
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        cut: () => {
          cut = true
          for (const s of open) s.resetAndDestroy()
          open.clear()
        },
        restore: () => {
          cut = false
        },
        close: () =>
          new Promise((done) => {
            for (const s of open) s.destroy()
            server.close(() => done())
          })
      })
    )
  })

const clientFor = (kubeconfig: string) =>
  Effect.flatMap(KubeConfigLoader.fromString(kubeconfig), (kc) =>
    // Quick reconnects keep the test short; the policy is the production one with a smaller cap.
    makeClient(kc, { retry: RetryPolicy.transient({ times: 2 }) })
  )

const cm = (ns: string, name: string, data: Record<string, string>): ConfigMap => ({
  metadata: { name, namespace: ns, labels: { test: "watch" } },
  data
})

/** `name@resourceVersion`, sorted: the cache and the API must agree on exactly this. */
const versions = (objects: ReadonlyArray<KubeObject>) =>
  objects.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).toSorted()

/**
 * Starts an informer (through `watcher`), records every event it reports, and returns a check that waits until
 * the cache equals the API's list (read through `writer`).
 */
const observe = (watcher: KubeClient["Service"], writer: KubeClient["Service"], ns: string) =>
  Effect.gen(function* () {
    const informer = yield* Informer.make<ConfigMap>(Resources.ConfigMap, {
      namespace: ns,
      labelSelector: "test=watch",
      // short watches: renewal is exercised too
      timeoutSeconds: 5
    }).pipe(Effect.provideService(KubeClient, watcher))
    yield* informer.awaitSynced
    const log: Array<string> = []
    yield* informer.events.pipe(
      Stream.runForEach((e) => Effect.sync(() => log.push(`${e.type} ${e.object.metadata?.name}`))),
      Effect.forkScoped
    )
    const inSync = Effect.gen(function* () {
      const listed = yield* writer.list(Resources.ConfigMap, { namespace: ns, labelSelector: "test=watch" })
      const cached = yield* informer.list()
      if (versions(cached).join() !== versions(listed.items).join()) {
        return yield* Effect.fail(`cache ${versions(cached)} != api ${versions(listed.items)}`)
      }
    }).pipe(Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ duration: "90 seconds" }))))
    return { informer, log, inSync }
  })

/** The events of one object, in order. */
const of = (log: ReadonlyArray<string>, name: string) => log.filter((l) => l.endsWith(` ${name}`))

describe("watch through an apiserver restart", () => {
  let cp: ControlPlane
  beforeAll(async () => {
    cp = await startControlPlane({ controllerManager: false, scheduler: false, kwok: false })
  })
  afterAll(async () => {
    await cp?.stop()
  })

  it.live(
    "reconnects, and the cache ends equal to the API with every change reported once",
    () =>
      Effect.gen(function* () {
        const writer = yield* clientFor(cp.kubeconfig)
        const watcher = yield* clientFor(cp.kubeconfig)
        const ns = "restart"
        yield* writer.create(Resources.Namespace, { metadata: { name: ns } })
        const a = yield* writer.create(Resources.ConfigMap, cm(ns, "a", { v: "1" }))
        const { log, inSync } = yield* observe(watcher, writer, ns)

        const b = yield* writer.create(Resources.ConfigMap, cm(ns, "b", { v: "1" }))
        yield* writer.update(Resources.ConfigMap, { ...a, data: { v: "2" } })
        yield* inSync
        const watchesBefore = (yield* watcher.requestStats).watches

        yield* Effect.promise(() => cp.restartApiServer())

        const c = yield* writer.create(Resources.ConfigMap, cm(ns, "c", { v: "1" })).pipe(
          // the writer's own first request may meet a socket the restart closed
          Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ times: 20 })))
        )
        yield* writer.update(Resources.ConfigMap, { ...b, data: { v: "2" } })
        yield* writer.delete(Resources.ConfigMap, "a", { namespace: ns })
        yield* writer.update(Resources.ConfigMap, { ...c, data: { v: "2" } })
        yield* inSync
        yield* Effect.sleep("300 millis") // a late duplicate would show up here

        assert.deepStrictEqual(of(log, "a"), ["Added a", "Modified a", "Deleted a"])
        assert.deepStrictEqual(of(log, "b"), ["Added b", "Modified b"])
        assert.deepStrictEqual(of(log, "c"), ["Added c", "Modified c"])
        assert.isAbove((yield* watcher.requestStats).watches, watchesBefore, "the watch was opened again")
      }).pipe(Effect.scoped),
    120_000
  )
})

describe("watch across an etcd compaction (410 Gone)", () => {
  let cp: ControlPlane
  let proxy: Proxy
  beforeAll(async () => {
    // Without the watch cache a watch is served by etcd itself, so a compacted resume point fails with 410.
    cp = await startControlPlane({
      controllerManager: false,
      scheduler: false,
      kwok: false,
      apiServerArgs: ["--watch-cache=false"]
    })
    proxy = await startProxy(Number(new URL(cp.server).port))
  })
  afterAll(async () => {
    await proxy?.close()
    await cp?.stop()
  })

  it.live(
    "relists and reports exactly what changed while it was cut off",
    () =>
      Effect.gen(function* () {
        const writer = yield* clientFor(cp.kubeconfig)
        const watcher = yield* clientFor(cp.kubeconfig.replace(cp.server, `https://127.0.0.1:${proxy.port}`))
        const ns = "compaction"
        yield* writer.create(Resources.Namespace, { metadata: { name: ns } })
        const a = yield* writer.create(Resources.ConfigMap, cm(ns, "a", { v: "1" }))
        yield* writer.create(Resources.ConfigMap, cm(ns, "b", { v: "1" }))
        yield* writer.create(Resources.ConfigMap, cm(ns, "c", { v: "1" }))
        const { log, inSync } = yield* observe(watcher, writer, ns)
        yield* inSync
        assert.deepStrictEqual(log.toSorted(), ["Added a", "Added b", "Added c"])
        const listsBefore = (yield* watcher.requestStats).byVerb.list

        proxy.cut()
        yield* writer.update(Resources.ConfigMap, { ...a, data: { v: "2" } })
        yield* writer.delete(Resources.ConfigMap, "b", { namespace: ns })
        yield* writer.create(Resources.ConfigMap, cm(ns, "d", { v: "1" }))
        // e lives and dies while the watcher is away: nobody must hear of it
        yield* writer.create(Resources.ConfigMap, cm(ns, "e", { v: "1" }))
        yield* writer.delete(Resources.ConfigMap, "e", { namespace: ns })
        yield* Effect.promise(() => cp.compactEtcd())
        proxy.restore()

        yield* inSync
        yield* Effect.sleep("300 millis")
        assert.deepStrictEqual(log.slice(3).toSorted(), ["Added d", "Deleted b", "Modified a"])
        assert.deepStrictEqual(of(log, "e"), [])
        assert.deepStrictEqual(of(log, "c"), ["Added c"])
        assert.strictEqual((yield* watcher.requestStats).byVerb.list, listsBefore + 1, "one relist after 410")

        // and it keeps watching afterwards
        yield* writer.create(Resources.ConfigMap, cm(ns, "f", { v: "1" }))
        yield* inSync
        assert.deepStrictEqual(of(log, "f"), ["Added f"])
      }).pipe(Effect.scoped),
    120_000
  )
})
