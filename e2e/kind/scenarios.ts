/**
 * The e2e scenarios run against a real cluster (kind, by e2e/kind/run.sh) where the chart is installed with the
 * image built from this repository. Unlike the control-plane tests, containers really run here: the webhook
 * serves HTTPS with the certificates the operator made, and the API server calls it.
 *
 * 1. the operator and webhook Deployments are available;
 * 2. validation: an invalid DynaKube is rejected by the webhook with its message (caBundle and Service work);
 * 3. conversion: a v1beta5 DynaKube is stored and read back as v1beta6 (the conversion webhook answers);
 * 4. namespace mutation: a new namespace matching the DynaKube's selector gets the instance label from `/label-ns`;
 * 5. pod mutation: a pod created there passes through `/inject` (it carries the webhook's annotation).
 *
 * Usage: `KUBECONFIG=<cluster> node e2e/kind/scenarios.ts <kubectl> <namespace>`; exits non-zero on the first
 * failed scenario, after printing what it saw.
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"

const [kubectlBin = "kubectl", namespace = "dynatrace"] = process.argv.slice(2)

const kubectl = (args: ReadonlyArray<string>, input?: string) =>
  spawnSync(kubectlBin, args, { encoding: "utf8", input, timeout: 120_000 })

const ok = (args: ReadonlyArray<string>, input?: string): string => {
  const result = kubectl(args, input)
  if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`)
  return result.stdout
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const eventually = async (what: string, check: () => boolean, timeoutMs = 180_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (check()) return
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(2000)
  }
}

const dynakube = (name: string, apiVersion: string, apiUrl: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: `dynatrace.com/${apiVersion}`,
    kind: "DynaKube",
    metadata: { name, namespace },
    spec: { apiUrl, ...extra }
  })

const scenarios: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  [
    "operator and webhook are available",
    async () => {
      ok(["-n", namespace, "rollout", "status", "deployment/dynatrace-operator", "--timeout=300s"])
      ok(["-n", namespace, "rollout", "status", "deployment/dynatrace-webhook", "--timeout=300s"])
    }
  ],
  [
    "the validation webhook rejects an invalid DynaKube",
    async () => {
      // Until the operator has written the caBundle, the API server cannot call the webhook: retry.
      await eventually("the webhook answers", () => {
        const result = kubectl(
          ["apply", "-f", "-"],
          dynakube("e2e-invalid", "v1beta6", "https://example.com/no-api-suffix")
        )
        if (result.status === 0) throw new Error("an invalid DynaKube was accepted")
        return (
          /admission webhook "v1beta6.dynakube.webhook.dynatrace.com" denied the request/.test(result.stderr) &&
          result.stderr.includes("API URL is not valid")
        )
      })
    }
  ],
  [
    "a v1beta5 DynaKube is converted to v1beta6",
    async () => {
      ok(
        ["apply", "-f", "-"],
        dynakube("e2e-converted", "v1beta5", "https://e2e.example.com/api", {
          oneAgent: { applicationMonitoring: { namespaceSelector: { matchLabels: { "e2e-inject": "yes" } } } }
        })
      )
      const stored = JSON.parse(
        ok(["-n", namespace, "get", "dynakubes.v1beta6.dynatrace.com", "e2e-converted", "-o", "json"])
      )
      if (stored.apiVersion !== "dynatrace.com/v1beta6") throw new Error(`read back as ${stored.apiVersion}`)
    }
  ],
  [
    "a new namespace matching the DynaKube is labelled by the namespace webhook",
    async () => {
      ok(
        ["create", "-f", "-"],
        JSON.stringify({
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: "e2e-app", labels: { "e2e-inject": "yes" } }
        })
      )
      await eventually("the namespace carries dynakube.internal.dynatrace.com/instance", () => {
        const ns = JSON.parse(ok(["get", "namespace", "e2e-app", "-o", "json"]))
        return ns.metadata.labels?.["dynakube.internal.dynatrace.com/instance"] === "e2e-converted"
      })
    }
  ],
  [
    "a pod in that namespace passes through the pod webhook",
    async () => {
      ok(["-n", "e2e-app", "run", "e2e-pod", "--image=registry.k8s.io/pause:3.10", "--restart=Never"])
      const pod = JSON.parse(ok(["-n", "e2e-app", "get", "pod", "e2e-pod", "-o", "json"]))
      const annotations: Record<string, string> = pod.metadata.annotations ?? {}
      const touched = Object.keys(annotations).some(
        (k) => k.startsWith("oneagent.dynatrace.com/") || k.startsWith("metadata-enrichment.dynatrace.com/")
      )
      if (!touched) throw new Error(`the pod has no annotation of the webhook: ${JSON.stringify(annotations)}`)
    }
  ]
]

let passed = 0
let failed = 0
for (const [name, run] of scenarios) {
  const started = Date.now()
  try {
    await run()
    passed++
    console.log(`PASS ${name} (${Date.now() - started} ms)`)
  } catch (error) {
    failed++
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`)
    break
  }
}
// Later scenarios build on earlier ones: after a failure the rest are not run.
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
