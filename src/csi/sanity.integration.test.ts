/**
 * csi-sanity (kubernetes-csi/csi-test, built into .cache/testenv/bin by e2e/controlplane/build.sh) against the
 * real `csi-server` on a unix socket: the Identity and Node groups must pass with 0 failures.
 *
 * csi-sanity skips, by itself and with its own printed reason, what the driver does not advertise (staging,
 * volume stats, expansion, health, the Controller-driven full-cycle specs). The one spec skipped here by name
 * needs CreateVolume, i.e. a Controller service, which an ephemeral-only driver does not have (see EXPLICIT_SKIPS).
 *
 * csi-sanity runs as a child process *asynchronously*: the server lives in this process' event loop.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as CsiFixture from "./CsiFixture.ts"

const sanityBinary = path.join(process.env["TESTENV_BIN_DIR"] ?? path.resolve(".cache/testenv/bin"), "csi-sanity")

/** Specs skipped by name, each with the reason printed on every run. */
const EXPLICIT_SKIPS: ReadonlyArray<{ readonly spec: string; readonly reason: string }> = [
  {
    spec: "should remove target path",
    reason:
      "creates its volume with CreateVolume, which needs a Controller service; this driver serves ephemeral inline " +
      "volumes only and has none. Unpublish removing the target is covered by CsiServer.test.ts."
  }
]

const isRoot = process.getuid?.() === 0

let fixture: CsiFixture.Fixture | undefined
afterEach(async () => {
  await fixture?.stop()
  fixture = undefined
})

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

describe("csi-sanity", () => {
  it("passes the Identity Service and Node Service groups with 0 failures", async () => {
    if (!fs.existsSync(sanityBinary)) {
      throw new Error(`${sanityBinary} is missing: run \`npm run controlplane:build\` (it builds csi-sanity last)`)
    }
    // Publishing mounts for real; the server answers InvalidArgument before mounting in every focused spec, but
    // the target directories are created and removed as root.
    expect(isRoot, "csi-sanity against csi-server needs root").toBe(true)

    const f = await CsiFixture.start({ nodeId: "sanity-node" })
    fixture = f
    // csi-sanity creates the mount and staging directories itself, but not their parents. The mount dir must be
    // inside the kubelet pods directory: targets elsewhere are refused (InvalidArgument) by design.
    const mountDir = path.join(f.podsDir, "sanity-pod-uid", "volumes", "kubernetes.io~csi", "sanity")
    fs.mkdirSync(path.dirname(mountDir), { recursive: true })
    const stagingDir = path.join(f.root, "staging")

    for (const skip of EXPLICIT_SKIPS) console.log(`csi-sanity: skipping "${skip.spec}": ${skip.reason}`)
    const args = [
      `--csi.endpoint=${f.address}`,
      `--csi.mountdir=${mountDir}`,
      `--csi.stagingdir=${stagingDir}`,
      "--ginkgo.focus=Identity Service|Node Service",
      ...EXPLICIT_SKIPS.map((s) => `--ginkgo.skip=${escapeRegExp(s.spec)}`),
      "--ginkgo.no-color",
      "--ginkgo.v"
    ]
    const output = await new Promise<string>((resolve) => {
      execFile(
        sanityBinary,
        args,
        { encoding: "utf8", timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) =>
          resolve(`${stdout}\n${stderr}\n${error === null ? "" : `exit: ${error.code ?? error.message}`}`)
      )
    })

    // The reasons csi-sanity gave for the specs it skipped itself, once each.
    const reasons = new Set(
      output
        .split("\n")
        .map((line) => /^\s*\[SKIPPED\] (?!in \[)(.+)$/.exec(line)?.[1]?.trim())
        .filter((reason): reason is string => reason !== undefined)
    )
    for (const reason of reasons) console.log(`csi-sanity skipped specs: ${reason}`)

    const summary = /(SUCCESS!|FAIL!) -- (\d+) Passed \| (\d+) Failed \| (\d+) Pending \| (\d+) Skipped/.exec(output)
    if (summary === null) throw new Error(`no ginkgo summary in csi-sanity output:\n${output.slice(-4000)}`)
    console.log(`csi-sanity: ${summary[0]}`)
    const failed = output.split("\n").filter((line) => /^\s*\[FAIL\]/.test(line))
    expect(failed, output.slice(-6000)).toEqual([])
    expect(Number(summary[3])).toBe(0)
    expect(Number(summary[2])).toBeGreaterThanOrEqual(10)
    expect(summary[1]).toBe("SUCCESS!")
  })
})
