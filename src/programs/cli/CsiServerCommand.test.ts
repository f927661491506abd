/**
 * `dynatrace-operator csi-server` as a process: flags and env, JSON logs, serving on the socket, graceful
 * shutdown on SIGTERM (exit 0, socket removed), one-line failures for bad flags.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as CsiClient from "../../csi/CsiClient.ts"

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csi-cmd-"))
  dirs.push(dir)
  return dir
}

describe("csi-server command", () => {
  it("serves on the socket with the node id from KUBE_NODE_NAME and shuts down cleanly on SIGTERM", async () => {
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, "kubelet", "pods"), { recursive: true })
    const socket = path.join(dir, "csi.sock")
    const child = spawn(
      process.execPath,
      [
        "src/main.ts",
        "csi-server",
        `--endpoint=unix:${socket}`,
        `--data-dir=${path.join(dir, "data")}`,
        `--kubelet-dir=${path.join(dir, "kubelet")}`,
        "--metrics-bind-address=0"
      ],
      { env: { ...process.env, KUBE_NODE_NAME: "worker-7" }, stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    try {
      const deadline = Date.now() + 20_000
      while (!output.includes("CSI server listening.") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(output).toContain("CSI server listening.")

      const client = CsiClient.connect(`unix://${socket}`)
      try {
        expect((await client.probe()).ready?.value).toBe(true)
        expect((await client.nodeGetInfo()).node_id).toBe("worker-7")
        expect((await client.getPluginInfo()).name).toBe("csi.oneagent.dynatrace.com")
      } finally {
        client.close()
      }
    } finally {
      child.kill("SIGTERM")
    }
    expect(await exited).toBe(0)
    expect(fs.existsSync(socket)).toBe(false)
    const lines = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { message: string; level: string })
    expect(lines.map((l) => l.message)).toEqual(
      expect.arrayContaining(["Starting CSI server.", "CSI server listening.", "CSI server stopped."])
    )
  }, 30_000)

  it("refuses an endpoint that is not a unix socket with one line and exit code 1", () => {
    const dir = tempDir()
    const result = spawnSync(
      process.execPath,
      ["src/main.ts", "csi-server", "--endpoint=tcp://127.0.0.1:9000", "--node-id=n", `--data-dir=${dir}/data`],
      { encoding: "utf8", timeout: 30_000 }
    )
    expect(result.status).toBe(1)
    const lines = result.stdout.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({
      message: "Command failed.",
      annotations: { error: expect.stringMatching(/not a unix socket/) }
    })
  })
})
