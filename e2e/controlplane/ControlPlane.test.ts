/**
 * Proves the test control plane is a real one: the controllers, the scheduler and kwok do their work on the
 * shared plane of the integration run, and a private plane can restart its apiserver and compact etcd.
 */
import * as k8s from "@kubernetes/client-node"
import * as fs from "node:fs"
import * as net from "node:net"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { createFakeNode, startControlPlane } from "./ControlPlane.ts"

const suffix = Math.random().toString(36).slice(2, 8)

/** Polls until `check` returns a value (not undefined), or fails after timeoutMs with the last error. */
const eventually = async <A>(what: string, check: () => Promise<A | undefined>, timeoutMs = 60_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const a = await check()
      if (a !== undefined) return a
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last error: ${String(last)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

const isNotFound = (err: unknown): boolean => err instanceof k8s.ApiException && err.code === 404

const gone = async (read: () => Promise<unknown>): Promise<true | undefined> => {
  try {
    await read()
    return undefined
  } catch (err) {
    if (isNotFound(err)) return true
    throw err
  }
}

describe("shared control plane (global setup)", () => {
  const kubeconfigPath = inject("kubeconfig")
  const kc = new k8s.KubeConfig()
  kc.loadFromFile(kubeconfigPath)
  const core = kc.makeApiClient(k8s.CoreV1Api)
  const apps = kc.makeApiClient(k8s.AppsV1Api)
  const nodeName = `cp-test-node-${suffix}`
  const ns = `cp-test-${suffix}`

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } })
    await createFakeNode({ kubeconfigPath }, nodeName, { waitReady: false })
  })

  afterAll(async () => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined)
    await core.deleteNode({ name: nodeName }).catch(() => undefined)
  })

  it("is the one in KUBECONFIG and inject('kubeconfig')", async () => {
    expect(process.env["KUBECONFIG"]).toBe(kubeconfigPath)
    expect(kc.getCurrentCluster()?.server).toBe(inject("kubeServer"))
    const version = await kc.makeApiClient(k8s.VersionApi).getCode()
    expect(version.gitVersion).toBe("v1.34.10")
  })

  it("deletes a namespace with its contents (namespace controller)", async () => {
    const name = `cp-ns-delete-${suffix}`
    await core.createNamespace({ body: { metadata: { name } } })
    await core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: "c" }, data: { a: "b" } } })
    await core.deleteNamespace({ name })
    await eventually("the namespace to disappear", () => gone(() => core.readNamespace({ name })))
    await expect(core.readNamespacedConfigMap({ namespace: name, name: "c" })).rejects.toSatisfy(isNotFound)
  })

  it("creates the default ServiceAccount in a new namespace (serviceaccount controller)", async () => {
    const sa = await eventually("the default ServiceAccount", () =>
      core.readNamespacedServiceAccount({ namespace: ns, name: "default" })
    )
    expect(sa.metadata?.name).toBe("default")
  })

  it("makes a kwok fake node Ready", async () => {
    const node = await eventually("the node to be Ready", async () => {
      const n = await core.readNode({ name: nodeName })
      return n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? n : undefined
    })
    expect(node.metadata?.annotations?.["kwok.x-k8s.io/node"]).toBe("fake")
    expect(node.status?.addresses?.some((a) => a.type === "InternalIP")).toBe(true)
  })

  it("runs a DaemonSet pod on the fake node (daemonset controller + scheduler + kwok)", async () => {
    const labels = { app: "cp-test-ds" }
    await apps.createNamespacedDaemonSet({
      namespace: ns,
      body: {
        metadata: { name: "ds" },
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              // Only this test's node: other tests may add nodes to the shared plane.
              nodeSelector: { "kubernetes.io/hostname": nodeName },
              containers: [{ name: "c", image: "registry.invalid/never-pulled:1" }]
            }
          }
        }
      }
    })
    const pod = await eventually("a Running DaemonSet pod", async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=cp-test-ds" })
      return pods.items.find((p) => p.status?.phase === "Running")
    })
    expect(pod.spec?.nodeName).toBe(nodeName)
    expect(pod.status?.podIP).toMatch(/^10\.244\./)
    expect(pod.status?.containerStatuses?.[0]?.ready).toBe(true)
    const ds = await eventually("the DaemonSet status", async () => {
      const d = await apps.readNamespacedDaemonSet({ namespace: ns, name: "ds" })
      return d.status?.numberReady === 1 ? d : undefined
    })
    expect(ds.status?.desiredNumberScheduled).toBe(1)
  })

  it("schedules and runs a Deployment's pod (deployment + replicaset controllers, scheduler, kwok)", async () => {
    const labels = { app: "cp-test-deploy" }
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: "deploy" },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { "kubernetes.io/hostname": nodeName },
              containers: [{ name: "c", image: "registry.invalid/never-pulled:1" }]
            }
          }
        }
      }
    })
    const pod = await eventually("a Running Deployment pod", async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=cp-test-deploy" })
      return pods.items.find((p) => p.status?.phase === "Running")
    })
    expect(pod.spec?.nodeName).toBe(nodeName)
    expect(pod.status?.conditions?.find((c) => c.type === "PodScheduled")?.status).toBe("True")
    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe("ReplicaSet")
    await eventually("the Deployment to be available", async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: "deploy" })
      return d.status?.availableReplicas === 1 ? d : undefined
    })
  })

  it("deletes a dependent when its owner is deleted (garbage collector)", async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "owner" } } })
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: "dependent",
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata?.uid ?? "" }]
        }
      }
    })
    await core.deleteNamespacedConfigMap({ namespace: ns, name: "owner" })
    await eventually("the dependent to be collected", () =>
      gone(() => core.readNamespacedConfigMap({ namespace: ns, name: "dependent" }))
    )
  })
})

describe("private control plane", () => {
  it("restarts its apiserver on the same port and compacts etcd (old watches then get 410 Gone)", async () => {
    // Without the watch cache, watches go to etcd, so compaction shows at once (see ControlPlane.compactEtcd).
    const cp = await startControlPlane({
      controllerManager: false,
      scheduler: false,
      kwok: false,
      apiServerArgs: ["--watch-cache=false"]
    })
    try {
      const kc = new k8s.KubeConfig()
      kc.loadFromString(cp.kubeconfig)
      const core = kc.makeApiClient(k8s.CoreV1Api)
      const first = await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "a" } } })
      const oldRv = first.metadata?.resourceVersion ?? ""
      // Compaction at revision R keeps R, so a watch "after oldRv" needs two newer revisions to fail.
      await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "b" } } })
      await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "c" } } })

      const watchFrom = (resourceVersion: string) =>
        new Promise<{ type: string; obj: { code?: number; reason?: string; metadata?: { name?: string } } }>(
          (resolve, reject) => {
            void new k8s.Watch(kc)
              .watch(
                "/api/v1/namespaces/default/configmaps",
                { resourceVersion, timeoutSeconds: 5 },
                (type, obj) => resolve({ type, obj }),
                (err) => (err ? reject(err) : reject(new Error("watch ended without an event")))
              )
              .then((ctrl) => setTimeout(() => ctrl.abort(), 6_000))
          }
        )

      const before = await watchFrom(oldRv)
      expect(before.type).toBe("ADDED")
      expect(before.obj.metadata?.name).toBe("b")

      await cp.compactEtcd()
      const after = await watchFrom(oldRv)
      expect(after.type).toBe("ERROR")
      expect(after.obj.code).toBe(410)
      expect(after.obj.reason).toBe("Expired")

      await cp.restartApiServer()
      // Same URL, same CA and token, same etcd: the old kubeconfig still works and the data is there.
      expect(cp.server).toBe(kc.getCurrentCluster()?.server)
      const cm = await core.readNamespacedConfigMap({ namespace: "default", name: "a" })
      expect(cm.metadata?.uid).toBe(first.metadata?.uid)
    } finally {
      await cp.stop()
    }
    // stop() removed everything: the dir is gone and nothing listens on the port any more.
    expect(fs.existsSync(cp.dir)).toBe(false)
    const port = Number(new URL(cp.server).port)
    const refused = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, "127.0.0.1")
      sock.once("connect", () => (sock.destroy(), resolve(false)))
      sock.once("error", () => resolve(true))
    })
    expect(refused).toBe(true)
    await cp.stop() // idempotent
  })

  it("fails to start with the apiserver's own error and leaves nothing behind", async () => {
    const err: unknown = await startControlPlane({
      controllerManager: false,
      scheduler: false,
      kwok: false,
      apiServerArgs: ["--no-such-flag=1"]
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    const message = (err as Error).message
    expect(message).toContain("kube-apiserver exited")
    expect(message).toContain("unknown flag: --no-such-flag")
    const dir = /(\/\S+?\/testenv-[^/\s]+)\//.exec(message)?.[1]
    expect(dir).toBeDefined()
    expect(fs.existsSync(dir ?? "")).toBe(false)
  })
})
