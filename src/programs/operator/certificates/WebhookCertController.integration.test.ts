/**
 * The webhook certificates controller on the shared real control plane: the Secret appears (owned by the webhook
 * Deployment) once the Deployment exists, the bundle lands in every webhook entry of both `dynatrace-webhook`
 * configurations and in both CRDs' conversion stanza, a reset caBundle is repaired, an up-to-date state causes no
 * write, and a CA close to expiry is replaced while the old CA stays in the bundle. `certgen` runs the same reconcile.
 *
 * The webhook configurations point at an unused URL, match nothing (namespace selector on a label no namespace has)
 * and ignore failures, so other tests are not affected while they exist. The CRDs are switched to a conversion
 * webhook for this file only and back to `None` at the end.
 */
import { assert, layer } from "@effect/vitest"
import { Clock, Duration, Effect, Layer } from "effect"
import { parseAllDocuments } from "yaml"
import { allCrdsYaml } from "../../../schemas/Crds.ts"
import { Certs, CertSecret } from "../../../services/Certs.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Certgen from "../../cli/CertgenCommand.ts"
import * as TestKit from "../testkit/OperatorTestKit.ts"
import * as CaBundleTargets from "./CaBundleTargets.ts"
import * as WebhookCertController from "./WebhookCertController.ts"

interface Secret extends KubeObject {
  readonly data?: Readonly<Record<string, string>>
}

const name = CaBundleTargets.webhookConfigurationName
const fieldManager = "certificates-integration-test"
const neverMatch = { matchLabels: { "certificates-test.dynatrace.com/never": "matches" } }

const webhookEntry = (webhookName: string, path: string) => ({
  name: webhookName,
  clientConfig: { url: `https://127.0.0.1:1${path}` },
  rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
  namespaceSelector: neverMatch,
  failurePolicy: "Ignore",
  sideEffects: "None",
  admissionReviewVersions: ["v1"],
  timeoutSeconds: 1
})

const installWebhookConfigurations = Effect.gen(function* () {
  const kube = yield* KubeClient
  for (const resource of [Resources.MutatingWebhookConfiguration, Resources.ValidatingWebhookConfiguration]) {
    yield* kube.delete(resource, name).pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void))
  }
  yield* kube.create(Resources.MutatingWebhookConfiguration, {
    metadata: { name },
    webhooks: [
      webhookEntry("webhook.pod.dynatrace.com", "/inject"),
      webhookEntry("webhook.ns.dynatrace.com", "/label-ns")
    ]
  } as KubeObject)
  yield* kube.create(Resources.ValidatingWebhookConfiguration, {
    metadata: { name },
    webhooks: [webhookEntry("webhook.dk.dynatrace.com", "/validate")]
  } as KubeObject)
})

/** Both CRDs with a conversion webhook into `namespace`, until the scope closes (then back to strategy None). */
const crdsWithConversionWebhook = (namespace: string) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const kube = yield* KubeClient
      for (const document of parseAllDocuments(allCrdsYaml({ namespace }))) {
        yield* kube.apply(Resources.CustomResourceDefinition, document.toJS() as KubeObject, {
          force: true,
          fieldManager
        })
      }
    }),
    () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        for (const crd of CaBundleTargets.conversionCrdNames) {
          yield* kube
            .patch(Resources.CustomResourceDefinition, crd, {
              type: "merge",
              patch: { spec: { conversion: { strategy: "None", webhook: null } } }
            })
            .pipe(Effect.ignore)
        }
      })
  )

const webhookDeployment = (namespace: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "webhook", image: "registry.invalid/webhook:test" }] }
    }
  }
})

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")
const pemBlocks = (base64: string | undefined) =>
  Buffer.from(base64 ?? "", "base64")
    .toString("utf8")
    .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []

/** Every caBundle the apiserver uses for our webhooks, in a fixed order. */
const caBundles = Effect.gen(function* () {
  const kube = yield* KubeClient
  const mutating = yield* kube.get<CaBundleTargets.WebhookConfiguration>(Resources.MutatingWebhookConfiguration, name)
  const validating = yield* kube.get<CaBundleTargets.WebhookConfiguration>(
    Resources.ValidatingWebhookConfiguration,
    name
  )
  const crds = yield* Effect.forEach(CaBundleTargets.conversionCrdNames, (crd) =>
    kube.get<CaBundleTargets.CustomResourceDefinition>(Resources.CustomResourceDefinition, crd)
  )
  return [
    ...(mutating.webhooks ?? []).map((w) => w.clientConfig?.caBundle),
    ...(validating.webhooks ?? []).map((w) => w.clientConfig?.caBundle),
    ...crds.map((crd) => crd.spec?.conversion?.webhook?.clientConfig?.caBundle)
  ]
})

const readSecret = (namespace: string) =>
  Effect.gen(function* () {
    return yield* (yield* KubeClient).get<Secret>(Resources.Secret, CertSecret.secretName, { namespace })
  })

/** A clock `offset` milliseconds away from the real one. */
const shiftedClock = (offset: number): Clock.Clock => ({
  currentTimeMillisUnsafe: () => Date.now() + offset,
  currentTimeMillis: Effect.sync(() => Date.now() + offset),
  currentTimeNanosUnsafe: () => BigInt(Date.now() + offset) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => BigInt(Date.now() + offset) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => process.hrtime.bigint(),
  monotonicTimeNanos: Effect.sync(() => process.hrtime.bigint()),
  // Not Effect.sleep: that would ask this very clock again.
  sleep: (duration) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, Duration.toMillis(duration))))
})

const TestLayer = Layer.mergeAll(KubeClient.layer, Certs.layer)

layer(TestLayer, { excludeTestServices: true })("webhook certificates controller on the real apiserver", (it) => {
  it.effect(
    "creates the Secret for the webhook Deployment, writes every caBundle, repairs a reset one, renews an expiring CA keeping the old one trusted",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const certs = yield* Certs
          const namespace = TestKit.uniqueName("certs")
          yield* TestKit.createNamespace(namespace)
          yield* Effect.addFinalizer(() => TestKit.deleteNamespace(namespace))
          yield* crdsWithConversionWebhook(namespace)
          yield* installWebhookConfigurations
          yield* Effect.addFinalizer(() =>
            Effect.all([
              kube.delete(Resources.MutatingWebhookConfiguration, name).pipe(Effect.ignore),
              kube.delete(Resources.ValidatingWebhookConfiguration, name).pipe(Effect.ignore)
            ])
          )
          const config = { namespace, extraIpAddresses: ["127.0.0.1"] }

          // Without the webhook Deployment there is nothing to own the Secret: nothing is written.
          assert.deepStrictEqual(yield* WebhookCertController.reconcileOnce(config), {
            _tag: "WebhookDeploymentMissing"
          })
          const controller = yield* WebhookCertController.makeCertificatesController(config)
          const deployment = yield* kube.create<KubeObject>(Resources.Deployment, webhookDeployment(namespace))

          const secret = yield* TestKit.waitFor("the certificates Secret exists", readSecret(namespace), () => true)
          assert.deepStrictEqual(Object.keys(secret.data ?? {}).toSorted(), ["ca.crt", "ca.key", "tls.crt", "tls.key"])
          assert.deepStrictEqual(
            secret.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
            [["Deployment", name, deployment.metadata?.uid]]
          )
          const bundles = yield* TestKit.waitFor("every caBundle holds the CA", caBundles, (all) =>
            all.every((b) => b === secret.data?.["ca.crt"])
          )
          assert.strictEqual(bundles.length, 5, "3 webhook entries and 2 CRDs")

          // Up to date: a reconcile reads and writes nothing.
          yield* kube.resetRequestStats
          assert.deepStrictEqual(yield* WebhookCertController.reconcileOnce(config), { _tag: "UpToDate" })
          assert.strictEqual((yield* kube.requestStats).writes, 0)

          // A caBundle reset by someone else (a Helm upgrade) is repaired from the watch, the Secret untouched.
          yield* kube.patch(Resources.MutatingWebhookConfiguration, name, {
            type: "json",
            patch: [{ op: "add", path: "/webhooks/1/clientConfig/caBundle", value: b64("not a CA") }]
          })
          yield* TestKit.waitUntil(
            "the reset caBundle is repaired",
            Effect.map(caBundles, (all) => all.every((b) => b === secret.data?.["ca.crt"]))
          )
          assert.strictEqual(
            (yield* readSecret(namespace)).metadata?.resourceVersion,
            secret.metadata?.resourceVersion,
            "the Secret was not rewritten"
          )

          // A CA 6 h before its end (inside the 12 h threshold): regenerated, the old CA kept in the bundle.
          const day = Duration.toMillis(Duration.days(1))
          const expiring = yield* certs
            .generate({ namespace, extraIpAddresses: ["127.0.0.1"] })
            .pipe(Effect.provideService(Clock.Clock, shiftedClock(-(365 * day - 6 * 3_600_000))))
          const expiringData = CertSecret.toSecretData(expiring, undefined)
          yield* kube.update<Secret>(Resources.Secret, {
            ...(yield* readSecret(namespace)),
            data: expiringData
          })
          yield* controller.enqueue(`${namespace}/${name}`)
          const renewed = yield* TestKit.waitFor(
            "the expiring CA is replaced",
            readSecret(namespace),
            (s) => s.data?.["ca.crt.old"] === expiringData["ca.crt"]
          )
          assert.notStrictEqual(renewed.data?.["ca.crt"], expiringData["ca.crt"])
          const rotated = yield* TestKit.waitFor("every caBundle holds both CAs", caBundles, (all) =>
            all.every((b) => pemBlocks(b).length === 2)
          )
          for (const bundle of rotated) {
            assert.deepStrictEqual(pemBlocks(bundle), [
              ...pemBlocks(renewed.data?.["ca.crt"]),
              ...pemBlocks(expiringData["ca.crt"])
            ])
          }

          // certgen: the same reconcile, the CRD check passes, nothing left to do.
          const outcome = yield* Certgen.run({
            namespace,
            crdCheck: true,
            edgeConnect: true,
            timeout: Duration.seconds(30),
            pollInterval: "200 millis",
            extraIpAddresses: ["127.0.0.1"]
          })
          assert.deepStrictEqual(outcome, { _tag: "UpToDate" })
        })
      ),
    180_000
  )

  it.effect("certgen gives up after its timeout with the reason when the webhook Deployment never appears", () =>
    Effect.gen(function* () {
      const namespace = TestKit.uniqueName("certgen")
      const error = yield* Certgen.run({
        namespace,
        crdCheck: false,
        edgeConnect: false,
        timeout: Duration.seconds(1),
        pollInterval: "200 millis"
      }).pipe(Effect.flip)
      assert.match(error.message, /not ready after 1s: the Deployment .*\/dynatrace-webhook does not exist yet/)
    })
  )
})
