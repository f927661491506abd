import { assert, describe, it } from "@effect/vitest"
import { fileURLToPath } from "node:url"
import {
  dynakube,
  expectGolden,
  type Modifier,
  operator,
  withActiveGate,
  withFlag,
  withSpec,
  withStatus
} from "../oneagent/WorkloadFixtures.ts"
import {
  activeGateEndpoint,
  buildKspmDaemonSet,
  collectorImage,
  recreateKspmDaemonSet,
  uniqueMappedHostPaths
} from "./KspmDaemonSet.ts"

// Regenerate after a deliberate change: UPDATE_GOLDEN=1 npm exec -- vitest run <this file>, then `npm run format`.
const golden = fileURLToPath(new URL("./testdata/kspm-daemonset.golden.json", import.meta.url))

const kspm = (mappedHostPaths?: Array<string>): Modifier =>
  withSpec((s) => {
    s.kspm = mappedHostPaths === undefined ? {} : { mappedHostPaths }
  })
const withTemplate = (
  change: (
    t: NonNullable<NonNullable<ReturnType<typeof dynakube>["spec"]["templates"]>["kspmNodeConfigurationCollector"]>
  ) => void
): Modifier =>
  withSpec((s) => {
    const t: Record<string, unknown> = {}
    change(t as never)
    s.templates = { ...s.templates, kspmNodeConfigurationCollector: t as never }
  })

const build = (...modifiers: Array<Modifier>) =>
  buildKspmDaemonSet({
    dynakube: dynakube(withActiveGate(["kubernetes-monitoring"]), kspm(["/etc", "/var/lib/kubelet"]), ...modifiers),
    operator,
    tenantUUID: "abc12345"
  })

const container = (ds: ReturnType<typeof build>) => ds.spec.template.spec.containers[0]
const env = (ds: ReturnType<typeof build>, name: string) => container(ds)?.env?.find((e) => e.name === name)

describe("KSPM DaemonSet", () => {
  it("a collector with most template fields matches testdata/kspm-daemonset.golden.json", () => {
    const dk = dynakube(
      withActiveGate(["routing", "kubernetes-monitoring"]),
      kspm(["/var/lib/kubelet", "/etc", "/etc", "/opt/cni/bin"]),
      withStatus((s) => (s.kspm = { tokenSecretHash: "2166136261" })),
      withSpec((s) => {
        s.customPullSecret = "corp-registry"
      }),
      withTemplate((t) => {
        Object.assign(t, {
          imageRef: { repository: "registry.corp/dynatrace/ncc", tag: "1.2.3", pullPolicy: "IfNotPresent" },
          labels: { team: "security" },
          annotations: {
            "example.com/owner": "security",
            "container.apparmor.security.beta.kubernetes.io/node-config-collector": "runtime/default"
          },
          nodeSelector: { "kubernetes.io/os": "linux" },
          priorityClassName: "dynatrace-high-priority",
          resources: { requests: { cpu: "50m", memory: "64Mi" } },
          tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
          env: [{ name: "DT_LOG_LEVEL", value: "debug" }],
          args: ["--ignored"]
        })
      })
    )
    expectGolden(
      golden,
      buildKspmDaemonSet({
        dynakube: dk,
        operator: { ...operator, operatorPullSecret: "helm-pull" },
        tenantUUID: "abc12345"
      })
    )
  })

  it("defaults: public image :latest, 100m/128Mi, amd64 affinity, rolling update as the original sends it", () => {
    const ds = build()
    assert.strictEqual(ds.metadata.name, "dk-node-config-collector")
    assert.strictEqual(container(ds)?.image, "public.ecr.aws/dynatrace/dynatrace-k8s-node-config-collector:latest")
    assert.isUndefined(container(ds)?.imagePullPolicy)
    assert.deepStrictEqual(container(ds)?.resources, {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "100m", memory: "128Mi" }
    })
    const affinity = JSON.stringify(ds.spec.template.spec.affinity)
    assert.include(affinity, '"values":["amd64"]')
    assert.deepStrictEqual(ds.spec.updateStrategy, {
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
    })
    assert.isUndefined(ds.spec.template.spec.imagePullSecrets)
    assert.strictEqual(ds.spec.template.spec.serviceAccountName, "dynatrace-node-config-collector")
    assert.isFalse(ds.spec.template.spec.automountServiceAccountToken)
    assert.isTrue(ds.spec.template.spec.hostPID)
    assert.deepStrictEqual(ds.spec.template.spec.securityContext, { fsGroup: 65532 })
    // The pod annotation is there even before the hash is known (the original sets it unconditionally).
    assert.deepStrictEqual(ds.spec.template.metadata.annotations, {
      "internal.operator.dynatrace.com/kspm-token-secret-hash": ""
    })
  })

  it("labels: app labels with the image tag as version; the selector has no version", () => {
    const ds = build(
      withTemplate((t) =>
        Object.assign(t, { imageRef: { tag: "1.0" }, labels: { "app.kubernetes.io/name": "x", a: "b" } })
      )
    )
    assert.deepStrictEqual(ds.spec.selector.matchLabels, {
      "app.kubernetes.io/name": "kspm",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/managed-by": "dynatrace-operator"
    })
    assert.strictEqual(ds.metadata.labels?.["app.kubernetes.io/version"], "1.0")
    assert.strictEqual(ds.metadata.labels?.["app.kubernetes.io/component"], "kspm")
    // Template labels never override the app labels (the pods must match the selector).
    assert.strictEqual(ds.spec.template.metadata.labels["app.kubernetes.io/name"], "kspm")
    assert.strictEqual(ds.spec.template.metadata.labels["a"], "b")
    assert.strictEqual(container(ds)?.image, "public.ecr.aws/dynatrace/dynatrace-k8s-node-config-collector:1.0")
  })

  it("image: a digest replaces the tag", () => {
    const dk = dynakube(
      kspm(),
      withTemplate((t) => Object.assign(t, { imageRef: { repository: "r.io/ncc", tag: "1", digest: "sha256:abcd" } }))
    )
    assert.strictEqual(collectorImage(dk), "r.io/ncc@sha256:abcd")
    assert.strictEqual(
      collectorImage(dynakube(kspm())),
      "public.ecr.aws/dynatrace/dynatrace-k8s-node-config-collector:latest"
    )
  })

  it("host paths: distinct, sorted, hostPath Directory, mounted read-only below /node_root ('/' is /node_root)", () => {
    const dk = dynakube(kspm(["/var/log", "/", "/etc/", "/var/log"]))
    assert.deepStrictEqual(uniqueMappedHostPaths(dk), ["/", "/etc/", "/var/log"])
    const ds = buildKspmDaemonSet({ dynakube: dk, operator, tenantUUID: "t" })
    const volumes = ds.spec.template.spec.volumes ?? []
    assert.deepStrictEqual(volumes.slice(0, 3), [
      { name: "node-path-1", hostPath: { path: "/", type: "Directory" } },
      { name: "node-path-2", hostPath: { path: "/etc/", type: "Directory" } },
      { name: "node-path-3", hostPath: { path: "/var/log", type: "Directory" } }
    ])
    assert.deepStrictEqual(container(ds)?.volumeMounts?.slice(0, 3), [
      { name: "node-path-1", mountPath: "/node_root", readOnly: true },
      { name: "node-path-2", mountPath: "/node_root/etc", readOnly: true },
      { name: "node-path-3", mountPath: "/node_root/var/log", readOnly: true }
    ])
  })

  it("the token Secret is mounted with its key as subPath; mode 0640", () => {
    const ds = build()
    assert.deepStrictEqual(
      ds.spec.template.spec.volumes?.find((v) => v.name === "kspm-token"),
      { name: "kspm-token", secret: { secretName: "dk-kspm-token", defaultMode: 0o640 } }
    )
    assert.deepStrictEqual(
      container(ds)?.volumeMounts?.find((m) => m.name === "kspm-token"),
      {
        name: "kspm-token",
        mountPath: "/var/lib/dynatrace/secrets/tokens/kspm/node-configuration-collector",
        subPath: "kspm-token"
      }
    )
  })

  it("env: node name, node root, the ActiveGate endpoint, the CA file with an AG certificate, then the template's", () => {
    const ds = build(withTemplate((t) => Object.assign(t, { env: [{ name: "X", value: "1" }] })))
    assert.deepStrictEqual(
      container(ds)?.env?.map((e) => e.name),
      ["KUBERNETES_NODE_NAME", "KUBERNETES_NODE_ROOT", "DT_ACTIVEGATE_ENDPOINT", "DT_CA_CERTIFICATE_FILE", "X"]
    )
    assert.deepStrictEqual(env(ds, "KUBERNETES_NODE_NAME")?.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } })
    assert.strictEqual(env(ds, "KUBERNETES_NODE_ROOT")?.value, "/node_root")
    assert.strictEqual(
      env(ds, "DT_ACTIVEGATE_ENDPOINT")?.value,
      "https://dk-activegate.dynatrace/e/abc12345/api/v2/kubernetes/node-config"
    )
    // The automatic TLS Secret is the AG certificate by default.
    assert.deepStrictEqual(
      ds.spec.template.spec.volumes?.find((v) => v.name === "certs"),
      {
        name: "certs",
        secret: { secretName: "dk-activegate-tls-secret", defaultMode: 0o640 }
      }
    )
    assert.deepStrictEqual(
      container(ds)?.volumeMounts?.find((m) => m.name === "certs"),
      {
        name: "certs",
        mountPath: "/var/lib/dynatrace/ncc/customkeys/ca-chain.pem",
        subPath: "server.crt"
      }
    )
  })

  it("without an AG certificate there is no CA file; with kubemon the endpoint is the kubemon Service", () => {
    const ds = build(withFlag("automatic-tls-certificate", "false"))
    assert.isUndefined(env(ds, "DT_CA_CERTIFICATE_FILE"))
    assert.isUndefined(ds.spec.template.spec.volumes?.find((v) => v.name === "certs"))
    assert.strictEqual(
      activeGateEndpoint(dynakube(), "t1", true),
      "https://dk-kubemon.dynatrace/e/t1/api/v2/kubernetes/node-config"
    )
  })

  it("a user certificate Secret is mounted instead of the automatic one", () => {
    const ds = build(withActiveGate(["kubernetes-monitoring"], (ag) => (ag.tlsSecretName = "my-ag-tls")))
    assert.strictEqual(
      (ds.spec.template.spec.volumes?.find((v) => v.name === "certs") as any)?.secret?.secretName,
      "my-ag-tls"
    )
  })

  it("the template's node affinity, update strategy, and resources (each list replaced as a whole)", () => {
    const nodeAffinity = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } }
    const updateStrategy = { type: "OnDelete" }
    const ds = build(
      withTemplate((t) => Object.assign(t, { nodeAffinity, updateStrategy, resources: { limits: { memory: "1Gi" } } }))
    )
    assert.deepStrictEqual(ds.spec.template.spec.affinity, { nodeAffinity })
    assert.deepStrictEqual(ds.spec.updateStrategy, updateStrategy)
    assert.deepStrictEqual(container(ds)?.resources, {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { memory: "1Gi" }
    })
  })

  it("AppArmor: on 1.31+ the annotation becomes the container's profile and leaves the pod annotations", () => {
    const key = "container.apparmor.security.beta.kubernetes.io/node-config-collector"
    const withAppArmor = withTemplate((t) => Object.assign(t, { annotations: { [key]: "localhost/ncc" } }))
    const dk = dynakube(withActiveGate(["kubernetes-monitoring"]), kspm(), withAppArmor)
    const modern = buildKspmDaemonSet({ dynakube: dk, operator, tenantUUID: "t" })
    assert.deepStrictEqual(container(modern)?.securityContext?.appArmorProfile, {
      type: "Localhost",
      localhostProfile: "ncc"
    })
    assert.notProperty(modern.spec.template.metadata.annotations ?? {}, key)
    // The DaemonSet's own annotations keep the user's (as the original).
    assert.strictEqual(modern.metadata.annotations?.[key], "localhost/ncc")
    const old = buildKspmDaemonSet({
      dynakube: dk,
      operator: { ...operator, kubernetesMinorVersion: 30 },
      tenantUUID: "t"
    })
    assert.isUndefined(container(old)?.securityContext?.appArmorProfile)
    assert.strictEqual(old.spec.template.metadata.annotations?.[key], "localhost/ncc")
  })

  it("is recreated only when the selector changes", () => {
    const a = build()
    assert.isFalse(recreateKspmDaemonSet(a, build(withTemplate((t) => Object.assign(t, { imageRef: { tag: "2" } })))))
    assert.isTrue(
      recreateKspmDaemonSet({ spec: { selector: { matchLabels: { "app.kubernetes.io/name": "old" } } } }, a)
    )
  })
})
