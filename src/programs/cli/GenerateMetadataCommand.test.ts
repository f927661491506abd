import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { initContainerArgs } from "../operator/dynakube/oneagent/OneAgentContainer.ts"
import { generateMetadata, parseAttributes } from "./GenerateMetadataCommand.ts"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "generate-metadata-"))

const parse = (attributes: string) => Effect.runSync(Effect.exit(parseAttributes(attributes)))
const failureMessage = (attributes: string): string => {
  const exit = parse(attributes)
  if (Exit.isSuccess(exit)) throw new Error(`expected ${JSON.stringify(attributes)} to be refused`)
  return String(exit.cause)
}

describe("parseAttributes", () => {
  it("writes one trimmed key=value per line, in order, each line ending with a newline", () => {
    expect(Effect.runSync(parseAttributes("k8s.cluster.name=prod, k8s.node.name=n1 ,x=a=b"))).toBe(
      "k8s.cluster.name=prod\nk8s.node.name=n1\nx=a=b\n"
    )
  })

  it("keeps empty values and skips empty entries (a trailing comma, doubled commas)", () => {
    expect(Effect.runSync(parseAttributes("k8s.cluster.name=,,a=1,"))).toBe("k8s.cluster.name=\na=1\n")
  })

  it("refuses an empty list, a list of only commas, a pair without '=', an empty key and line breaks", () => {
    expect(failureMessage("")).toContain("--attributes must not be empty")
    expect(failureMessage(" , ,")).toContain("no key=value pair")
    expect(failureMessage("a=1,broken")).toContain(`invalid attribute "broken" (expected key=value)`)
    expect(failureMessage("=value")).toContain("the key is empty")
    expect(failureMessage("a=1\nb=2")).toContain("line break")
  })
})

describe("generateMetadata", () => {
  const run = (file: string, attributes: string) =>
    Effect.runPromise(Effect.exit(generateMetadata(file, attributes).pipe(Effect.provide(NodeFileSystem.layer))))

  it("writes the file (creating parent directories) with mode 0644 and leaves no temporary file", async () => {
    const dir = tempDir()
    const file = path.join(dir, "nested", "dt_node_metadata.properties")
    expect(Exit.isSuccess(await run(file, "a=1,b=2"))).toBe(true)
    expect(fs.readFileSync(file, "utf8")).toBe("a=1\nb=2\n")
    expect(fs.statSync(file).mode & 0o777).toBe(0o644)
    expect(fs.readdirSync(path.dirname(file))).toEqual(["dt_node_metadata.properties"])
    fs.rmSync(dir, { recursive: true })
  })

  it("replaces an existing file atomically: a reader of the old file sees it whole, never a mix", async () => {
    const dir = tempDir()
    const file = path.join(dir, "dt_node_metadata.properties")
    const old = "old=" + "x".repeat(100_000) + "\n"
    fs.writeFileSync(file, old)
    const reader = fs.openSync(file, "r")
    expect(Exit.isSuccess(await run(file, "new=1"))).toBe(true)
    // Written in place, the open descriptor would now read the new (or a truncated) content; renamed, it keeps
    // the complete old file while the path names the complete new one.
    const buffer = Buffer.alloc(old.length + 10)
    const read = fs.readSync(reader, buffer, 0, buffer.length, 0)
    fs.closeSync(reader)
    expect(buffer.subarray(0, read).toString("utf8")).toBe(old)
    expect(fs.readFileSync(file, "utf8")).toBe("new=1\n")
    fs.rmSync(dir, { recursive: true })
  })

  it("leaves an existing file untouched when the attributes are malformed", async () => {
    const dir = tempDir()
    const file = path.join(dir, "dt_node_metadata.properties")
    fs.writeFileSync(file, "keep=1\n")
    expect(Exit.isFailure(await run(file, "no-equals-sign"))).toBe(true)
    expect(fs.readFileSync(file, "utf8")).toBe("keep=1\n")
    expect(fs.readdirSync(dir)).toEqual(["dt_node_metadata.properties"])
    fs.rmSync(dir, { recursive: true })
  })

  it("fails with a clear error when the file cannot be written", async () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, "a-file"), "")
    const exit = await run(path.join(dir, "a-file", "metadata.properties"), "a=1")
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("Cannot write")
    fs.rmSync(dir, { recursive: true })
  })
})

describe("dynatrace-operator generate-metadata (process)", () => {
  it("accepts the arguments the OneAgent DaemonSet's init container passes, and exits 1 on bad input", () => {
    const dir = tempDir()
    const file = path.join(dir, "dt_node_metadata.properties")
    const dk = {
      metadata: { name: "dk", namespace: "dynatrace" },
      spec: { apiUrl: "https://x.live.dynatrace.com/api", resourceAttributes: { team: "a" } },
      status: { kubernetesClusterName: "prod", kubeSystemUUID: "uid-1", kubernetesClusterMEID: "KUBE-1" }
    } as unknown as Parameters<typeof initContainerArgs>[0]
    // The DaemonSet's args, pointed at a temp file, with $(DT_K8S_NODE_NAME) expanded as the kubelet would.
    const args = initContainerArgs(dk, { additionalResourceAttributes: { zone: "z1" } } as never).map((arg) =>
      arg.replace("$(DT_K8S_NODE_NAME)", "node-1")
    )
    args[args.indexOf("--file") + 1] = file
    const ok = spawnSync(process.execPath, ["src/main.ts", ...args], { encoding: "utf8", timeout: 60_000 })
    expect(ok.status, ok.stdout + ok.stderr).toBe(0)
    expect(fs.readFileSync(file, "utf8")).toBe(
      "k8s.cluster.name=prod\nk8s.cluster.uid=uid-1\nk8s.node.name=node-1\ndt.entity.kubernetes_cluster=KUBE-1\nteam=a\nzone=z1\n"
    )

    const bad = spawnSync(process.execPath, ["src/main.ts", "generate-metadata", "--file", file, "--attributes", "x"], {
      encoding: "utf8",
      timeout: 60_000
    })
    expect(bad.status).toBe(1)
    expect(bad.stdout + bad.stderr).toContain(`invalid attribute \\"x\\" (expected key=value)`)
    fs.rmSync(dir, { recursive: true })
  })
})
