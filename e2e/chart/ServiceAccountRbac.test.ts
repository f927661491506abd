/**
 * Least privilege on a real API server: the chart is installed on a private control plane, and our programs run
 * with their own service accounts' tokens (TokenRequest), not as admin:
 *
 * - `certgen` (the operator's init container) creates the webhook certificates and patches the caBundles;
 * - the operator (a child process) reconciles a cloud-native DynaKube with an ActiveGate against the tenant
 *   simulator: status, OneAgent DaemonSet, ActiveGate StatefulSet, namespace labels and replicated secrets in a
 *   monitored namespace, and their removal when the DynaKube goes — without one Forbidden answer;
 * - the webhook's and the CSI driver's typical reads succeed;
 * - SubjectAccessReviews and direct calls prove what they cannot do: read Secrets outside the operator namespace
 *   (except the four replicated names), write Nodes, create Pods, touch RBAC, …
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { gunzipSync } from "node:zlib"
import { type ControlPlane, createFakeNode, startControlPlane } from "../controlplane/ControlPlane.ts"
import { startTenantSimulator, type TenantSimulator } from "../tenant-simulator/TenantSimulator.ts"
import { startOperatorProcess, type OperatorProcess } from "../../src/programs/operator/testkit/OperatorTestKit.ts"
import { detectOpenShift } from "../../src/programs/webhook/WebhookMain.ts"
import { KubeClient } from "../../src/services/KubeClient.ts"
import { resource } from "../../src/services/kube/Resource.ts"
import * as Resources from "../../src/services/kube/Resources.ts"
import { chartDir, ensureHelm, helmOk } from "./Helm.ts"
import { replicatedSecrets } from "./RbacUsage.ts"

const namespace = "dynatrace"
const monitored = "app-team-a"
const dynakube = "dk-rbac"

let cp: ControlPlane
let tenant: TenantSimulator | undefined
let operator: OperatorProcess | undefined
const kubeconfigs: Record<"dynatrace-operator" | "dynatrace-webhook" | "dynatrace-oneagent-csi-driver", string> = {
  "dynatrace-operator": "",
  "dynatrace-webhook": "",
  "dynatrace-oneagent-csi-driver": ""
}

const kubectl = (args: ReadonlyArray<string>, input?: string) => {
  const result = spawnSync(path.join(cp.binDir, "kubectl"), ["--kubeconfig", cp.kubeconfigPath, ...args], {
    encoding: "utf8",
    input,
    timeout: 120_000
  })
  if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr}`)
  return result.stdout
}
/** Runs a process without blocking this one (servers of the test keep answering); stdout as bytes. */
const runProcess = (command: string, args: ReadonlyArray<string>, options: { cwd: string; env: NodeJS.ProcessEnv }) =>
  new Promise<{ status: number | null; stdout: Buffer; stderr: string }>((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] })
    const out: Array<Buffer> = []
    let err = ""
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")))
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000)
    child.on("close", (status) => {
      clearTimeout(timer)
      resolve({ status, stdout: Buffer.concat(out), stderr: err })
    })
  })
const getJson = (...args: Array<string>) => JSON.parse(kubectl([...args, "-o", "json"]))
const exists = (...args: Array<string>) => kubectl([...args, "--ignore-not-found", "-o", "name"]).trim() !== ""
const apply = (object: unknown) => kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(object))

/** A kubeconfig that authenticates with a bound token of `serviceAccount` (TokenRequest, 2 h). */
const serviceAccountKubeconfig = (serviceAccount: string): string => {
  const token = kubectl(["-n", namespace, "create", "token", serviceAccount, "--duration=2h"]).trim()
  const ca = fs.readFileSync(cp.caFile).toString("base64")
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `  - name: test`,
    `    cluster: { server: "${cp.server}", certificate-authority-data: "${ca}" }`,
    "users:",
    `  - name: ${serviceAccount}`,
    `    user: { token: "${token}" }`,
    "contexts:",
    `  - name: ${serviceAccount}`,
    `    context: { cluster: test, user: ${serviceAccount} }`,
    `current-context: ${serviceAccount}`,
    ""
  ].join("\n")
}

/** Runs an effect with a KubeClient built from a kubeconfig (no retries: a Forbidden must show at once). */
const withClient = <A, E>(kubeconfig: string, effect: Effect.Effect<A, E, KubeClient>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.provide(effect, KubeClient.layerFromString(kubeconfig, { retry: false }) as Layer.Layer<KubeClient, never>)
    )
  )

/** Calls `f` with the KubeClient of the context. */
const withKube = <A, E>(f: (kube: KubeClient["Service"]) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* KubeClient)
  })

const reasonOf = <A>(kubeconfig: string, effect: Effect.Effect<A, unknown, KubeClient>) =>
  withClient(
    kubeconfig,
    effect.pipe(
      Effect.as("ok"),
      Effect.catch((e: any) => Effect.succeed(String(e?.reason?._tag ?? e)))
    )
  )

const SubjectAccessReview = resource({
  group: "authorization.k8s.io",
  version: "v1",
  plural: "subjectaccessreviews",
  kind: "SubjectAccessReview",
  namespaced: false
})

/** What the authorizer says about one request of a service account of the operator namespace. */
interface AccessRequest {
  readonly verb: string
  readonly group?: string
  readonly resource: string
  readonly subresource?: string
  readonly namespace?: string
  readonly name?: string
}

const allowed = (serviceAccount: string, request: AccessRequest) =>
  withClient(
    fs.readFileSync(cp.kubeconfigPath, "utf8"),
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const review = yield* kube.create<any>(SubjectAccessReview, {
        metadata: {},
        spec: {
          user: `system:serviceaccount:${namespace}:${serviceAccount}`,
          groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
          resourceAttributes: { group: "", ...request }
        }
      })
      return review.status?.allowed === true
    })
  )

const eventually = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      if (await check()) return
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting until ${what}${last ? `: ${String(last)}` : ""}\n${operator?.logs().slice(-3000) ?? ""}`
      )
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

beforeAll(async () => {
  const helm = await ensureHelm()
  cp = await startControlPlane()
  await createFakeNode(cp, "node-1")
  helmOk(helm, ["install", "dynatrace-operator", chartDir, "-n", namespace, "--create-namespace", "--timeout", "3m"], {
    kubeconfig: cp.kubeconfigPath
  })
  // No webhook process runs here: validation must not block the test's own DynaKube (the API server would find no
  // endpoint). Only the failure policy changes; the certificates controller still patches these objects.
  const validating = getJson("get", "validatingwebhookconfiguration", "dynatrace-webhook")
  const patch = validating.webhooks.map((_: unknown, i: number) => ({
    op: "replace",
    path: `/webhooks/${i}/failurePolicy`,
    value: "Ignore"
  }))
  kubectl(["patch", "validatingwebhookconfiguration", "dynatrace-webhook", "--type=json", "-p", JSON.stringify(patch)])
  for (const account of Object.keys(kubeconfigs) as Array<keyof typeof kubeconfigs>) {
    kubeconfigs[account] = serviceAccountKubeconfig(account)
  }
}, 240_000)

afterAll(async () => {
  operator?.kill("SIGKILL")
  await operator?.exited
  await tenant?.close()
  await cp?.stop()
})

describe("our programs with their own service accounts", () => {
  it("certgen (operator token): certificate Secret created, caBundle in both webhook configurations and both CRDs", () => {
    const file = path.join(cp.dir, "operator.kubeconfig")
    fs.writeFileSync(file, kubeconfigs["dynatrace-operator"])
    const node = path.resolve(chartDir, "../../../node_modules/.bin/node")
    const result = spawnSync(
      fs.existsSync(node) ? node : process.execPath,
      ["src/main.ts", "certgen", "--timeout=60s"],
      {
        cwd: path.resolve(chartDir, "../../.."),
        encoding: "utf8",
        timeout: 120_000,
        env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: cp.dir, KUBECONFIG: file, POD_NAMESPACE: namespace }
      }
    )
    expect(result.status, result.stdout + result.stderr).toBe(0)
    expect(result.stdout + result.stderr).not.toMatch(/forbidden/i)
    const secret = getJson("-n", namespace, "get", "secret", "dynatrace-webhook-certs")
    expect(Object.keys(secret.data).toSorted()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"])
    expect(secret.metadata.ownerReferences[0]).toMatchObject({ kind: "Deployment", name: "dynatrace-webhook" })
    for (const kind of ["mutatingwebhookconfiguration", "validatingwebhookconfiguration"]) {
      for (const webhook of getJson("get", kind, "dynatrace-webhook").webhooks) {
        expect(webhook.clientConfig.caBundle, `${kind} ${webhook.name}`).toBe(secret.data["ca.crt"])
      }
    }
    for (const crd of ["dynakubes.dynatrace.com", "edgeconnects.dynatrace.com"]) {
      expect(getJson("get", "crd", crd).spec.conversion.webhook.clientConfig.caBundle, crd).toBe(secret.data["ca.crt"])
    }
  })

  it("the operator (operator token) reconciles a cloud-native DynaKube with an ActiveGate and cleans up after it", async () => {
    tenant = await startTenantSimulator()
    kubectl(["create", "namespace", monitored])
    kubectl(["label", "namespace", monitored, "team=a"])
    kubectl(["create", "namespace", "app-unmonitored"])
    apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: dynakube, namespace },
      stringData: { apiToken: tenant.apiToken, dataIngestToken: tenant.dataIngestToken }
    })
    apply({
      apiVersion: "dynatrace.com/v1beta6",
      kind: "DynaKube",
      metadata: { name: dynakube, namespace },
      spec: {
        apiUrl: tenant.url,
        oneAgent: { cloudNativeFullStack: { namespaceSelector: { matchLabels: { team: "a" } } } },
        activeGate: { capabilities: ["routing", "kubernetes-monitoring"] }
      }
    })
    const file = path.join(cp.dir, "operator-run.kubeconfig")
    fs.writeFileSync(file, kubeconfigs["dynatrace-operator"])
    operator = startOperatorProcess(
      {
        KUBECONFIG: file,
        POD_NAMESPACE: namespace,
        POD_NAME: "dynatrace-operator-rbac-test",
        APP_VERSION: "0.1.0",
        DT_OPERATOR_IMAGE: "registry.example.com/dynatrace-operator:test",
        METRICS_BIND_ADDRESS: "0",
        HEALTH_PROBE_BIND_ADDRESS: "0",
        LEADER_ELECTION_LEASE_DURATION: "4",
        LEADER_ELECTION_RENEW_DEADLINE: "3",
        LEADER_ELECTION_RETRY_PERIOD: "1"
      },
      "operator-rbac"
    )

    await eventually("the DynaKube has a phase and the operator holds the lease", () => {
      const dk = getJson("-n", namespace, "get", "dynakube", dynakube)
      return dk.status?.phase !== undefined && exists("-n", namespace, "get", "lease", "dynatrace-operator-lock")
    })
    await eventually(
      "the OneAgent DaemonSet and the ActiveGate StatefulSet exist",
      () =>
        kubectl(["-n", namespace, "get", "daemonsets,statefulsets", "-o", "name"]).split("\n").filter(Boolean).length >=
        2
    )
    await eventually("the monitored namespace is labelled and has the replicated secrets", () => {
      const ns = getJson("get", "namespace", monitored)
      return (
        ns.metadata.labels?.["dynakube.internal.dynatrace.com/instance"] === dynakube &&
        exists("-n", monitored, "get", "secret", "dynatrace-bootstrapper-config")
      )
    })
    expect(
      getJson("get", "namespace", "app-unmonitored").metadata.labels?.["dynakube.internal.dynatrace.com/instance"]
    ).toBeUndefined()
    expect(exists("-n", "app-unmonitored", "get", "secret", "dynatrace-bootstrapper-config")).toBe(false)

    // Taking the namespace out of the selection: label removed, replicas deleted (patch + delete with the names).
    kubectl(["label", "namespace", monitored, "team-"])
    await eventually("the namespace is unmapped and its replicas are gone", () => {
      const ns = getJson("get", "namespace", monitored)
      return (
        ns.metadata.labels?.["dynakube.internal.dynatrace.com/instance"] === undefined &&
        !exists("-n", monitored, "get", "secret", "dynatrace-bootstrapper-config")
      )
    })
    const logs = operator.logs()
    expect(logs.length).toBeGreaterThan(0)
    expect(logs, "the operator met a Forbidden answer").not.toMatch(/forbidden/i)
  })

  it("support-archive (operator token, as with kubectl exec): every manifest and event list is allowed", async () => {
    // Logs come from kubelets, which this control plane does not have: each log fetch only waits for its timeout.
    // So no pod of the chart is left, and the DynaKube's pods are left out (pods/log: a SubjectAccessReview below).
    kubectl(["-n", namespace, "scale", "deployment", "dynatrace-webhook", "dynatrace-operator", "--replicas=0"])
    kubectl(["-n", namespace, "delete", "daemonset", "dynatrace-oneagent-csi-driver"])
    for (const selector of [
      "name=dynatrace-operator",
      "internal.dynatrace.com/app=webhook",
      "internal.oneagent.dynatrace.com/app=csi-driver"
    ]) {
      kubectl(["-n", namespace, "wait", "--for=delete", "pod", "-l", selector, "--timeout=120s"])
    }
    const file = path.join(cp.dir, "support.kubeconfig")
    fs.writeFileSync(file, kubeconfigs["dynatrace-operator"])
    const node = path.resolve(chartDir, "../../../node_modules/.bin/node")
    // Asynchronously: the tenant simulator it asks (troubleshoot report) lives in this process.
    const result = await runProcess(
      fs.existsSync(node) ? node : process.execPath,
      ["src/main.ts", "support-archive", "--stdout", "--namespace", namespace, "--managed-logs=false"],
      {
        cwd: path.resolve(chartDir, "../../.."),
        env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: cp.dir, KUBECONFIG: file, POD_NAMESPACE: namespace }
      }
    )
    expect(result.status, result.stderr.toString()).toBe(0)
    // A tgz: its text (file names, manifests, notes of what could not be read) names no Forbidden answer.
    const text = gunzipSync(result.stdout).toString("utf8")
    expect(text).toContain(`${dynakube}`)
    expect(text).toContain("manifests/")
    expect(text, "support-archive met a Forbidden answer").not.toMatch(/forbidden/i)
  })

  it("the webhook's typical reads succeed with its token; OpenShift is not mistaken (404, not 403)", async () => {
    const webhook = kubeconfigs["dynatrace-webhook"]
    expect(await withClient(webhook, detectOpenShift)).toBe(false)
    expect(
      await reasonOf(
        webhook,
        withKube((k) => k.list(Resources.Namespace, { limit: 1 }))
      )
    ).toBe("ok")
    expect(
      await reasonOf(
        webhook,
        withKube((k) => k.list(Resources.DynaKube, { namespace }))
      )
    ).toBe("ok")
    expect(
      await reasonOf(
        webhook,
        withKube((k) => k.list(Resources.Secret, { namespace, fieldSelector: "metadata.name=dynatrace-webhook-certs" }))
      )
    ).toBe("ok")
    expect(
      await reasonOf(
        webhook,
        withKube((k) => k.get(Resources.Secret, dynakube, { namespace }))
      )
    ).toBe("ok")
  })

  it("the CSI driver's reads succeed with its token, and nothing outside its namespace", async () => {
    const csi = kubeconfigs["dynatrace-oneagent-csi-driver"]
    const list = (ns: string) =>
      reasonOf(
        csi,
        withKube((k) => k.list(Resources.DynaKube, { namespace: ns }))
      )
    expect(await list(namespace)).toBe("ok")
    expect(await list("default")).toBe("Forbidden")
    expect(
      await reasonOf(
        csi,
        withKube((k) => k.get(Resources.Secret, dynakube, { namespace }))
      )
    ).toBe("ok")
  })

  it("direct calls with the operator token: other Secrets and a cluster-wide Secret list are Forbidden", async () => {
    const op = kubeconfigs["dynatrace-operator"]
    kubectl(["-n", "default", "create", "secret", "generic", "not-yours", "--from-literal=password=x"])
    const call = (effect: (k: KubeClient["Service"]) => Effect.Effect<unknown, unknown>) =>
      reasonOf(op, withKube(effect))
    expect(await call((k) => k.get(Resources.Secret, "not-yours", { namespace: "default" }))).toBe("Forbidden")
    expect(await call((k) => k.list(Resources.Secret, { namespace: "default" }))).toBe("Forbidden")
    expect(await call((k) => k.list(Resources.Secret, {}))).toBe("Forbidden")
    expect(await call((k) => k.delete(Resources.Secret, "not-yours", { namespace: "default" }))).toBe("Forbidden")
    // The replicated names are allowed (NotFound, not Forbidden, where none exists).
    expect(await call((k) => k.get(Resources.Secret, "dynatrace-bootstrapper-config", { namespace: "default" }))).toBe(
      "NotFound"
    )
    expect(
      await call((k) =>
        k.patch(Resources.Node, "node-1", { type: "merge", patch: { metadata: { labels: { x: "y" } } } })
      )
    ).toBe("Forbidden")
  })

  const cases: ReadonlyArray<readonly [string, AccessRequest, boolean]> = [
    // [service account, request, allowed]
    [
      "dynatrace-operator",
      { verb: "get", resource: "secrets", namespace: "kube-system", name: "bootstrap-token" },
      false
    ],
    ["dynatrace-operator", { verb: "list", resource: "secrets", namespace: "kube-system" }, false],
    ["dynatrace-operator", { verb: "watch", resource: "secrets" }, false],
    ["dynatrace-operator", { verb: "get", resource: "secrets", namespace, name: "anything" }, true],
    ...replicatedSecrets.map(
      (name) =>
        ["dynatrace-operator", { verb: "watch", resource: "secrets", namespace: "any-namespace", name }, true] as const
    ),
    ["dynatrace-operator", { verb: "get", resource: "pods", subresource: "log", namespace, name: "p" }, true],
    [
      "dynatrace-operator",
      { verb: "get", resource: "pods", subresource: "log", namespace: "default", name: "p" },
      false
    ],
    ["dynatrace-webhook", { verb: "get", resource: "pods", subresource: "log", namespace, name: "p" }, false],
    ["dynatrace-operator", { verb: "update", resource: "nodes", name: "node-1" }, false],
    ["dynatrace-operator", { verb: "patch", resource: "nodes", name: "node-1" }, false],
    ["dynatrace-operator", { verb: "delete", resource: "nodes", name: "node-1" }, false],
    ["dynatrace-operator", { verb: "create", resource: "pods", namespace }, false],
    ["dynatrace-operator", { verb: "delete", resource: "namespaces", name: monitored }, false],
    [
      "dynatrace-operator",
      { verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings" },
      false
    ],
    [
      "dynatrace-operator",
      {
        verb: "patch",
        group: "admissionregistration.k8s.io",
        resource: "mutatingwebhookconfigurations",
        name: "someone-else"
      },
      false
    ],
    [
      "dynatrace-operator",
      {
        verb: "patch",
        group: "apiextensions.k8s.io",
        resource: "customresourcedefinitions",
        name: "other.example.com"
      },
      false
    ],
    ["dynatrace-operator", { verb: "create", group: "apps", resource: "daemonsets", namespace: "default" }, false],
    ["dynatrace-operator", { verb: "create", group: "apps", resource: "daemonsets", namespace }, true],
    [
      "dynatrace-webhook",
      { verb: "get", resource: "secrets", namespace: "kube-system", name: "bootstrap-token" },
      false
    ],
    ["dynatrace-webhook", { verb: "list", resource: "secrets", namespace: "default" }, false],
    [
      "dynatrace-webhook",
      { verb: "get", resource: "secrets", namespace: "default", name: "dynatrace-bootstrapper-config" },
      true
    ],
    ["dynatrace-webhook", { verb: "patch", resource: "namespaces", name: monitored }, false],
    ["dynatrace-webhook", { verb: "update", resource: "pods", namespace: "default" }, false],
    ["dynatrace-webhook", { verb: "update", group: "dynatrace.com", resource: "dynakubes", namespace }, false],
    ["dynatrace-oneagent-csi-driver", { verb: "get", resource: "secrets", namespace: "default", name: "x" }, false],
    ["dynatrace-oneagent-csi-driver", { verb: "list", resource: "secrets", namespace }, false],
    ["dynatrace-oneagent-csi-driver", { verb: "create", group: "batch", resource: "jobs", namespace }, false]
  ]
  it.each(cases)("SubjectAccessReview: %s %j -> allowed %s", async (account, request, expected) => {
    expect(await allowed(account, request)).toBe(expected)
  })
})
