/**
 * `csi-provisioner` against the shared real control plane (DynaKubes through the apiserver, the CRD from
 * `manifests/crds/` with conversion None) and an in-process tenant simulator; the "node" is a temporary data
 * directory.
 *
 * 1. The program in-process on the data directory of a real CSI server (`CsiFixture`): a DynaKube created through
 *    the apiserver is provisioned, a NodePublish for it mounts that module, a version change made through the
 *    apiserver re-points the link while the old mount keeps its module, deleting the DynaKube cleans up. Health
 *    and metrics answer.
 * 2. The program as a process (`node src/main.ts csi-provisioner`), killed with SIGKILL while it extracts a large
 *    module and started again: no partial version is ever visible under its final name, the restart removes the
 *    leftovers and converges.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Fiber, Layer, Logger, ManagedRuntime } from "effect"
import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { parse } from "yaml"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTenantSimulator, type TenantSimulator } from "../../../e2e/tenant-simulator/TenantSimulator.ts"
import { repoRoot, uniqueName } from "../../programs/operator/testkit/OperatorTestKit.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import * as CsiFixture from "../CsiFixture.ts"
import * as DataDir from "../DataDir.ts"
import * as ProvisionerConfig from "./ProvisionerConfig.ts"
import * as ProvisionerMain from "./ProvisionerMain.ts"

const isRoot = process.getuid?.() === 0
const fieldManager = "csi-provisioner-integration-test"
const v1 = "1.310.52.20250307-092100"
const v2 = "1.311.54.20250317-111439"

const kube = ManagedRuntime.make(KubeClient.layer)
const k = <A>(effect: Effect.Effect<A, unknown, KubeClient>) => kube.runPromise(effect)

let sim: TenantSimulator
const namespaces: Array<string> = []

const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
    server.on("error", reject)
  })

/** The DynaKube CRD of manifests/crds with conversion None, applied server-side; waits until DynaKubes are served. */
const installCrd = async () => {
  const file = path.join(repoRoot, "manifests/crds/dynatrace.com_dynakubes.yaml")
  const crd = parse(fs.readFileSync(file, "utf8")) as KubeObject & { spec: Record<string, unknown> }
  await k(
    Effect.gen(function* () {
      const client = yield* KubeClient
      yield* client.apply(
        Resources.CustomResourceDefinition,
        { ...crd, spec: { ...crd.spec, conversion: { strategy: "None" } } },
        { fieldManager, force: true }
      )
    })
  )
  await waitUntil("DynaKubes are served", () =>
    k(
      Effect.gen(function* () {
        const client = yield* KubeClient
        yield* client.list(Resources.DynaKube, { namespace: "default", limit: 1 })
        return true
      })
    )
  )
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

/** A namespace with the token Secret and an applicationMonitoring DynaKube whose status names `version`. */
const createDynaKube = async (name: string, version: string) => {
  const namespace = uniqueName("csi-prov")
  namespaces.push(namespace)
  await k(
    Effect.gen(function* () {
      const client = yield* KubeClient
      yield* client.create(Resources.Namespace, { metadata: { name: namespace } })
      yield* client.create(Resources.Secret, {
        metadata: { name, namespace },
        type: "Opaque",
        data: { apiToken: b64(sim.apiToken), paasToken: b64(sim.paasToken) }
      } as KubeObject)
      yield* client.apply(
        Resources.DynaKube,
        {
          apiVersion: "dynatrace.com/v1beta6",
          kind: "DynaKube",
          metadata: { name, namespace },
          spec: { apiUrl: sim.url, oneAgent: { applicationMonitoring: {} } }
        } as KubeObject,
        { fieldManager, force: true }
      )
    })
  )
  await setVersion(namespace, name, version)
  return namespace
}

/** Writes `status.codeModules.version`, as the operator's version reconciler does. */
const setVersion = (namespace: string, name: string, version: string) =>
  k(
    Effect.gen(function* () {
      const client = yield* KubeClient
      yield* client.patch(
        Resources.DynaKube,
        name,
        {
          type: "merge",
          patch: { status: { codeModules: { version, source: "tenant-registry" } } }
        },
        { namespace, subresource: "status" }
      )
    })
  )

beforeAll(async () => {
  sim = await startTenantSimulator({ config: { codeModuleFillerBytes: 1024 * 1024 } })
  await installCrd()
})

afterAll(async () => {
  await k(
    Effect.gen(function* () {
      const client = yield* KubeClient
      for (const namespace of namespaces) yield* client.delete(Resources.Namespace, namespace).pipe(Effect.ignore)
    })
  ).catch(() => undefined)
  await kube.dispose()
  await sim?.close()
})

const readlinkName = (link: string) => {
  try {
    return path.basename(fs.readlinkSync(link))
  } catch {
    return undefined
  }
}

describe("csi-provisioner in-process on the real control plane", () => {
  it("provisions a DynaKube created through the apiserver; NodePublish mounts it; follows version changes and deletion", async () => {
    let fixture: CsiFixture.Fixture | undefined
    let root: string | undefined
    let dataDir: DataDir.DataDir
    if (isRoot) {
      fixture = await CsiFixture.start()
      dataDir = fixture.dataDir
    } else {
      console.warn("provisioner.integration.test.ts: not root, so no CSI server (overlayfs) to publish through")
      root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "prov-it-")))
      dataDir = DataDir.make(path.join(root, "data"))
    }
    const name = "dk-app"
    const namespace = await createDynaKube(name, v1)
    const healthPort = await freePort()
    const metricsPort = await freePort()
    const logs: Array<string> = []
    const config = await Effect.runPromise(
      ProvisionerConfig.fromRaw({
        dataDir: dataDir.root,
        namespace,
        healthProbeBindAddress: `127.0.0.1:${healthPort}`,
        metricsBindAddress: `127.0.0.1:${metricsPort}`,
        version: "0.0.0-it"
      })
    )
    const fiber = Effect.runFork(
      ProvisionerMain.run(config).pipe(
        Effect.provide(
          Layer.mergeAll(
            NodeFileSystem.layer,
            Logger.layer([Logger.map(Logger.formatJson, (line) => void logs.push(line))])
          )
        )
      )
    )
    try {
      const link = dataDir.latestCodeModule(name)
      await waitUntil("the DynaKube is provisioned", () => readlinkName(link) === v1)
      const module = dataDir.codeModule(v1)
      expect(fs.readFileSync(path.join(module, "agent/installer.version"), "utf8").trim()).toBe(v1)
      expect(fs.existsSync(path.join(module, "agent/lib64/liboneagentproc.so"))).toBe(true)
      expect(sim.requests("agentDownload").filter((r) => r.path.endsWith(v1))).toHaveLength(1)
      const download = sim.requests("agentDownload").find((r) => r.path.endsWith(v1))!
      expect(download.headers["user-agent"]).toBe("dynatrace-operator/0.0.0-it provisioner")

      expect((await fetch(`http://127.0.0.1:${healthPort}/livez`)).status).toBe(200)
      await waitUntil("/readyz answers 200", async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok)
      // The link appears inside the reconcile; the reconcile counter only once it has returned.
      const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
      await waitUntil("the reconcile is counted", async () =>
        /controller_runtime_reconcile_total\{[^}]*controller="provisioner-controller"/.test(await scrape())
      )
      expect(await scrape()).toMatch(/dynatrace_csi_provisioner_installs_total\{[^}]*result="installed"[^}]*\} 1/)

      // The kubelet publishes an app volume for a pod of this DynaKube: the server mounts the provisioned module.
      const pod = { name: "app-1", namespace: "shop", uid: "00000000-0000-4000-8000-0000000000a1" }
      const target = fixture?.targetFor(pod.uid)
      if (fixture !== undefined && target !== undefined) {
        await fixture.client.nodePublishVolume({
          volume_id: "csi-it-1",
          target_path: target,
          volume_capability: CsiFixture.mountCapability,
          volume_context: CsiFixture.appVolumeContext(pod, name),
          readonly: true
        })
        expect(fs.readFileSync(path.join(target, "agent/installer.version"), "utf8").trim()).toBe(v1)
        expect(fs.existsSync(path.join(target, "agent/lib64/liboneagentproc.so"))).toBe(true)
      }

      // The operator resolves a new version: the watch brings it, the link moves, the mounted pod keeps v1.
      await setVersion(namespace, name, v2)
      await waitUntil("the link points at the new version", () => readlinkName(link) === v2)
      if (target !== undefined) {
        expect(fs.readFileSync(path.join(target, "agent/installer.version"), "utf8").trim()).toBe(v1)
        expect(fs.existsSync(dataDir.codeModule(v1))).toBe(true)
      }

      // Deleting the DynaKube cleans up at once: its directory and the version nothing mounts go.
      await k(
        Effect.gen(function* () {
          yield* (yield* KubeClient).delete(Resources.DynaKube, name, { namespace })
        })
      )
      await waitUntil("the DynaKube's directory is gone", () => !fs.existsSync(dataDir.dynakube(name)))
      await waitUntil("the unused version is gone", () => !fs.existsSync(dataDir.codeModule(v2)))
      if (fixture !== undefined && target !== undefined) {
        // Still mounted by the pod: kept until the pod goes.
        expect(fs.existsSync(dataDir.codeModule(v1))).toBe(true)
        await fixture.client.nodeUnpublishVolume({ volume_id: "csi-it-1", target_path: target })
      }
      expect(logs.some((line) => line.includes("Cleaned up after the DynaKube was deleted."))).toBe(true)
      for (const line of logs) {
        expect(line).not.toContain(sim.paasToken)
        expect(line).not.toContain(sim.apiToken)
      }
    } finally {
      await Effect.runPromise(Fiber.interrupt(fiber))
      await fixture?.stop()
      if (root !== undefined) fs.rmSync(root, { recursive: true, force: true })
    }
  })
})

/** Every non-dot entry of codemodules/ must be a complete version (StagedInstall's marker inside). */
const partialVersions = (dataDir: DataDir.DataDir): Array<string> => {
  let names: Array<string>
  try {
    names = fs.readdirSync(dataDir.codeModules)
  } catch {
    return []
  }
  return names.filter(
    (name) =>
      !name.startsWith(".") && !fs.existsSync(path.join(dataDir.codeModule(name), ".dynatrace-install-complete"))
  )
}

const startProcess = (dataDir: DataDir.DataDir, namespace: string, output: Array<string>): ChildProcess => {
  const child = spawn(
    path.join(repoRoot, "node_modules/.bin/node"),
    [
      path.join(repoRoot, "src/main.ts"),
      "csi-provisioner",
      `--data-dir=${dataDir.root}`,
      `--namespace=${namespace}`,
      "--health-probe-bind-address=0",
      "--metrics-bind-address=0"
    ],
    { env: { ...process.env, KUBECONFIG: process.env["KUBECONFIG"] ?? "" }, stdio: ["ignore", "pipe", "pipe"] }
  )
  child.stdout?.on("data", (chunk: Buffer) => void output.push(chunk.toString()))
  child.stderr?.on("data", (chunk: Buffer) => void output.push(chunk.toString()))
  return child
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode)
    child.on("exit", (code) => resolve(code))
  })

describe("csi-provisioner as a process: kill -9 while extracting", () => {
  it("never shows a partial version; a restart removes the leftovers and converges", async () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "prov-crash-")))
    const dataDir = DataDir.make(path.join(root, "data"))
    const size = 256 * 1024 * 1024
    sim.configure({ codeModuleFillerBytes: size })
    const output: Array<string> = []
    let child: ChildProcess | undefined
    try {
      const name = "dk-crash"
      const namespace = await createDynaKube(name, v2)
      let partialSeen: Array<string> = []
      const watch = setInterval(() => {
        const partial = partialVersions(dataDir)
        if (partial.length > 0) partialSeen = partial
      }, 2)

      child = startProcess(dataDir, namespace, output)
      const staging = dataDir.codeModuleStaging(v2)
      // Extraction has started when the staging directory fills; the big library is written last-ish, so wait
      // until there is some content, then kill.
      await waitUntil(
        "the extraction is under way",
        () => fs.existsSync(staging) && fs.readdirSync(staging).length > 0,
        90_000
      )
      child.kill("SIGKILL")
      await exited(child)
      expect(partialSeen).toEqual([])
      // Killed mid-way: the version is not there under its name, only the staging directory.
      expect(fs.existsSync(dataDir.codeModule(v2))).toBe(false)
      expect(fs.existsSync(staging)).toBe(true)
      expect(readlinkName(dataDir.latestCodeModule(name))).toBeUndefined()

      const before = output.length
      child = startProcess(dataDir, namespace, output)
      await waitUntil(
        "the restarted provisioner converges",
        () => readlinkName(dataDir.latestCodeModule(name)) === v2,
        120_000
      )
      clearInterval(watch)
      expect(partialSeen).toEqual([])
      expect(fs.readdirSync(dataDir.codeModules)).toEqual([v2])
      expect(fs.readdirSync(dataDir.tmpZip)).toEqual([])
      const java = path.join(dataDir.codeModule(v2), "agent/bin", v2, "linux-x86-64/liboneagentjava.so")
      expect(fs.statSync(java).size).toBeGreaterThanOrEqual(size)
      const restartLog = output.slice(before).join("")
      expect(restartLog).toContain("Removed leftovers of an interrupted install.")
      expect(output.join("")).not.toContain(sim.paasToken)

      child.kill("SIGTERM")
      await exited(child)
      child = undefined
    } finally {
      if (child !== undefined) {
        child.kill("SIGKILL")
        await exited(child)
      }
      sim.configure({ codeModuleFillerBytes: 1024 * 1024 })
      fs.rmSync(root, { recursive: true, force: true })
    }
  }, 300_000)
})
