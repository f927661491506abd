import { Effect } from "effect"
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
