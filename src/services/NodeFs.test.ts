import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as NodeFs from "./NodeFs.ts"

describe("NodeFs.parseMountInfo", () => {
  it("reads mount points, file system types, sources and super options, undoing octal escapes", () => {
    const text = [
      "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro",
      "812 22 0:77 / /var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/oneagent-bin/mount rw,relatime shared:400 - overlay overlay rw,lowerdir=/data/codemodules/1.2.3,upperdir=/data/appmounts/csi-1/var,workdir=/data/appmounts/csi-1/work",
      "813 22 8:1 /data/_dynakubes/dk/osagent /mnt/with\\040space rw - ext4 /dev/sda1 rw",
      ""
    ].join("\n")
    const mounts = NodeFs.parseMountInfo(text)
    expect(mounts).toHaveLength(3)
    expect(mounts[1]).toEqual({
      root: "/",
      mountPoint: "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/oneagent-bin/mount",
      fsType: "overlay",
      source: "overlay",
      superOptions:
        "rw,lowerdir=/data/codemodules/1.2.3,upperdir=/data/appmounts/csi-1/var,workdir=/data/appmounts/csi-1/work"
    })
    expect(mounts[2]).toMatchObject({
      mountPoint: "/mnt/with space",
      root: "/data/_dynakubes/dk/osagent",
      fsType: "ext4"
    })
  })

  it("parses this process' real mount table", async () => {
    const command = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          return yield* NodeFs.NodeFs
        }).pipe(Effect.provide(NodeFs.layerCommand))
      )
    )
    const mounts = await Effect.runPromise(command.mounts)
    expect(mounts.some((m) => m.mountPoint === "/")).toBe(true)
    expect(await Effect.runPromise(command.isMountPoint("/"))).toBe(true)
    expect(await Effect.runPromise(command.isMountPoint("/definitely/not/here"))).toBe(false)
  })
})

const isRoot = process.getuid?.() === 0
if (!isRoot) console.warn("NodeFs.test.ts: mount tests skipped, mounting needs root")

describe.each([
  ["syscall", NodeFs.layerSyscall],
  ["command", NodeFs.layerCommand]
] as const)("NodeFs %s back end", (_name, layer) => {
  const withNodeFs = <A, E>(f: (nodeFs: NodeFs.NodeFs["Service"]) => Effect.Effect<A, E>) =>
    Effect.runPromise(
      Effect.gen(function* () {
        return yield* f(yield* NodeFs.NodeFs)
      }).pipe(Effect.provide(layer))
    )

  it.skipIf(!isRoot)("bind-mounts, reports the mount point, unmounts; unmounting again is not an error", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nodefs-"))
    try {
      fs.mkdirSync(path.join(dir, "source"))
      fs.mkdirSync(path.join(dir, "target"))
      fs.writeFileSync(path.join(dir, "source", "file"), "content")
      const target = path.join(dir, "target")
      await withNodeFs((n) => n.bindMount(path.join(dir, "source"), target, { readOnly: false }))
      expect(fs.readFileSync(path.join(target, "file"), "utf8")).toBe("content")
      expect(await withNodeFs((n) => n.isMountPoint(target))).toBe(true)
      expect(await withNodeFs((n) => n.unmount(target))).toBe(true)
      expect(await withNodeFs((n) => n.isMountPoint(target))).toBe(false)
      expect(await withNodeFs((n) => n.unmount(target))).toBe(false)
      expect(await withNodeFs((n) => n.unmount(path.join(dir, "missing")))).toBe(false)
    } finally {
      spawnSync("umount", ["-l", path.join(dir, "target")])
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it.skipIf(!isRoot)("fails with a typed MountError naming the reason", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nodefs-"))
    try {
      const error = await withNodeFs((n) =>
        Effect.flip(
          n.mountOverlay({
            lower: path.join(dir, "no-lower"),
            upper: path.join(dir, "no-upper"),
            work: path.join(dir, "no-work"),
            target: path.join(dir, "no-target")
          })
        )
      )
      expect(error._tag).toBe("MountError")
      expect(error.reason).toBe("NotFound")
      expect(error.message).toContain(path.join(dir, "no-target"))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
