/**
 * Mounts on the node: overlayfs and bind mounts for the CSI driver, unmounts, and the kernel mount table.
 *
 * Two back ends with the same behaviour:
 * - `syscall` calls `mount(2)` and `umount2(2)` in libc through koffi (an FFI library that ships prebuilt
 *   binaries, no compiler needed). A publish then costs well under a millisecond of kernel time; spawning
 *   `mount(8)` costs a process per call, which measured ~4 ms of CPU each and a p99 of ~780 ms for 200 concurrent
 *   publishes on a 2-core node, against a 50 ms goal.
 * - `command` runs `mount`/`umount` from util-linux. It is the fallback when libc cannot be loaded (e.g. a musl
 *   image) and serves as the reference the syscall back end is tested against.
 *
 * `layer` picks `syscall` when it loads and `command` otherwise. Both need root (CAP_SYS_ADMIN) in the mount
 * namespace whose mounts the kubelet sees (the driver container is privileged with Bidirectional propagation).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema, Semaphore } from "effect"
import { execFile } from "node:child_process"
import { constants as osConstants } from "node:os"
import * as fs from "node:fs/promises"
import * as nodePath from "node:path"

/** Why a mount operation failed. @category errors @since 0.1.0 */
export const MountFailureReason = Schema.Literals(["PermissionDenied", "NotFound", "Busy", "Invalid", "Failed"])
export type MountFailureReason = typeof MountFailureReason.Type

/** A mount or unmount the kernel (or `mount(8)`) refused. @category errors @since 0.1.0 */
export class MountError extends Schema.TaggedError<MountError>()("MountError", {
  operation: Schema.Literals(["mount", "unmount"]),
  target: Schema.String,
  reason: MountFailureReason,
  message: Schema.String
}) {}

/** An overlayfs mount: `lower` read-only, changes go to `upper`, `work` is overlayfs' scratch dir. @category models @since 0.1.0 */
export interface OverlayMount {
  readonly lower: string
  readonly upper: string
  readonly work: string
  readonly target: string
}

/** One line of `/proc/self/mountinfo`. @category models @since 0.1.0 */
export interface MountInfo {
  readonly mountPoint: string
  readonly root: string
  readonly fsType: string
  readonly source: string
  /** Per-superblock options, e.g. `lowerdir=…,upperdir=…,workdir=…` for overlayfs. */
  readonly superOptions: string
}

/** The node's mount operations. @category services @since 0.1.0 */
export class NodeFs extends Context.Service<
  NodeFs,
  {
    /** Which back end is in use (for the start-up log). */
    readonly backend: "syscall" | "command"
    readonly mountOverlay: (mount: OverlayMount) => Effect.Effect<void, MountError>
    /** Bind-mounts `source` on `target`; read-only by a second, remounting call when asked. */
    readonly bindMount: (
      source: string,
      target: string,
      options: { readonly readOnly: boolean }
    ) => Effect.Effect<void, MountError>
    /** Unmounts `target`; `false` when it was not a mount point (or does not exist), which is not an error. */
    readonly unmount: (target: string) => Effect.Effect<boolean, MountError>
    /** The current mount table of this process' mount namespace. */
    readonly mounts: Effect.Effect<ReadonlyArray<MountInfo>>
    /** Whether `path` (symlinks resolved) is a mount point; `false` when it does not exist. */
    readonly isMountPoint: (path: string) => Effect.Effect<boolean>
  }
>()("dynatrace-operator/services/NodeFs") {}

// ---------------------------------------------------------------------------------------------------------------
// Mount table
// ---------------------------------------------------------------------------------------------------------------

/** Undoes the octal escapes (`\040` for space etc.) the kernel writes into mountinfo. */
const unescape = (field: string): string =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))

/**
 * Parses `/proc/<pid>/mountinfo` text (see proc(5)): `id parent major:minor root mountpoint options [optional…] -
 * fstype source superoptions`.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseMountInfo = (text: string): ReadonlyArray<MountInfo> => {
  const mounts: Array<MountInfo> = []
  for (const line of text.split("\n")) {
    if (line === "") continue
    const fields = line.split(" ")
    const separator = fields.indexOf("-", 6)
    if (separator < 0 || fields.length < separator + 3) continue
    mounts.push({
      root: unescape(fields[3]!),
      mountPoint: unescape(fields[4]!),
      fsType: fields[separator + 1]!,
      source: unescape(fields[separator + 2]!),
      superOptions: fields[separator + 3] ?? ""
    })
  }
  return mounts
}

const readMounts: Effect.Effect<ReadonlyArray<MountInfo>> = Effect.promise(() =>
  fs.readFile("/proc/self/mountinfo", "utf8")
).pipe(Effect.map(parseMountInfo))

const isMountPointIn = (mounts: Effect.Effect<ReadonlyArray<MountInfo>>) => (path: string) =>
  Effect.gen(function* () {
    const real = yield* Effect.tryPromise(() => fs.realpath(path)).pipe(Effect.option)
    if (real._tag === "None") return false
    // Fast path: a different device than the parent directory means a mount (overlayfs always has its own).
    // A bind mount from the same file system keeps the device, so "same device" still needs the mount table.
    const devices = yield* Effect.tryPromise(() =>
      Promise.all([fs.stat(real.value), fs.stat(nodePath.dirname(real.value))])
    ).pipe(Effect.option)
    if (devices._tag === "Some" && devices.value[0].dev !== devices.value[1].dev) return true
    const table = yield* mounts
    return table.some((m) => m.mountPoint === real.value)
  })

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, code]) => [code, name]))

const reasonOfErrno = (errno: number): MountFailureReason => {
  switch (errnoNames.get(errno)) {
    case "EPERM":
    case "EACCES":
      return "PermissionDenied"
    case "ENOENT":
    case "ENOTDIR":
      return "NotFound"
    case "EBUSY":
      return "Busy"
    case "EINVAL":
      return "Invalid"
    default:
      return "Failed"
  }
}

// ---------------------------------------------------------------------------------------------------------------
// syscall back end
// ---------------------------------------------------------------------------------------------------------------

const MS_RDONLY = 1
const MS_REMOUNT = 32
const MS_BIND = 4096

type Callback = (error: unknown, result: number) => void

interface Libc {
  readonly mount: (
    source: string | null,
    target: string,
    fsType: string | null,
    flags: number,
    data: string | null,
    callback: Callback
  ) => void
  readonly umount2: (target: string, flags: number, callback: Callback) => void
  readonly errno: () => number
}

const loadLibc: Effect.Effect<Libc, unknown> = Effect.tryPromise(async () => {
  const { default: koffi } = await import("koffi")
  const libc = koffi.load("libc.so.6")
  const mount = libc.func(
    "int mount(const char *source, const char *target, const char *filesystemtype, unsigned long mountflags, const char *data)"
  )
  const umount2 = libc.func("int umount2(const char *target, int flags)")
  return {
    mount: (source, target, fsType, flags, data, callback) =>
      mount.async(source, target, fsType, flags, data, callback),
    umount2: (target, flags, callback) => umount2.async(target, flags, callback),
    errno: () => koffi.errno()
  }
})

const makeSyscall = (libc: Libc): NodeFs["Service"] => {
  // The calls run on libuv's thread pool (koffi's async mode), so the event loop keeps serving while the kernel
  // works; koffi hands the call's errno to the callback's thread, where it is read first thing. One mount at a
  // time: the kernel serialises them anyway, and more would only park pool threads that the file system calls
  // of other publishes need (measured with 4: no gain at 200 concurrent publishes, and 3–4× the kernel time
  // summed over the mounts, spent waiting on each other; docs/csi.md §Benchmark). Unmounts are not limited: most
  // of their time is waiting for an RCU grace period, which overlaps.
  const one = Semaphore.makeUnsafe(1)
  const call = (
    operation: "mount" | "unmount",
    target: string,
    describe: string,
    invoke: (callback: Callback) => void
  ): Effect.Effect<void, MountError> =>
    Effect.callback<void, MountError>((resume) => {
      invoke((error, result) => {
        if (error === null || error === undefined) {
          if (result === 0) return resume(Effect.void)
          const errno = libc.errno()
          const name = errnoNames.get(errno) ?? `errno ${errno}`
          return resume(
            Effect.fail(
              new MountError({
                operation,
                target,
                reason: reasonOfErrno(errno),
                message: `${describe} failed: ${name}`
              })
            )
          )
        }
        resume(
          Effect.fail(
            new MountError({ operation, target, reason: "Failed", message: `${describe} failed: ${String(error)}` })
          )
        )
      })
    }).pipe(operation === "mount" ? one.withPermits(1) : (effect) => effect)
  return NodeFs.of({
    backend: "syscall",
    mountOverlay: (m) =>
      call("mount", m.target, `mount overlay on ${m.target}`, (cb) =>
        libc.mount("overlay", m.target, "overlay", 0, `lowerdir=${m.lower},upperdir=${m.upper},workdir=${m.work}`, cb)
      ),
    bindMount: (source, target, options) =>
      call("mount", target, `bind mount ${source} on ${target}`, (cb) =>
        libc.mount(source, target, null, MS_BIND, null, cb)
      ).pipe(
        Effect.andThen(
          options.readOnly
            ? call("mount", target, `remount ${target} read-only`, (cb) =>
                libc.mount(null, target, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null, cb)
              )
            : Effect.void
        )
      ),
    unmount: (target) =>
      call("unmount", target, `unmount ${target}`, (cb) => libc.umount2(target, 0, cb)).pipe(
        Effect.as(true),
        // EINVAL: not a mount point; ENOENT: gone already. Both mean "nothing mounted here".
        Effect.catchIf(
          (e) => e.reason === "Invalid" || e.reason === "NotFound",
          () => Effect.succeed(false)
        )
      ),
    mounts: readMounts,
    isMountPoint: isMountPointIn(readMounts)
  })
}

// ---------------------------------------------------------------------------------------------------------------
// command back end
// ---------------------------------------------------------------------------------------------------------------

const run = (
  operation: "mount" | "unmount",
  target: string,
  file: string,
  args: ReadonlyArray<string>
): Effect.Effect<void, MountError> =>
  Effect.callback<void, MountError>((resume) => {
    execFile(file, [...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error === null) return resume(Effect.void)
      const text = `${stderr}`.trim() || error.message
      const reason: MountFailureReason = /not mounted|no mount point/i.test(text)
        ? "Invalid"
        : /no such file|does not exist/i.test(text)
          ? "NotFound"
          : /busy/i.test(text)
            ? "Busy"
            : /permission denied|not permitted|must be superuser/i.test(text)
              ? "PermissionDenied"
              : "Failed"
      resume(Effect.fail(new MountError({ operation, target, reason, message: `${file} ${args.join(" ")}: ${text}` })))
    })
  })

const makeCommand = (): NodeFs["Service"] =>
  NodeFs.of({
    backend: "command",
    mountOverlay: (m) =>
      run("mount", m.target, "mount", [
        "-t",
        "overlay",
        "overlay",
        "-o",
        `lowerdir=${m.lower},upperdir=${m.upper},workdir=${m.work}`,
        m.target
      ]),
    bindMount: (source, target, options) =>
      run("mount", target, "mount", ["--bind", source, target]).pipe(
        Effect.andThen(
          options.readOnly ? run("mount", target, "mount", ["-o", "remount,bind,ro", target]) : Effect.void
        )
      ),
    unmount: (target) =>
      isMountPointIn(readMounts)(target).pipe(
        Effect.flatMap((mounted) =>
          mounted ? run("unmount", target, "umount", [target]).pipe(Effect.as(true)) : Effect.succeed(false)
        )
      ),
    mounts: readMounts,
    isMountPoint: isMountPointIn(readMounts)
  })

// ---------------------------------------------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------------------------------------------

/** `mount(2)` through libc; fails to build when libc cannot be loaded. @category layers @since 0.1.0 */
export const layerSyscall: Layer.Layer<NodeFs, MountError> = Layer.effect(
  NodeFs,
  loadLibc.pipe(
    Effect.map(makeSyscall),
    Effect.mapError(
      (cause) =>
        new MountError({
          operation: "mount",
          target: "",
          reason: "Failed",
          message: `cannot load libc for mount(2): ${cause instanceof Error ? cause.message : String(cause)}`
        })
    )
  )
)

/** `mount(8)`/`umount(8)` as child processes. @category layers @since 0.1.0 */
export const layerCommand: Layer.Layer<NodeFs> = Layer.sync(NodeFs, makeCommand)

/** The syscall back end when libc loads, else the command back end. @category layers @since 0.1.0 */
export const layer: Layer.Layer<NodeFs> = Layer.effect(
  NodeFs,
  loadLibc.pipe(
    Effect.map(makeSyscall),
    Effect.catch((cause) =>
      Effect.logWarning("Could not load libc for mount(2); using the mount command.").pipe(
        Effect.annotateLogs({ error: cause instanceof Error ? cause.message : String(cause) }),
        Effect.as(makeCommand())
      )
    )
  )
)
