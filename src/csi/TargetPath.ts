/**
 * Validation of the paths a CSI request names. The kubelet always sends clean absolute paths below its pods
 * directory (`<kubelet>/pods/<podUID>/volumes/kubernetes.io~csi/<volume>/mount`); anything else is refused with
 * `InvalidArgument` before the driver creates, mounts or removes anything:
 *
 * - empty, relative, or containing NUL;
 * - a `.` or `..` segment (refused, not normalised: a caller that sends one is not the kubelet);
 * - outside the pods directory, textually or through a symlink in an existing ancestor.
 *
 * The driver runs privileged with the host's pods directory mounted, so this check is what keeps a request from
 * mounting over, or deleting, an arbitrary host directory.
 *
 * Its functions are untraced: they run inside the span of `NodeService.publish`/`unpublish` (see NodeService).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import * as path from "node:path"
import * as CsiError from "./CsiError.ts"
import * as FsCalls from "./FsCalls.ts"

const isInside = (child: string, parent: string): boolean => child.startsWith(parent === "/" ? "/" : `${parent}/`)

/**
 * Checks `raw` (the request field named `field`) and returns it without a trailing slash.
 *
 * @category validation
 * @since 0.1.0
 */
export const validate = Effect.fnUntraced(function* (raw: string, podsDir: string, field: string) {
  if (raw === "") return yield* CsiError.invalidArgument(`${field} is required`)
  if (raw.includes("\0")) return yield* CsiError.invalidArgument(`${field} must not contain NUL`)
  if (!path.isAbsolute(raw)) return yield* CsiError.invalidArgument(`${field} ${JSON.stringify(raw)} must be absolute`)
  if (raw.split("/").some((segment) => segment === "." || segment === "..")) {
    return yield* CsiError.invalidArgument(`${field} ${JSON.stringify(raw)} must not contain "." or ".." segments`)
  }
  const target = path.normalize(raw).replace(/(.)\/+$/, "$1")
  const pods = path.resolve(podsDir)
  if (!isInside(target, pods)) {
    return yield* CsiError.invalidArgument(
      `${field} ${JSON.stringify(raw)} is outside the kubelet pods directory ${JSON.stringify(pods)}`
    )
  }

  // A symlink in an ancestor that already exists could still lead elsewhere: resolve the deepest existing one
  // (one realpath(3) per level tried; the kubelet has created the target's parent, so usually one or two).
  const realPods = yield* FsCalls.realPath(pods).pipe(
    Effect.mapError(() => CsiError.internal(`kubelet pods directory ${JSON.stringify(pods)} is not accessible`))
  )
  let probe = target
  let real = probe === pods ? realPods : undefined
  while (real === undefined) {
    const resolved = yield* FsCalls.realPath(probe).pipe(Effect.option)
    if (Option.isSome(resolved)) {
      real = resolved.value
    } else {
      probe = path.dirname(probe)
      if (probe === pods) real = realPods
    }
  }
  const inside = probe === pods ? real === realPods : isInside(real, realPods)
  if (!inside) {
    return yield* CsiError.invalidArgument(
      `${field} ${JSON.stringify(raw)} resolves to ${JSON.stringify(real)}, outside the kubelet pods directory`
    )
  }
  return target
})
