/**
 * The EdgeConnect controller on the shared real control plane (kwok node, so the Deployment becomes ready) and, in
 * provisioner mode, against the tenant simulator over HTTPS with its CA from `caCertsRef`:
 * - regular mode: config Secret and Deployment with the spec's fields, status Running with version and cluster id;
 *   a spec edit and a credential rotation converge; a steady reconcile writes nothing;
 * - provisioner mode: the tenant EdgeConnect is created (OAuth client stored in `<ec>-client`, finalizer set, host
 *   mapping and connection setting for Kubernetes automation, the token shared with the config), its host patterns
 *   follow the spec, and deleting the CR deletes it (and the setting) from the tenant.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { parse } from "yaml"
import { createFakeNode } from "../../../../e2e/controlplane/ControlPlane.ts"
import { makeTestCertificates } from "../../../../e2e/tenant-simulator/TestCertificates.ts"
import { startTenantSimulator } from "../../../../e2e/tenant-simulator/TenantSimulator.ts"
import { edgeConnectCrd } from "../../../schemas/Crds.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../services/kube/Resource.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as TestKit from "../testkit/OperatorTestKit.ts"
import * as EdgeConnectClient from "./EdgeConnectClient.ts"
import * as EdgeConnectController from "./EdgeConnectController.ts"
import * as Objects from "./EdgeConnectDeployment.ts"

interface Secret extends KubeObject {
  readonly data?: Readonly<Record<string, string>>
}
interface Deployment extends KubeObject {
  readonly spec: {
    readonly replicas: number
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string>; readonly annotations: Record<string, string> }
      readonly spec: {
        readonly containers: ReadonlyArray<{ readonly image: string }>
        readonly volumes: ReadonlyArray<{ readonly name: string; readonly configMap?: { readonly name: string } }>
      }
    }
  }
}
interface EdgeConnectJson extends KubeObject {
  readonly status?: {
    readonly phase?: string
    readonly kubeSystemUID?: string
    readonly version?: { readonly imageID?: string; readonly source?: string; readonly version?: string }
    readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly reason: string }>
  }
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")
const text = (secret: Secret, key: string) => Buffer.from(secret.data?.[key] ?? "", "base64").toString("utf8")

const installCrd = Effect.gen(function* () {
  const kube = yield* KubeClient
  yield* kube.apply(Resources.CustomResourceDefinition, edgeConnectCrd({ conversion: "None" }) as KubeObject, {
    force: true,
    fieldManager: "edgeconnect-tests"
  })
  yield* TestKit.waitUntil(
    "EdgeConnects can be listed",
    kube.list(Resources.EdgeConnect, { namespace: "default", limit: 1 }).pipe(
      Effect.as(true),
      Effect.orElseSucceed(() => false)
    )
  )
})

/** A namespace with the EdgeConnect service account, a kwok node, and the controller running. */
const environment = (prefix: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    yield* installCrd
    const namespace = TestKit.uniqueName(prefix)
    yield* TestKit.createNamespace(namespace)
    yield* Effect.addFinalizer(() => TestKit.deleteNamespace(namespace))
    yield* kube.create(Resources.ServiceAccount, { metadata: { name: "dynatrace-edgeconnect", namespace } })
    const node = TestKit.uniqueName("ec-node")
    const kubeconfigPath = process.env["KUBECONFIG"] ?? ""
    yield* Effect.acquireRelease(
      Effect.promise(() => createFakeNode({ kubeconfigPath }, node)),
      () => kube.delete(Resources.Node, node).pipe(Effect.ignore)
    )
    const controller = yield* EdgeConnectController.makeEdgeConnectController({ namespace, operatorVersion: "test" })
    const kubeSystem = yield* kube.get<KubeObject>(Resources.Namespace, "kube-system")
    return { namespace, controller, kubeSystemUID: kubeSystem.metadata?.uid ?? "" }
  })

const secret = (namespace: string, name: string, data: Record<string, string>) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    yield* kube.apply(
      Resources.Secret,
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace },
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]))
      } as Secret,
      { force: true, fieldManager: "edgeconnect-tests" }
    )
  })

const applyEdgeConnect = (namespace: string, name: string, spec: Record<string, unknown>) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    return yield* kube.apply<EdgeConnectJson>(
      Resources.EdgeConnect,
      { apiVersion: "dynatrace.com/v1alpha2", kind: "EdgeConnect", metadata: { name, namespace }, spec } as KubeObject,
      { force: true, fieldManager: "edgeconnect-tests" }
    )
  })

const get = <T extends KubeObject>(resource: Resource, namespace: string, name: string) =>
  Effect.gen(function* () {
    return yield* (yield* KubeClient).get<T>(resource, name, { namespace })
  })

const regularSpec = (overrides: Record<string, unknown> = {}) => ({
  apiServer: "abc12345.apps.dynatrace.com",
  oauth: {
    clientSecret: "ec-oauth",
    endpoint: "https://sso.dynatrace.com/sso/oauth2/token",
    resource: "urn:dtenvironment:abc12345"
  },
  hostRestrictions: ["*.internal.example"],
  labels: { team: "edge" },
  ...overrides
})

layer(KubeClient.layer, { excludeTestServices: true })("EdgeConnect controller on the real apiserver", (it) => {
  it.effect(
    "regular mode: config Secret and Deployment from the spec, Running, spec edits and credential rotation converge, no writes when steady",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const { namespace, controller, kubeSystemUID } = yield* environment("ec-regular")
          yield* secret(namespace, "ec-oauth", { "oauth-client-id": "client-1", "oauth-client-secret": "secret-1" })
          const ec = yield* applyEdgeConnect(namespace, "edge", regularSpec())

          const config = yield* TestKit.waitFor(
            "the config Secret exists",
            get<Secret>(Resources.Secret, namespace, "edge-ec-yaml"),
            () => true
          )
          assert.deepStrictEqual(parse(text(config, "edgeConnect.yaml")), {
            name: "edge",
            api_endpoint_host: "abc12345.apps.dynatrace.com",
            oauth: {
              endpoint: "https://sso.dynatrace.com/sso/oauth2/token",
              client_id: "client-1",
              client_secret: "secret-1",
              resource: "urn:dtenvironment:abc12345"
            },
            restrict_hosts_to: ["*.internal.example"],
            root_certificate_paths: ["/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"]
          })
          assert.strictEqual(config.metadata?.ownerReferences?.[0]?.uid, ec.metadata?.uid)

          const deployment = yield* TestKit.waitFor(
            "the Deployment exists",
            get<Deployment>(Resources.Deployment, namespace, "edge"),
            () => true
          )
          assert.strictEqual(deployment.spec.replicas, 1)
          assert.strictEqual(
            deployment.spec.template.spec.containers[0]?.image,
            "docker.io/dynatrace/edgeconnect:latest"
          )
          assert.strictEqual(deployment.spec.template.metadata.labels["team"], "edge")
          assert.strictEqual(
            deployment.spec.template.metadata.annotations[Objects.secretHashAnnotation],
            Objects.secretHash(config.data ?? {})
          )
          assert.strictEqual(deployment.metadata?.ownerReferences?.[0]?.kind, "EdgeConnect")

          const running = yield* TestKit.waitFor(
            "the EdgeConnect is Running",
            get<EdgeConnectJson>(Resources.EdgeConnect, namespace, "edge"),
            (e) => e.status?.phase === "Running",
            "90 seconds"
          )
          assert.strictEqual(running.status?.kubeSystemUID, kubeSystemUID)
          assert.deepStrictEqual(running.status?.version, {
            source: "public-registry",
            imageID: "docker.io/dynatrace/edgeconnect:latest",
            version: "latest"
          })
          assert.deepStrictEqual(
            running.status?.conditions?.map((c) => [c.type, c.status]),
            [
              ["SecretConfigConditionType", "True"],
              ["Deployment", "True"]
            ]
          )

          // Steady: another reconcile writes nothing.
          yield* Effect.sleep("1 second")
          yield* kube.resetRequestStats
          yield* controller.enqueue(`${namespace}/edge`)
          yield* Effect.sleep("2 seconds")
          assert.strictEqual((yield* kube.requestStats).writes, 0, JSON.stringify((yield* kube.requestStats).byRequest))

          // A spec edit and a rotated client secret converge.
          yield* applyEdgeConnect(namespace, "edge", regularSpec({ replicas: 2, hostRestrictions: ["a.example"] }))
          yield* TestKit.waitUntil(
            "the Deployment has 2 replicas",
            Effect.map(get<Deployment>(Resources.Deployment, namespace, "edge"), (d) => d.spec.replicas === 2)
          )
          yield* secret(namespace, "ec-oauth", { "oauth-client-id": "client-1", "oauth-client-secret": "secret-2" })
          const rotated = yield* TestKit.waitFor(
            "the config carries the new secret and host restrictions",
            get<Secret>(Resources.Secret, namespace, "edge-ec-yaml"),
            (s) => {
              const doc = parse(text(s, "edgeConnect.yaml"))
              return doc.oauth.client_secret === "secret-2" && doc.restrict_hosts_to?.[0] === "a.example"
            }
          )
          yield* TestKit.waitUntil(
            "the pods roll with the new config",
            Effect.map(
              get<Deployment>(Resources.Deployment, namespace, "edge"),
              (d) =>
                d.spec.template.metadata.annotations[Objects.secretHashAnnotation] ===
                Objects.secretHash(rotated.data ?? {})
            )
          )

          // A missing client secret is an Error phase with the reason, not a crash.
          yield* applyEdgeConnect(
            namespace,
            "broken",
            regularSpec({ oauth: { ...regularSpec().oauth, clientSecret: "missing" } })
          )
          const broken = yield* TestKit.waitFor(
            "the broken EdgeConnect reports Error",
            get<EdgeConnectJson>(Resources.EdgeConnect, namespace, "broken"),
            (e) => e.status?.phase === "Error"
          )
          const condition = broken.status?.conditions?.find((c) => c.type === "SecretConfigConditionType")
          assert.strictEqual(condition?.status, "False")
        })
      ),
    180_000
  )

  it.effect(
    "provisioner mode: creates the tenant EdgeConnect with its OAuth client and connection setting, follows host patterns, deletes it with the CR",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const certs = yield* Effect.promise(() => makeTestCertificates())
          const tenant = yield* Effect.acquireRelease(
            Effect.promise(() => startTenantSimulator({ tls: { cert: certs.certPem, key: certs.keyPem } })),
            (t) => Effect.promise(() => t.close())
          )
          const { namespace, kubeSystemUID } = yield* environment("ec-prov")
          const provisionerClient = tenant.platform.addClient(EdgeConnectClient.provisionerScopes(true))
          yield* secret(namespace, "prov-oauth", {
            "oauth-client-id": provisionerClient.id,
            "oauth-client-secret": provisionerClient.secret
          })
          yield* kube.create(Resources.ConfigMap, {
            metadata: { name: "tenant-ca", namespace },
            data: { certs: certs.caPem }
          } as KubeObject)
          const spec = (hostPatterns: ReadonlyArray<string>) => ({
            apiServer: new URL(tenant.origin).host,
            oauth: {
              clientSecret: "prov-oauth",
              endpoint: `${tenant.origin}/sso/oauth2/token`,
              resource: tenant.platform.resource,
              provisioner: true
            },
            caCertsRef: "tenant-ca",
            hostPatterns,
            kubernetesAutomation: { enabled: true }
          })
          yield* applyEdgeConnect(namespace, "prov", spec(["*.internal.example"]))

          const clientSecret = yield* TestKit.waitFor(
            "the client Secret exists",
            get<Secret>(Resources.Secret, namespace, "prov-client"),
            () => true
          )
          const inTenant = [...tenant.platform.edgeConnects.values()]
          assert.strictEqual(inTenant.length, 1)
          const created = inTenant[0]!
          assert.strictEqual(created.name, "prov")
          assert.isTrue(created.managedByDynatraceOperator)
          assert.deepStrictEqual(created.hostPatterns, ["*.internal.example"])
          assert.deepStrictEqual(created.hostMappings, [
            {
              from: `prov.${namespace}.${kubeSystemUID}.kubernetes-automation`,
              to: "kubernetes.default.svc.cluster.local"
            }
          ])
          assert.strictEqual(text(clientSecret, "id"), created.id)
          assert.strictEqual(text(clientSecret, "oauth-client-id"), created.oauthClientId)
          assert.strictEqual(
            text(clientSecret, "oauth-client-secret"),
            tenant.platform.clients.get(created.oauthClientId)?.secret
          )

          const cr = yield* get<EdgeConnectJson>(Resources.EdgeConnect, namespace, "prov")
          assert.deepStrictEqual(cr.metadata?.finalizers, ["server"])

          // The EdgeConnect runs with the client the tenant made, trusts the custom CA, and shares its token.
          const setting = yield* TestKit.waitFor(
            "the connection setting exists",
            Effect.sync(() => [...tenant.platform.settings.values()]),
            (all) => all.length === 1
          )
          const config = parse(
            text(yield* get<Secret>(Resources.Secret, namespace, "prov-ec-yaml"), "edgeConnect.yaml")
          )
          assert.strictEqual(config.oauth.client_id, created.oauthClientId)
          assert.strictEqual(config.oauth.resource, tenant.platform.resource)
          assert.deepStrictEqual(config.root_certificate_paths, [
            "/etc/edge_connect_certs/certificate.pem",
            "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
          ])
          assert.match(config.secrets[0].token, /^dt0e01\.[A-Z2-7]{24}\.[A-Z2-7]{64}$/)
          assert.deepStrictEqual(setting[0]!.value, {
            name: "prov",
            uid: kubeSystemUID,
            namespace,
            token: config.secrets[0].token
          })
          const deployment = yield* get<Deployment>(Resources.Deployment, namespace, "prov")
          assert.deepStrictEqual(
            deployment.spec.template.spec.volumes.map((v) => v.configMap?.name ?? v.name),
            ["prov-ec-vm", "tenant-ca"]
          )

          // Host patterns follow the spec (one update, same EdgeConnect).
          yield* applyEdgeConnect(namespace, "prov", spec(["a.example", "b.example"]))
          yield* TestKit.waitUntil(
            "the tenant has the new host patterns",
            Effect.sync(
              () => tenant.platform.edgeConnects.get(created.id)?.hostPatterns.join(",") === "a.example,b.example"
            )
          )
          assert.strictEqual(tenant.platform.hitsOf("createEdgeConnect"), 1)

          // Deleting the CR removes it from the tenant, then the CR goes.
          yield* kube.delete(Resources.EdgeConnect, "prov", { namespace })
          yield* TestKit.waitUntil(
            "the tenant EdgeConnect and setting are gone",
            Effect.sync(() => tenant.platform.edgeConnects.size === 0 && tenant.platform.settings.size === 0)
          )
          yield* TestKit.waitUntil(
            "the EdgeConnect is gone",
            kube.get(Resources.EdgeConnect, "prov", { namespace }).pipe(
              Effect.as(false),
              Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(true))
            )
          )
        })
      ),
    180_000
  )
})
