/**
 * The CSI Node service of the driver (spec §5.2, §5.4), as Effects independent of gRPC:
 *
 * - `publish`: validate (→ `InvalidArgument`), then succeed at once if the target is already a mount point
 *   (the kubelet repeats calls), else dispatch on `mode`: `app` (AppVolume), `host` (HostVolume), anything
 *   else `Internal`, as in the original.
 * - `unpublish`: unmount the target (not mounted = fine), unmount a legacy `<tenant>/run/<vol>/mapped` overlay if
 *   one is left, remove the volume's `appmounts/<vol>` directory and bookkeeping link, then remove the target
 *   directory (the CSI spec makes the driver delete what it created there). A target that stays mounted is
 *   `Internal`, so the kubelet retries instead of deleting a pod directory with a live mount in it.
 * - At most `maxInFlight` publish/unpublish calls run at once (`GRPC_MAX_REQUESTS_LIMIT`, default 20); more get
 *   `ResourceExhausted` and the kubelet retries. A second call for a volume that is still being worked on gets
 *   `Aborted` (the CSI spec's answer for "operation pending for volume").
 *
 * Only `publish` and `unpublish` open a span. The steps inside them (validation, the publishers) are
 * `Effect.fnUntraced`: a traced `Effect.fn` captures a call-site stack per call, which cost ~15% of the p99 with 200
 * publishes at once (docs/csi.md §Benchmark).
 *
 * Node capabilities: none (no staging, stats or expansion); the other Node RPCs answer `Unimplemented`.
 *
 * @since 0.1.0
 */
import { Context, Effect, FileSystem, Layer } from "effect"
import * as path from "node:path"
import { NodeFs } from "../services/NodeFs.ts"
import * as AppVolume from "./AppVolume.ts"
import * as CsiError from "./CsiError.ts"
import type * as Proto from "./CsiProto.ts"
import * as DataDir from "./DataDir.ts"
import * as GoDuration from "../services/certs/GoDuration.ts"
import * as HostVolume from "./HostVolume.ts"
import * as VolumeRequest from "./VolumeRequest.ts"

/** How the Node service is set up. @category models @since 0.1.0 */
export interface Config {
  readonly nodeId: string
  readonly dataDir: DataDir.DataDir
  /** The kubelet's pods directory (`<kubelet>/pods`); every target path must lie inside it. */
  readonly podsDir: string
  /** Publish/unpublish calls allowed in flight at once. */
  readonly maxInFlight: number
}

/** Default of `GRPC_MAX_REQUESTS_LIMIT`. @category constants @since 0.1.0 */
export const DefaultMaxInFlight = 20

/** The Node service. @category services @since 0.1.0 */
export class NodeService extends Context.Service<
  NodeService,
  {
    readonly publish: (
      request: Proto.NodePublishVolumeRequest
    ) => Effect.Effect<Proto.NodePublishVolumeResponse, CsiError.CsiError>
    readonly unpublish: (
      request: Proto.NodeUnpublishVolumeRequest
    ) => Effect.Effect<Proto.NodeUnpublishVolumeResponse, CsiError.CsiError>
    readonly getInfo: Effect.Effect<Proto.NodeGetInfoResponse>
    readonly getCapabilities: Effect.Effect<Proto.NodeGetCapabilitiesResponse>
  }
>()("dynatrace-operator/csi/NodeService") {}

/**
 * Builds the Node service.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fn("NodeService.make")(function* (config: Config) {
  const fs = yield* FileSystem.FileSystem
  const nodeFs = yield* NodeFs
  const { dataDir, podsDir } = config
  const provide = <A, E>(effect: Effect.Effect<A, E, FileSystem.FileSystem | NodeFs>) =>
    effect.pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(NodeFs, nodeFs))

  let inFlight = 0
  const busyVolumes = new Set<string>()

  /** Admission: the global in-flight limit, then one call per volume. */
  const admitted = <A>(
    volumeId: string,
    body: Effect.Effect<A, CsiError.CsiError>
  ): Effect.Effect<A, CsiError.CsiError> =>
    Effect.suspend(() => {
      if (inFlight >= config.maxInFlight) {
        return Effect.fail(
          CsiError.resourceExhausted(
            `${inFlight} volume operations are in flight (limit ${config.maxInFlight}); retry later`
          )
        )
      }
      if (busyVolumes.has(volumeId)) {
        return Effect.fail(CsiError.aborted(`an operation for volume ${volumeId} is already in progress`))
      }
      inFlight++
      busyVolumes.add(volumeId)
      return body.pipe(
        Effect.ensuring(
          Effect.sync(() => {
            inFlight--
            busyVolumes.delete(volumeId)
          })
        )
      )
    })

  const isMounted = (target: string) => nodeFs.isMountPoint(target)

  const publishValidated = Effect.fnUntraced(function* (request: VolumeRequest.PublishRequest) {
    if (yield* isMounted(request.targetPath)) {
      yield* Effect.logDebug("Volume was already published.")
      return {}
    }
    switch (request.mode) {
      case VolumeRequest.AppMode: {
        const outcome = yield* provide(AppVolume.publish(dataDir, request))
        if (outcome._tag === "Mounted") {
          yield* Effect.logInfo("Published code module volume.").pipe(
            Effect.annotateLogs({ codeModule: path.basename(outcome.codeModule) })
          )
        } else {
          yield* Effect.logWarning("Published empty volume: the code module did not become available in time.").pipe(
            Effect.annotateLogs({ waited: GoDuration.format(outcome.waitedFor) })
          )
        }
        return {}
      }
      case VolumeRequest.HostMode: {
        const dir = yield* provide(HostVolume.publish(dataDir, request))
        yield* Effect.logInfo("Published host agent volume.").pipe(Effect.annotateLogs({ hostDir: dir }))
        return {}
      }
      default:
        return yield* CsiError.internal(
          `unknown volume mode ${JSON.stringify(request.mode)}: expected "${VolumeRequest.AppMode}" or "${VolumeRequest.HostMode}"`
        )
    }
  })

  const publish = (request: Proto.NodePublishVolumeRequest) =>
    provide(VolumeRequest.decodePublish(request, podsDir)).pipe(
      Effect.flatMap((validated) =>
        admitted(validated.volumeId, publishValidated(validated)).pipe(
          Effect.annotateLogs({
            volumeId: validated.volumeId,
            mode: validated.mode,
            dynakube: validated.dynakube,
            namespace: validated.pod.namespace,
            pod: validated.pod.name,
            targetPath: validated.targetPath
          })
        )
      ),
      Effect.withSpan("NodeService.publish")
    )

  /** Unmounts a legacy (≤ 1.4) overlay `<tenant>/run/<vol>/mapped` if one is still mounted. */
  const unmountLegacy = Effect.fnUntraced(function* (volumeId: string) {
    const entries = yield* fs.readDirectory(dataDir.root).pipe(Effect.orElseSucceed(() => []))
    for (const name of entries) {
      if (DataDir.KnownTopLevelNames.includes(name) || !DataDir.isSafeComponent(name)) continue
      const mapped = dataDir.legacyMapped(name, volumeId)
      if (yield* isMounted(mapped)) {
        yield* nodeFs.unmount(mapped).pipe(
          Effect.tap(() => Effect.logInfo("Unmounted legacy volume.").pipe(Effect.annotateLogs({ path: mapped }))),
          Effect.catchTag("MountError", (e) =>
            Effect.logWarning("Could not unmount legacy volume.").pipe(Effect.annotateLogs({ error: e.message }))
          )
        )
      }
    }
  })

  const unpublishValidated = Effect.fnUntraced(function* (request: VolumeRequest.UnpublishRequest) {
    // Unmount until nothing is mounted there any more (mounts can be stacked after a crash mid-publish).
    let unmounted = false
    let clear = false
    for (let attempt = 0; attempt < 8 && !clear; attempt++) {
      const did = yield* nodeFs
        .unmount(request.targetPath)
        .pipe(Effect.mapError((e) => CsiError.internal(`unmounting ${request.targetPath} failed: ${e.message}`)))
      unmounted ||= did
      clear = !did
    }
    if (!clear) return yield* CsiError.internal(`${request.targetPath} is still a mount point after unmounting it`)
    yield* unmountLegacy(request.volumeId)
    const cleaned = yield* provide(AppVolume.cleanup(dataDir, request.volumeId))

    // Remove the target directory we created, but only when it is empty: it is never deleted with content.
    const rest = yield* fs.readDirectory(request.targetPath).pipe(Effect.option)
    if (rest._tag === "Some") {
      if (rest.value.length === 0) {
        yield* fs
          .remove(request.targetPath, { recursive: true, force: true })
          .pipe(Effect.mapError((e) => CsiError.internal(`removing ${request.targetPath} failed: ${e.message}`)))
      } else {
        yield* Effect.logWarning("Left the target directory in place: it is not empty.")
      }
    }
    yield* Effect.logInfo(unmounted ? "Unpublished volume." : "Unpublished volume that was not mounted.").pipe(
      Effect.annotateLogs({ removedAppMount: cleaned })
    )
    return {}
  })

  const unpublish = (request: Proto.NodeUnpublishVolumeRequest) =>
    provide(VolumeRequest.decodeUnpublish(request, podsDir)).pipe(
      Effect.flatMap((validated) =>
        admitted(validated.volumeId, unpublishValidated(validated)).pipe(
          Effect.annotateLogs({ volumeId: validated.volumeId, targetPath: validated.targetPath })
        )
      ),
      Effect.withSpan("NodeService.unpublish")
    )

  return NodeService.of({
    publish,
    unpublish,
    getInfo: Effect.succeed({ node_id: config.nodeId, max_volumes_per_node: "0" }),
    getCapabilities: Effect.succeed({ capabilities: [] })
  })
})

/** The Node service as a layer. @category layers @since 0.1.0 */
export const layer = (config: Config): Layer.Layer<NodeService, never, FileSystem.FileSystem | NodeFs> =>
  Layer.effect(NodeService, make(config))
