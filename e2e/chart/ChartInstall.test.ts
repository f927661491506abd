/**
 * `helm install`, `helm test`, `helm upgrade` and `helm uninstall` of the chart on a private control plane (kwok
 * nodes: the images are never pulled, kwok reports the pods Running and Ready). Every workload becomes available,
 * an upgrade with changed values is applied (and runs the pre-upgrade hook), and an uninstall leaves no object of
 * ours behind, namespaced or cluster-scoped.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { type ControlPlane, createFakeNode, startControlPlane } from "../controlplane/ControlPlane.ts"
import { chartDir, ensureHelm, helmOk } from "./Helm.ts"
import { parseObjects } from "./Render.ts"
import { version } from "../../src/programs/cli/Version.ts"

const namespace = "dynatrace"
const release = "dynatrace-operator"
const ours = "app.kubernetes.io/name=dynatrace-operator"

let cp: ControlPlane
let helm = ""

const kubectl = (...args: Array<string>) => {
  const result = spawnSync(path.join(cp.binDir, "kubectl"), ["--kubeconfig", cp.kubeconfigPath, ...args], {
    encoding: "utf8",
    timeout: 120_000
  })
  if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr}`)
  return result.stdout
}
const getJson = (...args: Array<string>) => JSON.parse(kubectl(...args, "-o", "json"))
const helmRun = (...args: Array<string>) => helmOk(helm, args, { kubeconfig: cp.kubeconfigPath, timeoutMs: 400_000 })

/** Every object carrying our name label, of every kind that can be listed, in every namespace. */
const remainingObjects = (): ReadonlyArray<string> => {
  const kinds = kubectl("api-resources", "--verbs=list", "-o", "name")
    .split("\n")
    .filter((k) => k !== "" && !k.startsWith("events"))
  return kubectl("get", kinds.join(","), "-A", "-l", ours, "-o", "name", "--ignore-not-found")
    .split("\n")
    .filter((line) => line !== "")
}

/** Waits until `check` holds (polling). */
const eventually = async (what: string, check: () => boolean, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (check()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

beforeAll(async () => {
  helm = await ensureHelm()
  cp = await startControlPlane()
  await Promise.all([createFakeNode(cp, "node-a"), createFakeNode(cp, "node-b")])
}, 180_000)

afterAll(async () => {
  await cp?.stop()
})

describe("helm install / upgrade / uninstall on a control plane", () => {
  it("install: every workload available, every rendered object exists, helm test passes", () => {
    const out = helmRun(
      "install",
      release,
      chartDir,
      "-n",
      namespace,
      "--create-namespace",
      "--wait",
      "--timeout",
      "5m"
    )
    expect(out).toContain("STATUS: deployed")

    for (const name of ["dynatrace-operator", "dynatrace-webhook"]) {
      const deployment = getJson("-n", namespace, "get", "deployment", name)
      expect(deployment.status.availableReplicas, name).toBe(deployment.spec.replicas)
    }
    expect(getJson("-n", namespace, "get", "deployment", "dynatrace-webhook").spec.replicas).toBe(2)
    const ds = getJson("-n", namespace, "get", "daemonset", "dynatrace-oneagent-csi-driver")
    expect(ds.status.desiredNumberScheduled).toBeGreaterThanOrEqual(2)
    expect(ds.status.numberReady).toBe(ds.status.desiredNumberScheduled)
    const pods = getJson("-n", namespace, "get", "pods").items as Array<any>
    expect(pods.length).toBe(1 + 2 + ds.status.desiredNumberScheduled)
    for (const pod of pods) expect(pod.status.phase, pod.metadata.name).toBe("Running")
    // The CSI pods got the priority class the chart created.
    for (const pod of pods.filter((p) => p.metadata.name.startsWith("dynatrace-oneagent-csi-driver"))) {
      expect(pod.spec.priority).toBe(1000000)
    }

    // Everything helm rendered is in the cluster.
    const manifest = parseObjects(helmRun("get", "manifest", release, "-n", namespace))
    expect(manifest.length).toBeGreaterThan(40)
    for (const object of manifest) {
      const ns = object.metadata.namespace === undefined ? [] : ["-n", object.metadata.namespace]
      const got = getJson(
        ...ns,
        "get",
        object.apiVersion.includes("/") ? `${object.kind}.${object.apiVersion.split("/")[0]}` : object.kind,
        object.metadata.name
      )
      expect(got.metadata.name).toBe(object.metadata.name)
    }
    // The three CRDs are established and carry the version the operator compares with its own.
    for (const crd of ["dynakubes.dynatrace.com", "edgeconnects.dynatrace.com", "dtprometheuses.dynatrace.com"]) {
      const object = getJson("get", "crd", crd)
      const conditions = object.status.conditions as Array<any>
      expect(conditions.find((c) => c.type === "Established")?.status, crd).toBe("True")
      expect(object.metadata.labels["app.kubernetes.io/version"], crd).toBe(version)
    }

    const test = helmRun("test", release, "-n", namespace, "--timeout", "3m")
    expect(test).toContain("dynatrace-operator-test-webhook")
    expect(test).toMatch(/Phase:\s+Succeeded/)
  })

  it("upgrade with changed values: more webhook replicas, no CSI driver, new env; the pre-upgrade hook runs and is cleaned up", () => {
    const out = helmRun(
      "upgrade",
      release,
      chartDir,
      "-n",
      namespace,
      "--wait",
      "--timeout",
      "5m",
      "--set",
      "webhook.replicas=3",
      "--set",
      "csidriver.enabled=false",
      "--set",
      "operator.requeueAfter=5m"
    )
    expect(out).toContain("STATUS: deployed")
    expect(out).toContain("REVISION: 2")

    const webhook = getJson("-n", namespace, "get", "deployment", "dynatrace-webhook")
    expect(webhook.spec.replicas).toBe(3)
    expect(webhook.status.availableReplicas).toBe(3)
    const operator = getJson("-n", namespace, "get", "deployment", "dynatrace-operator")
    const container = operator.spec.template.spec.containers[0]
    expect(container.env.find((e: any) => e.name === "DT_DEFAULT_REQUEUE_AFTER")?.value).toBe("5m")
    expect(JSON.parse(container.env.find((e: any) => e.name === "modules.json").value).csiDriver).toBe(false)
    // On upgrade the operator also migrates stored CRs before it starts.
    expect(operator.spec.template.spec.initContainers.map((c: any) => c.name)).toEqual([
      "webhook-cert-generator",
      "crd-storage-migrator"
    ])
    expect(operator.status.availableReplicas).toBe(1)

    // The CSI driver is gone; pods of the DaemonSet too (garbage collection + kwok).
    expect(kubectl("get", "csidriver", "-o", "name")).not.toContain("csi.oneagent.dynatrace.com")
    expect(kubectl("-n", namespace, "get", "daemonsets", "-o", "name")).toBe("")
    expect(kubectl("get", "priorityclass", "-o", "name")).not.toContain("dynatrace-high-priority")
    // The storage-migration hook Job ran and was deleted on success, with its service account and roles.
    expect(kubectl("-n", namespace, "get", "jobs,serviceaccounts,roles,rolebindings", "-o", "name")).not.toContain(
      "crd-storage-migration"
    )
    expect(kubectl("get", "clusterroles,clusterrolebindings", "-o", "name")).not.toContain("crd-storage-migration")
  })

  it("uninstall: no object of ours remains, namespaced or cluster-scoped (CRDs included)", async () => {
    expect(remainingObjects().length).toBeGreaterThan(30)
    helmRun("uninstall", release, "-n", namespace, "--wait", "--timeout", "3m")
    await eventually(
      "no object labelled app.kubernetes.io/name=dynatrace-operator remains",
      () => remainingObjects().length === 0
    )
    expect(remainingObjects()).toEqual([])
    // Objects the chart names but does not label (none today) would show here.
    expect(kubectl("get", "mutatingwebhookconfigurations,validatingwebhookconfigurations", "-o", "name")).not.toContain(
      "dynatrace-webhook"
    )
    expect(kubectl("get", "crd", "-o", "name")).not.toContain("dynatrace.com")
    expect(kubectl("get", "clusterroles,clusterrolebindings", "-o", "name")).not.toMatch(/dynatrace/)
    await eventually(
      "the operator namespace has no pods",
      () => kubectl("-n", namespace, "get", "pods", "-o", "name") === ""
    )
    expect(
      kubectl("-n", namespace, "get", "all,secrets,configmaps,serviceaccounts,roles,rolebindings,leases", "-o", "name")
    ).toMatch(/^(serviceaccount\/default\n|configmap\/kube-root-ca.crt\n)*$/)
  })
})
