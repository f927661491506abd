/**
 * The pod walk: plays the kubelet for a pod the webhook mutated, without a container runtime.
 *
 * 1. Volumes: each CSI volume is published by the running `csi-server` (NodePublishVolume with the pod's volume
 *    attributes and the pod info the kubelet adds, target `<pods>/<uid>/volumes/kubernetes.io~csi/<name>/mount`,
 *    retried while the driver answers Unavailable, as the kubelet does); an emptyDir is a directory; a secret or
 *    projected-secret volume is a directory holding the secrets' data as files.
 * 2. The init container `dynatrace-operator` runs as a process: `node src/main.ts <its args>` with its env
 *    (`fieldRef`s resolved from the pod, `$(VAR)` expanded in args as the kubelet does). Path arguments that lie
 *    under one of its volume mounts are rewritten onto that volume's host directory (the one deviation: no mount
 *    namespace); `--install-path` is the application's path and stays as it is.
 * 3. The application container's view is resolved through its own mounts (subPaths included), and checked: the
 *    `LD_PRELOAD` library exists there, `/etc/ld.so.preload` names it, `container.conf` and the enrichment files
 *    hold the pod's name, uid, namespace, node and container.
 *
 * `cleanup()` unpublishes every CSI volume and removes the pod directory; call it always.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import type { CsiClient } from "../../src/csi/CsiClient.ts"
import { runCommand } from "./Processes.ts"

/** The parts of a Pod the walk reads. */
export interface WalkPod {
  readonly metadata: {
    readonly name?: string
    readonly namespace?: string
    readonly uid?: string
    readonly labels?: Readonly<Record<string, string>>
    readonly annotations?: Readonly<Record<string, string>>
  }
  readonly spec: {
    readonly nodeName?: string
    readonly serviceAccountName?: string
    readonly volumes?: ReadonlyArray<Volume>
    readonly initContainers?: ReadonlyArray<Container>
    readonly containers: ReadonlyArray<Container>
  }
}

interface Volume {
  readonly name: string
  readonly emptyDir?: unknown
  readonly csi?: {
    readonly driver: string
    readonly readOnly?: boolean
    readonly volumeAttributes?: Record<string, string>
  }
  readonly secret?: { readonly secretName?: string; readonly optional?: boolean }
  readonly projected?: {
    readonly sources?: ReadonlyArray<{ readonly secret?: { readonly name?: string; readonly optional?: boolean } }>
  }
}

interface Container {
  readonly name: string
  readonly image?: string
  readonly args?: ReadonlyArray<string>
  readonly env?: ReadonlyArray<{
    readonly name: string
    readonly value?: string
    readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } }
  }>
  readonly volumeMounts?: ReadonlyArray<{
    readonly name: string
    readonly mountPath: string
    readonly subPath?: string
    readonly readOnly?: boolean
  }>
}

/** One check of the application container's view. */
export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/** What the walk did and saw. */
export interface WalkResult {
  /** Volume name → host directory. */
  readonly volumes: Readonly<Record<string, string>>
  /** Volume name → how it was provided (`csi published`, `emptyDir`, …). */
  readonly volumeKinds: Readonly<Record<string, string>>
  readonly bootstrap: {
    readonly args: ReadonlyArray<string>
    readonly exitCode: number | string
    readonly output: string
  }
  /** Container name → (path inside the container → host path) for the files checked. */
  readonly views: Readonly<Record<string, Readonly<Record<string, string>>>>
  readonly checks: ReadonlyArray<Check>
  readonly ok: boolean
  /** Unpublishes CSI volumes and removes the pod directory; idempotent. */
  readonly cleanup: () => Promise<void>
}

export interface WalkOptions {
  readonly pod: WalkPod
  /** The kubelet's pods dir (`<kubelet>/pods`): the CSI driver only publishes under it. */
  readonly podsDir: string
  /** The CSI driver to publish CSI volumes with (required when the pod has one). */
  readonly csi?: CsiClient
  /** Secrets of the pod's namespace the volumes reference: name → data (base64 values, as stored). */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>> | undefined>>
  /** The node the pod runs on, when the pod has no `spec.nodeName`. */
  readonly nodeName?: string
  /** How long NodePublishVolume may answer Unavailable before the walk gives up (default 30 s). */
  readonly publishTimeoutMs?: number
}

const volumeId = (uid: string, volume: string) =>
  `csi-${createHash("sha256").update(`${uid}/${volume}`).digest("hex").slice(0, 40)}`

const fieldValue = (pod: WalkPod, nodeName: string, fieldPath: string): string => {
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata.name ?? ""
    case "metadata.namespace":
      return pod.metadata.namespace ?? ""
    case "metadata.uid":
      return pod.metadata.uid ?? ""
    case "spec.nodeName":
      return nodeName
    default: {
      const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath)
      if (label !== null) return pod.metadata.labels?.[label[1] ?? ""] ?? ""
      const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(fieldPath)
      if (annotation !== null) return pod.metadata.annotations?.[annotation[1] ?? ""] ?? ""
      return ""
    }
  }
}

/** The kubelet's `$(VAR)` expansion (`$$` escapes; unknown references stay as they are). */
export const expand = (text: string, env: Readonly<Record<string, string>>): string =>
  text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) =>
    name === undefined ? "$" : (env[name] ?? match)
  )

/** The container's env as the kubelet computes it. */
export const containerEnv = (pod: WalkPod, container: Container, nodeName: string): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = expand(e.value, env)
    else if (e.valueFrom?.fieldRef !== undefined)
      env[e.name] = fieldValue(pod, nodeName, e.valueFrom.fieldRef.fieldPath)
  }
  return env
}

/** Host path of `file` (a path inside `container`) through its mounts; undefined when no mount covers it. */
export const resolveInContainer = (
  container: Container,
  volumes: Readonly<Record<string, string>>,
  file: string
): string | undefined => {
  const mounts = [...(container.volumeMounts ?? [])].toSorted((a, b) => b.mountPath.length - a.mountPath.length)
  for (const m of mounts) {
    const base = volumes[m.name]
    if (base === undefined) continue
    const source = m.subPath === undefined || m.subPath === "" ? base : path.join(base, m.subPath)
    if (file === m.mountPath) return source
    if (file.startsWith(`${m.mountPath.replace(/\/$/, "")}/`)) return path.join(source, file.slice(m.mountPath.length))
  }
  return undefined
}

const readText = (file: string | undefined): string | undefined => {
  if (file === undefined) return undefined
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

/** Publishes like the kubelet: Unavailable means "retry with backoff". */
const publish = async (
  csi: CsiClient,
  request: Parameters<CsiClient["nodePublishVolume"]>[0],
  timeoutMs: number
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      await csi.nodePublishVolume(request)
      return
    } catch (error) {
      const code = (error as { code?: number }).code
      if (code !== 14 /* UNAVAILABLE */ || Date.now() > deadline) throw error
      await sleep(delay)
    }
  }
}

/** Walks `pod` (see the module comment). Throws only when the walk itself cannot go on; checks report the rest. */
export const walkPod = async (options: WalkOptions): Promise<WalkResult> => {
  const { pod } = options
  const uid = pod.metadata.uid ?? "no-uid"
  const nodeName = pod.spec.nodeName ?? options.nodeName ?? ""
  const podDir = path.join(options.podsDir, uid)
  const volumes: Record<string, string> = {}
  const volumeKinds: Record<string, string> = {}
  const published: Array<string> = []
  let cleaned = false
  const cleanup = async () => {
    if (cleaned) return
    cleaned = true
    for (const target of published) {
      await options.csi
        ?.nodeUnpublishVolume({ volume_id: volumeId(uid, path.basename(path.dirname(target))), target_path: target })
        .catch(() => undefined)
    }
    fs.rmSync(podDir, { recursive: true, force: true })
  }

  try {
    for (const volume of pod.spec.volumes ?? []) {
      if (volume.csi !== undefined) {
        if (options.csi === undefined) throw new Error(`volume ${volume.name} is CSI but no CSI driver was given`)
        const target = path.join(podDir, "volumes", "kubernetes.io~csi", volume.name, "mount")
        fs.mkdirSync(path.dirname(target), { recursive: true })
        published.push(target)
        await publish(
          options.csi,
          {
            volume_id: volumeId(uid, volume.name),
            target_path: target,
            volume_capability: { mount: { fs_type: "", mount_flags: [] }, access_mode: { mode: "SINGLE_NODE_WRITER" } },
            readonly: volume.csi.readOnly ?? false,
            volume_context: {
              ...volume.csi.volumeAttributes,
              "csi.storage.k8s.io/pod.name": pod.metadata.name ?? "",
              "csi.storage.k8s.io/pod.namespace": pod.metadata.namespace ?? "",
              "csi.storage.k8s.io/pod.uid": uid,
              "csi.storage.k8s.io/serviceAccount.name": pod.spec.serviceAccountName ?? "default",
              "csi.storage.k8s.io/ephemeral": "true"
            },
            publish_context: {},
            secrets: {}
          } as Parameters<CsiClient["nodePublishVolume"]>[0],
          options.publishTimeoutMs ?? 30_000
        )
        volumes[volume.name] = target
        volumeKinds[volume.name] = `CSI ${volume.csi.driver} (published by csi-server)`
      } else if (volume.emptyDir !== undefined) {
        const dir = path.join(podDir, "volumes", "kubernetes.io~empty-dir", volume.name)
        fs.mkdirSync(dir, { recursive: true })
        volumes[volume.name] = dir
        volumeKinds[volume.name] = "emptyDir"
      } else if (volume.secret !== undefined || volume.projected !== undefined) {
        const dir = path.join(podDir, "volumes", "kubernetes.io~secret", volume.name)
        fs.mkdirSync(dir, { recursive: true })
        const names =
          volume.secret !== undefined
            ? [{ name: volume.secret.secretName ?? "", optional: volume.secret.optional ?? false }]
            : (volume.projected?.sources ?? []).flatMap((s) =>
                s.secret === undefined ? [] : [{ name: s.secret.name ?? "", optional: s.secret.optional ?? false }]
              )
        for (const { name, optional } of names) {
          const data = options.secrets[name]
          if (data === undefined) {
            if (optional) continue
            throw new Error(`volume ${volume.name}: Secret ${pod.metadata.namespace}/${name} does not exist`)
          }
          for (const [key, value] of Object.entries(data))
            fs.writeFileSync(path.join(dir, key), Buffer.from(value, "base64"))
        }
        volumes[volume.name] = dir
        volumeKinds[volume.name] =
          names.length === 0
            ? "projected, no Secrets (e.g. the service-account token): left empty"
            : `Secrets ${names.map((n) => n.name).join(", ")} as files`
      }
    }

    const init = pod.spec.initContainers?.find((c) => c.name === "dynatrace-operator")
    if (init === undefined) throw new Error("the pod has no dynatrace-operator init container: it was not injected")
    const env = containerEnv(pod, init, nodeName)
    const rawArgs = (init.args ?? []).map((a) => expand(a, env))
    const args = rawArgs.map((arg) => {
      const match = /^(--[^=]+)=(\/.*)$/.exec(arg)
      if (match === null || match[1] === "--install-path") return arg
      const host = resolveInContainer(init, volumes, match[2] ?? "")
      return host === undefined ? arg : `${match[1]}=${host}`
    })
    const run = await runCommand(args, { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env })

    const views: Record<string, Record<string, string>> = {}
    const checks: Array<Check> = [
      {
        name: "bootstrap exited 0",
        ok: run.code === 0,
        detail: `exit ${run.code}`
      },
      {
        name: "bootstrap reported no failure",
        ok: !/"level":"(ERROR|FATAL)"/.test(run.output),
        detail: run.output.split("\n").find((l) => /"level":"(ERROR|FATAL)"/.test(l)) ?? "no error lines"
      }
    ]
    const attribute = (key: string) =>
      rawArgs
        .find((a) => a.startsWith(`--attribute=${key}=`))
        ?.split("=")
        .slice(2)
        .join("=")
    const clusterUid = attribute("k8s.cluster.uid")
    for (const container of pod.spec.containers) {
      const cEnv = containerEnv(pod, container, nodeName)
      const preload = cEnv["LD_PRELOAD"]
      if (preload === undefined) continue
      const view: Record<string, string> = {}
      const see = (file: string) => {
        const host = resolveInContainer(container, volumes, file)
        if (host !== undefined) view[file] = host
        return host
      }
      const check = (name: string, ok: boolean, detail: string) =>
        checks.push({ name: `${container.name}: ${name}`, ok, detail })
      const library = preload.split(/[: ]/).find((p) => p.endsWith("liboneagentproc.so")) ?? preload
      const libraryHost = see(library)
      const head =
        libraryHost === undefined
          ? undefined
          : fs.existsSync(libraryHost)
            ? fs.readFileSync(libraryHost).subarray(0, 4)
            : undefined
      check(
        "the LD_PRELOAD library exists",
        head !== undefined && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])),
        `${library} → ${libraryHost ?? "not mounted"}${head === undefined ? " (missing)" : ""}`
      )
      const ldSoPreload = readText(see("/etc/ld.so.preload"))
      check("/etc/ld.so.preload names it", ldSoPreload?.trim() === library, `content: ${JSON.stringify(ldSoPreload)}`)
      const storage = cEnv["DT_STORAGE"] ?? "/var/lib/dynatrace/oneagent"
      const containerConf = readText(see(`${storage}/agent/config/container.conf`)) ?? ""
      const confLine = (key: string) => new RegExp(`^${key} (.*)$`, "m").exec(containerConf)?.[1]
      const wanted: ReadonlyArray<readonly [string, string | undefined]> = [
        ["k8s_fullpodname", pod.metadata.name],
        ["k8s_poduid", uid],
        ["k8s_namespace", pod.metadata.namespace],
        ["k8s_containername", container.name],
        ["k8s_cluster_id", clusterUid],
        ...(rawArgs.includes("--fullstack") ? ([["k8s_node_name", nodeName]] as const) : [])
      ]
      const wrong = wanted.filter(([key, value]) => confLine(key) !== value)
      check(
        "container.conf holds the pod's values",
        containerConf !== "" && wrong.length === 0,
        containerConf === ""
          ? "container.conf missing"
          : wrong.length === 0
            ? wanted.map(([k, v]) => `${k}=${v}`).join(" ")
            : wrong.map(([k, v]) => `${k}: want ${v}, got ${confLine(k)}`).join("; ")
      )
      const ruxit = readText(see(`${storage}/agent/config/ruxitagentproc.conf`))
      check(
        "ruxitagentproc.conf points the agent at its storage",
        ruxit?.includes('storage "/var/lib/dynatrace/oneagent"') === true ||
          ruxit?.includes("storage /var/lib/dynatrace/oneagent") === true,
        ruxit === undefined ? "missing" : `${ruxit.split("\n").length} lines`
      )
      if (rawArgs.includes("--metadata-enrichment")) {
        const json = readText(see("/var/lib/dynatrace/enrichment/dt_metadata.json"))
        const properties = readText(see("/var/lib/dynatrace/enrichment/dt_metadata.properties"))
        let metadata: Record<string, string> = {}
        try {
          metadata = JSON.parse(json ?? "{}") as Record<string, string>
        } catch {
          // reported below
        }
        const expected: Record<string, string | undefined> = {
          "k8s.pod.name": pod.metadata.name,
          "k8s.pod.uid": uid,
          "k8s.namespace.name": pod.metadata.namespace,
          "k8s.node.name": nodeName,
          "k8s.container.name": container.name
        }
        const bad = Object.entries(expected).filter(([k, v]) => metadata[k] !== v)
        check(
          "dt_metadata.json holds the pod's values",
          json !== undefined && bad.length === 0,
          json === undefined
            ? "missing"
            : bad.length === 0
              ? `${Object.keys(metadata).length} attributes`
              : bad.map(([k, v]) => `${k}: want ${v}, got ${metadata[k]}`).join("; ")
        )
        check(
          "dt_metadata.properties agrees",
          properties !== undefined && Object.entries(expected).every(([k, v]) => properties.includes(`${k}=${v}\n`)),
          properties === undefined ? "missing" : `${properties.trim().split("\n").length} lines`
        )
      }
      views[container.name] = view
    }
    if (Object.keys(views).length === 0)
      checks.push({ name: "some container has LD_PRELOAD", ok: false, detail: "none" })
    return {
      volumes,
      volumeKinds,
      bootstrap: { args: rawArgs, exitCode: run.code, output: run.output },
      views,
      checks,
      ok: checks.every((c) => c.ok),
      cleanup
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}
