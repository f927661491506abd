import { Effect, Option } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as FsCalls from "./FsCalls.ts"

describe("FsCalls", () => {
  const roots: Array<string> = []
  const tmp = () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "fscalls-")))
    roots.push(root)
    return root
  }
  afterEach(() => {
    for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true })
  })
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.result(effect))

  it("realPath resolves every symlink on the way, as realpath(3)", async () => {
    const root = tmp()
    fs.mkdirSync(path.join(root, "a", "b"), { recursive: true })
    fs.symlinkSync(path.join(root, "a"), path.join(root, "link"))
    fs.symlinkSync("b", path.join(root, "a", "rel"))
    const result = await run(FsCalls.realPath(path.join(root, "link", "rel")))
    expect(result).toMatchObject({ _tag: "Success", success: path.join(root, "a", "b") })
  })

  it("realPathIfPresent: None for a missing path and a dangling link; other failures keep their errno", async () => {
    const root = tmp()
    fs.symlinkSync(path.join(root, "nowhere"), path.join(root, "dangling"))
    fs.writeFileSync(path.join(root, "file"), "x")
    expect(await run(FsCalls.realPathIfPresent(path.join(root, "missing", "x")))).toMatchObject({
      _tag: "Success",
      success: Option.none()
    })
    expect(await run(FsCalls.realPathIfPresent(path.join(root, "dangling")))).toMatchObject({
      _tag: "Success",
      success: Option.none()
    })
    // A path through a regular file is ENOTDIR: also "not there".
    expect(await run(FsCalls.realPathIfPresent(path.join(root, "file", "x")))).toMatchObject({
      _tag: "Success",
      success: Option.none()
    })
    fs.symlinkSync("loop", path.join(root, "loop"))
    const loop = await run(FsCalls.realPath(path.join(root, "loop")))
    expect(loop).toMatchObject({ _tag: "Failure", failure: { _tag: "FsCallError", call: "realpath", code: "ELOOP" } })
  })

  it("unlinkIfPresent removes a file or symlink (not what it points to) and answers false when none is there", async () => {
    const root = tmp()
    fs.writeFileSync(path.join(root, "target"), "keep")
    fs.symlinkSync(path.join(root, "target"), path.join(root, "link"))
    expect(await run(FsCalls.unlinkIfPresent(path.join(root, "link")))).toMatchObject({ success: true })
    expect(fs.readFileSync(path.join(root, "target"), "utf8")).toBe("keep")
    expect(fs.existsSync(path.join(root, "link"))).toBe(false)
    expect(await run(FsCalls.unlinkIfPresent(path.join(root, "link")))).toMatchObject({ success: false })
    fs.mkdirSync(path.join(root, "dir"))
    const dir = await run(FsCalls.unlinkIfPresent(path.join(root, "dir")))
    expect(dir).toMatchObject({ _tag: "Failure", failure: { call: "unlink" } })
    expect(fs.existsSync(path.join(root, "dir"))).toBe(true)
  })

  it("removeEmptyDirIfPresent removes only an empty directory", async () => {
    const root = tmp()
    fs.mkdirSync(path.join(root, "empty"))
    fs.mkdirSync(path.join(root, "full"))
    fs.writeFileSync(path.join(root, "full", "x"), "x")
    expect(await run(FsCalls.removeEmptyDirIfPresent(path.join(root, "empty")))).toMatchObject({ success: true })
    expect(fs.existsSync(path.join(root, "empty"))).toBe(false)
    expect(await run(FsCalls.removeEmptyDirIfPresent(path.join(root, "empty")))).toMatchObject({ success: false })
    const full = await run(FsCalls.removeEmptyDirIfPresent(path.join(root, "full")))
    expect(full).toMatchObject({ _tag: "Failure", failure: { code: "ENOTEMPTY" } })
    expect(fs.readdirSync(path.join(root, "full"))).toEqual(["x"])
  })
})
