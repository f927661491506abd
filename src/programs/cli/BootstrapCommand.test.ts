/**
 * `bootstrap` as the kubelet runs it: a process with the init container's args and env, on a fake pod layout
 * (the projected input Secrets, the config emptyDir, the code-module volume as CSI content or an emptyDir filled
 * from the tenant simulator).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { startTenantSimulator, type TenantSimulator } from "../../../e2e/tenant-simulator/TenantSimulator.ts"
import { suppressedMessage } from "../../init/FailurePolicy.ts"
import { markerName } from "../../init/StagedInstall.ts"
import { withoutUnknownFlags } from "./BootstrapCommand.ts"

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
  readonly logs: ReadonlyArray<{ message: string; level: string; annotations: Record<string, unknown> }>
}

const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawn(process.execPath, ["src/main.ts", "bootstrap", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })

/** Runs bootstrap to the end (asynchronously: the simulator lives in this process). */
const bootstrap = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = start(args, env)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (status) => {
      const logs = stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line))
      resolve({ status, stdout, stderr, logs })
    })
  })

/** Each test starts Node processes on a shared machine. */
const PROCESS_TIMEOUT = 60_000

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** Files the way the kubelet projects Secrets: `<name> -> ..data/<name>`, `..data -> ..<timestamp>`. */
const projectSecrets = (dir: string, files: Record<string, string>) => {
  const stamp = "..2026_11_24_12_00_00.000000001"
  fs.mkdirSync(path.join(dir, stamp), { recursive: true })
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, stamp, name), content)
    fs.symlinkSync(path.join("..data", name), path.join(dir, name))
  }
  fs.symlinkSync(stamp, path.join(dir, "..data"))
}

/** A fake pod: /mnt/input, /mnt/config, /mnt/bin under one temp dir. */
const pod = (input: Record<string, string>, csi: boolean) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-pod-"))
  dirs.push(root)
  const layout = { input: path.join(root, "input"), config: path.join(root, "config"), bin: path.join(root, "bin") }
  fs.mkdirSync(layout.config)
  fs.mkdirSync(layout.bin)
  projectSecrets(layout.input, input)
  if (csi) {
    fs.mkdirSync(path.join(layout.bin, "agent/lib64"), { recursive: true })
    fs.mkdirSync(path.join(layout.bin, "agent/conf"), { recursive: true })
    fs.writeFileSync(path.join(layout.bin, "agent/lib64/liboneagentproc.so"), "ELF")
    fs.writeFileSync(
      path.join(layout.bin, "agent/conf/ruxitagentproc.conf"),
      '[general]\nlibraryPath "../lib64/liboneagentproc.so"\n'
    )
  }
  return layout
}

/** Every regular file below `dir`, relative, with its content. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as Array<string>)
      .filter((rel) => fs.lstatSync(path.join(dir, rel)).isFile())
      .toSorted()
      .map((rel) => [rel, fs.readFileSync(path.join(dir, rel), "utf8")])
  )

const podEnv = { K8S_PODNAME: "web-7d9f-x2x", K8S_PODUID: "4f1c-uid", K8S_NODE_NAME: "node-1" }

/** The init container's args as the webhook writes them (spec §3.3), paths mapped onto the fake pod. */
const webhookArgs = (layout: ReturnType<typeof pod>, extra: ReadonlyArray<string> = []) => [
  `--config-directory=${layout.config}`,
  `--input-directory=${layout.input}`,
  "--enable-attributes-dt-kubernetes=true",
  // The kubelet expands $(VAR) from the env; these two were expanded already, the rest arrive literally.
  "--attribute=k8s.pod.name=web-7d9f-x2x",
  "--attribute=k8s.pod.uid=4f1c-uid",
  "--attribute=k8s.node.name=$(K8S_NODE_NAME)",
  "--attribute=k8s.namespace.name=shop",
  "--attribute=k8s.workload.kind=deployment",
  "--attribute=k8s.workload.name=web",
  "--attribute=k8s.cluster.uid=c-uid",
  "--attribute=k8s.cluster.name=prod",
  "--metadata-enrichment",
  '--attribute-container={"container_image.registry":"docker.io","container_image.repository":"library/nginx","container_image.tags":"1.25","k8s.container.name":"web"}',
  "--source=/opt/dynatrace/oneagent",
  `--target=${layout.bin}`,
  "--install-path=/opt/dynatrace/oneagent-paas",
  ...extra
]

const input = {
  "ruxitagentproc.json": JSON.stringify({
    properties: [{ section: "general", key: "tenant", value: "abc12345" }],
    revision: 1
  }),
  "initial-connect-retry": "6000",
  "endpoint.properties": "DT_METRICS_INGEST_URL=https://abc.live.dynatrace.com/api/v2/metrics/ingest\n",
  "trusted.pem": "TRUSTED\n"
}

const expectedConfig = {
  "oneagent/ld.so.preload": "/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so",
  "web/enrichment/dt_metadata.json":
    '{"dt.kubernetes.cluster.id":"c-uid","dt.kubernetes.workload.kind":"deployment","dt.kubernetes.workload.name":"web","k8s.cluster.name":"prod","k8s.cluster.uid":"c-uid","k8s.container.name":"web","k8s.namespace.name":"shop","k8s.node.name":"node-1","k8s.pod.name":"web-7d9f-x2x","k8s.pod.uid":"4f1c-uid","k8s.workload.kind":"deployment","k8s.workload.name":"web"}',
  "web/enrichment/dt_metadata.properties": [
    "dt.kubernetes.cluster.id=c-uid",
    "dt.kubernetes.workload.kind=deployment",
    "dt.kubernetes.workload.name=web",
    "k8s.cluster.name=prod",
    "k8s.cluster.uid=c-uid",
    "k8s.container.name=web",
    "k8s.namespace.name=shop",
    "k8s.node.name=node-1",
    "k8s.pod.name=web-7d9f-x2x",
    "k8s.pod.uid=4f1c-uid",
    "k8s.workload.kind=deployment",
    "k8s.workload.name=web",
    ""
  ].join("\n"),
  "web/enrichment/endpoint/endpoint.properties":
    "DT_METRICS_INGEST_URL=https://abc.live.dynatrace.com/api/v2/metrics/ingest\n",
  "web/oneagent/agent/config/container.conf": [
    "[container]",
    "k8s_fullpodname web-7d9f-x2x",
    "k8s_poduid 4f1c-uid",
    "k8s_namespace shop",
    "k8s_cluster_id c-uid",
    "k8s_containername web",
    "containerName web",
    "imageName docker.io/library/nginx:1.25",
    "k8s_node_name node-1",
    "",
    "[host]",
    "tenant abc12345",
    "isCloudNativeFullStack true",
    ""
  ].join("\n"),
  "web/oneagent/agent/config/ruxitagentproc.conf": [
    "[general]",
    'dataStorageDir "/var/lib/dynatrace/oneagent"',
    'libraryPath "/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so"',
    'logDir "/var/lib/dynatrace/oneagent/log"',
    'storage "/var/lib/dynatrace/oneagent"',
    "tenant abc12345",
    ""
  ].join("\n"),
  "web/oneagent/agent/customkeys/curl_options.conf": "initialConnectRetryMs 6000",
  "web/oneagent/agent/customkeys/custom.pem": "\nTRUSTED\n",
  "web/oneagent/agent/customkeys/custom_proxy.pem": "TRUSTED\n"
}

describe("bootstrap (process, CSI volume)", () => {
  it(
    "writes every file the application container needs, from the webhook's args",
    async () => {
      const layout = pod(input, true)
      const run = await bootstrap(
        webhookArgs(layout, [
          "--suppress-error",
          "--fullstack",
          "--tenant=abc12345",
          "--some-future-flag=1",
          "--another",
          "value"
        ]),
        podEnv
      )
      expect(run.stderr).toBe("")
      expect(run.status).toBe(0)
      expect(snapshot(layout.config)).toEqual(expectedConfig)
      expect(fs.statSync(path.join(layout.config, "web/oneagent/agent/config/container.conf")).mode & 0o777).toBe(0o644)
      expect(run.logs.map((l) => l.message)).toEqual(["Bootstrap finished."])
      expect(run.logs[0]!.annotations).toMatchObject({
        agentFiles: "csi",
        oneAgentConfig: true,
        metadataEnrichment: true
      })
      // The volume the CSI driver mounted is read-only to us: nothing was added.
      expect(fs.readdirSync(layout.bin)).toEqual(["agent"])
    },
    PROCESS_TIMEOUT
  )

  it(
    "enrichment-only pods (no --target) get only the metadata files",
    async () => {
      const layout = pod({ "endpoint.properties": "X=1\n" }, false)
      const args = webhookArgs(layout).filter(
        (a) => !a.startsWith("--target") && !a.startsWith("--source") && !a.startsWith("--install-path")
      )
      const run = await bootstrap(args, podEnv)
      expect(run.status).toBe(0)
      expect(Object.keys(snapshot(layout.config))).toEqual([
        "web/enrichment/dt_metadata.json",
        "web/enrichment/dt_metadata.properties",
        "web/enrichment/endpoint/endpoint.properties"
      ])
    },
    PROCESS_TIMEOUT
  )
})

describe("bootstrap failure policy (process)", () => {
  it(
    "silent: the CSI driver gave up (empty volume) — exit 0, one line saying why, no ld.so.preload",
    async () => {
      const layout = pod(input, false)
      const run = await bootstrap(webhookArgs(layout, ["--suppress-error"]), podEnv)
      expect(run.status).toBe(0)
      expect(run.logs).toHaveLength(1)
      expect(run.logs[0]).toMatchObject({ level: "ERROR", message: suppressedMessage })
      expect(String(run.logs[0]!.annotations.reason)).toContain("agent/lib64/liboneagentproc.so is missing")
      expect(fs.existsSync(path.join(layout.config, "oneagent/ld.so.preload"))).toBe(false)
    },
    PROCESS_TIMEOUT
  )

  it(
    "fail: the same situation exits non-zero with the reason",
    async () => {
      const layout = pod(input, false)
      const run = await bootstrap(webhookArgs(layout), podEnv)
      expect(run.status).toBe(1)
      const failed = run.logs.find((l) => l.message === "Command failed.")
      expect(String(failed?.annotations.error)).toContain("agent/lib64/liboneagentproc.so is missing")
      expect(run.stderr).not.toMatch(/\n\s+at /)
    },
    PROCESS_TIMEOUT
  )

  it(
    "bad input is a clear error under fail and a logged, suppressed one under silent",
    async () => {
      const layout = pod(input, true)
      const args = webhookArgs(layout).map((a) => (a.startsWith("--install-path=") ? "--install-path=opt/relative" : a))
      const failed = await bootstrap(args, podEnv)
      expect(failed.status).toBe(1)
      expect(String(failed.logs.find((l) => l.message === "Command failed.")?.annotations.error)).toBe(
        '--install-path "opt/relative" is invalid: it must be absolute.'
      )
      const silent = await bootstrap([...args, "--suppress-error"], podEnv)
      expect(silent.status).toBe(0)
      expect(silent.logs).toHaveLength(1)
      expect(silent.logs[0]!.annotations.reason).toBe('--install-path "opt/relative" is invalid: it must be absolute.')
    },
    PROCESS_TIMEOUT
  )
})

describe("bootstrap (process, emptyDir + download from the tenant simulator)", () => {
  let tenant: TenantSimulator
  beforeAll(async () => {
    tenant = await startTenantSimulator({ config: { codeModuleFillerBytes: 1024 * 1024 } })
  })
  afterAll(() => tenant.close())

  const downloadPod = () =>
    pod(
      {
        ...input,
        "dtclient.config": JSON.stringify({ apiToken: tenant.apiToken, proxy: "", noProxy: "", skipCertCheck: false })
      },
      false
    )
  const version = () => tenant.tenant.config.latestCodeModuleVersion
  const downloadArgs = (layout: ReturnType<typeof pod>) =>
    webhookArgs(layout, [
      `--url=${tenant.url}`,
      `--version=${version()}`,
      "--flavor=multidistro",
      "--technology=java,nodejs"
    ])

  it(
    "downloads and extracts the module, then configures it; a second run does not download again",
    async () => {
      const layout = downloadPod()
      tenant.resetHits()
      const run = await bootstrap(downloadArgs(layout), podEnv)
      expect(run.stderr).toBe("")
      expect(run.status).toBe(0)
      expect(tenant.hitsOf("agentDownload")).toBe(1)
      expect(tenant.requests("agentDownload")[0]!.query.filter(([k]) => k === "include")).toEqual([
        ["include", "java"],
        ["include", "nodejs"]
      ])
      // What the application container will see at the install path.
      expect(fs.existsSync(path.join(layout.bin, "agent/lib64/liboneagentproc.so"))).toBe(true)
      expect(fs.readlinkSync(path.join(layout.bin, "agent/bin/current"))).toBe(version())
      expect(fs.readdirSync(layout.bin).filter((f) => f.startsWith("download"))).toEqual([])
      expect(snapshot(layout.config)["oneagent/ld.so.preload"]).toBe(
        "/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so"
      )
      expect(run.logs.map((l) => l.message)).toEqual([
        "Downloaded the code module.",
        "Extracted the code module.",
        "Bootstrap finished."
      ])
      expect(run.stdout).not.toContain(tenant.apiToken)

      const again = await bootstrap(downloadArgs(layout), podEnv)
      expect(again.status).toBe(0)
      expect(tenant.hitsOf("agentDownload")).toBe(1)
      expect(again.logs.at(-1)!.annotations.agentFiles).toBe("already-downloaded")
    },
    PROCESS_TIMEOUT
  )

  it(
    "a tenant error under fail exits 1 and lists the versions the tenant offers",
    async () => {
      const layout = downloadPod()
      const args = webhookArgs(layout, [`--url=${tenant.url}`, "--version=9.9.9.20990101-000000"])
      const run = await bootstrap(args, podEnv)
      expect(run.status).toBe(1)
      const listed = run.logs.find((l) => l.message === "Listed the code-module versions the tenant offers.")
      expect(listed?.annotations.available).toBe(tenant.tenant.config.availableVersions.join(","))
      expect(String(run.logs.find((l) => l.message === "Command failed.")?.annotations.error)).toContain("answered 404")
      expect(run.stdout).not.toContain(tenant.apiToken)
    },
    PROCESS_TIMEOUT
  )

  it(
    "after kill -9 mid-download, the next run finishes the job",
    async () => {
      tenant.configure({ codeModuleFillerBytes: 120 * 1024 * 1024 })
      try {
        const layout = downloadPod()
        const child = start(downloadArgs(layout), podEnv)
        const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
        // Wait until the zip is partly on disk, then kill the process the way an OOM kill would.
        const partial = () => fs.readdirSync(layout.bin).find((f) => f.startsWith("download"))
        let killed = false
        for (let i = 0; i < 2000 && !killed; i++) {
          const file = partial()
          if (file !== undefined && fs.statSync(path.join(layout.bin, file)).size > 1024 * 1024) {
            child.kill("SIGKILL")
            killed = true
          } else await sleep(5)
        }
        await exited
        expect(killed).toBe(true)
        expect(fs.existsSync(path.join(layout.bin, markerName))).toBe(false)
        expect(partial()).toBeDefined()

        const run = await bootstrap(downloadArgs(layout), podEnv)
        expect(run.status).toBe(0)
        expect(fs.existsSync(path.join(layout.bin, markerName))).toBe(true)
        expect(fs.existsSync(path.join(layout.bin, "agent/lib64/liboneagentproc.so"))).toBe(true)
        expect(partial()).toBeUndefined()
      } finally {
        tenant.configure({ codeModuleFillerBytes: 1024 * 1024 })
      }
    },
    PROCESS_TIMEOUT
  )
})

describe("withoutUnknownFlags", () => {
  it("drops flags bootstrap does not know (with their value), keeps the rest", () => {
    expect(
      withoutUnknownFlags([
        "bootstrap",
        "--target=/mnt/bin",
        "--future=1",
        "--future-switch",
        "--future-with-value",
        "v",
        "--suppress-error",
        "--attribute=a=b",
        "--version=1.2",
        "--help"
      ])
    ).toEqual(["bootstrap", "--target=/mnt/bin", "--suppress-error", "--attribute=a=b", "--version=1.2", "--help"])
  })

  it("leaves other subcommands alone", () => {
    expect(withoutUnknownFlags(["generate-crds", "--whatever"])).toEqual(["generate-crds", "--whatever"])
    expect(withoutUnknownFlags(["--log-level", "debug"])).toEqual(["--log-level", "debug"])
  })
})
