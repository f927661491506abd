/**
 * The webhook server against the shared real control plane (process.env.KUBECONFIG from the integration global
 * setup). The server runs in this process on 127.0.0.1 with a certificate for that IP; a
 * MutatingWebhookConfiguration registers `/inject` and `/label-ns` by URL with the spec's rules, namespace selector
 * and re-invocation policy, so the apiserver itself calls the webhook for every namespace and pod created here.
 *
 * Two deviations from the Helm install keep this test from touching other tests' objects on the shared plane:
 * both webhooks also select a label unique to this run (`webhook-it=<run>`), and the DynaKubes live in a namespace
 * of this run. The DynaKube CRD comes from `manifests/crds/` with `conversion.strategy: None` (no conversion
 * webhook runs here).
 */
import { assert, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, References, Schedule } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { parse } from "yaml"
import type { Pod } from "../../schemas/Pod.ts"
import * as KubeApiError from "../../services/KubeApiError.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import { Readiness } from "../../services/Probes.ts"
import * as Explain from "../explain/Explain.ts"
import * as Target from "../explain/Target.ts"
import * as Keys from "./Keys.ts"
import * as TestCertificates from "./TestCertificates.ts"
import * as T from "./TestObjects.ts"
import * as WebhookMain from "./WebhookMain.ts"
import { WebhookServer } from "./WebhookServer.ts"

const run = Math.random().toString(36).slice(2, 7)
const operatorNamespace = `wh-op-${run}`
const runLabel = { "webhook-it": run }
const configName = `dynatrace-webhook-it-${run}`
const operatorImage = "public.ecr.aws/dynatrace/dynatrace-operator:v1.7.0"
const repoRoot = path.join(import.meta.dirname, "../../..")

/** Retries `check` every 200 ms for up to 30 s. */
const eventually = <A, E, R>(check: Effect.Effect<A, E, R>) =>
  check.pipe(Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ duration: "30 seconds" }))))

const ignoreNotFound = <A, R>(effect: Effect.Effect<A, KubeApiError.KubeApiError, R>) =>
  effect.pipe(
    Effect.asVoid,
    Effect.catchIf(KubeApiError.isNotFound, () => Effect.void)
  )

/** The DynaKube CRD of manifests/crds with conversion None, applied server-side. */
const installCrd = Effect.gen(function* () {
  const kube = yield* KubeClient
  const file = path.join(repoRoot, "manifests/crds/dynatrace.com_dynakubes.yaml")
  const crd = parse(fs.readFileSync(file, "utf8")) as KubeObject & { spec: Record<string, unknown> }
  yield* kube.apply(
    Resources.CustomResourceDefinition,
    { ...crd, spec: { ...crd.spec, conversion: { strategy: "None" } } },
    { fieldManager: "webhook-integration-test", force: true }
  )
  yield* eventually(
    Effect.gen(function* () {
      const current = yield* kube.get<
        KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }
      >(Resources.CustomResourceDefinition, "dynakubes.dynatrace.com")
      const established = current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
      if (established !== true) return yield* Effect.fail("not established yet")
      // The resource must be served before DynaKubes can be written.
      yield* kube.list(Resources.DynaKube, { namespace: operatorNamespace, limit: 1 })
    })
  )
})

const dynakubeStatus = {
  kubeSystemUUID: "9f8e7d6c-0000-4000-8000-000000000001",
  kubernetesClusterName: "it-cluster",
  codeModules: { version: "1.309.0.20250101-120000" },
  oneAgent: { connectionInfoStatus: { tenantUUID: "abc12345" } }
}

/** Everything the cluster must hold before the webhook starts: namespace, CRD, DynaKube (+ status), source Secret. */
const setup = Effect.gen(function* () {
  const kube = yield* KubeClient
  yield* kube.create(Resources.Namespace, { metadata: { name: operatorNamespace } })
  yield* installCrd
  yield* kube.create(Resources.Secret, {
    metadata: { name: "dk-bootstrapper-config", namespace: operatorNamespace },
    data: { "ruxitagentproc.json": Buffer.from("{}").toString("base64") }
  } as KubeObject)
  const created = yield* kube.create<KubeObject & { status?: unknown }>(Resources.DynaKube, {
    apiVersion: "dynatrace.com/v1beta6",
    kind: "DynaKube",
    metadata: { name: "dk", namespace: operatorNamespace },
    spec: {
      apiUrl: "https://abc12345.live.dynatrace.com/api",
      oneAgent: { cloudNativeFullStack: { namespaceSelector: { matchLabels: { "monitor-it": run } } } }
    }
  } as KubeObject)
  yield* kube.updateStatus(Resources.DynaKube, { ...created, status: dynakubeStatus } as KubeObject)
})

const teardown = Effect.gen(function* () {
  const kube = yield* KubeClient
  yield* ignoreNotFound(kube.delete(Resources.MutatingWebhookConfiguration, configName))
  yield* ignoreNotFound(kube.delete(Resources.Namespace, operatorNamespace))
})

/** The server, started in-process on 127.0.0.1 after the setup, and the webhook configuration pointing at it. */
const WebhookUnderTest = Layer.unwrap(
  Effect.gen(function* () {
    yield* Effect.acquireRelease(setup, () => Effect.ignore(teardown))
    const certs = yield* TestCertificates.issue(operatorNamespace)
    const certificate = TestCertificates.writeTemporary(certs)
    const server = WebhookMain.webhookLayer(T.serverConfig(operatorNamespace, certificate), {
      syncCertificateSecret: false,
      openShift: false,
      host: "127.0.0.1"
    })
    const registration = Layer.effectDiscard(
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const { port } = yield* WebhookServer
        const readiness = yield* Readiness
        yield* eventually(
          Effect.flatMap(readiness.pending, (pending) => (pending.length === 0 ? Effect.void : Effect.fail(pending)))
        )
        const caBundle = Buffer.from(certs.caCert).toString("base64")
        const common = {
          admissionReviewVersions: ["v1"],
          sideEffects: "None",
          failurePolicy: "Ignore",
          timeoutSeconds: 10,
          reinvocationPolicy: "IfNeeded"
        }
        yield* Effect.acquireRelease(
          kube.create(Resources.MutatingWebhookConfiguration, {
            metadata: { name: configName },
            webhooks: [
              {
                name: "webhook.pod.dynatrace.com",
                clientConfig: { url: `https://127.0.0.1:${port}/inject`, caBundle },
                rules: T.podWebhookRules,
                namespaceSelector: {
                  matchExpressions: [
                    { key: Keys.instanceLabel, operator: "Exists" },
                    { key: "webhook-it", operator: "In", values: [run] }
                  ]
                },
                ...common
              },
              {
                name: "webhook.ns.dynatrace.com",
                clientConfig: { url: `https://127.0.0.1:${port}/label-ns`, caBundle },
                rules: [
                  {
                    apiGroups: [""],
                    apiVersions: ["v1"],
                    operations: ["CREATE", "UPDATE"],
                    resources: ["namespaces"],
                    scope: "*"
                  }
                ],
                objectSelector: { matchLabels: runLabel },
                ...common
              }
            ]
          } as KubeObject),
          () => Effect.ignore(kube.delete(Resources.MutatingWebhookConfiguration, configName))
        )
      })
    )
    return registration.pipe(Layer.provideMerge(server))
  })
).pipe(
  Layer.provideMerge(Layer.mergeAll(KubeClient.layer, Readiness.layer)),
  Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
)

let counter = 0
const unique = (prefix: string) => `${prefix}-${run}-${++counter}`

/** Creates a namespace (labels merged with the run label); the apiserver calls /label-ns on the way in. */
const createNamespace = (labels: Record<string, string>) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const name = unique("wh")
    const created = yield* Effect.acquireRelease(
      kube.create<KubeObject>(Resources.Namespace, { metadata: { name, labels: { ...runLabel, ...labels } } }),
      () => Effect.ignore(kube.delete(Resources.Namespace, name))
    )
    return created
  })

const podSpec = (name: string, annotations: Record<string, string> = {}) => ({
  metadata: { name, annotations },
  spec: {
    containers: [
      { name: "app", image: "registry.example.com/shop/app:1.0" },
      { name: "sidecar", image: "docker.io/envoyproxy/envoy:v1.30.1" }
    ]
  }
})

const createPod = (namespace: string, name: string, annotations: Record<string, string> = {}) =>
  KubeClient.use((kube) =>
    kube.create<KubeObject & Pod>(Resources.Pod, {
      ...podSpec(name, annotations),
      metadata: { ...podSpec(name, annotations).metadata, namespace }
    } as KubeObject & Pod)
  )

/**
 * The mapped namespace of a test: created with the DynaKube's selector label, so /label-ns adds the instance label.
 * The apiserver starts calling a new webhook configuration only after it has seen it, so creation is retried.
 */
const mappedNamespace = eventually(
  Effect.gen(function* () {
    const ns = yield* createNamespace({ "monitor-it": run })
    const label = ns.metadata?.labels?.[Keys.instanceLabel]
    if (label !== "dk") return yield* Effect.fail(`namespace ${ns.metadata?.name} was not labelled (yet)`)
    return ns.metadata?.name ?? ""
  })
)

/**
 * The webhook Deployment `explain` reads its settings from (as the chart renders it: `DT_OPERATOR_IMAGE` and
 * `modules.json` in the container env; no replicas, nothing needs to run).
 */
const installWebhookDeployment = Effect.gen(function* () {
  const kube = yield* KubeClient
  const labels = { app: "dynatrace-webhook-it" }
  yield* kube.apply(
    Resources.Deployment,
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "dynatrace-webhook", namespace: operatorNamespace },
      spec: {
        replicas: 0,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "webhook",
                image: operatorImage,
                args: ["webhook-server"],
                env: [
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  { name: "DT_OPERATOR_IMAGE", value: operatorImage },
                  { name: "modules.json", value: JSON.stringify({ csiDriver: true }) }
                ]
              }
            ]
          }
        }
      }
    } as KubeObject,
    { fieldManager: "webhook-integration-test", force: true }
  )
})

const shopDeployment = (namespace: string, replicas: number) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "shop", namespace },
  spec: {
    replicas,
    selector: { matchLabels: { app: "shop" } },
    template: { ...podSpec("ignored"), metadata: { labels: { app: "shop" } } }
  }
})

const deploymentRef = (name: string): Target.Reference => {
  const kind = Option.getOrThrow(Target.kindOf("deployment"))
  return { kind, name }
}

/**
 * `explain` as the command runs it, with an empty environment (so the settings come from the Deployment), built as
 * the same version as the server under test (one image serves both).
 */
const explain = (namespace: string, target: Explain.Options["target"]) =>
  Explain.run({ operatorNamespace, namespace, target, version: "0.1.0" }).pipe(
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: {} })))
  )

layer(WebhookUnderTest, { excludeTestServices: true, timeout: "120 seconds" })(
  "webhook-server against the real apiserver",
  (it) => {
    it.effect("/label-ns labels a new namespace the DynaKube selects, and no other", () =>
      Effect.gen(function* () {
        const mapped = yield* mappedNamespace
        assert.isString(mapped)
        const other = yield* createNamespace({ "monitor-it": "someone-else" })
        assert.isUndefined(other.metadata?.labels?.[Keys.instanceLabel])
      })
    )

    it.effect("a pod in a mapped namespace comes back injected exactly as the spec says", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const namespace = yield* mappedNamespace
        const pod = yield* createPod(namespace, "shop")
        const annotations = pod.metadata.annotations ?? {}
        assert.strictEqual(annotations["dynakube.dynatrace.com/injected"], "true")
        assert.strictEqual(annotations["oneagent.dynatrace.com/injected"], "true")

        const init = pod.spec.initContainers?.at(-1)
        assert.strictEqual(init?.name, "dynatrace-operator")
        assert.strictEqual(init?.image, operatorImage)
        assert.deepStrictEqual(init?.args, [
          "bootstrap",
          "--config-directory=/mnt/config",
          "--input-directory=/mnt/input",
          "--suppress-error",
          "--enable-attributes-dt-kubernetes=true",
          "--attribute=k8s.cluster.name=it-cluster",
          "--attribute=k8s.cluster.uid=9f8e7d6c-0000-4000-8000-000000000001",
          `--attribute=k8s.namespace.name=${namespace}`,
          "--attribute=k8s.node.name=$(K8S_NODE_NAME)",
          "--attribute=k8s.pod.name=$(K8S_PODNAME)",
          "--attribute=k8s.pod.uid=$(K8S_PODUID)",
          '--attribute-container={"container_image.registry":"registry.example.com","container_image.repository":"shop/app","container_image.tags":"1.0","k8s.container.name":"app"}',
          '--attribute-container={"container_image.registry":"docker.io","container_image.repository":"envoyproxy/envoy","container_image.tags":"v1.30.1","k8s.container.name":"sidecar"}',
          "--source=/opt/dynatrace/oneagent",
          "--target=/mnt/bin",
          "--install-path=/opt/dynatrace/oneagent-paas",
          "--fullstack",
          "--tenant=abc12345"
        ])
        assert.deepInclude(init?.securityContext ?? {}, { runAsUser: 1001, runAsGroup: 1001, runAsNonRoot: true })

        const volumes = Object.fromEntries((pod.spec.volumes ?? []).map((v) => [v.name, v]))
        assert.deepStrictEqual(volumes["oneagent-bin"], {
          name: "oneagent-bin",
          csi: {
            driver: "csi.oneagent.dynatrace.com",
            readOnly: true,
            volumeAttributes: { mode: "app", dynakube: "dk", retryTimeout: "10m0s" }
          }
        })
        assert.deepStrictEqual(volumes["dynatrace-config"], { name: "dynatrace-config", emptyDir: {} })
        assert.isDefined(volumes["dynatrace-input"])

        for (const container of pod.spec.containers) {
          const mounts = (container.volumeMounts ?? []).map((m) => `${m.name}:${m.mountPath}:${m.subPath ?? ""}`)
          assert.includeMembers(mounts, [
            `dynatrace-config:/var/lib/dynatrace:${container.name}`,
            "dynatrace-config:/etc/ld.so.preload:oneagent/ld.so.preload",
            "oneagent-bin:/opt/dynatrace/oneagent-paas:"
          ])
          const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]))
          assert.strictEqual(env["LD_PRELOAD"], "/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so")
          assert.strictEqual(env["DT_STORAGE"], "/var/lib/dynatrace/oneagent")
          assert.match(env["DT_DEPLOYMENT_METADATA"] ?? "", /^orchestration_tech=Operator-cloud_native_fullstack;/)
        }

        // The bootstrapper input was copied into the pod's namespace.
        const copied = yield* kube.get<KubeObject & { data?: Record<string, string> }>(
          Resources.Secret,
          Keys.names.bootstrapperConfigSecret,
          { namespace }
        )
        assert.deepStrictEqual(copied.data, { "ruxitagentproc.json": Buffer.from("{}").toString("base64") })
      })
    )

    it.effect("an opted-out pod is stored untouched; OneAgent opted out records NoMutationNeeded", () =>
      Effect.gen(function* () {
        const namespace = yield* mappedNamespace
        const optedOut = yield* createPod(namespace, "batch", { "dynatrace.com/inject": "false" })
        assert.deepStrictEqual(optedOut.metadata.annotations, { "dynatrace.com/inject": "false" })
        assert.isUndefined(optedOut.spec.initContainers)

        const noAgent = yield* createPod(namespace, "cron", { "oneagent.dynatrace.com/inject": "false" })
        assert.deepStrictEqual(noAgent.metadata.annotations, {
          "oneagent.dynatrace.com/inject": "false",
          "dynakube.dynatrace.com/injected": "false",
          "dynakube.dynatrace.com/reason": "NoMutationNeeded"
        })
        assert.isUndefined(noAgent.spec.initContainers)
      })
    )

    it.effect("a pod in a namespace no DynaKube selects is never sent to the webhook", () =>
      Effect.gen(function* () {
        yield* mappedNamespace // the configuration is active
        const other = yield* createNamespace({})
        const pod = yield* createPod(other.metadata?.name ?? "", "plain")
        assert.isUndefined(pod.metadata.annotations)
        assert.isUndefined(pod.spec.initContainers)
      })
    )

    it.effect("the stored pod is what a second invocation leaves alone (idempotent under IfNeeded)", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const namespace = yield* mappedNamespace
        const pod = yield* createPod(namespace, "twice")
        // Re-reading through the apiserver: the pod was admitted once, with one init container and no duplicates.
        const stored = yield* kube.get<KubeObject & Pod>(Resources.Pod, "twice", { namespace })
        assert.strictEqual((stored.spec.initContainers ?? []).filter((c) => c.name === "dynatrace-operator").length, 1)
        for (const c of stored.spec.containers) {
          const paths = (c.volumeMounts ?? []).map((m) => m.mountPath)
          assert.strictEqual(new Set(paths).size, paths.length)
        }
        assert.deepStrictEqual(stored.spec.initContainers, pod.spec.initContainers)
      })
    )

    it.effect("explain previews a Deployment's pod exactly as the apiserver then stores it, and writes nothing", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        yield* installWebhookDeployment
        const namespace = yield* mappedNamespace
        yield* kube.create(Resources.Deployment, shopDeployment(namespace, 0) as KubeObject)
        const report = yield* explain(namespace, { _tag: "Reference", reference: deploymentRef("shop") })
        assert.strictEqual(report.settingsSource, `Deployment ${operatorNamespace}/dynatrace-webhook`)
        assert.strictEqual(report.preview._tag, "Preview")
        if (report.preview._tag !== "Preview") return
        const preview = report.preview.value
        assert.strictEqual(preview.reason, "Injected")
        assert.deepStrictEqual(
          preview.explanation.pod.map((step) => step.verdict),
          preview.explanation.pod.map(() => "passed")
        )
        assert.strictEqual(preview.explanation.features?.oneAgent.verdict, "On")
        // Read-only: the bootstrapper Secret the admission would copy is not in the namespace yet.
        const copied = yield* Effect.result(
          kube.get(Resources.Secret, Keys.names.bootstrapperConfigSecret, { namespace })
        )
        assert.isTrue(copied._tag === "Failure" && KubeApiError.isNotFound(copied.failure))

        // Now let the Deployment's controller create its pod through the apiserver (and so through the webhook).
        yield* kube.patch(
          Resources.Deployment,
          "shop",
          { type: "merge", patch: { spec: { replicas: 1 } } },
          { namespace }
        )
        const stored = yield* eventually(
          Effect.gen(function* () {
            const pods = yield* kube.list<KubeObject & Pod>(Resources.Pod, { namespace, labelSelector: "app=shop" })
            const pod = pods.items[0]
            return pod === undefined ? yield* Effect.fail("no pod yet") : pod
          })
        )
        const planned = preview.pod
        const injectedAnnotations = (pod: Pod) =>
          Object.entries(pod.metadata.annotations ?? {}).filter(([key]) => key.includes("dynatrace.com"))
        assert.deepStrictEqual(injectedAnnotations(stored), injectedAnnotations(planned))
        assert.deepStrictEqual(
          stored.spec.initContainers?.map((c) => [c.name, c.image, c.args]),
          planned.spec.initContainers?.map((c) => [c.name, c.image, c.args])
        )
        // The ServiceAccount admission plugin adds the token volume and its mounts before any webhook runs; the
        // template has neither, and injection does not depend on them.
        const ours = (name: string) => !name.startsWith("kube-api-access-")
        assert.deepStrictEqual(
          (stored.spec.volumes ?? []).map((v) => v.name).filter(ours),
          (planned.spec.volumes ?? []).map((v) => v.name)
        )
        for (const [i, container] of stored.spec.containers.entries()) {
          const plannedContainer = planned.spec.containers[i]
          assert.deepStrictEqual(container.env, plannedContainer?.env)
          assert.deepStrictEqual(
            container.volumeMounts?.filter((m) => ours(m.name)).map((m) => [m.name, m.mountPath, m.subPath]),
            plannedContainer?.volumeMounts?.map((m) => [m.name, m.mountPath, m.subPath])
          )
        }
      })
    )

    it.effect("explain of a manifest in a namespace no DynaKube maps: the rule that stops it, and no changes", () =>
      Effect.gen(function* () {
        yield* installWebhookDeployment
        const other = yield* createNamespace({})
        const namespace = other.metadata?.name ?? ""
        const report = yield* explain(namespace, { _tag: "Manifest", manifest: shopDeployment(namespace, 1) })
        assert.strictEqual(report.target, "Deployment/shop")
        if (report.preview._tag !== "Preview") return assert.fail("the pod should decode")
        const preview = report.preview.value
        assert.strictEqual(preview.reason, "NamespaceNotLabelled")
        assert.deepStrictEqual(preview.patch, [])
        assert.deepStrictEqual(
          preview.explanation.pod.slice(0, 3).map((step) => [step.rule, step.verdict]),
          [
            ["namespace-found", "passed"],
            ["namespace-labelled", "violated"],
            ["dynakube-found", "not-reached"]
          ]
        )
        assert.isUndefined(preview.explanation.features)
      })
    )
  }
)
