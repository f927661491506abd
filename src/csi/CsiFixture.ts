/**
 * A CSI server on a throw-away node layout, for tests, benchmarks and the pod walk: a temporary root with a
 * kubelet directory (`<root>/kubelet/pods`), a data directory (`<root>/data`), the server on `<root>/csi.sock`,
 * a connected client, and a clock that can be moved forward. Mounts are real, so it needs root.
 *
 * `stop()` closes the server and the client, lazily unmounts everything still mounted under the root (deepest
 * first, even when a test failed half-way) and deletes the root.
 *
 * @since 0.1.0
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Clock, Context, Duration, Effect, Exit, Layer, Logger, Scope } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as NodeFs from "../services/NodeFs.ts"
import * as CsiClient from "./CsiClient.ts"
import type { VolumeCapability } from "./CsiProto.ts"
import * as CsiServer from "./CsiServer.ts"
import * as DataDir from "./DataDir.ts"
import * as IdentityService from "./IdentityService.ts"
import * as NodeService from "./NodeService.ts"
import * as VolumeRequest from "./VolumeRequest.ts"

/** A wall clock that tests can move forward. @category models @since 0.1.0 */
export interface ShiftableClock {
  readonly clock: Clock.Clock
  readonly advance: (by: Duration.Input) => void
}

/** Real time plus an offset; `sleep` sleeps in real time. @category constructors @since 0.1.0 */
export const makeShiftableClock = (): ShiftableClock => {
  let offsetMillis = 0
  const millis = () => Date.now() + offsetMillis
  const nanos = () => BigInt(Math.round(millis())) * 1_000_000n
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: millis,
    currentTimeMillis: Effect.sync(millis),
    currentTimeNanosUnsafe: nanos,
    currentTimeNanos: Effect.sync(nanos),
    monotonicTimeNanosUnsafe: () => process.hrtime.bigint(),
    monotonicTimeNanos: Effect.sync(() => process.hrtime.bigint()),
    sleep: (duration) =>
      Effect.callback<void>((resume) => {
        const timer = setTimeout(() => resume(Effect.void), Duration.toMillis(duration))
        return Effect.sync(() => clearTimeout(timer))
      })
  }
  return { clock, advance: (by) => void (offsetMillis += Duration.toMillis(Duration.fromInputUnsafe(by))) }
}

export interface FixtureOptions {
  readonly nodeId?: string
  readonly maxInFlight?: number
  readonly version?: string
  /** The mount back end; default `NodeFs.layer`. */
  readonly nodeFs?: Layer.Layer<NodeFs.NodeFs, unknown>
  /** Where log lines go; default: dropped. */
  readonly loggers?: ReadonlyArray<Logger.Logger<unknown, unknown>>
}

export interface Fixture {
  readonly root: string
  readonly kubeletDir: string
  readonly podsDir: string
  readonly dataDir: DataDir.DataDir
  readonly socketPath: string
  readonly address: string
  readonly client: CsiClient.CsiClient
  readonly clock: ShiftableClock
  /** A kubelet-style target path `<pods>/<podUid>/volumes/kubernetes.io~csi/<volume>/mount`. */
  readonly targetFor: (podUid: string, volumeName?: string) => string
  /** Writes a fake extracted code module `codemodules/<version>` with the given files (relative path → content). */
  readonly addCodeModule: (version: string, files: Readonly<Record<string, string>>) => string
  /** Points `_dynakubes/<dk>/latest-codemodule` at `codemodules/<version>`, as the provisioner does. */
  readonly setLatest: (dynakube: string, version: string) => void
  /** The mount points currently under the root. */
  readonly mountsUnderRoot: () => ReadonlyArray<string>
  readonly stop: () => Promise<void>
}

/** The volume context the webhook and the kubelet put on an `app` volume. @category constructors @since 0.1.0 */
export const appVolumeContext = (
  pod: { readonly name: string; readonly namespace: string; readonly uid: string },
  dynakube: string,
  extra: Readonly<Record<string, string>> = {}
): Record<string, string> => ({
  [VolumeRequest.ContextKeys.ephemeral]: "true",
  [VolumeRequest.ContextKeys.podName]: pod.name,
  [VolumeRequest.ContextKeys.podNamespace]: pod.namespace,
  [VolumeRequest.ContextKeys.podUid]: pod.uid,
  [VolumeRequest.ContextKeys.serviceAccount]: "default",
  mode: VolumeRequest.AppMode,
  dynakube,
  retryTimeout: "10m0s",
  ...extra
})

/** A mount (not block) capability, as the kubelet sends for inline volumes. @category constants @since 0.1.0 */
export const mountCapability: VolumeCapability = {
  mount: { fs_type: "", mount_flags: [] },
  access_mode: { mode: "SINGLE_NODE_WRITER" }
}

const mountPointsUnder = (root: string): ReadonlyArray<string> =>
  NodeFs.parseMountInfo(fs.readFileSync("/proc/self/mountinfo", "utf8"))
    .map((m) => m.mountPoint)
    .filter((mp) => mp.startsWith(`${root}/`))

/** Unmounts (lazily, deepest first) everything mounted under `root`. @category cleanup @since 0.1.0 */
export const unmountAllUnder = (root: string): void => {
  for (let attempt = 0; attempt < 5; attempt++) {
    const points = mountPointsUnder(root).toSorted((a, b) => b.length - a.length)
    if (points.length === 0) return
    for (const mp of points) spawnSync("umount", ["-l", mp])
  }
}

/**
 * Starts a CSI server on a fresh temporary node layout.
 *
 * @category constructors
 * @since 0.1.0
 */
export const start = async (options: FixtureOptions = {}): Promise<Fixture> => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "csi-")))
  const kubeletDir = path.join(root, "kubelet")
  const podsDir = path.join(kubeletDir, "pods")
  fs.mkdirSync(podsDir, { recursive: true })
  const dataDir = DataDir.make(path.join(root, "data"))
  fs.mkdirSync(dataDir.codeModules, { recursive: true })
  const socketPath = path.join(root, "csi.sock")
  const clock = makeShiftableClock()

  const serverLayer = CsiServer.layer({ endpoint: `unix://${socketPath}`, shutdownTimeout: "2 seconds" }).pipe(
    Layer.provide(IdentityService.layer(options.version ?? "0.0.0-test")),
    Layer.provide(
      NodeService.layer({
        nodeId: options.nodeId ?? "test-node",
        dataDir,
        podsDir,
        maxInFlight: options.maxInFlight ?? NodeService.DefaultMaxInFlight
      })
    ),
    Layer.provide(Layer.mergeAll(options.nodeFs ?? NodeFs.layer, NodeFileSystem.layer)),
    Layer.provide(Layer.succeed(Clock.Clock, clock.clock)),
    Layer.provide(Logger.layer(options.loggers ?? []))
  )
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(serverLayer, scope)).catch(async (error) => {
    fs.rmSync(root, { recursive: true, force: true })
    throw error
  })
  const server = Context.get(context, CsiServer.CsiServer)
  const client = CsiClient.connect(server.address)

  let stopped = false
  return {
    root,
    kubeletDir,
    podsDir,
    dataDir,
    socketPath,
    address: server.address,
    client,
    clock,
    targetFor: (podUid, volumeName = "oneagent-bin") =>
      path.join(podsDir, podUid, "volumes", "kubernetes.io~csi", volumeName, "mount"),
    addCodeModule: (version, files) => {
      const dir = dataDir.codeModule(version)
      for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
        fs.writeFileSync(path.join(dir, file), content)
      }
      fs.mkdirSync(dir, { recursive: true })
      return dir
    },
    setLatest: (dynakube, version) => {
      fs.mkdirSync(dataDir.dynakube(dynakube), { recursive: true })
      const link = dataDir.latestCodeModule(dynakube)
      fs.rmSync(`${link}.tmp`, { force: true })
      fs.symlinkSync(dataDir.codeModule(version), `${link}.tmp`)
      fs.renameSync(`${link}.tmp`, link)
    },
    mountsUnderRoot: () => mountPointsUnder(root),
    stop: async () => {
      if (stopped) return
      stopped = true
      client.close()
      try {
        await Effect.runPromise(Scope.close(scope, Exit.void))
      } finally {
        unmountAllUnder(root)
        fs.rmSync(root, { recursive: true, force: true })
      }
    }
  }
}
