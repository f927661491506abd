import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import * as Objects from "./EdgeConnectDeployment.ts"
import { imageOf, versionLabel } from "./EdgeConnectImage.ts"
import * as K8sAutomation from "./K8sAutomation.ts"

const owner = { name: "ec", namespace: "dynatrace", uid: "uid-1" }
const spec = {
  apiServer: "abc12345.apps.dynatrace.com",
  oauth: { clientSecret: "ec-oauth", endpoint: "https://sso.example/token", resource: "urn:x" }
}

interface Deployment {
  metadata: { labels: Record<string, string>; annotations: Record<string, string>; ownerReferences: Array<unknown> }
  spec: {
    replicas: number
    selector: { matchLabels: Record<string, string> }
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> }
      spec: Record<string, any>
    }
  }
}

const build = (overrides: Record<string, unknown> = {}) =>
  Objects.desiredDeployment({
    owner,
    spec: { ...spec, ...overrides } as never,
    imageID: "docker.io/dynatrace/edgeconnect:latest",
    version: "latest",
    secretHash: "1234"
  }) as unknown as Deployment

const dep = (generation: number, observed: number, ready: number, updated: number) => ({
  metadata: { generation },
  spec: { replicas: 2 },
  status: { observedGeneration: observed, readyReplicas: ready, updatedReplicas: updated }
})

describe("EdgeConnectDeployment", () => {
  it("the default Deployment: one replica, the config mounted, the secret hash on the pods, owned by the EdgeConnect", () => {
    const deployment = build()
    assert.strictEqual(deployment.spec.replicas, 1)
    assert.deepStrictEqual(deployment.spec.selector.matchLabels, {
      "app.kubernetes.io/name": "edgeconnect",
      "app.kubernetes.io/created-by": "ec",
      "app.kubernetes.io/managed-by": "dynatrace-operator",
      "app.kubernetes.io/component": "user-provisioned"
    })
    assert.strictEqual(deployment.spec.template.metadata.annotations[Objects.secretHashAnnotation], "1234")
    const pod = deployment.spec.template.spec
    assert.strictEqual(pod["serviceAccountName"], "dynatrace-edgeconnect")
    assert.deepStrictEqual(pod["containers"][0].volumeMounts, [
      { name: "ec-ec-vm", mountPath: "/edgeConnect.yaml", subPath: "edgeConnect.yaml" }
    ])
    assert.deepStrictEqual(pod["volumes"][0].secret, {
      secretName: "ec-ec-yaml",
      items: [{ key: "edgeConnect.yaml", path: "edgeConnect.yaml" }]
    })
    assert.deepStrictEqual(pod["containers"][0].resources, {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "100m", memory: "128Mi" }
    })
    assert.deepStrictEqual(deployment.metadata.ownerReferences, [
      {
        apiVersion: "dynatrace.com/v1alpha2",
        kind: "EdgeConnect",
        name: "ec",
        uid: "uid-1",
        controller: true,
        blockOwnerDeletion: true
      }
    ])
  })

  it("spec fields reach the pods; the operator's labels win over the user's", () => {
    const deployment = build({
      replicas: 3,
      caCertsRef: "my-cas",
      customPullSecret: "pull",
      serviceAccountName: "sa",
      labels: { team: "a", "app.kubernetes.io/name": "mine" },
      annotations: { note: "x" },
      env: [{ name: "A", value: "1" }],
      nodeSelector: { zone: "a" },
      tolerations: [{ key: "k", operator: "Exists" }],
      resources: { limits: { cpu: "1" } }
    })
    const template = deployment.spec.template
    assert.strictEqual(deployment.spec.replicas, 3)
    assert.strictEqual(template.metadata.labels["team"], "a")
    assert.strictEqual(template.metadata.labels["app.kubernetes.io/name"], "edgeconnect")
    assert.deepStrictEqual(template.metadata.annotations, { note: "x", [Objects.secretHashAnnotation]: "1234" })
    const pod = template.spec
    assert.deepStrictEqual(pod["imagePullSecrets"], [{ name: "pull" }])
    assert.strictEqual(pod["serviceAccountName"], "sa")
    assert.deepStrictEqual(pod["containers"][0].env, [{ name: "A", value: "1" }])
    assert.deepStrictEqual(pod["containers"][0].resources, {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "1" }
    })
    assert.deepStrictEqual(pod["containers"][0].volumeMounts[1], {
      name: "ca-certs",
      mountPath: "/etc/edge_connect_certs"
    })
    assert.deepStrictEqual(pod["volumes"][1].configMap, {
      name: "my-cas",
      items: [{ key: "certs", path: "certificate.pem" }]
    })
    assert.deepStrictEqual(pod["nodeSelector"], { zone: "a" })
  })

  it("the phase: Running only when the newest spec is rolled out and ready", () => {
    assert.strictEqual(Objects.deploymentPhase(undefined), "Deploying")
    assert.strictEqual(Objects.deploymentPhase({ metadata: { generation: 1 }, spec: { replicas: 1 } }), "Deploying")
    assert.strictEqual(Objects.deploymentPhase(dep(2, 1, 2, 2)), "Deploying")
    assert.strictEqual(Objects.deploymentPhase(dep(2, 2, 1, 2)), "Deploying")
    assert.strictEqual(Objects.deploymentPhase(dep(2, 2, 2, 1)), "Deploying")
    assert.strictEqual(Objects.deploymentPhase(dep(2, 2, 2, 2)), "Running")
  })

  it("the secret hash follows the config", () => {
    const a = Objects.secretHash(Objects.configSecretData("name: a\n"))
    assert.strictEqual(a, Objects.secretHash(Objects.configSecretData("name: a\n")))
    assert.notStrictEqual(a, Objects.secretHash(Objects.configSecretData("name: b\n")))
  })
})

describe("EdgeConnectImage", () => {
  it("default, custom repository, tag and digest", () => {
    assert.deepStrictEqual(imageOf({}), {
      source: "public-registry",
      imageID: "docker.io/dynatrace/edgeconnect:latest",
      version: "latest"
    })
    assert.deepStrictEqual(imageOf({ imageRef: { repository: "registry.example/ec", tag: "1.2.3" } }), {
      source: "custom-image",
      imageID: "registry.example/ec:1.2.3",
      version: "1.2.3"
    })
    assert.deepStrictEqual(imageOf({ imageRef: { tag: "1.2.3", digest: "sha256:abcd" } }), {
      source: "public-registry",
      imageID: "docker.io/dynatrace/edgeconnect@sha256:abcd",
      version: ""
    })
    assert.strictEqual(versionLabel("-v1+build_7-"), "v1-build_7")
    assert.strictEqual(versionLabel("x".repeat(80)).length, 63)
  })
})

describe("K8sAutomation", () => {
  it("tokens look like dt0e01.<24>.<64> in base32, differ, and stay redacted in logs", () => {
    const [a, b] = [K8sAutomation.newToken(), K8sAutomation.newToken()]
    assert.match(Redacted.value(a), /^dt0e01\.[A-Z2-7]{24}\.[A-Z2-7]{64}$/)
    assert.notStrictEqual(Redacted.value(a), Redacted.value(b))
    assert.notInclude(JSON.stringify({ token: a }), Redacted.value(a))
  })

  it("the host mapping of the cluster", () => {
    assert.deepStrictEqual(K8sAutomation.hostMappings("ec", "dynatrace", "uid"), [
      { from: "ec.dynatrace.uid.kubernetes-automation", to: "kubernetes.default.svc.cluster.local" }
    ])
  })
})
