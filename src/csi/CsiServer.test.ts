/**
 * The CSI server over a real unix socket with real mounts (overlayfs, bind): what the kubelet sees. Needs root.
 * Every test gets a fresh node layout; `afterEach` unmounts whatever is left under it, also after a failure.
 */
import * as grpc from "@grpc/grpc-js"
import { Effect, Layer, Logger } from "effect"
import { NodeFileSystem } from "@effect/platform-node"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as NodeFs from "../services/NodeFs.ts"
import * as CsiFixture from "./CsiFixture.ts"
import * as CsiServer from "./CsiServer.ts"
import type { NodePublishVolumeRequest } from "./CsiProto.ts"
import * as DataDir from "./DataDir.ts"
import * as IdentityService from "./IdentityService.ts"
import * as NodeService from "./NodeService.ts"

const isRoot = process.getuid?.() === 0
if (!isRoot) console.warn("CsiServer.test.ts skipped: mounting overlayfs and bind mounts needs root")

const pod = { name: "app-7d9f-xk2", namespace: "shop", uid: "2f1c7e1a-0000-4000-8000-000000000001" }
const codeModuleFiles = {
  "agent/lib64/liboneagentproc.so": "ELF fake agent library",
  "agent/conf/ruxitagentproc.conf": "[general]\n",
  "agent/installer.version": "1.299.0.20240101-000000\n"
}

let fixture: CsiFixture.Fixture | undefined
afterEach(async () => {
  const f = fixture
  fixture = undefined
  await f?.stop()
  if (f !== undefined) expect(fs.existsSync(f.root)).toBe(false)
})

const start = async (options: CsiFixture.FixtureOptions = {}) => {
  fixture = await CsiFixture.start(options)
  return fixture
}

const expectCode = async (promise: Promise<unknown>, code: grpc.status, details?: RegExp) => {
  const error = await promise.then(
    () => undefined,
    (e: grpc.ServiceError) => e
  )
  expect(error, "the call should have failed").toBeDefined()
  expect(grpc.status[error!.code]).toBe(grpc.status[code])
  if (details !== undefined) expect(error!.details).toMatch(details)
  return error!
}

const appRequest = (
  f: CsiFixture.Fixture,
  volumeId: string,
  extra: Partial<NodePublishVolumeRequest> = {},
  context: Record<string, string> = {}
): NodePublishVolumeRequest => ({
  volume_id: volumeId,
  target_path: f.targetFor(pod.uid, volumeId),
  volume_capability: CsiFixture.mountCapability,
  readonly: true,
  volume_context: CsiFixture.appVolumeContext(pod, "dynakube", context),
  ...extra
})

const hostRequest = (f: CsiFixture.Fixture, volumeId: string, podUid: string, readOnly = false) => ({
  volume_id: volumeId,
  target_path: f.targetFor(podUid, volumeId),
  volume_capability: CsiFixture.mountCapability,
  readonly: readOnly,
  volume_context: CsiFixture.appVolumeContext({ ...pod, uid: podUid }, "dynakube", { mode: "host" })
})

const settle = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: grpc.ServiceError) => grpc.status[e.code]
  )
const pause = () => new Promise((resolve) => setTimeout(resolve, 150))

describe.skipIf(!isRoot)("CSI server", () => {
  describe("Identity", () => {
    it("names the driver, has no plugin capabilities and is ready", async () => {
      const f = await start({ version: "1.2.3-test" })
      expect(await f.client.getPluginInfo()).toMatchObject({
        name: "csi.oneagent.dynatrace.com",
        vendor_version: "1.2.3-test"
      })
      expect((await f.client.getPluginCapabilities()).capabilities).toEqual([])
      expect((await f.client.probe()).ready?.value).toBe(true)
    })
  })

  describe("Node info", () => {
    it("reports the node id and no capabilities; staging, stats and expansion are unimplemented", async () => {
      const f = await start({ nodeId: "worker-1" })
      expect(await f.client.nodeGetInfo()).toMatchObject({ node_id: "worker-1", max_volumes_per_node: "0" })
      expect((await f.client.nodeGetCapabilities()).capabilities).toEqual([])
      for (const method of ["NodeStageVolume", "NodeUnstageVolume", "NodeGetVolumeStats", "NodeExpandVolume"]) {
        await expectCode(f.client.callNode(method, { volume_id: "v" }), grpc.status.UNIMPLEMENTED)
      }
    })
  })

  describe.each([
    ["syscall", NodeFs.layerSyscall],
    ["command", NodeFs.layerCommand]
  ] as const)("publishing with the %s mount back end", (_name, nodeFs) => {
    it("mode app: overlay of the cached code module; writes land in the upper dir, the module stays untouched", async () => {
      const f = await start({ nodeFs })
      const lower = f.addCodeModule("1.299.0", codeModuleFiles)
      f.setLatest("dynakube", "1.299.0")
      const request = appRequest(f, "csi-0a1b2c")
      const target = request.target_path!

      await f.client.nodePublishVolume(request)

      expect(f.mountsUnderRoot()).toContain(target)
      expect(fs.readFileSync(path.join(target, "agent/lib64/liboneagentproc.so"), "utf8")).toBe(
        "ELF fake agent library"
      )
      // pod-info in the upper dir names the bookkeeping link, which points back at the volume's directory.
      const link = f.dataDir.podInfoLink("dynakube", pod.namespace, pod.name)
      expect(fs.readFileSync(path.join(target, "pod-info"), "utf8")).toBe(link)
      expect(fs.readlinkSync(link)).toBe(f.dataDir.appMount("csi-0a1b2c"))

      fs.writeFileSync(path.join(target, "agent/conf/written-by-pod.txt"), "hello")
      fs.appendFileSync(path.join(target, "agent/conf/ruxitagentproc.conf"), "changed=1\n")
      const upper = f.dataDir.overlayUpper("csi-0a1b2c")
      expect(fs.readFileSync(path.join(upper, "agent/conf/written-by-pod.txt"), "utf8")).toBe("hello")
      expect(fs.readFileSync(path.join(upper, "agent/conf/ruxitagentproc.conf"), "utf8")).toBe("[general]\nchanged=1\n")
      expect(fs.existsSync(path.join(lower, "agent/conf/written-by-pod.txt"))).toBe(false)
      expect(fs.readFileSync(path.join(lower, "agent/conf/ruxitagentproc.conf"), "utf8")).toBe("[general]\n")
      expect(fs.existsSync(f.dataDir.mountStart("csi-0a1b2c"))).toBe(false)

      await f.client.nodeUnpublishVolume({ volume_id: "csi-0a1b2c", target_path: target })
      expect(f.mountsUnderRoot()).toEqual([])
      expect(fs.existsSync(target)).toBe(false)
      expect(fs.existsSync(f.dataDir.appMount("csi-0a1b2c"))).toBe(false)
      expect(fs.existsSync(link)).toBe(false)
      expect(fs.existsSync(path.dirname(link))).toBe(false)
      expect(fs.readdirSync(lower, { recursive: true }).toSorted()).toEqual(
        [
          "agent",
          "agent/conf",
          "agent/conf/ruxitagentproc.conf",
          "agent/installer.version",
          "agent/lib64",
          "agent/lib64/liboneagentproc.so"
        ].toSorted()
      )
    })

    it("mode host: one persistent directory per DynaKube, bind-mounted; data survives a pod restart", async () => {
      const f = await start({ nodeFs })
      const first = hostRequest(f, "csi-host-1", "11111111-0000-4000-8000-000000000001")
      await f.client.nodePublishVolume(first)
      expect(f.mountsUnderRoot()).toContain(first.target_path)
      fs.writeFileSync(path.join(first.target_path, "agent-state"), "kept")
      expect(fs.readFileSync(path.join(f.dataDir.osAgent("dynakube"), "agent-state"), "utf8")).toBe("kept")
      await f.client.nodeUnpublishVolume({ volume_id: "csi-host-1", target_path: first.target_path })
      expect(f.mountsUnderRoot()).toEqual([])

      const second = hostRequest(f, "csi-host-2", "22222222-0000-4000-8000-000000000002")
      await f.client.nodePublishVolume(second)
      expect(fs.readFileSync(path.join(second.target_path, "agent-state"), "utf8")).toBe("kept")
    })

    it("mode host with readonly: the bind mount refuses writes", async () => {
      const f = await start({ nodeFs })
      const request = hostRequest(f, "csi-host-ro", "33333333-0000-4000-8000-000000000003", true)
      await f.client.nodePublishVolume(request)
      expect(() => fs.writeFileSync(path.join(request.target_path, "x"), "y")).toThrow(/EROFS|read-only/)
    })
  })

  describe("idempotency", () => {
    it("a second publish of the same volume to the same target succeeds without a second mount", async () => {
      const f = await start()
      f.addCodeModule("1.299.0", codeModuleFiles)
      f.setLatest("dynakube", "1.299.0")
      const request = appRequest(f, "csi-twice")
      await f.client.nodePublishVolume(request)
      await f.client.nodePublishVolume(request)
      expect(f.mountsUnderRoot().filter((mp) => mp === request.target_path)).toHaveLength(1)
    })

    it("unpublish of a target that is not mounted, or was never published, succeeds", async () => {
      const f = await start()
      f.addCodeModule("1.299.0", codeModuleFiles)
      f.setLatest("dynakube", "1.299.0")
      const request = appRequest(f, "csi-unpub")
      await f.client.nodeUnpublishVolume({ volume_id: "csi-never", target_path: f.targetFor(pod.uid, "never") })
      await f.client.nodePublishVolume(request)
      await f.client.nodeUnpublishVolume({ volume_id: "csi-unpub", target_path: request.target_path! })
      await f.client.nodeUnpublishVolume({ volume_id: "csi-unpub", target_path: request.target_path! })
      expect(f.mountsUnderRoot()).toEqual([])
    })
  })

  describe("ephemeral inline volumes with pod info", () => {
    it("uses the pod name and namespace from the volume context for the bookkeeping link", async () => {
      const f = await start()
      f.addCodeModule("1.299.0", codeModuleFiles)
      f.setLatest("dk-prod", "1.299.0")
      const other = { name: "checkout-0", namespace: "payments", uid: "44444444-0000-4000-8000-000000000004" }
      const target = f.targetFor(other.uid)
      await f.client.nodePublishVolume({
        volume_id: "csi-5e6f",
        target_path: target,
        volume_capability: CsiFixture.mountCapability,
        readonly: true,
        volume_context: CsiFixture.appVolumeContext(other, "dk-prod")
      })
      const link = f.dataDir.podInfoLink("dk-prod", "payments", "checkout-0")
      expect(fs.readlinkSync(link)).toBe(f.dataDir.appMount("csi-5e6f"))
      expect(fs.readFileSync(path.join(target, "pod-info"), "utf8")).toBe(link)
    })

    it("refuses a persistent (non-ephemeral) volume and missing pod info", async () => {
      const f = await start()
      await expectCode(
        f.client.nodePublishVolume(appRequest(f, "csi-pv", {}, { "csi.storage.k8s.io/ephemeral": "false" })),
        grpc.status.INVALID_ARGUMENT,
        /ephemeral/
      )
      const context = CsiFixture.appVolumeContext(pod, "dynakube")
      delete context["csi.storage.k8s.io/pod.name"]
      await expectCode(
        f.client.nodePublishVolume(appRequest(f, "csi-nopod", { volume_context: context })),
        grpc.status.INVALID_ARGUMENT,
        /pod\.name is required/
      )
    })
  })

  describe("retry timeout", () => {
    it("answers Unavailable until retryTimeout has passed since the first attempt, then succeeds without a mount", async () => {
      const lines: Array<string> = []
      const f = await start({ loggers: [Logger.map(Logger.formatJson, (line) => void lines.push(line))] })
      const request = appRequest(f, "csi-wait", {}, { retryTimeout: "10m" })

      await expectCode(f.client.nodePublishVolume(request), grpc.status.UNAVAILABLE, /not yet available.*10m0s/)
      const marker = f.dataDir.mountStart("csi-wait")
      expect(fs.statSync(marker).isDirectory()).toBe(true)

      f.clock.advance("9 minutes")
      await expectCode(f.client.nodePublishVolume(request), grpc.status.UNAVAILABLE, /retrying for (59s|1m0s) more/)

      f.clock.advance("2 minutes")
      await f.client.nodePublishVolume(request)
      expect(f.mountsUnderRoot()).toEqual([])
      expect(fs.readdirSync(request.target_path!)).toEqual([])
      expect(lines.some((l) => l.includes("Reached max mount attempts"))).toBe(true)

      await f.client.nodeUnpublishVolume({ volume_id: "csi-wait", target_path: request.target_path! })
      expect(fs.existsSync(f.dataDir.appMount("csi-wait"))).toBe(false)
    })

    it("mounts as soon as the provisioner has made the code module available, and clears the retry timer", async () => {
      const f = await start()
      const request = appRequest(f, "csi-late")
      await expectCode(f.client.nodePublishVolume(request), grpc.status.UNAVAILABLE)
      f.addCodeModule("1.300.0", codeModuleFiles)
      f.setLatest("dynakube", "1.300.0")
      f.clock.advance("1 minute")
      await f.client.nodePublishVolume(request)
      expect(f.mountsUnderRoot()).toContain(request.target_path)
      expect(fs.existsSync(f.dataDir.mountStart("csi-late"))).toBe(false)
    })

    it("a failing mount answers Internal until the timeout, then gives up the same way", async () => {
      const failing = Layer.succeed(
        NodeFs.NodeFs,
        NodeFs.NodeFs.of({
          backend: "command",
          mountOverlay: (m) =>
            Effect.fail(
              new NodeFs.MountError({
                operation: "mount",
                target: m.target,
                reason: "Invalid",
                message: "overlay refused"
              })
            ),
          bindMount: () => Effect.void,
          unmount: () => Effect.succeed(false),
          mounts: Effect.succeed([]),
          isMountPoint: () => Effect.succeed(false)
        })
      )
      const f = await start({ nodeFs: failing })
      f.addCodeModule("1.299.0", codeModuleFiles)
      f.setLatest("dynakube", "1.299.0")
      const request = appRequest(f, "csi-fail", {}, { retryTimeout: "1m" })
      await expectCode(f.client.nodePublishVolume(request), grpc.status.INTERNAL, /overlay refused/)
      f.clock.advance("61 seconds")
      await f.client.nodePublishVolume(request)
    })
  })

  describe("validation", () => {
    it("refuses traversal, relative and foreign target paths with InvalidArgument and touches nothing", async () => {
      const f = await start()
      f.addCodeModule("1.299.0", codeModuleFiles)
      f.setLatest("dynakube", "1.299.0")
      const outside = path.join(f.root, "outside")
      fs.mkdirSync(outside)
      fs.mkdirSync(path.join(f.podsDir, "escape-uid"), { recursive: true })
      fs.symlinkSync(outside, path.join(f.podsDir, "escape-uid", "volumes"))
      const bad = [
        `${f.podsDir}/${pod.uid}/../../../outside/mount`,
        `${f.podsDir}/../outside/mount`,
        `${f.podsDir}/./x/mount`,
        "relative/pods/x/mount",
        "/etc/csi-target",
        f.podsDir,
        `${f.podsDir}-evil/x/mount`,
        path.join(f.podsDir, "escape-uid", "volumes", "kubernetes.io~csi", "v", "mount")
      ]
      for (const target of bad) {
        await expectCode(
          f.client.nodePublishVolume(appRequest(f, "csi-bad", { target_path: target })),
          grpc.status.INVALID_ARGUMENT,
          /target_path/
        )
        await expectCode(
          f.client.nodeUnpublishVolume({ volume_id: "csi-bad", target_path: target }),
          grpc.status.INVALID_ARGUMENT,
          /target_path/
        )
      }
      expect(fs.readdirSync(outside)).toEqual([])
      expect(fs.existsSync("/etc/csi-target")).toBe(false)
      expect(f.mountsUnderRoot()).toEqual([])
    })

    it("refuses bad volume ids, capabilities and attributes with InvalidArgument", async () => {
      const f = await start()
      const cases: ReadonlyArray<[NodePublishVolumeRequest, RegExp]> = [
        [appRequest(f, ""), /volume_id is required/],
        [appRequest(f, "../../etc"), /volume_id/],
        [appRequest(f, "a/b"), /volume_id/],
        [appRequest(f, "csi-x", { target_path: "" }), /target_path is required/],
        [appRequest(f, "csi-x", { volume_capability: null }), /volume_capability is required/],
        [appRequest(f, "csi-x", { volume_capability: { block: {} } }), /block volumes/],
        [appRequest(f, "csi-x", {}, { dynakube: "Not_A_Name" }), /DNS-1035/],
        [appRequest(f, "csi-x", {}, { dynakube: "" }), /dynakube is required/],
        [appRequest(f, "csi-x", {}, { mode: "" }), /mode is required/],
        [appRequest(f, "csi-x", {}, { retryTimeout: "ten minutes" }), /retryTimeout/],
        [appRequest(f, "csi-x", {}, { retryTimeout: "-5m" }), /retryTimeout/],
        [appRequest(f, "csi-x", {}, { "csi.storage.k8s.io/pod.namespace": "../kube-system" }), /namespace/]
      ]
      for (const [request, details] of cases) {
        await expectCode(f.client.nodePublishVolume(request), grpc.status.INVALID_ARGUMENT, details)
      }
      await expectCode(
        f.client.nodeUnpublishVolume({ target_path: f.targetFor(pod.uid) }),
        grpc.status.INVALID_ARGUMENT
      )
      expect(fs.readdirSync(f.dataDir.root).toSorted()).toEqual([DataDir.CodeModulesDirName])
    })

    it("answers Internal for an unknown mode, as the original", async () => {
      const f = await start()
      await expectCode(
        f.client.nodePublishVolume(appRequest(f, "csi-mode", {}, { mode: "sidecar" })),
        grpc.status.INTERNAL,
        /unknown volume mode "sidecar"/
      )
    })

    it("refuses a latest-codemodule link that leads outside codemodules/", async () => {
      const f = await start()
      const elsewhere = path.join(f.root, "elsewhere")
      fs.mkdirSync(elsewhere)
      fs.mkdirSync(f.dataDir.dynakube("dynakube"), { recursive: true })
      fs.symlinkSync(elsewhere, f.dataDir.latestCodeModule("dynakube"))
      await expectCode(f.client.nodePublishVolume(appRequest(f, "csi-link")), grpc.status.INTERNAL, /not a code module/)
      expect(f.mountsUnderRoot()).toEqual([])
    })
  })

  describe("concurrency limits", () => {
    const slowMounts = Layer.effect(
      NodeFs.NodeFs,
      Effect.gen(function* () {
        const real = yield* NodeFs.NodeFs
        return NodeFs.NodeFs.of({
          ...real,
          mountOverlay: (m) => Effect.sleep("2 seconds").pipe(Effect.andThen(real.mountOverlay(m)))
        })
      })
    ).pipe(Layer.provide(NodeFs.layer))

    it("more publishes in flight than the limit get ResourceExhausted; the same volume twice gets Aborted", async () => {
      const f = await start({ nodeFs: slowMounts, maxInFlight: 2 })
      f.addCodeModule("1.299.0", codeModuleFiles)
      f.setLatest("dynakube", "1.299.0")
      const first = settle(f.client.nodePublishVolume(appRequest(f, "csi-c1")))
      await pause()
      const duplicate = settle(f.client.nodePublishVolume(appRequest(f, "csi-c1")))
      await pause()
      const second = settle(f.client.nodePublishVolume(appRequest(f, "csi-c2")))
      await pause()
      const third = settle(f.client.nodePublishVolume(appRequest(f, "csi-c3")))
      expect(await Promise.all([first, duplicate, second, third])).toEqual([
        "OK",
        "ABORTED",
        "OK",
        "RESOURCE_EXHAUSTED"
      ])
      // Once they are done, the rejected one goes through.
      await f.client.nodePublishVolume(appRequest(f, "csi-c3"))
      expect(f.mountsUnderRoot()).toHaveLength(3)
    })
  })

  describe("lifecycle", () => {
    it("removes the socket on shutdown", async () => {
      const f = await start()
      expect(fs.statSync(f.socketPath).isSocket()).toBe(true)
      const socketPath = f.socketPath
      await f.stop()
      expect(fs.existsSync(socketPath)).toBe(false)
    })

    it("refuses to start on a path that is not a socket, and on endpoints that are not unix sockets", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csi-endpoint-"))
      try {
        const file = path.join(dir, "not-a-socket")
        fs.writeFileSync(file, "keep me")
        const build = (endpoint: string) =>
          Effect.runPromise(
            Effect.scoped(
              Layer.build(
                CsiServer.layer({ endpoint }).pipe(
                  Layer.provide(IdentityService.layer("0")),
                  Layer.provide(
                    NodeService.layer({ nodeId: "n", dataDir: DataDir.make(dir), podsDir: dir, maxInFlight: 1 })
                  ),
                  Layer.provide(Layer.mergeAll(NodeFs.layerCommand, NodeFileSystem.layer)),
                  Layer.provide(Logger.layer([]))
                )
              )
            ).pipe(
              Effect.flip,
              Effect.map((e) => e.message)
            )
          )
        expect(await build(`unix://${file}`)).toMatch(/exists and is not a socket/)
        expect(fs.readFileSync(file, "utf8")).toBe("keep me")
        expect(await build("tcp://127.0.0.1:10000")).toMatch(/not a unix socket/)
        expect(await build("unix:relative.sock")).toMatch(/absolute path/)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })
  })
})
