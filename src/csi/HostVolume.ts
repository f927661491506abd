/**
 * Mode `host`: persistent storage for a DynaKube's host OneAgent (spec §5.4). One directory per DynaKube on the
 * node, `_dynakubes/<dk>/osagent`, bind-mounted on the target path, so the agent's state survives pod restarts
 * and upgrades. A dangling symlink left there by an older layout is removed first.
 *
 * Its functions are untraced: they run inside the span of `NodeService.publish`/`unpublish` (see NodeService).
 *
 * @since 0.1.0
 */
import { Effect, FileSystem, Option } from "effect"
import { NodeFs } from "../services/NodeFs.ts"
import * as CsiError from "./CsiError.ts"
import type { DataDir } from "./DataDir.ts"
import type { PublishRequest } from "./VolumeRequest.ts"

/**
 * Publishes a `host` volume (the target must not be mounted yet; the caller checks). Returns the host directory.
 *
 * @category publishing
 * @since 0.1.0
 */
export const publish = Effect.fnUntraced(function* (dataDir: DataDir, request: PublishRequest) {
  const fs = yield* FileSystem.FileSystem
  const nodeFs = yield* NodeFs
  const orInternal = Effect.mapError((e: { readonly message: string }) => CsiError.internal(e.message))
  const dir = dataDir.osAgent(request.dynakube)

  const entry = yield* fs.lstat(dir).pipe(Effect.option)
  if (Option.isSome(entry) && entry.value.type === "SymbolicLink") {
    const target = yield* fs.realPath(dir).pipe(Effect.option)
    if (Option.isNone(target)) yield* fs.remove(dir).pipe(orInternal)
  }
  yield* fs.makeDirectory(dir, { recursive: true }).pipe(orInternal)
  yield* fs.makeDirectory(request.targetPath, { recursive: true }).pipe(orInternal)
  yield* nodeFs
    .bindMount(dir, request.targetPath, { readOnly: request.readOnly })
    .pipe(Effect.mapError((e) => CsiError.internal(`bind-mounting the host agent directory failed: ${e.message}`)))
  return dir
})
