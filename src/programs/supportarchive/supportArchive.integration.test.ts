/**
 * `support-archive` on the shared real control plane: an install with Secrets holding known token values (token
 * Secret, pull secret, a proxy Secret, a Secret replicated into a monitored namespace) and the same values leaked
 * on purpose into places that are not Secrets (a ConfigMap, a DynaKube annotation and proxy URL, an Event message).
 * The archive is built, extracted, and every file is searched for every value, plain and base64: none may be
 * there. The test also checks the layout (versions, troubleshoot report, manifests, webhooks, CRDs, events) and
 * that logs which cannot be fetched (kwok nodes have no kubelet) are noted instead of failing the archive, and
 * runs the CLI with `--stdout`.
 */
import { assert, expect, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Schedule } from "effect"
import { execFile } from "node:child_process"
import { PassThrough } from "node:stream"
import { createFakeNode } from "../../../e2e/controlplane/ControlPlane.ts"
import { startTenantSimulator } from "../../../e2e/tenant-simulator/TenantSimulator.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import * as Names from "../operator/dynakube/Names.ts"
import * as TestCluster from "../troubleshoot/TestCluster.ts"
import * as Archive from "./Archive.ts"
import { PodLogs } from "./PodLogs.ts"
import * as SupportArchive from "./SupportArchive.ts"

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

const simulator = Effect.acquireRelease(
  Effect.promise(() => startTenantSimulator()),
  (tenant) => Effect.promise(() => tenant.close())
)

const kubeconfigPath = () => {
  const path = process.env["KUBECONFIG"]
  if (path === undefined) throw new Error("KUBECONFIG is not set: run this through the integration project")
  return path
}

/** Builds the archive in memory and extracts it. */
const buildAndExtract = (namespace: string, managedLogs = true) =>
  Effect.gen(function* () {
    const out = new PassThrough()
    const chunks: Array<Buffer> = []
    out.on("data", (chunk: Buffer) => chunks.push(chunk))
    const written = yield* SupportArchive.run(
      {
        namespace,
        operatorVersion: "0.1.0",
        numEvents: 300,
        managedLogs,
        hostAvailabilityDetection: true,
        kubemonOperand: false,
        logTimeout: "20 seconds"
      },
      out
    )
    const entries = yield* Archive.read(Buffer.concat(chunks))
    return { written, entries, bytes: Buffer.concat(chunks) }
  })

const runCli = (args: ReadonlyArray<string>) =>
  new Promise<{ status: number | null; stdout: Buffer; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["src/main.ts", ...args],
      {
        cwd: TestCluster.repoRoot,
        encoding: "buffer",
        timeout: 90_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env }
      },
      (error, stdout, stderr) =>
        resolve({ status: error === null ? 0 : (error.code as number | null), stdout, stderr: stderr.toString("utf8") })
    )
  })

layer(Layer.mergeAll(KubeClient.layer, PodLogs.layer), { excludeTestServices: true })(
  "support-archive on the real apiserver",
  (it) => {
    it.effect(
      "no token or secret value anywhere in the archive; layout complete; unfetchable logs noted; --stdout writes the tgz",
      () =>
        Effect.gen(function* () {
          yield* TestCluster.ensureCrds
          const kube = yield* KubeClient
          const sim = yield* simulator
          const ns = yield* TestCluster.scopedNamespace("sa")
          const monitored = yield* TestCluster.scopedNamespace("sa-app")
          const registry = new URL(sim.url).host
          const proxyPassword = "Pr0xyPa55word!"
          const tokens = [sim.apiToken, sim.paasToken, sim.dataIngestToken]
          const tenantToken = "tenant-token-ZXCVBNMASDFGHJKL"
          const secretValues = [...tokens, proxyPassword, tenantToken]

          // Secrets with known values.
          yield* TestCluster.dynakube(
            ns,
            "dynakube",
            {
              apiUrl: sim.url,
              oneAgent: { cloudNativeFullStack: {} },
              proxy: { value: `http://admin:${proxyPassword}@127.0.0.1:1` }
            },
            // Leaked on purpose: a token in an annotation.
            { "example.com/note": `token was ${sim.apiToken}` }
          )
          yield* TestCluster.secret(ns, "dynakube", {
            apiToken: sim.apiToken,
            paasToken: sim.paasToken,
            dataIngestToken: sim.dataIngestToken
          })
          yield* TestCluster.pullSecret(
            ns,
            "dynakube-pull-secret",
            registry,
            sim.tenant.config.tenantUUID,
            sim.paasToken
          )
          yield* TestCluster.secret(ns, "proxy-secret", { proxy: `http://admin:${proxyPassword}@proxy.example:3128` })
          yield* TestCluster.secret(ns, "dynakube-oneagent-tenant-secret", { "tenant-token": tenantToken })
          // Leaked on purpose: a token in a ConfigMap and in an Event.
          yield* kube.create(Resources.ConfigMap, {
            metadata: { name: "leaky", namespace: ns },
            data: { note: `apiToken=${sim.apiToken}`, encoded: b64(sim.dataIngestToken) }
          } as KubeObject)
          yield* kube.create(Resources.Event, {
            metadata: { name: "leaky.1", namespace: ns },
            involvedObject: { kind: "DynaKube", name: "dynakube", namespace: ns },
            reason: "Leaked",
            message: `token ${sim.paasToken} in an event`,
            type: "Warning",
            lastTimestamp: new Date().toISOString(),
            source: { component: "support-archive-test" }
          } as KubeObject)
          // A monitored namespace with a replicated Secret.
          yield* kube.patch(Resources.Namespace, monitored, {
            type: "merge",
            patch: { metadata: { labels: { [Names.instanceLabel]: "dynakube" } } }
          })
          yield* TestCluster.secret(monitored, "dynatrace-bootstrapper-config", {
            "config.json": JSON.stringify({ tenantToken })
          })

          // Our operator Deployment and a pod on a kwok node (no kubelet: its log cannot be fetched).
          const node = TestCluster.uniqueName("sa-node")
          yield* Effect.acquireRelease(
            Effect.promise(() => createFakeNode({ kubeconfigPath: kubeconfigPath() }, node)),
            () => kube.delete(Resources.Node, node).pipe(Effect.ignore)
          )
          yield* kube.create(Resources.Deployment, {
            metadata: {
              name: "dynatrace-operator",
              namespace: ns,
              labels: { "app.kubernetes.io/name": "dynatrace-operator", "app.kubernetes.io/version": "0.1.0" }
            },
            spec: {
              replicas: 1,
              selector: { matchLabels: { app: "operator" } },
              template: {
                metadata: { labels: { app: "operator" } },
                spec: {
                  nodeSelector: { "kubernetes.io/hostname": node },
                  containers: [
                    {
                      name: "operator",
                      image: "registry.invalid/operator:0.1.0",
                      env: [{ name: "TOKEN_HINT", value: sim.apiToken }]
                    }
                  ]
                }
              }
            }
          } as KubeObject)
          yield* kube.list(Resources.Pod, { namespace: ns }).pipe(
            Effect.flatMap((pods) => (pods.items.length > 0 ? Effect.void : Effect.fail("no pod yet"))),
            Effect.retry(Schedule.spaced(Duration.millis(250)).pipe(Schedule.upTo({ times: 120 })))
          )

          const { entries, written } = yield* buildAndExtract(ns)
          const files = new Map(entries.map((e) => [e.path.replace(`${SupportArchive.prefix}/`, ""), e.content]))

          // The secret values: plain, base64 (padded and not), URL-encoded, and the docker config's auth.
          const needles = secretValues.flatMap((v) => [v, b64(v), b64(v).replace(/=+$/, ""), encodeURIComponent(v)])
          needles.push(b64(`${sim.tenant.config.tenantUUID}:${sim.paasToken}`))
          for (const [path, content] of files) {
            for (const needle of needles) {
              assert.isFalse(content.includes(needle), `${path} contains a secret value`)
            }
          }

          // Layout.
          for (const path of [
            "operator-version.txt",
            "kubernetes-version.txt",
            "troubleshoot.txt",
            "support-archive.log",
            `manifests/${ns}/namespace.yaml`,
            `manifests/${ns}/dynakubes/dynakube.yaml`,
            `manifests/${ns}/deployments/dynatrace-operator.yaml`,
            `manifests/${ns}/secrets/dynakube.yaml`,
            `manifests/${ns}/secrets/dynakube-pull-secret.yaml`,
            `manifests/${ns}/configmaps/leaky.yaml`,
            `manifests/injected-namespaces/${monitored}/namespace.yaml`,
            `manifests/injected-namespaces/${monitored}/secrets/dynatrace-bootstrapper-config.yaml`,
            "manifests/cluster/customresourcedefinitions/dynakubes.dynatrace.com.yaml",
            `events/${ns}.yaml`
          ]) {
            assert.isTrue(files.has(path), `missing ${path}; have ${[...files.keys()].join(", ")}`)
          }
          expect(files.get("operator-version.txt")).toContain(
            `operator Deployment ${ns}/dynatrace-operator: version 0.1.0`
          )
          expect(files.get("kubernetes-version.txt")).toContain("gitVersion: v1.34")
          expect(files.get("troubleshoot.txt")).toContain(`dynakube ${ns}/dynakube`)
          // Secrets keep their keys.
          expect(files.get(`manifests/${ns}/secrets/dynakube.yaml`)).toContain("apiToken: <redacted>")
          expect(files.get(`manifests/${ns}/secrets/dynakube.yaml`)).toContain("dataIngestToken: <redacted>")
          expect(files.get(`manifests/${ns}/secrets/dynakube-pull-secret.yaml`)).toContain(
            ".dockerconfigjson: <redacted>"
          )
          // The proxy host stays readable.
          expect(files.get(`manifests/${ns}/dynakubes/dynakube.yaml`)).toContain("http://<redacted>@127.0.0.1:1")
          expect(files.get(`events/${ns}.yaml`)).toContain("token <redacted> in an event")

          // The pod's log could not be fetched: noted, not fatal.
          const podLogNotes = [...files.keys()].filter(
            (p) => p.startsWith("logs/") && p.endsWith("/operator.unavailable.txt")
          )
          assert.strictEqual(podLogNotes.length, 1, [...files.keys()].join(", "))
          expect(files.get(podLogNotes[0]!)).toContain("The log could not be fetched")
          expect(files.get("support-archive.log")).toMatch(/logs of .*operator: not available/)
          assert.isTrue(written.notes.some((n) => n.includes("not available")))

          // The CLI writes the same kind of archive to stdout, and nothing else.
          const cli = yield* Effect.promise(() =>
            runCli(["support-archive", "--namespace", ns, "--stdout", "--num-events", "5", "--no-managed-logs"])
          )
          assert.strictEqual(cli.status, 0, cli.stderr)
          const fromCli = yield* Archive.read(cli.stdout)
          const names = fromCli.map((e) => e.path)
          assert.include(names, `${SupportArchive.prefix}/troubleshoot.txt`)
          assert.include(names, `${SupportArchive.prefix}/manifests/${ns}/secrets/dynakube.yaml`)
          for (const entry of fromCli) {
            for (const needle of needles)
              assert.isFalse(entry.content.includes(needle), `${entry.path} (CLI) contains a secret value`)
          }
          expect(cli.stderr).toContain("Wrote the support archive")
        }).pipe(Effect.scoped),
      150_000
    )
  }
)
