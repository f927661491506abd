/**
 * `dynatrace-operator csi-provisioner` as a process, without a cluster: settings that cannot work end the process
 * at once with exit code 1 and one JSON line naming the setting. (Running against the apiserver, and kill -9, are
 * in `src/csi/provisioner/provisioner.integration.test.ts`.)
 */
import { spawnSync } from "node:child_process"
import { describe, expect, it } from "vitest"

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["src/main.ts", "csi-provisioner", ...args], {
    env: { ...process.env, KUBECONFIG: "/nonexistent/kubeconfig", ...env },
    encoding: "utf8",
    timeout: 60_000
  })

describe("csi-provisioner command", () => {
  it("lists its flags in --help", () => {
    const result = run(["--help"])
    expect(result.status).toBe(0)
    for (const flag of [
      "--data-dir",
      "--namespace",
      "--node-id",
      "--health-probe-bind-address",
      "--metrics-bind-address"
    ]) {
      expect(result.stdout).toContain(flag)
    }
  }, 60_000)

  it("fails at start with one JSON line for a bad CLEANUP_PERIOD, data dir or bind address", () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>, RegExp]> = [
      [["--data-dir=/tmp/x"], { CLEANUP_PERIOD: "soon" }, /CLEANUP_PERIOD/],
      [["--data-dir=relative"], {}, /absolute/],
      [["--data-dir=/tmp/x", "--metrics-bind-address=nope"], {}, /--metrics-bind-address/]
    ]
    for (const [args, env, pattern] of cases) {
      const result = run(args, env)
      expect(result.status, result.stdout + result.stderr).toBe(1)
      const lines = result.stdout
        .trim()
        .split("\n")
        .filter((line) => line.startsWith("{"))
      const failure = lines.map((line) => JSON.parse(line) as { level: string; annotations?: { error?: string } })
      expect(failure.some((l) => l.level === "ERROR" && pattern.test(l.annotations?.error ?? ""))).toBe(true)
    }
  }, 60_000)
})
