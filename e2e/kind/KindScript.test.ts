/**
 * The kind e2e path as far as it can be checked without a container engine: the script parses, skips with a
 * clear message and exit 0 when no engine answers, and the cluster config pins node images by digest at the
 * Kubernetes minor version of the test control plane.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"

const here = import.meta.dirname
const script = path.join(here, "run.sh")

describe("e2e/kind", () => {
  it("run.sh is valid bash", () => {
    const result = spawnSync("bash", ["-n", script], { encoding: "utf8" })
    expect(result.status, result.stderr).toBe(0)
  })

  it("without a container engine it skips with a clear message and exit 0, creating nothing", () => {
    const result = spawnSync("bash", [script], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, CONTAINER_ENGINE: "no-such-container-engine" }
    })
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^SKIP kind e2e: no container engine answers/)
    expect(result.stderr).not.toContain("creating cluster")
  })

  it("kind-config.yaml: a control plane and a worker, node images pinned by digest at the control plane's minor", () => {
    const config = parse(fs.readFileSync(path.join(here, "kind-config.yaml"), "utf8"))
    expect(config.kind).toBe("Cluster")
    expect(config.nodes.map((n: any) => n.role)).toEqual(["control-plane", "worker"])
    const versions = fs.readFileSync(path.join(here, "../controlplane/versions.sh"), "utf8")
    const minor = /K8S_VERSION=v1\.(\d+)\./.exec(versions)?.[1]
    for (const node of config.nodes) {
      expect(node.image).toMatch(new RegExp(`^kindest/node:v1\\.${minor}\\.\\d+@sha256:[0-9a-f]{64}$`))
    }
  })
})
