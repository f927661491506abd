/**
 * Mode `app`: the code module for an injected pod (spec §5.4). The node's cached code module for the DynaKube
 * (`_dynakubes/<dk>/latest-codemodule`, kept by the provisioner) becomes the read-only lower layer of an overlayfs
 * mounted on the target path; whatever the pod writes lands in a per-volume upper directory, so pods never see
 * each other's files and the cached module is never modified.
 *
 * While the provisioner has not finished (no `latest-codemodule` yet) the publish fails with `Unavailable` and the
 * kubelet retries with backoff. The first attempt creates `appmounts/<vol>/mount-start`, whose mtime is the retry
 * timer: once `retryTimeout` has passed since then, the publish succeeds without mounting anything, so the pod
 * starts (unmonitored) instead of hanging in ContainerCreating. A failing mount follows the same timer with
 * `Internal`. Time comes from the `Clock` (the mtime is written from it too), so tests can move it.
 *
 * Its functions are untraced: they run inside the span of `NodeService.publish`/`unpublish` (see NodeService).
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, FileSystem, Option } from "effect"
import * as path from "node:path"
import { NodeFs } from "../services/NodeFs.ts"
import * as CsiError from "./CsiError.ts"
import * as FsCalls from "./FsCalls.ts"
import type { DataDir } from "./DataDir.ts"
import * as GoDuration from "../services/certs/GoDuration.ts"
import type { PublishRequest } from "./VolumeRequest.ts"

/** What a publish did. @category models @since 0.1.0 */
export type Outcome =
  | { readonly _tag: "Mounted"; readonly codeModule: string }
  | { readonly _tag: "GaveUp"; readonly waitedFor: Duration.Duration }

const isInside = (child: string, parent: string) => child.startsWith(`${parent}/`)

const mountedOutcome = (codeModule: string): Outcome => ({ _tag: "Mounted", codeModule })
const gaveUpOutcome = (waitedFor: Duration.Duration): Outcome => ({ _tag: "GaveUp", waitedFor })

/**
 * The code module directory `latest-codemodule` of `dynakube` points to, or `None` when the link is missing or
 * dangling. A link that leads outside `codemodules/` is refused: the lower layer is only ever a cached module.
 *
 * @category resolving
 * @since 0.1.0
 */
export const resolveCodeModule = Effect.fnUntraced(function* (dataDir: DataDir, dynakube: string) {
  const fs = yield* FileSystem.FileSystem
  const real = yield* FsCalls.realPath(dataDir.latestCodeModule(dynakube)).pipe(Effect.option)
  if (Option.isNone(real)) return Option.none<string>()
  const codeModules = yield* FsCalls.realPath(dataDir.codeModules).pipe(Effect.orElseSucceed(() => dataDir.codeModules))
  if (!isInside(real.value, codeModules)) {
    return yield* CsiError.internal(
      `${dataDir.latestCodeModule(dynakube)} points to ${real.value}, which is not a code module under ${codeModules}`
    )
  }
  const info = yield* fs.stat(real.value).pipe(Effect.option)
  if (Option.isNone(info) || info.value.type !== "Directory") return Option.none<string>()
  return Option.some(real.value)
})

/**
 * The retry timer: fails with `code` until `retryTimeout` has passed since the first attempt, then answers how
 * long it waited (the caller gives up and reports success).
 */
const retryOrGiveUp = Effect.fnUntraced(function* (
  dataDir: DataDir,
  request: PublishRequest,
  code: "Unavailable" | "Internal",
  reason: string
) {
  const fs = yield* FileSystem.FileSystem
  const marker = dataDir.mountStart(request.volumeId)
  const now = yield* Clock.currentTimeMillis
  const started = yield* fs.stat(marker).pipe(
    Effect.map((info) => Option.map(info.mtime, (d) => d.getTime())),
    Effect.orElseSucceed(() => Option.none<number>())
  )
  const timeout = GoDuration.format(request.retryTimeout)
  if (Option.isNone(started)) {
    yield* fs.makeDirectory(marker, { recursive: true }).pipe(Effect.mapError((e) => CsiError.internal(e.message)))
    yield* fs.utimes(marker, new Date(now), new Date(now)).pipe(Effect.mapError((e) => CsiError.internal(e.message)))
    return yield* new CsiError.CsiError({ code, message: `${reason}; retrying for up to ${timeout}` })
  }
  const waited = now - started.value
  if (waited <= Duration.toMillis(request.retryTimeout)) {
    return yield* new CsiError.CsiError({
      code,
      message: `${reason}; retrying for ${GoDuration.format(Duration.seconds(Math.ceil((Duration.toMillis(request.retryTimeout) - waited) / 1000)))} more`
    })
  }
  yield* Effect.logWarning("Reached max mount attempts: the pod starts without the code module, unmonitored.").pipe(
    Effect.annotateLogs({ reason, retryTimeout: timeout })
  )
  return Duration.millis(waited)
})

/**
 * Publishes an `app` volume (the target must not be mounted yet; the caller checks).
 *
 * @category publishing
 * @since 0.1.0
 */
export const publish = Effect.fnUntraced(function* (dataDir: DataDir, request: PublishRequest) {
  const fs = yield* FileSystem.FileSystem
  const nodeFs = yield* NodeFs
  const vol = request.volumeId
  const orInternal = Effect.mapError((e: { readonly message: string }) => CsiError.internal(e.message))

  const lower = yield* resolveCodeModule(dataDir, request.dynakube)
  if (Option.isNone(lower)) {
    const waitedFor = yield* retryOrGiveUp(
      dataDir,
      request,
      "Unavailable",
      `the code module for DynaKube "${request.dynakube}" is not yet available on this node`
    )
    yield* fs.makeDirectory(request.targetPath, { recursive: true }).pipe(orInternal)
    return gaveUpOutcome(waitedFor)
  }

  const podInfoLink = dataDir.podInfoLink(request.dynakube, request.pod.namespace, request.pod.name)
  yield* fs.makeDirectory(dataDir.overlayUpper(vol), { recursive: true }).pipe(orInternal)
  yield* fs.makeDirectory(dataDir.overlayWork(vol), { recursive: true }).pipe(orInternal)
  yield* fs.writeFileString(dataDir.podInfoFile(vol), podInfoLink).pipe(orInternal)
  yield* fs.makeDirectory(request.targetPath, { recursive: true }).pipe(orInternal)

  const gaveUp = yield* nodeFs
    .mountOverlay({
      lower: lower.value,
      upper: dataDir.overlayUpper(vol),
      work: dataDir.overlayWork(vol),
      target: request.targetPath
    })
    .pipe(
      Effect.as(Option.none<Duration.Duration>()),
      Effect.catchTag("MountError", (error) =>
        retryOrGiveUp(dataDir, request, "Internal", `mounting the code module failed: ${error.message}`).pipe(
          Effect.map(Option.some)
        )
      )
    )
  if (Option.isSome(gaveUp)) return gaveUpOutcome(gaveUp.value)

  // Bookkeeping link <dk>/appmounts/<ns>/<pod> -> appmounts/<vol>, replaced atomically (rename over the old one).
  yield* fs.makeDirectory(path.dirname(podInfoLink), { recursive: true }).pipe(orInternal)
  const staging = `${podInfoLink}.${vol}.tmp`
  yield* FsCalls.unlinkIfPresent(staging).pipe(orInternal)
  yield* fs.symlink(dataDir.appMount(vol), staging).pipe(orInternal)
  yield* fs.rename(staging, podInfoLink).pipe(orInternal)
  // The retry marker is an empty directory (single rmdir); anything else there is removed the long way.
  yield* FsCalls.removeEmptyDirIfPresent(dataDir.mountStart(vol)).pipe(
    Effect.catchTag("FsCallError", () => fs.remove(dataDir.mountStart(vol), { recursive: true, force: true })),
    orInternal
  )
  return mountedOutcome(lower.value)
})

/**
 * Removes what a publish left under `appmounts/<vol>` and its bookkeeping link. Call only after the target is
 * unmounted: the upper and work directories must not be in use.
 *
 * @category unpublishing
 * @since 0.1.0
 */
export const cleanup = Effect.fnUntraced(function* (dataDir: DataDir, volumeId: string) {
  const fs = yield* FileSystem.FileSystem
  const dir = dataDir.appMount(volumeId)
  if (!(yield* fs.exists(dir).pipe(Effect.orElseSucceed(() => false)))) return false

  // pod-info names the bookkeeping link; remove it only if it still points at this volume (a newer volume of the
  // same pod may have replaced it), then its namespace directory if that is now empty.
  const link = yield* fs.readFileString(dataDir.podInfoFile(volumeId)).pipe(Effect.option)
  if (Option.isSome(link) && isInside(path.resolve(link.value), dataDir.dynakubes)) {
    const pointsHere = yield* fs.readLink(link.value).pipe(
      Effect.map((target) => path.resolve(path.dirname(link.value), target) === dir),
      Effect.orElseSucceed(() => false)
    )
    if (pointsHere) {
      yield* fs.remove(link.value, { force: true }).pipe(Effect.ignore)
      const parent = path.dirname(link.value)
      const rest = yield* fs.readDirectory(parent).pipe(Effect.orElseSucceed(() => ["?"]))
      if (rest.length === 0) yield* fs.remove(parent, { recursive: true }).pipe(Effect.ignore)
    }
  }
  yield* fs
    .remove(dir, { recursive: true, force: true })
    .pipe(Effect.mapError((e) => CsiError.internal(`removing ${dir} failed: ${e.message}`)))
  return true
})
