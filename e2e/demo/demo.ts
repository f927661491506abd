/**
 * `npm run demo`: the whole system on this machine, explained as it runs (issue #7).
 *
 * It starts a private control plane (etcd, apiserver, controller-manager, scheduler, kwok with one fake node), the
 * tenant simulator, and the operator, the webhook and the CSI driver as child processes of this program (JSON logs
 * in files under a temp dir whose path is printed). It applies the sample cloudNativeFullStack DynaKube (pointed at
 * the simulator) and a sample Deployment in a namespace the DynaKube selects, and shows the DynaKube's conditions
 * as they change, the objects the operator creates, what the webhook added to a pod of the Deployment, and that
 * pod's walk (the kubelet's part played here: CSI publish, `bootstrap` as a process, the application's view).
 *
 * Interactive (stdin a TTY, `CI` not `true`): after the walk it keeps everything running and keeps showing changes
 * until Ctrl-C. Otherwise it runs through once and exits 0 on success, non-zero with a clear message on failure.
 * A step that cannot run because a component is not ready yet is reported as SKIPPED with the reason, and the
 * stand-in used instead is named. Ctrl-C / SIGTERM / any failure: every process, mount and temp dir is removed.
 * `DEMO_KEEP_LOGS=1` keeps the logs directory.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { parse } from "yaml"
import { unmountAllUnder } from "../../src/csi/CsiFixture.ts"
import type { KubeObject } from "../../src/services/kube/KubeObject.ts"
import * as Resources from "../../src/services/kube/Resources.ts"
import { type ControlPlane, createFakeNode, startControlPlane } from "../controlplane/ControlPlane.ts"
import * as Kube from "../podwalk/Kube.ts"
import { type WalkPod, type WalkResult, walkPod } from "../podwalk/PodWalk.ts"
import {
  type Component,
  freePort,
  repoRoot,
  runCommand,
  startComponent,
  startedComponents,
  stopAll,
  tail,
  waitFor
} from "../podwalk/Processes.ts"
import * as Setup from "../podwalk/Setup.ts"
import { startTenantSimulator, type TenantSimulator } from "../tenant-simulator/TenantSimulator.ts"
import { injectionDiff, type PodLike } from "./InjectionDiff.ts"
import * as Out from "./Output.ts"

const interactive = process.stdin.isTTY === true && process.env["CI"] !== "true"
const operatorNamespace = "dynatrace"
const appNamespace = "demo-shop"
const nodeName = "demo-node"
const operatorImage = "public.ecr.aws/dynatrace/dynatrace-operator:v1.7.0"
const fieldManager = "dynatrace-demo"

type DynaKube = KubeObject & {
  spec: Record<string, unknown>
  status?: {
    phase?: string
    conditions?: ReadonlyArray<{ type: string; status: string; reason?: string; message?: string }>
    codeModules?: { version?: string }
    oneAgent?: { connectionInfoStatus?: { tenantUUID?: string } }
    kubeSystemUUID?: string
    kubernetesClusterName?: string
  }
}

/** What the run claims and skips, for the summary and the exit code. */
const results: Array<{ step: string; outcome: "ok" | "skipped" | "failed"; note: string }> = []

/** Everything to undo, newest first. */
const cleanups: Array<() => Promise<void> | void> = []
let workDir: string | undefined
let cleaning: Promise<void> | undefined
const cleanup = (): Promise<void> => {
  cleaning ??= (async () => {
    for (const undo of cleanups.toReversed()) {
      try {
        await undo()
      } catch (error) {
        Out.warn(`clean-up step failed: ${(error as Error).message}`)
      }
    }
    await stopAll()
    if (workDir !== undefined) {
      unmountAllUnder(workDir)
      if (process.env["DEMO_KEEP_LOGS"] === "1") {
        Out.info(`logs kept in ${path.join(workDir, "logs")} (DEMO_KEEP_LOGS=1)`)
        for (const entry of fs.readdirSync(workDir)) {
          if (entry !== "logs") fs.rmSync(path.join(workDir, entry), { recursive: true, force: true })
        }
      } else {
        fs.rmSync(workDir, { recursive: true, force: true })
      }
    }
  })()
  return cleaning
}

let stopping = false
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    Out.line("")
    Out.info(`${signal}: stopping everything …`)
    void cleanup().then(() => {
      Out.info("stopped; no process, mount or temp dir left behind")
      process.exit(signal === "SIGINT" ? 130 : 143)
    })
  })
}

/** Polls the DynaKube and the operator namespace and prints what changed since the last call. */
const makeObserver = (kube: Kube.Kube) => {
  const seenConditions = new Map<string, string>()
  const seenObjects = new Set<string>()
  let phase: string | undefined
  return async (): Promise<DynaKube | undefined> => {
    const dk = await kube.get<DynaKube>(Resources.DynaKube, "dynakube", operatorNamespace)
    if (dk?.status?.phase !== undefined && dk.status.phase !== phase) {
      phase = dk.status.phase
      Out.event("phase", `DynaKube phase ${Out.bold(phase)}`)
    }
    for (const c of dk?.status?.conditions ?? []) {
      const key = `${c.status}/${c.reason ?? ""}`
      if (seenConditions.get(c.type) === key) continue
      seenConditions.set(c.type, key)
      const status = c.status === "True" ? Out.green(c.status) : c.status === "False" ? Out.yellow(c.status) : c.status
      Out.event(
        "condition",
        `${Out.bold(c.type)} = ${status} (${c.reason ?? "-"})${c.message ? `: ${Out.dim(c.message)}` : ""}`
      )
    }
    const kinds = [
      ["DaemonSet", Resources.DaemonSet],
      ["StatefulSet", Resources.StatefulSet],
      ["Secret", Resources.Secret],
      ["ConfigMap", Resources.ConfigMap],
      ["Service", Resources.Service]
    ] as const
    for (const [kind, resource] of kinds) {
      for (const o of await kube.list(resource, { namespace: operatorNamespace })) {
        const name = o.metadata?.name ?? ""
        if (kind === "ConfigMap" && name === "kube-root-ca.crt") continue
        if (kind === "Secret" && name === "dynakube") continue // the token Secret the demo wrote
        const id = `${kind} ${operatorNamespace}/${name}`
        if (seenObjects.has(id)) continue
        seenObjects.add(id)
        Out.event("created", id)
      }
    }
    for (const p of await kube.list<KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } }>(
      Resources.Pod,
      {
        namespace: operatorNamespace
      }
    )) {
      const id = `Pod ${operatorNamespace}/${p.metadata?.name} ${p.status?.phase ?? "?"}`
      if (seenObjects.has(id)) continue
      seenObjects.add(id)
      Out.event(
        "pod",
        `${id}${p.spec === undefined ? "" : ` on ${(p.spec as { nodeName?: string }).nodeName ?? "(unscheduled)"}`}`
      )
    }
    for (const ns of await kube.list(Resources.Namespace, { labelSelector: Setup.instanceLabel })) {
      const id = `Namespace ${ns.metadata?.name} labelled ${Setup.instanceLabel}=${ns.metadata?.labels?.[Setup.instanceLabel]}`
      if (seenObjects.has(id)) continue
      seenObjects.add(id)
      Out.event("labelled", id)
    }
    for (const s of await kube.list(Resources.Secret, { namespace: appNamespace }).catch(() => [])) {
      const id = `Secret ${appNamespace}/${s.metadata?.name}`
      if (s.metadata?.name?.startsWith("dynatrace-") !== true || seenObjects.has(id)) continue
      seenObjects.add(id)
      Out.event("replicated", id)
    }
    return dk
  }
}

const operatorReady = (dk: DynaKube | undefined) =>
  dk?.status?.codeModules?.version !== undefined && dk.status.oneAgent?.connectionInfoStatus?.tenantUUID !== undefined

const main = async (): Promise<void> => {
  const started = Date.now()
  workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "dynatrace-demo-")))
  const logDir = path.join(workDir, "logs")
  fs.mkdirSync(logDir)
  Out.title("Dynatrace Operator (TypeScript) — local demo")
  Out.info(`work dir ${Out.bold(workDir)} ($WORK below); component logs (JSON lines) in ${Out.bold(logDir)}`)
  Out.info(interactive ? "interactive: Ctrl-C stops everything" : "non-interactive: one run through, then exit")

  // 1. The cluster and the tenant.
  Out.step("Control plane: etcd, kube-apiserver, controller-manager, scheduler, kwok")
  const plane: ControlPlane = await startControlPlane({ kwok: true })
  cleanups.push(() => plane.stop())
  await createFakeNode(plane, nodeName)
  Out.ok(
    `apiserver ${plane.server}; fake node ${nodeName} Ready (kwok runs its pods); kubeconfig ${plane.kubeconfigPath}`
  )
  const kube = Kube.open(plane.kubeconfigPath)
  cleanups.push(() => kube.dispose())
  // Components (operator, webhook, CSI driver) stop before the control plane they talk to.
  cleanups.push(() => stopAll())

  Out.step("Tenant simulator (the Dynatrace API)")
  const sim: TenantSimulator = await startTenantSimulator()
  cleanups.push(() => sim.close())
  Out.ok(
    `${sim.url} — tenant ${sim.tenant.config.tenantUUID}, code modules ${sim.tenant.config.latestCodeModuleVersion}`
  )

  Out.step("CRDs and the operator namespace")
  await Setup.installCrds(kube, fieldManager)
  await kube.create(Resources.Namespace, { metadata: { name: operatorNamespace } })
  await kube.create(Resources.Secret, {
    metadata: { name: "dynakube", namespace: operatorNamespace },
    stringData: { apiToken: sim.apiToken, dataIngestToken: sim.dataIngestToken }
  } as KubeObject)
  // The Helm chart creates these for the OneAgent DaemonSet and the ActiveGate StatefulSet; without them their
  // controllers cannot create pods.
  for (const account of ["dynatrace-dynakube-oneagent", "dynatrace-activegate"]) {
    await kube.create(Resources.ServiceAccount, { metadata: { name: account, namespace: operatorNamespace } })
  }
  Out.ok(
    "DynaKube and EdgeConnect CRDs established; Secret dynatrace/dynakube holds the tenant's tokens; the chart's service accounts"
  )

  // 2. The components.
  Out.step("Components as child processes: webhook-server, csi-server, csi-provisioner, operator")
  const webhook = await Setup.startWebhook({
    name: "webhook-server",
    kubeconfigPath: plane.kubeconfigPath,
    operatorNamespace,
    operatorImage,
    csiDriver: true,
    logDir
  })
  await Setup.registerPodWebhook(kube, webhook, "dynatrace-webhook", {})
  Out.ok(
    `webhook-server on https://127.0.0.1:${webhook.port} — MutatingWebhookConfiguration dynatrace-webhook → /inject`
  )
  const csi = await Setup.startCsiDriver({ root: path.join(workDir, "node"), nodeName, logDir })
  cleanups.push(() => csi.stop())
  Out.ok(`csi-server on ${csi.root}/csi.sock (kubelet dir ${csi.kubeletDir})`)
  const provisioner = await Setup.startProvisioner({
    kubeconfigPath: plane.kubeconfigPath,
    dataDir: csi.dataDir,
    namespace: operatorNamespace,
    nodeName,
    logDir
  }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
  if (provisioner instanceof Error) Out.warn(`csi-provisioner did not start: ${provisioner.message}`)
  else Out.ok(`csi-provisioner on the same data dir (pid ${provisioner.child.pid})`)
  const [health, metrics] = [await freePort(), await freePort()]
  const operator: Component = startComponent("operator", ["operator"], {
    logDir,
    env: {
      KUBECONFIG: plane.kubeconfigPath,
      POD_NAMESPACE: operatorNamespace,
      POD_NAME: "dynatrace-operator-demo",
      DT_OPERATOR_IMAGE: operatorImage,
      HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${health}`,
      METRICS_BIND_ADDRESS: `127.0.0.1:${metrics}`,
      DT_DEFAULT_REQUEUE_AFTER: "1m",
      LEADER_ELECTION_LEASE_DURATION: "15",
      LEADER_ELECTION_RENEW_DEADLINE: "10",
      LEADER_ELECTION_RETRY_PERIOD: "2"
    }
  })
  Out.ok(`operator started (pid ${operator.child.pid})`)

  // 3. The DynaKube.
  Out.step("Apply the sample cloudNativeFullStack DynaKube (manifests/samples/dynakube-cloudnative.yaml)")
  const sample = parse(
    fs.readFileSync(path.join(repoRoot, "manifests/samples/dynakube-cloudnative.yaml"), "utf8")
  ) as DynaKube
  // The sample's networkZone is not one the simulated tenant knows: the operator would wait for its endpoints.
  const { networkZone: _zone, ...spec } = sample.spec
  await kube.apply(Resources.DynaKube, { ...sample, spec: { ...spec, apiUrl: sim.url } } as DynaKube, fieldManager)
  Out.ok(`DynaKube dynatrace/dynakube applied with apiUrl ${sim.url} (the sample's networkZone left out)`)
  const observe = makeObserver(kube)
  Out.info("watching the operator reconcile (conditions, objects, namespaces) …")
  let dk: DynaKube | undefined
  const deadline = Date.now() + 45_000
  while (Date.now() < deadline) {
    dk = await observe()
    if (operatorReady(dk) && (await kube.get(Resources.Secret, "dynakube-bootstrapper-config", operatorNamespace)))
      break
    if (!operator.running()) break
    await sleep(1000)
  }
  const bootstrapperSecret = await kube.get(Resources.Secret, "dynakube-bootstrapper-config", operatorNamespace)
  if (operatorReady(dk) && bootstrapperSecret !== undefined) {
    results.push({ step: "operator reconciles the DynaKube", outcome: "ok", note: `phase ${dk?.status?.phase ?? "?"}` })
    Out.ok("the operator resolved the tenant, the code-module version and wrote the injection secrets")
  } else {
    const why = !operator.running()
      ? `the operator exited (${await operator.exited}); last log lines:\n${tail(operator.logFile, 5)}`
      : "the operator did not fill status.codeModules.version / tenantUUID and the bootstrapper Secret within 45 s"
    results.push({ step: "operator reconciles the DynaKube", outcome: "skipped", note: why.split("\n")[0] ?? why })
    Out.skip(
      `${why}\n  stand-in: the demo writes the DynaKube status and dynakube-bootstrapper-config as the operator would`
    )
    await Setup.seedInjectionInputs(kube, {
      namespace: operatorNamespace,
      dynakube: "dynakube",
      kubeSystemUUID: (await kube.get(Resources.Namespace, "kube-system"))?.metadata?.uid ?? "unknown",
      clusterName: "demo",
      tenant: {
        apiUrl: sim.url,
        apiToken: sim.apiToken,
        tenantUUID: sim.tenant.config.tenantUUID,
        codeModuleVersion: sim.tenant.config.latestCodeModuleVersion,
        communicationEndpoints: sim.tenant.config.communicationEndpoints
      }
    })
    dk = await observe()
  }
  const version = dk?.status?.codeModules?.version ?? sim.tenant.config.latestCodeModuleVersion

  // 4. The application namespace and Deployment.
  Out.step(`Namespace ${appNamespace} and the sample Deployment`)
  await kube.create(Resources.Namespace, { metadata: { name: appNamespace, labels: { team: "shop" } } })
  const labelled = await waitFor(
    `the operator to label namespace ${appNamespace}`,
    async () =>
      (await kube.get(Resources.Namespace, appNamespace))?.metadata?.labels?.[Setup.instanceLabel] ? true : undefined,
    { timeoutMs: operator.running() ? 30_000 : 1 }
  ).catch(() => false)
  if (labelled) {
    results.push({ step: "operator labels the selected namespace", outcome: "ok", note: appNamespace })
    Out.ok(
      `the operator labelled ${appNamespace} ${Setup.instanceLabel}=dynakube (the DynaKube's namespaceSelector matches)`
    )
  } else {
    results.push({
      step: "operator labels the selected namespace",
      outcome: "skipped",
      note: "not labelled within 30 s"
    })
    Out.skip(`the operator did not label ${appNamespace} within 30 s\n  stand-in: the demo sets the label itself`)
    await kube.mergePatch(Resources.Namespace, appNamespace, {
      metadata: { labels: { [Setup.instanceLabel]: "dynakube" } }
    })
  }
  await observe()
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "shop", namespace: appNamespace, labels: { app: "shop" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "shop" } },
      template: {
        metadata: { labels: { app: "shop", "app.kubernetes.io/version": "1.4.2" } },
        spec: {
          containers: [
            { name: "web", image: "registry.example.com/shop/web:1.4.2", ports: [{ containerPort: 8080 }] },
            { name: "cache", image: "docker.io/library/redis:7.2" }
          ]
        }
      }
    }
  }
  await kube.create(Resources.Deployment, deployment as unknown as KubeObject)
  Out.ok("Deployment demo-shop/shop (containers web, cache) created; the ReplicaSet controller creates its pod")

  // 5. The pod, as the webhook left it.
  const pod = await waitFor(
    "a pod of the Deployment",
    async () => {
      const pods = await kube.list<KubeObject & WalkPod>(Resources.Pod, {
        namespace: appNamespace,
        labelSelector: "app=shop"
      })
      return pods.find((p) => p.spec.nodeName !== undefined && p.metadata.uid !== undefined)
    },
    { timeoutMs: 60_000 }
  )
  Out.step(`Injection diff of pod ${appNamespace}/${pod.metadata.name} (what the webhook added to the pod template)`)
  const injected = pod.metadata.annotations?.["oneagent.dynatrace.com/injected"] === "true"
  for (const l of injectionDiff(deployment.spec.template as PodLike, pod)) Out.diff(l)
  if (!injected) {
    const reason =
      pod.metadata.annotations?.["oneagent.dynatrace.com/reason"] ??
      pod.metadata.annotations?.["dynakube.dynatrace.com/reason"]
    throw new Error(`the pod was not injected${reason ? ` (reason ${reason})` : ""}; the webhook-server log is below`)
  }
  results.push({
    step: "webhook injects the pod",
    outcome: "ok",
    note: `init container dynatrace-operator, ${pod.spec.volumes?.length ?? 0} volumes`
  })

  // 5b. Why: the decision trace, as `kubectl exec deploy/dynatrace-webhook -- dynatrace-operator explain` prints it
  // (the webhook's environment, so the same settings).
  Out.step(`Why: dynatrace-operator explain deployment/shop -n ${appNamespace} (every injection rule's verdict)`)
  const explained = await runCommand(["explain", "deployment/shop", "-n", appNamespace], {
    ...process.env,
    KUBECONFIG: plane.kubeconfigPath,
    POD_NAMESPACE: operatorNamespace,
    DT_OPERATOR_IMAGE: operatorImage,
    "modules.json": JSON.stringify({ csiDriver: true })
  })
  const report = explained.stdout.split("\n")
  // The patch is the diff above; show the verdicts.
  const verdicts = report
    .slice(
      0,
      Math.max(
        0,
        report.findIndex((l) => l.startsWith("Changes:"))
      )
    )
    .filter((l) => l !== "")
  for (const l of verdicts) Out.detail(l)
  const resultLine = report.find((l) => l.startsWith("Result: ")) ?? ""
  if (explained.code === 0 && resultLine.startsWith("Result: Injected")) {
    const rules = verdicts.filter((l) => /^\s+(pass|SKIP|off|FAIL|-)\s/.test(l)).length
    results.push({ step: "explain shows why", outcome: "ok", note: `${rules} rules; ${resultLine.split(" — ")[0]}` })
  } else {
    Out.fail(`explain ended with ${explained.code}: ${explained.stderr.trim().split("\n").at(-1) ?? ""}`)
    results.push({ step: "explain shows why", outcome: "failed", note: resultLine || `exit code ${explained.code}` })
  }

  if (process.getuid?.() !== 0) {
    // Publishing a CSI volume mounts overlayfs: only root may.
    results.push({ step: "pod walk (CSI publish, bootstrap, app view)", outcome: "skipped", note: "needs root" })
    Out.skip("the pod walk needs root (the CSI driver mounts overlayfs); run the demo as root to see it")
    return summary(started, plane.kubeconfigPath, plane.binDir, observe)
  }

  // 6. The code module on the node.
  Out.step("Code module on the node: csi-provisioner fills the CSI data dir")
  let module: string
  try {
    if (provisioner instanceof Error) throw provisioner
    Out.info("waiting for csi-provisioner to fill _dynakubes/dynakube/latest-codemodule …")
    module = await Setup.waitForCodeModule(csi.dataDir, "dynakube", { timeoutMs: 60_000, component: provisioner })
    results.push({ step: "csi-provisioner downloads the code module", outcome: "ok", note: version })
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    results.push({ step: "csi-provisioner downloads the code module", outcome: "skipped", note: why })
    Out.skip(
      `${why}\n  stand-in: the demo downloads the zip from the tenant, extracts it with the bootstrap extractor into codemodules/<version> and points _dynakubes/dynakube/latest-codemodule at it`
    )
    module = await Setup.provisionCodeModule({
      dataDir: csi.dataDir,
      dynakube: "dynakube",
      version,
      apiUrl: sim.url,
      paasToken: sim.paasToken
    })
  }
  Out.ok(`code module ${version} at ${module}`)

  // 7. The pod walk.
  Out.step("Pod walk: the kubelet's part, played here")
  const secrets: Record<string, Record<string, string> | undefined> = {}
  for (const name of ["dynatrace-bootstrapper-config", "dynatrace-bootstrapper-certs"]) {
    const s = await kube.get<KubeObject & { data?: Record<string, string> }>(Resources.Secret, name, appNamespace)
    secrets[name] = s === undefined ? undefined : (s.data ?? {})
  }
  const walk: WalkResult = await walkPod({ pod, podsDir: csi.podsDir, csi: csi.client, secrets })
  cleanups.push(() => walk.cleanup())
  const short = (text: string) => text.replaceAll(workDir ?? "\0", "$WORK")
  for (const [name, dir] of Object.entries(walk.volumes))
    Out.detail(`volume ${Out.bold(name)}: ${walk.volumeKinds[name]} → ${Out.dim(short(dir))}`)
  Out.detail(
    `bootstrap ${walk.bootstrap.args.slice(1, 4).join(" ")} … (${walk.bootstrap.args.length - 1} args) → exit ${walk.bootstrap.exitCode}`
  )
  for (const c of walk.checks) (c.ok ? Out.ok : Out.fail)(`${c.name} ${Out.dim(`— ${short(c.detail)}`)}`)
  // What the first container would read, as files.
  const [firstName, firstView] = Object.entries(walk.views)[0] ?? []
  for (const [inside, host] of Object.entries(firstView ?? {})) {
    if (!/container\.conf$|dt_metadata\.properties$|ld\.so\.preload$/.test(inside) || !fs.existsSync(host)) continue
    Out.detail(`${Out.bold(`${firstName}:${inside}`)}`)
    for (const l of fs.readFileSync(host, "utf8").trimEnd().split("\n")) Out.detail(`  ${l}`)
  }
  results.push({
    step: "pod walk (CSI publish, bootstrap, app view)",
    outcome: walk.ok ? "ok" : "failed",
    note: `${walk.checks.filter((c) => c.ok).length}/${walk.checks.length} checks`
  })
  await observe()

  return summary(started, plane.kubeconfigPath, plane.binDir, observe)
}

/** The summary; then, interactive, keeps showing changes until a signal. */
const summary = async (
  started: number,
  kubeconfigPath: string,
  binDir: string,
  observe: () => Promise<unknown>
): Promise<void> => {
  Out.step("Summary")
  for (const r of results) {
    const mark =
      r.outcome === "ok"
        ? Out.green("✔ ok     ")
        : r.outcome === "skipped"
          ? Out.yellow("⚠ skipped")
          : Out.red("✘ failed ")
    Out.line(`  ${mark} ${r.step} ${Out.dim(`— ${r.note}`)}`)
  }
  Out.info(`done in ${Math.round((Date.now() - started) / 1000)} s`)
  if (results.some((r) => r.outcome === "failed")) throw new Error("some steps failed (see above)")

  if (interactive) {
    Out.info("everything keeps running; changes are shown as they happen. Ctrl-C stops it all.")
    Out.info(`try: KUBECONFIG=${kubeconfigPath} ${path.join(binDir, "kubectl")} get dynakube -n dynatrace`)
    for (;;) {
      await sleep(2000)
      await observe().catch(() => undefined)
    }
  }
}

main()
  .then(async () => {
    await cleanup()
    process.exit(0)
  })
  .catch(async (error: unknown) => {
    if (stopping) return // a signal is tearing everything down; its handler exits
    Out.line("")
    Out.fail(`demo failed: ${error instanceof Error ? error.message : String(error)}`)
    // The logs go with the temp dir: show what the components said last.
    for (const component of startedComponents()) {
      const state = component.running() ? "running" : `exited (${await component.exited})`
      Out.info(`${component.name}: ${state}; last log lines:`)
      for (const l of tail(component.logFile, 3).split("\n")) Out.detail(l.slice(0, 240))
    }
    if (process.env["DEMO_KEEP_LOGS"] !== "1") Out.info("DEMO_KEEP_LOGS=1 keeps the logs directory")
    await cleanup()
    process.exit(1)
  })
