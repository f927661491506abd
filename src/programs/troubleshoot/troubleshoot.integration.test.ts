/**
 * `troubleshoot` on the shared real control plane against the in-process tenant simulator:
 *
 * - a healthy-looking install (CRDs from manifests/crds, a DynaKube pointing at the simulator, its token Secret with
 *   the simulator's tokens, the pull secret) passes the cluster, API URL, token, scope, version, pull-secret and
 *   proxy checks;
 * - a token the tenant issued with too few scopes fails the scope check, naming the missing scopes;
 * - a DynaKube without pull secret fails that check;
 * - an unreachable proxy fails the proxy check;
 * - the CLI prints the same report as JSON on stdout and exits 1.
 *
 * The webhook checks need cluster-scoped objects named `dynatrace-webhook`, which other test files create and
 * delete on the shared plane; they run on a private control plane (apiserver and etcd only).
 */
import { assert, describe, expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFile } from "node:child_process"
import { startControlPlane } from "../../../e2e/controlplane/ControlPlane.ts"
import { startTenantSimulator } from "../../../e2e/tenant-simulator/TenantSimulator.ts"
import { CaBundle, CertDurations, Certs, CertSecret } from "../../services/Certs.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import type * as Check from "./Check.ts"
import { EndpointSlice } from "./Gather.ts"
import * as Report from "./Report.ts"
import * as TestCluster from "./TestCluster.ts"
import * as Troubleshoot from "./Troubleshoot.ts"

const simulator = Effect.acquireRelease(
  Effect.promise(() => startTenantSimulator()),
  (tenant) => Effect.promise(() => tenant.close())
)

const options = (namespace: string, dynakube?: string): Troubleshoot.TroubleshootOptions => ({
  namespace,
  dynakube,
  operatorVersion: "0.1.0",
  hostAvailabilityDetection: true,
  kubemonOperand: false,
  tenantTimeout: "5 seconds",
  proxyTimeout: "2 seconds"
})

const statusOf = (checks: ReadonlyArray<Check.CheckResult>, subject: string, id: string) => {
  const found = checks.find((c) => c.subject === subject && c.id === id)
  if (found === undefined) throw new Error(`no check ${id} for ${subject}`)
  return found
}

/** Runs `node src/main.ts …` without blocking this process; resolves with exit status and output. */
const runCli = (args: ReadonlyArray<string>) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["src/main.ts", ...args],
      { cwd: TestCluster.repoRoot, encoding: "utf8", timeout: 60_000, env: { ...process.env } },
      (error, stdout, stderr) => resolve({ status: error === null ? 0 : (error.code as number | null), stdout, stderr })
    )
  })

const cloudNative = (apiUrl: string) => ({ apiUrl, oneAgent: { cloudNativeFullStack: {} } })

layer(KubeClient.layer, { excludeTestServices: true })("troubleshoot on the real apiserver", (it) => {
  it.effect(
    "healthy install passes; missing scopes, a missing pull secret and a dead proxy fail; the CLI prints JSON and exits 1",
    () =>
      Effect.gen(function* () {
        yield* TestCluster.ensureCrds
        const sim = yield* simulator
        const ns = yield* TestCluster.scopedNamespace("ts")
        const registry = new URL(sim.url).host
        const uuid = sim.tenant.config.tenantUUID

        // Healthy: tokens with every scope, pull secret for the tenant registry.
        yield* TestCluster.dynakube(ns, "healthy", cloudNative(sim.url))
        yield* TestCluster.secret(ns, "healthy", { apiToken: sim.apiToken, dataIngestToken: sim.dataIngestToken })
        yield* TestCluster.pullSecret(ns, "healthy-pull-secret", registry, uuid, sim.apiToken)

        // A token the tenant issued without InstallerDownload and activeGate scopes.
        const limited = sim.addToken(["DataExport", "settings.read"])
        yield* TestCluster.dynakube(ns, "limited", cloudNative(sim.url))
        yield* TestCluster.secret(ns, "limited", { apiToken: limited })
        yield* TestCluster.pullSecret(ns, "limited-pull-secret", registry, uuid, limited)

        // Everything fine but the pull secret.
        yield* TestCluster.dynakube(ns, "nopull", cloudNative(sim.url))
        yield* TestCluster.secret(ns, "nopull", { apiToken: sim.apiToken })

        // A proxy that refuses connections.
        yield* TestCluster.dynakube(ns, "proxied", { ...cloudNative(sim.url), proxy: { valueFrom: "proxy-secret" } })
        yield* TestCluster.secret(ns, "proxied", { apiToken: sim.apiToken })
        yield* TestCluster.secret(ns, "proxy-secret", { proxy: "http://user:pa55word@127.0.0.1:1" })

        const report = yield* Troubleshoot.run(options(ns))
        const checks = report.checks
        const text = Report.toText(report)

        for (const id of ["namespace", "crd-dynakube", "dynakubes"]) {
          assert.strictEqual(statusOf(checks, "cluster", id).status, "pass", `${id}: ${text}`)
        }
        assert.strictEqual(
          statusOf(checks, "cluster", "dynakubes").message,
          "4 DynaKubes found: healthy, limited, nopull, proxied."
        )

        const healthy = `dynakube ${ns}/healthy`
        for (const id of [
          "dynakube",
          "api-url",
          "token-secret",
          "token-scopes",
          "latest-agent-version",
          "pull-secret",
          "proxy"
        ]) {
          assert.strictEqual(statusOf(checks, healthy, id).status, "pass", `${id}: ${text}`)
        }
        expect(statusOf(checks, healthy, "latest-agent-version").message).toContain(
          sim.tenant.config.latestAgentVersion
        )
        // No operator ran: there is no OneAgent DaemonSet and no status.
        assert.strictEqual(statusOf(checks, healthy, "oneagent").status, "fail")
        assert.strictEqual(statusOf(checks, healthy, "dynakube-status").status, "warn")

        const scopes = statusOf(checks, `dynakube ${ns}/limited`, "token-scopes")
        assert.strictEqual(scopes.status, "fail")
        assert.strictEqual(
          scopes.message,
          "Missing token scopes: apiToken lacks InstallerDownload (needed for installer download)."
        )
        // The tenant refuses the installer call for that token too.
        assert.strictEqual(statusOf(checks, `dynakube ${ns}/limited`, "latest-agent-version").status, "fail")
        expect(statusOf(checks, `dynakube ${ns}/limited`, "latest-agent-version").message).toContain("MissingScopes")

        const pull = statusOf(checks, `dynakube ${ns}/nopull`, "pull-secret")
        assert.strictEqual(pull.status, "fail")
        assert.strictEqual(
          pull.message,
          `Pull secret ${ns}/nopull-pull-secret does not exist; the operator creates it once it reached the tenant (see the DynaKube's conditions).`
        )
        assert.strictEqual(statusOf(checks, `dynakube ${ns}/nopull`, "token-scopes").status, "pass")

        const proxy = statusOf(checks, `dynakube ${ns}/proxied`, "proxy")
        assert.strictEqual(proxy.status, "fail")
        expect(proxy.message).toContain("127.0.0.1:1")
        expect(proxy.message).toContain("ECONNREFUSED")
        // The tenant is called through the proxy, as the operator would.
        assert.strictEqual(statusOf(checks, `dynakube ${ns}/proxied`, "token-scopes").status, "fail")

        // No token value and no proxy password anywhere in the report.
        for (const secretValue of [sim.apiToken, sim.dataIngestToken, limited, "pa55word"]) {
          assert.isFalse(text.includes(secretValue), "a secret value reached the report")
        }

        // --dynakube narrows the DynaKube checks to one.
        const one = yield* Troubleshoot.run(options(ns, "nopull"))
        assert.deepStrictEqual(
          [...new Set(one.checks.map((c) => c.subject))],
          ["cluster", `dynakube ${ns}/nopull`, "webhook"]
        )

        // The CLI: JSON on stdout, logs elsewhere, exit code 1 because checks failed.
        // Asynchronously: the tenant simulator lives in this process and must keep answering.
        const cli = yield* Effect.promise(() =>
          runCli(["troubleshoot", "--namespace", ns, "--dynakube", "healthy", "--json"])
        )
        assert.strictEqual(cli.status, 1, `${cli.stdout.slice(-2000)}\n${cli.stderr}`)
        const json = JSON.parse(cli.stdout) as Report.ReportJson
        assert.isFalse(json.healthy)
        assert.strictEqual(json.namespace, ns)
        expect(json.checks.find((c) => c.subject === healthy && c.id === "token-scopes")?.status).toBe("pass")
        assert.isFalse(cli.stdout.includes(sim.apiToken))
      }).pipe(Effect.scoped),
    120_000
  )
})

// ---------------------------------------------------------------------------------------------------------------------
// Webhook checks on a private plane

const privatePlane = Layer.unwrap(
  Effect.acquireRelease(
    Effect.promise(() => startControlPlane({ controllerManager: false, scheduler: false, kwok: false })),
    (cp) => Effect.promise(() => cp.stop())
  ).pipe(Effect.map((cp) => KubeClient.layerFromFile(cp.kubeconfigPath)))
)

const webhookEntry = (name: string, namespace: string, caBundle: string, path: string) => ({
  name,
  clientConfig: { service: { namespace, name: "dynatrace-webhook", path, port: 443 }, caBundle },
  rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
  // Nothing on this plane is ever sent to it.
  namespaceSelector: { matchLabels: { "troubleshoot-test.dynatrace.com/never": "matches" } },
  failurePolicy: "Ignore",
  sideEffects: "None",
  admissionReviewVersions: ["v1"]
})

describe("troubleshoot webhook checks", () => {
  layer(privatePlane, { excludeTestServices: true, timeout: "120 seconds" })("on a private apiserver", (it) => {
    it.effect(
      "a reachable webhook with valid certificates passes; a stale caBundle and a Service without endpoints fail",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const ns = "dynatrace"
          yield* kube.create(Resources.Namespace, { metadata: { name: ns } })
          const certs = yield* Effect.gen(function* () {
            return yield* (yield* Certs).generate({ namespace: ns })
          }).pipe(Effect.provide(Certs.layerWith(CertDurations.defaults)))
          const bundle = CaBundle.base64(certs)
          yield* kube.create(Resources.Secret, {
            metadata: { name: CertSecret.secretName, namespace: ns },
            data: CertSecret.toSecretData(certs)
          } as KubeObject)

          // CRDs converting through the webhook Service with the bundle.
          for (const crd of TestCluster.crdsFromManifests()) {
            const withWebhook = {
              ...crd,
              spec: {
                ...(crd as { spec: object }).spec,
                conversion: {
                  strategy: "Webhook",
                  webhook: {
                    clientConfig: {
                      service: { namespace: ns, name: "dynatrace-webhook", path: "/convert" },
                      caBundle: bundle
                    },
                    conversionReviewVersions: ["v1", "v1beta1"]
                  }
                }
              }
            }
            yield* kube.apply(Resources.CustomResourceDefinition, withWebhook as KubeObject, {
              fieldManager: TestCluster.fieldManager,
              force: true
            })
          }
          yield* kube.create(Resources.MutatingWebhookConfiguration, {
            metadata: { name: "dynatrace-webhook" },
            webhooks: [
              webhookEntry("webhook.pod.dynatrace.com", ns, bundle, "/inject"),
              webhookEntry("webhook.ns.dynatrace.com", ns, bundle, "/label-ns")
            ]
          } as KubeObject)
          yield* kube.create(Resources.ValidatingWebhookConfiguration, {
            metadata: { name: "dynatrace-webhook" },
            webhooks: [webhookEntry("v1beta6.dynakube.webhook.dynatrace.com", ns, bundle, "/validate")]
          } as KubeObject)

          // The Deployment with an available pod (status written by hand: no controller runs here).
          const deployment = yield* kube.create(Resources.Deployment, {
            metadata: { name: "dynatrace-webhook", namespace: ns },
            spec: {
              replicas: 1,
              selector: { matchLabels: { app: "dynatrace-webhook" } },
              template: {
                metadata: { labels: { app: "dynatrace-webhook" } },
                spec: { containers: [{ name: "webhook", image: "registry.invalid/webhook:test" }] }
              }
            }
          } as KubeObject)
          yield* kube.updateStatus(Resources.Deployment, {
            ...deployment,
            status: { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 }
          } as KubeObject)
          // A Service without selector and its EndpointSlice, as the endpoint controller would write it.
          yield* kube.create(Resources.Service, {
            metadata: { name: "dynatrace-webhook", namespace: ns },
            spec: { ports: [{ name: "https", port: 443, targetPort: 8443 }] }
          } as KubeObject)
          yield* kube.create(EndpointSlice, {
            metadata: {
              name: "dynatrace-webhook-1",
              namespace: ns,
              labels: { "kubernetes.io/service-name": "dynatrace-webhook" }
            },
            addressType: "IPv4",
            endpoints: [{ addresses: ["10.244.0.10"], conditions: { ready: true } }],
            ports: [{ name: "https", port: 8443, protocol: "TCP" }]
          } as KubeObject)

          const run = Troubleshoot.run(options(ns)).pipe(
            Effect.map((r) => r.checks.filter((c) => c.subject === "webhook"))
          )
          const healthy = yield* run
          assert.deepStrictEqual(
            healthy.map((c) => [c.id, c.status]),
            [
              ["webhook-deployment", "pass"],
              ["webhook-endpoints", "pass"],
              ["mutating-webhook-configuration", "pass"],
              ["validating-webhook-configuration", "pass"],
              ["crd-conversion", "pass"],
              ["webhook-certificate", "pass"],
              ["webhook-ca-bundle", "pass"]
            ],
            JSON.stringify(healthy, null, 2)
          )
          assert.strictEqual(
            healthy.find((c) => c.id === "webhook-ca-bundle")?.message,
            "All 4 caBundles match the CA in dynatrace-webhook-certs."
          )

          // A CA bundle of another CA in the validating configuration; no ready endpoint any more.
          const other = yield* Effect.gen(function* () {
            return yield* (yield* Certs).generate({ namespace: ns })
          }).pipe(Effect.provide(Certs.layerWith(CertDurations.defaults)))
          yield* kube.patch(Resources.ValidatingWebhookConfiguration, "dynatrace-webhook", {
            type: "json",
            patch: [{ op: "replace", path: "/webhooks/0/clientConfig/caBundle", value: CaBundle.base64(other) }]
          })
          yield* kube.patch(
            EndpointSlice,
            "dynatrace-webhook-1",
            {
              type: "merge",
              patch: { endpoints: [{ addresses: ["10.244.0.10"], conditions: { ready: false } }] }
            },
            { namespace: ns }
          )
          const broken = yield* run
          const byId = (id: string) => broken.find((c) => c.id === id)
          assert.strictEqual(byId("webhook-ca-bundle")?.status, "fail")
          expect(byId("webhook-ca-bundle")?.message).toContain(
            "ValidatingWebhookConfiguration dynatrace-webhook (v1beta6.dynakube.webhook.dynatrace.com)"
          )
          assert.strictEqual(byId("webhook-endpoints")?.status, "fail")
          assert.strictEqual(byId("webhook-certificate")?.status, "pass")
        })
    )
  })
})
