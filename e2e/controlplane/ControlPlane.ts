/**
 * A real Kubernetes control plane on 127.0.0.1 for tests and local runs: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods become Running without a container
 * runtime), all built from pinned sources by `build.sh` into `.cache/testenv/bin`.
 *
 * Everything of one plane lives in a private directory (on /dev/shm when present): etcd data, certificates,
 * the admin kubeconfig and one log file per process. Every process is started in its own process group and
 * is killed with its group by `stop()`, by the exit/signal handlers of this module, or — if this Node process
 * is killed outright — by a small detached watchdog shell that notices the parent is gone.
 *
 * Plain async TypeScript on purpose: this is test infrastructure shared by vitest's global setup, tests that
 * need a private plane and `npm run cluster:up`. See docs/testenv.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parse as parseYaml, stringify as toYaml } from "yaml"
import { kwokStagesYaml } from "./kwokStages.ts"

/** A running control plane. */
export interface ControlPlane {
  /** Admin kubeconfig file (user in group system:masters). */
  readonly kubeconfigPath: string
  /** The YAML text of that kubeconfig. */
  readonly kubeconfig: string
  /** `https://127.0.0.1:<port>` */
  readonly server: string
  /** Admin bearer token. */
  readonly token: string
  /** CA of the apiserver serving certificate (PEM file). */
  readonly caFile: string
  /** Private temp dir of this control plane (removed by stop()). */
  readonly dir: string
  /** Where kubectl and the other binaries live. */
  readonly binDir: string
  /** Stops kube-apiserver and starts it again on the same port with the same etcd; resolves when ready. */
  restartApiServer(): Promise<void>
  /**
   * Compacts etcd at its current revision. Requests that reach etcd with an older resourceVersion then get
   * 410 Gone. With the apiserver's watch cache on (the default) watches are served from the cache, which still
   * holds recent events: pass `apiServerArgs: ["--watch-cache=false"]` to make old watches fail right away, or
   * call restartApiServer() afterwards (a fresh cache starts at the current revision).
   */
  compactEtcd(): Promise<void>
  /** Stops every process (whole process groups), waits for them to exit and removes dir. Idempotent. */
  stop(): Promise<void>
}

/** What to run besides etcd and kube-apiserver (everything by default). */
export interface ControlPlaneOptions {
  readonly controllerManager?: boolean
  readonly scheduler?: boolean
  readonly kwok?: boolean
  /** Extra kube-apiserver flags, appended last (a later flag wins). */
  readonly apiServerArgs?: ReadonlyArray<string>
}

const here = path.dirname(fileURLToPath(import.meta.url))
/** Repository root. */
export const repoRoot = path.resolve(here, "../..")
/** Binary cache, same rule as build.sh (TESTENV_CACHE overrides). */
export const defaultBinDir = path.join(process.env["TESTENV_CACHE"] ?? path.join(repoRoot, ".cache/testenv"), "bin")

const requiredBinaries = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok"]

/** Annotation kwok is told to manage nodes by. */
export const kwokNodeAnnotation = "kwok.x-k8s.io/node"

/**
 * Makes sure the binaries exist: runs build.sh (a few milliseconds when warm, minutes when cold) and returns
 * the bin dir. Build output goes to stderr so a cold build is visible.
 */
export function ensureBinaries(): string {
  const missing = requiredBinaries.filter((b) => !fs.existsSync(path.join(defaultBinDir, b)))
  if (missing.length > 0) process.stderr.write(`[controlplane] building missing binaries: ${missing.join(", ")}\n`)
  const result = spawnSync("bash", [path.join(here, "build.sh")], { stdio: ["ignore", "ignore", "inherit"] })
  if (result.status !== 0) {
    throw new Error(`e2e/controlplane/build.sh failed (exit ${result.status ?? result.signal}); see its output above`)
  }
  return defaultBinDir
}

// ---------------------------------------------------------------------------------------------------------
// Processes

interface Proc {
  readonly name: string
  readonly child: ChildProcess
  readonly logFile: string
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>
  exitCode: number | null
  exitSignal: NodeJS.Signals | null
  /** Set before we kill it on purpose, so an exit is not reported as a crash. */
  stopping: boolean
}

const startProc = (plane: PlaneState, name: string, bin: string, args: ReadonlyArray<string>): Proc => {
  const logFile = path.join(plane.dir, "logs", `${name}.log`)
  const fd = fs.openSync(logFile, "a")
  // detached: a new session and process group, so stop() can kill the group and Ctrl-C in a terminal does
  // not hit the children before we have a chance to stop them in order.
  const child = spawn(path.join(plane.binDir, bin), args, {
    detached: true,
    stdio: ["ignore", fd, fd],
    // HOME points into the plane dir so no user config (~/.kwok, ~/.kube) leaks in.
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: plane.dir }
  })
  fs.closeSync(fd)
  let resolveExit!: () => void
  const proc: Proc = {
    name,
    child,
    logFile,
    exited: new Promise<void>((resolve) => (resolveExit = resolve)),
    exitCode: null,
    exitSignal: null,
    stopping: false
  }
  child.on("error", (err) => {
    fs.appendFileSync(logFile, `\n[controlplane] failed to start ${bin}: ${err.message}\n`)
    resolveExit()
  })
  child.on("exit", (code, signal) => {
    proc.exitCode = code
    proc.exitSignal = signal
    resolveExit()
    // During startup a crash is reported by the failing wait instead.
    if (!proc.stopping && !plane.stopped && plane.ready) {
      process.stderr.write(
        `[controlplane] ${name} exited unexpectedly (${signal ?? `code ${code}`}); last log lines:\n${tail(logFile)}\n`
      )
    }
  })
  plane.procs.set(name, proc)
  writePgids(plane)
  return proc
}

const isRunning = (p: Proc): boolean => p.child.pid !== undefined && p.exitCode === null && p.exitSignal === null

const signalGroup = (p: Proc, signal: NodeJS.Signals): void => {
  if (p.child.pid === undefined) return
  try {
    process.kill(-p.child.pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** SIGTERM the process group, SIGKILL it if it has not exited after graceMs. */
const stopProc = async (p: Proc, graceMs: number): Promise<void> => {
  p.stopping = true
  if (isRunning(p)) {
    signalGroup(p, "SIGTERM")
    const timer = setTimeout(() => signalGroup(p, "SIGKILL"), graceMs)
    await p.exited
    clearTimeout(timer)
  }
  // Anything the process may have left in its group.
  signalGroup(p, "SIGKILL")
}

/** Last lines of a log file, for error messages. */
const tail = (file: string, lines = 25): string => {
  try {
    const text = fs.readFileSync(file, "utf8").trimEnd().split("\n")
    return text
      .slice(-lines)
      .map((l) => `    ${l}`)
      .join("\n")
  } catch {
    return "    (no log)"
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup on exit: registered once for the whole process, covers every plane not yet stopped.

interface PlaneState {
  readonly dir: string
  readonly binDir: string
  readonly procs: Map<string, Proc>
  ready: boolean
  stopped: boolean
}

const livePlanes = new Set<PlaneState>()
let handlersInstalled = false

const killPlaneSync = (plane: PlaneState): void => {
  plane.stopped = true
  for (const p of plane.procs.values()) signalGroup(p, "SIGKILL")
  fs.rmSync(plane.dir, { recursive: true, force: true })
  livePlanes.delete(plane)
}

const installExitHandlers = (): void => {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on("exit", () => {
    for (const plane of livePlanes) killPlaneSync(plane) // deleting while iterating a Set is safe
  })
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      for (const plane of livePlanes) killPlaneSync(plane) // deleting while iterating a Set is safe
      // If nobody else handles the signal, restore the default behaviour (terminate) by re-raising it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal)
        process.kill(process.pid, signal)
      }
    }
    process.on(signal, onSignal)
  }
}

const writePgids = (plane: PlaneState): void => {
  const pids = [...plane.procs.values()].flatMap((p) => (p.child.pid === undefined ? [] : [String(p.child.pid)]))
  try {
    fs.writeFileSync(path.join(plane.dir, ".pgids"), pids.join(" ") + "\n")
  } catch {
    // dir already removed: the plane is being torn down.
  }
}

/**
 * If this Node process dies without running exit handlers (SIGKILL, a worker killed by vitest), a detached
 * shell kills the recorded process groups and removes the dir. It waits for EOF on a pipe from this process:
 * the kernel closes that pipe whenever this process ends, however it ends (polling the pid would not do: a
 * killed process stays a zombie until its parent reaps it). stop() closes the pipe itself after removing dir,
 * and the watchdog then just exits. Returns the function that closes the pipe.
 */
const startWatchdog = (dir: string): (() => void) => {
  const script = [
    "read -r _ || true",
    'if [ -d "$1" ]; then',
    '  for pg in $(cat "$1/.pgids" 2>/dev/null); do kill -KILL -- "-$pg" 2>/dev/null; done',
    '  rm -rf "$1"',
    "fi"
  ].join("\n")
  // bash, not sh: dash's kill cannot signal a process group.
  const child = spawn("bash", ["-c", script, "testenv-watchdog", dir], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"]
  })
  child.unref()
  // The pipe must not keep this process alive either.
  const stdin = child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null
  stdin?.unref?.()
  stdin?.on("error", () => {})
  return () => stdin?.end()
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers

/** Free TCP ports on 127.0.0.1, asked from the OS (all held open together so they are distinct). */
export const freePorts = async (n: number): Promise<Array<number>> => {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const srv = net.createServer()
          srv.once("error", reject)
          srv.listen(0, "127.0.0.1", () => resolve(srv))
        })
    )
  )
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  return ports
}

interface HttpResult {
  readonly status: number
  readonly body: string
}

const request = (
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca?: string; insecure?: boolean }
): Promise<HttpResult> =>
  new Promise((resolve, reject) => {
    const u = new URL(url)
    const lib = u.protocol === "https:" ? https : http
    const req = lib.request(
      u,
      {
        method: options.method ?? "GET",
        headers: options.headers,
        timeout: 5_000,
        ...(u.protocol === "https:"
          ? options.insecure
            ? { rejectUnauthorized: false }
            : options.ca === undefined
              ? {}
              : { ca: options.ca }
          : {})
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
        res.on("error", reject)
      }
    )
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)))
    req.on("error", reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Polls `check` until it returns true. Fails early when one of `procs` has exited, and on timeout, with the
 * tails of their logs in the message.
 */
const waitFor = async (
  what: string,
  check: () => Promise<boolean>,
  procs: ReadonlyArray<Proc>,
  timeoutMs = 60_000
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  let lastError = ""
  for (;;) {
    const dead = procs.find((p) => !isRunning(p))
    if (dead !== undefined) {
      throw new Error(
        `${dead.name} exited (${dead.exitSignal ?? `code ${dead.exitCode}`}) while waiting for ${what}; ` +
          `last lines of ${dead.logFile}:\n${tail(dead.logFile)}`
      )
    }
    try {
      if (await check()) return
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err)
    }
    if (Date.now() > deadline) {
      const logs = procs.map((p) => `  ${p.name} (${p.logFile}):\n${tail(p.logFile)}`).join("\n")
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last error: ${lastError})\n${logs}`)
    }
    await sleep(100)
  }
}

const readCertBundle = async (file: string, proc: Proc): Promise<string> => {
  let text = ""
  await waitFor(
    `${path.basename(file)} to be written`,
    async () => {
      text = await fsp.readFile(file, "utf8")
      // Leaf + CA; checking for both also guards against reading a half-written file.
      return pemBlocks(text).length >= 2
    },
    [proc]
  )
  return text
}

const pemBlocks = (pem: string): Array<string> =>
  pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []

// ---------------------------------------------------------------------------------------------------------
// The control plane

/**
 * Starts a control plane and resolves when it is ready: etcd healthy, apiserver /readyz, controller manager
 * healthy and the `default` ServiceAccount present, scheduler /readyz, kwok /healthz. On failure everything
 * started so far is stopped and the error carries the tails of the logs.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const withKcm = opts.controllerManager ?? true
  const withScheduler = opts.scheduler ?? true
  const withKwok = opts.kwok ?? true
  const binDir = defaultBinDir
  const missing = requiredBinaries.filter((b) => !fs.existsSync(path.join(binDir, b)))
  if (missing.length > 0) {
    throw new Error(
      `control-plane binaries missing in ${binDir}: ${missing.join(", ")}; run \`npm run controlplane:build\``
    )
  }

  const base = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir()
  const dir = await fsp.mkdtemp(path.join(base, "testenv-"))
  const plane: PlaneState = { dir, binDir, procs: new Map(), ready: false, stopped: false }
  installExitHandlers()
  livePlanes.add(plane)
  const releaseWatchdog = startWatchdog(dir)

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      plane.stopped = true
      const procs = [...plane.procs.values()]
      // Clients first, so they do not log errors about a vanished apiserver; etcd last.
      await Promise.all(
        procs.filter((p) => p.name !== "kube-apiserver" && p.name !== "etcd").map((p) => stopProc(p, 3_000))
      )
      for (const name of ["kube-apiserver", "etcd"]) {
        const p = plane.procs.get(name)
        if (p !== undefined) await stopProc(p, 2_000)
      }
      await fsp.rm(dir, { recursive: true, force: true })
      livePlanes.delete(plane)
      releaseWatchdog()
    })()
    return stopping
  }

  try {
    await fsp.mkdir(path.join(dir, "logs"))
    const [etcdClient, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = (await freePorts(6)) as [
      number,
      number,
      number,
      number,
      number,
      number
    ]
    const etcdUrl = `http://127.0.0.1:${etcdClient}`
    const server = `https://127.0.0.1:${apiPort}`

    // etcd: data on tmpfs, no fsync: a throwaway store that must be fast.
    const etcd = startProc(plane, "etcd", "etcd", [
      "--name=testenv",
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=testenv=http://127.0.0.1:${etcdPeer}`,
      "--unsafe-no-fsync",
      "--log-level=warn"
    ])

    // Service-account signing key pair and the admin token, made while etcd starts.
    const { privateKey, publicKey } = await new Promise<{ privateKey: string; publicKey: string }>((resolve, reject) =>
      crypto.generateKeyPair(
        "rsa",
        {
          modulusLength: 2048,
          publicKeyEncoding: { type: "spki", format: "pem" },
          privateKeyEncoding: { type: "pkcs8", format: "pem" }
        },
        (err, pub, priv) => (err ? reject(err) : resolve({ privateKey: priv, publicKey: pub }))
      )
    )
    const saKey = path.join(dir, "sa.key")
    const saPub = path.join(dir, "sa.pub")
    const tokensFile = path.join(dir, "tokens.csv")
    const token = crypto.randomBytes(24).toString("hex")
    await Promise.all([
      fsp.writeFile(saKey, privateKey, { mode: 0o600 }),
      fsp.writeFile(saPub, publicKey),
      fsp.writeFile(tokensFile, `${token},admin,admin,"system:masters"\n`, { mode: 0o600 })
    ])

    const certDir = path.join(dir, "apiserver")
    const apiArgs = [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      // A loopback advertise address is only accepted without the endpoint reconciler.
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--cert-dir=${certDir}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      "--service-account-issuer=https://kubernetes.default.svc",
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      `--token-auth-file=${tokensFile}`,
      "--authorization-mode=RBAC",
      "--allow-privileged=true",
      // Without the controller manager nobody creates the `default` ServiceAccount pods would need.
      ...(withKcm ? [] : ["--disable-admission-plugins=ServiceAccount"]),
      ...(opts.apiServerArgs ?? [])
    ]
    // The apiserver retries etcd until it answers, so both start together.
    let apiserver = startProc(plane, "kube-apiserver", "kube-apiserver", apiArgs)

    // The apiserver writes its self-signed serving cert (leaf + CA, IP SAN 127.0.0.1) early in its startup.
    const bundle = await readCertBundle(path.join(certDir, "apiserver.crt"), apiserver)
    const ca = pemBlocks(bundle).at(-1) + "\n"
    const caFile = path.join(dir, "ca.crt")
    await fsp.writeFile(caFile, ca)
    const kubeconfig = toYaml({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "testenv", cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") } }
      ],
      users: [{ name: "testenv-admin", user: { token } }],
      contexts: [{ name: "testenv", context: { cluster: "testenv", user: "testenv-admin", namespace: "default" } }],
      "current-context": "testenv"
    })
    const kubeconfigPath = path.join(dir, "kubeconfig")
    await fsp.writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 })

    const auth = { Authorization: `Bearer ${token}` }
    const apiReady = (proc: Proc) =>
      waitFor(
        "kube-apiserver /readyz",
        async () => (await request(`${server}/readyz`, { headers: auth, ca })).status === 200,
        [proc, etcd]
      )
    await Promise.all([
      waitFor("etcd /health", async () => (await request(`${etcdUrl}/health`, {})).body.includes('"true"'), [etcd]),
      apiReady(apiserver)
    ])

    // The rest talk to the apiserver only; they start together. kube-controller-manager gives up when the
    // apiserver is not healthy within 10 s of its start, hence only now.
    const waits: Array<Promise<void>> = []
    if (withKcm) {
      const kcm = startProc(plane, "kube-controller-manager", "kube-controller-manager", [
        `--kubeconfig=${kubeconfigPath}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${kcmPort}`,
        `--cert-dir=${path.join(dir, "kube-controller-manager")}`,
        `--service-account-private-key-file=${saKey}`,
        `--root-ca-file=${caFile}`,
        "--controllers=*"
      ])
      waits.push(
        waitFor(
          "kube-controller-manager /healthz",
          async () => (await request(`https://127.0.0.1:${kcmPort}/healthz`, { insecure: true })).status === 200,
          [kcm, apiserver]
        ).then(() =>
          // Proves the controllers run: namespaces get their ServiceAccount, so pods can be created at once.
          waitFor(
            "the default ServiceAccount",
            async () =>
              (await request(`${server}/api/v1/namespaces/default/serviceaccounts/default`, { headers: auth, ca }))
                .status === 200,
            [kcm, apiserver]
          )
        )
      )
    }
    if (withScheduler) {
      const sched = startProc(plane, "kube-scheduler", "kube-scheduler", [
        `--kubeconfig=${kubeconfigPath}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${schedPort}`,
        `--cert-dir=${path.join(dir, "kube-scheduler")}`
      ])
      waits.push(
        waitFor(
          "kube-scheduler /readyz",
          async () => (await request(`https://127.0.0.1:${schedPort}/readyz`, { insecure: true })).status === 200,
          [sched, apiserver]
        )
      )
    }
    if (withKwok) {
      const kwokConfig = path.join(dir, "kwok.yaml")
      await fsp.writeFile(kwokConfig, kwokStagesYaml)
      const kwok = startProc(plane, "kwok", "kwok", [
        `--kubeconfig=${kubeconfigPath}`,
        `--config=${kwokConfig}`,
        // Only nodes created for kwok (createFakeNode) are faked; pods bound to them become Running.
        "--manage-all-nodes=false",
        `--manage-nodes-with-annotation-selector=${kwokNodeAnnotation}=fake`,
        // Pod IPs outside the service range.
        "--cidr=10.244.0.0/16",
        "--node-ip=127.0.0.1",
        // Heartbeats through Leases, like a kubelet.
        "--node-lease-duration-seconds=40",
        `--server-address=127.0.0.1:${kwokPort}`
      ])
      waits.push(
        waitFor(
          "kwok /healthz",
          async () => (await request(`http://127.0.0.1:${kwokPort}/healthz`, {})).status === 200,
          [kwok, apiserver]
        )
      )
    }
    await Promise.all(waits)
    plane.ready = true

    const cp: ControlPlane = {
      kubeconfigPath,
      kubeconfig,
      server,
      token,
      caFile,
      dir,
      binDir,
      restartApiServer: async () => {
        if (plane.stopped) throw new Error("restartApiServer: the control plane is stopped")
        // A graceful apiserver shutdown waits up to --request-timeout (60 s) for open watches to end; after 2 s
        // it is killed, like a crashed apiserver. Clients see their watches break either way.
        await stopProc(apiserver, 2_000)
        // Same args: same port, same etcd, same cert dir (the serving cert and CA are reused).
        apiserver = startProc(plane, "kube-apiserver", "kube-apiserver", apiArgs)
        await apiReady(apiserver)
      },
      compactEtcd: async () => {
        // etcd's grpc-gateway: any range answers with the current revision in its header.
        const range = await request(`${etcdUrl}/v3/kv/range`, {
          method: "POST",
          body: JSON.stringify({ key: Buffer.from("/").toString("base64"), limit: 1, keys_only: true })
        })
        const revision = (JSON.parse(range.body) as { header?: { revision?: string } }).header?.revision
        if (range.status !== 200 || revision === undefined) {
          throw new Error(`compactEtcd: reading the revision failed (${range.status}): ${range.body}`)
        }
        const compact = await request(`${etcdUrl}/v3/kv/compaction`, {
          method: "POST",
          body: JSON.stringify({ revision, physical: true })
        })
        if (compact.status !== 200) {
          throw new Error(`compactEtcd: compaction at ${revision} failed (${compact.status}): ${compact.body}`)
        }
      },
      stop
    }
    return cp
  } catch (err) {
    await stop()
    throw err
  }
}

// ---------------------------------------------------------------------------------------------------------
// Fake nodes

/** Options for {@link createFakeNode}. */
export interface FakeNodeOptions {
  readonly labels?: Readonly<Record<string, string>>
  readonly taints?: ReadonlyArray<{
    key: string
    value?: string
    effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute"
  }>
  /** Wait until kwok reports the node Ready (default true). */
  readonly waitReady?: boolean
}

/** Server, token and CA read back from a kubeconfig written by startControlPlane. */
const readKubeconfig = async (kubeconfigPath: string): Promise<{ server: string; token: string; ca: string }> => {
  const doc = parseYaml(await fsp.readFile(kubeconfigPath, "utf8")) as {
    clusters?: Array<{ cluster?: { server?: string; "certificate-authority-data"?: string } }>
    users?: Array<{ user?: { token?: string } }>
  }
  const cluster = doc.clusters?.[0]?.cluster
  const token = doc.users?.[0]?.user?.token
  if (cluster?.server === undefined || cluster["certificate-authority-data"] === undefined || token === undefined) {
    throw new Error(`${kubeconfigPath}: not a kubeconfig written by startControlPlane (server, CA data, token)`)
  }
  return {
    server: cluster.server,
    token,
    ca: Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8")
  }
}

/**
 * Creates a Node that kwok manages (annotation `kwok.x-k8s.io/node: fake`): kwok makes it Ready and turns pods
 * bound to it Running. Untainted by default, so ordinary Deployments and DaemonSets land on it. Works with the
 * shared plane too: pass `{ kubeconfigPath: inject("kubeconfig") }`.
 */
export async function createFakeNode(
  cp: Pick<ControlPlane, "kubeconfigPath">,
  name: string,
  opts: FakeNodeOptions = {}
): Promise<void> {
  const { server, token, ca } = await readKubeconfig(cp.kubeconfigPath)
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }
  const resources = { cpu: "32", memory: "256Gi", pods: "110", "ephemeral-storage": "100Gi" }
  const node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [kwokNodeAnnotation]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        type: "kwok",
        ...opts.labels
      }
    },
    spec: opts.taints === undefined ? {} : { taints: opts.taints },
    status: {
      capacity: resources,
      allocatable: resources,
      nodeInfo: { architecture: "amd64", operatingSystem: "linux", kubeletVersion: "fake", kubeProxyVersion: "fake" }
    }
  }
  const res = await request(`${server}/api/v1/nodes`, { method: "POST", headers, body: JSON.stringify(node), ca })
  if (res.status !== 201) throw new Error(`createFakeNode ${name}: ${res.status} ${res.body}`)
  if (opts.waitReady === false) return
  const deadline = Date.now() + 60_000
  for (;;) {
    const got = await request(`${server}/api/v1/nodes/${name}`, { headers, ca })
    const conditions =
      (JSON.parse(got.body) as { status?: { conditions?: Array<{ type: string; status: string }> } }).status
        ?.conditions ?? []
    if (conditions.some((c) => c.type === "Ready" && c.status === "True")) return
    if (Date.now() > deadline) throw new Error(`createFakeNode ${name}: not Ready after 60 s (is kwok running?)`)
    await sleep(100)
  }
}
