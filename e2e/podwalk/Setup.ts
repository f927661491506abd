/**
 * The pieces a pod walk stands on, shared by the pod-walk test and the demo: the CRDs, the webhook server as a
 * process with a loopback certificate and a MutatingWebhookConfiguration pointing at it by URL, the CSI driver as
 * a process on a throw-away node layout, and a code module in its data directory.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"
import * as CsiClient from "../../src/csi/CsiClient.ts"
import * as DataDir from "../../src/csi/DataDir.ts"
import * as TestCertificates from "../../src/programs/webhook/TestCertificates.ts"
import * as ZipExtractor from "../../src/init/ZipExtractor.ts"
import type { KubeObject } from "../../src/services/kube/KubeObject.ts"
import * as Resources from "../../src/services/kube/Resources.ts"
import type { Kube } from "./Kube.ts"
import { type Component, freePort, repoRoot, startComponent, waitFor } from "./Processes.ts"

/** The namespace label the webhook's namespace selector keys on (spec §3.7). */
export const instanceLabel = "dynakube.internal.dynatrace.com/instance"

/** Installs the generated CRDs (conversion None: no conversion webhook runs here), waits until they are served. */
export const installCrds = async (kube: Kube, fieldManager: string): Promise<void> => {
  for (const file of ["dynatrace.com_dynakubes.yaml", "dynatrace.com_edgeconnects.yaml"]) {
    const crd = parse(fs.readFileSync(path.join(repoRoot, "manifests/crds", file), "utf8")) as KubeObject & {
      spec: Record<string, unknown>
    }
    await kube.apply(
      Resources.CustomResourceDefinition,
      { ...crd, spec: { ...crd.spec, conversion: { strategy: "None" } } },
      fieldManager
    )
  }
  await waitFor("the DynaKube CRD to be established", async () => {
    const crd = await kube.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
      Resources.CustomResourceDefinition,
      "dynakubes.dynatrace.com"
    )
    if (crd?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") !== true) return
    await kube.list(Resources.DynaKube, { namespace: "default" })
    return true
  })
}

/** A webhook-server process and what is needed to register it. */
export interface Webhook {
  readonly component: Component
  readonly port: number
  readonly caBundle: string
  readonly certsDir: string
}

/**
 * Starts `webhook-server` as a process serving HTTPS on a free loopback port with a fresh certificate for
 * 127.0.0.1, and waits until `/readyz` says it is ready.
 */
export const startWebhook = async (options: {
  readonly name: string
  readonly kubeconfigPath: string
  readonly operatorNamespace: string
  readonly operatorImage: string
  readonly csiDriver: boolean
  readonly logDir: string
}): Promise<Webhook> => {
  const certs = await Effect.runPromise(TestCertificates.issue(options.operatorNamespace))
  const certsDir = fs.mkdtempSync(path.join(options.logDir, `${options.name}-certs-`))
  fs.writeFileSync(path.join(certsDir, "tls.crt"), certs.serverCert)
  fs.writeFileSync(path.join(certsDir, "tls.key"), certs.serverKey, { mode: 0o600 })
  const [port, health] = [await freePort(), await freePort()]
  const component = startComponent(
    options.name,
    ["webhook-server", `--certs-dir=${certsDir}`, "--sync-certs-secret=false"],
    {
      logDir: options.logDir,
      env: {
        KUBECONFIG: options.kubeconfigPath,
        POD_NAMESPACE: options.operatorNamespace,
        DT_OPERATOR_IMAGE: options.operatorImage,
        WEBHOOK_PORT: String(port),
        HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${health}`,
        METRICS_BIND_ADDRESS: "0",
        "modules.json": JSON.stringify({ csiDriver: options.csiDriver })
      }
    }
  )
  await waitFor(
    `${options.name} to be ready`,
    async () => ((await fetch(`http://127.0.0.1:${health}/readyz`)).ok ? true : undefined),
    { component, timeoutMs: 60_000 }
  )
  return { component, port, caBundle: Buffer.from(certs.caCert).toString("base64"), certsDir }
}

/**
 * Registers the webhook's `/inject` for pod CREATE in namespaces that carry the instance label and match
 * `namespaceLabels` (so webhooks of several runs on a shared plane never see each other's pods). Returns the
 * configuration's name.
 */
export const registerPodWebhook = async (
  kube: Kube,
  webhook: Webhook,
  name: string,
  namespaceLabels: Readonly<Record<string, string>>
): Promise<string> => {
  await kube.create(Resources.MutatingWebhookConfiguration, {
    metadata: { name },
    webhooks: [
      {
        name: "webhook.pod.dynatrace.com",
        clientConfig: { url: `https://127.0.0.1:${webhook.port}/inject`, caBundle: webhook.caBundle },
        rules: [
          { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "Namespaced" }
        ],
        namespaceSelector: {
          matchExpressions: [
            { key: instanceLabel, operator: "Exists" },
            ...Object.entries(namespaceLabels).map(([key, value]) => ({ key, operator: "In", values: [value] }))
          ]
        },
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Ignore",
        timeoutSeconds: 10,
        reinvocationPolicy: "IfNeeded"
      }
    ]
  } as KubeObject)
  return name
}

/** A csi-server process on its own node layout under `root`. */
export interface CsiDriver {
  readonly component: Component
  readonly root: string
  readonly kubeletDir: string
  readonly podsDir: string
  readonly dataDir: DataDir.DataDir
  readonly client: CsiClient.CsiClient
  readonly stop: () => Promise<void>
}

/** Starts `csi-server` with `<root>/kubelet` as the kubelet dir and `<root>/data` as its data dir. */
export const startCsiDriver = async (options: {
  readonly root: string
  readonly nodeName: string
  readonly logDir: string
  readonly name?: string
}): Promise<CsiDriver> => {
  const kubeletDir = path.join(options.root, "kubelet")
  const podsDir = path.join(kubeletDir, "pods")
  fs.mkdirSync(podsDir, { recursive: true })
  const dataDir = DataDir.make(path.join(options.root, "data"))
  fs.mkdirSync(dataDir.codeModules, { recursive: true })
  const socket = path.join(options.root, "csi.sock")
  const component = startComponent(
    options.name ?? "csi-server",
    [
      "csi-server",
      `--endpoint=unix://${socket}`,
      `--node-id=${options.nodeName}`,
      `--data-dir=${dataDir.root}`,
      `--kubelet-dir=${kubeletDir}`,
      "--metrics-bind-address=0"
    ],
    { logDir: options.logDir }
  )
  await waitFor("the CSI socket", async () => (fs.existsSync(socket) ? true : undefined), {
    component,
    timeoutMs: 60_000
  })
  const client = CsiClient.connect(`unix://${socket}`)
  await waitFor("CSI Probe", () => client.probe().then(() => true), { component })
  return {
    component,
    root: options.root,
    kubeletDir,
    podsDir,
    dataDir,
    client,
    stop: async () => {
      client.close()
      await component.stop()
    }
  }
}

/**
 * What the provisioner does for a DynaKube, done here because `csi-provisioner` is not a subcommand yet: download
 * the code-module zip of `version` from the tenant (PaaS token), extract it with the project's extractor into
 * `codemodules/<version>`, and point `_dynakubes/<dk>/latest-codemodule` at it.
 */
export const provisionCodeModule = async (options: {
  readonly dataDir: DataDir.DataDir
  readonly dynakube: string
  readonly version: string
  readonly apiUrl: string
  readonly paasToken: string
}): Promise<string> => {
  const { dataDir } = options
  const target = dataDir.codeModule(options.version)
  if (!fs.existsSync(target)) {
    const query = "flavor=multidistro&arch=x86&bitness=64&skipMetadata=true&include=all"
    const response = await fetch(
      `${options.apiUrl}/v1/deployment/installer/agent/unix/paas/version/${options.version}?${query}`,
      { headers: { Authorization: `Api-Token ${options.paasToken}`, Accept: "application/octet-stream" } }
    )
    if (!response.ok) throw new Error(`code-module download: HTTP ${response.status}`)
    const staging = path.join(dataDir.root, DataDir.TmpZipDirName)
    fs.mkdirSync(staging, { recursive: true })
    const zip = path.join(staging, `${options.version}.zip`)
    fs.writeFileSync(zip, Buffer.from(await response.arrayBuffer()))
    const extracted = path.join(staging, options.version)
    await Effect.runPromise(Effect.scoped(ZipExtractor.extract(zip, extracted)))
    fs.rmSync(zip)
    fs.renameSync(extracted, target)
  }
  fs.mkdirSync(dataDir.dynakube(options.dynakube), { recursive: true })
  const link = dataDir.latestCodeModule(options.dynakube)
  fs.rmSync(`${link}.tmp`, { force: true })
  fs.symlinkSync(target, `${link}.tmp`)
  fs.renameSync(`${link}.tmp`, link)
  return target
}

const b64 = (text: string) => Buffer.from(text).toString("base64")

/** The tenant facts the injection needs, as the operator would have found them. */
export interface TenantFacts {
  readonly apiUrl: string
  readonly apiToken: string
  readonly tenantUUID: string
  readonly codeModuleVersion: string
  readonly communicationEndpoints: ReadonlyArray<string>
}

/**
 * Writes what the operator's reconcile would: the DynaKube's status (code-module version, tenant UUID, cluster
 * UUID and name) and the `<dk>-bootstrapper-config` source Secret. For the pod walk without an operator, and for
 * the demo when the operator has not got there.
 */
export const seedInjectionInputs = async (
  kube: Kube,
  options: {
    readonly namespace: string
    readonly dynakube: string
    readonly tenant: TenantFacts
    readonly kubeSystemUUID: string
    readonly clusterName: string
  }
): Promise<void> => {
  const current = await kube.get<KubeObject & { status?: Record<string, unknown> }>(
    Resources.DynaKube,
    options.dynakube,
    options.namespace
  )
  if (current === undefined) throw new Error(`DynaKube ${options.namespace}/${options.dynakube} does not exist`)
  const status = current.status ?? {}
  await kube.updateStatus(Resources.DynaKube, {
    ...current,
    status: {
      ...status,
      kubeSystemUUID: options.kubeSystemUUID,
      kubernetesClusterName: options.clusterName,
      codeModules: { ...(status["codeModules"] as object | undefined), version: options.tenant.codeModuleVersion },
      oneAgent: {
        ...(status["oneAgent"] as object | undefined),
        connectionInfoStatus: { tenantUUID: options.tenant.tenantUUID }
      }
    }
  } as KubeObject)
  const processModule = {
    properties: [
      { section: "general", key: "tenant", value: options.tenant.tenantUUID },
      { section: "general", key: "serverAddress", value: `{${options.tenant.communicationEndpoints.join(";")}}` }
    ],
    revision: 1
  }
  await kube.apply(
    Resources.Secret,
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: `${options.dynakube}-bootstrapper-config`,
        namespace: options.namespace,
        labels: {
          "app.kubernetes.io/name": "dynatrace-operator",
          "app.kubernetes.io/component": "webhook",
          "app.kubernetes.io/created-by": options.dynakube
        }
      },
      data: {
        "dtclient.config": b64(JSON.stringify({ apiToken: options.tenant.apiToken, skipCertCheck: false })),
        "ruxitagentproc.json": b64(JSON.stringify(processModule)),
        "initial-connect-retry": b64("6000"),
        "endpoint.properties": b64(`DT_METRICS_INGEST_URL=${options.tenant.apiUrl}/v2/metrics/ingest\n`)
      }
    } as KubeObject,
    "podwalk-seed"
  )
}

/**
 * Starts `csi-provisioner` as a process on the CSI driver's data dir for the DynaKubes of `namespace`, and waits
 * for `/readyz`.
 */
export const startProvisioner = async (options: {
  readonly kubeconfigPath: string
  readonly dataDir: DataDir.DataDir
  readonly namespace: string
  readonly nodeName: string
  readonly logDir: string
}): Promise<Component> => {
  const health = await freePort()
  const component = startComponent(
    "csi-provisioner",
    [
      "csi-provisioner",
      `--data-dir=${options.dataDir.root}`,
      `--namespace=${options.namespace}`,
      `--node-id=${options.nodeName}`,
      `--health-probe-bind-address=127.0.0.1:${health}`,
      "--metrics-bind-address=0"
    ],
    { logDir: options.logDir, env: { KUBECONFIG: options.kubeconfigPath } }
  )
  await waitFor(
    "csi-provisioner to be ready",
    async () => ((await fetch(`http://127.0.0.1:${health}/readyz`)).ok ? true : undefined),
    { component, timeoutMs: 60_000 }
  )
  return component
}

/** Waits until `_dynakubes/<dk>/latest-codemodule` resolves to an extracted code module; returns its directory. */
export const waitForCodeModule = (
  dataDir: DataDir.DataDir,
  dynakube: string,
  options: { readonly timeoutMs: number; readonly component?: Component }
): Promise<string> =>
  waitFor(
    `the code module of ${dynakube} in ${dataDir.root}`,
    async () => {
      const target = fs.realpathSync(dataDir.latestCodeModule(dynakube))
      return fs.existsSync(path.join(target, "agent/lib64/liboneagentproc.so")) ? target : undefined
    },
    { timeoutMs: options.timeoutMs, intervalMs: 500, ...(options.component ? { component: options.component } : {}) }
  )
