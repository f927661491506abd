import { describe, expect, it } from "@effect/vitest"
import { buildOneAgentDaemonSet, processGroupingConfigHash, recreateOneAgentDaemonSet } from "./OneAgentDaemonSet.ts"
import { needsOneAgentDaemonSet, oneAgentMode } from "./OneAgentMode.ts"
import {
  agentImage,
  agentVersion,
  applicationMonitoring,
  classicFullStack,
  cloudNativeFullStack,
  dynakube,
  hostMonitoring,
  type Modifier,
  operator,
  withActiveGate,
  withAgentVersion,
  withAnnotation,
  withFlag,
  withHostGroup,
  withHostSpec,
  withProxy,
  withProxySecret,
  withServiceIPs,
  withSpec,
  withStatus
} from "./WorkloadFixtures.ts"
import type { Container, DaemonSet, EnvVar } from "./WorkloadTypes.ts"

const build = (...modifiers: ReadonlyArray<Modifier>): DaemonSet => {
  const ds = buildOneAgentDaemonSet({ dynakube: dynakube(...modifiers), operator })
  if (ds === undefined) throw new Error("expected a DaemonSet")
  return ds
}
const agent = (ds: DaemonSet): Container => ds.spec.template.spec.containers[0] as Container
const envOf = (ds: DaemonSet): ReadonlyArray<EnvVar> => agent(ds).env ?? []
const envNamed = (ds: DaemonSet, name: string) => envOf(ds).find((e) => e.name === name)

// ---------------------------------------------------------------------------------------------------------------
// The parts every mode shares, written out once; each mode's test still compares the whole object.

const owner = {
  apiVersion: "dynatrace.com/v1beta6",
  kind: "DynaKube",
  name: "dk",
  uid: "6f0c1e4e-1111-4222-8333-944455556666",
  controller: true,
  blockOwnerDeletion: true
}
const matchLabels = {
  "app.kubernetes.io/name": "oneagent",
  "app.kubernetes.io/created-by": "dk",
  "app.kubernetes.io/managed-by": "dynatrace-operator"
}
const labels = (component: string) => ({
  ...matchLabels,
  "app.kubernetes.io/version": agentVersion,
  "app.kubernetes.io/component": component
})
const podAnnotations = {
  "dynatrace.com/inject": "false",
  "internal.operator.dynatrace.com/tenant-token-hash": "tenant-token-hash-1",
  "cluster-autoscaler.kubernetes.io/enable-ds-eviction": "false"
}
const nodeNameRef = { fieldRef: { fieldPath: "spec.nodeName" } }
const initContainer = {
  name: "dynatrace-operator",
  image: "public.ecr.aws/dynatrace/dynatrace-operator:v1.7.0",
  args: [
    "generate-metadata",
    "--file",
    "/var/lib/dynatrace/enrichment/dt_node_metadata.properties",
    "--attributes",
    "k8s.cluster.name=prod-cluster,k8s.cluster.uid=0d3a7a2c-kube-system-uid,k8s.node.name=$(DT_K8S_NODE_NAME),dt.entity.kubernetes_cluster=KUBERNETES_CLUSTER-0123456789ABCDEF"
  ],
  env: [{ name: "DT_K8S_NODE_NAME", valueFrom: nodeNameRef }],
  resources: { requests: { cpu: "100m" } },
  volumeMounts: [{ name: "dynatrace-operator", mountPath: "/var/lib/dynatrace/enrichment" }],
  securityContext: {
    privileged: false,
    allowPrivilegeEscalation: false,
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
    readOnlyRootFilesystem: true
  }
}
const capabilities = {
  drop: ["ALL"],
  add: [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "NET_ADMIN",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETUID",
    "SYS_ADMIN",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_RESOURCE"
  ]
}
const probe = (initialDelaySeconds: number) => ({
  exec: { command: ["/usr/bin/watchdog-healthcheck64"] },
  initialDelaySeconds,
  periodSeconds: 10,
  timeoutSeconds: 30,
  successThreshold: 1,
  failureThreshold: 3
})
const configMapRef = (name: string, key: string) => ({ configMapKeyRef: { name, key, optional: false } })
const baseEnv = [
  { name: "DT_DEPLOYMENT_METADATA", valueFrom: configMapRef("dk-deployment-metadata", "oneagent") },
  { name: "DT_K8S_CLUSTER_ID", value: "0d3a7a2c-kube-system-uid" },
  { name: "DT_K8S_NODE_NAME", valueFrom: nodeNameRef },
  { name: "DT_OPERATOR_VERSION", valueFrom: configMapRef("dk-deployment-metadata", "operator") },
  { name: "DT_SERVER", valueFrom: configMapRef("dk-oneagent-connection-info", "communication-endpoints") },
  { name: "DT_TENANT", valueFrom: configMapRef("dk-oneagent-connection-info", "tenant-uuid") }
]
const readOnlyEnv = [
  ...baseEnv,
  { name: "ONEAGENT_DISABLE_CONTAINER_INJECTION", value: "true" },
  { name: "ONEAGENT_READ_ONLY_MODE", value: "true" }
]
const args = (hostIdSource: string) => [
  `--set-host-id-source=${hostIdSource}`,
  "--set-host-property=OperatorVersion=$(DT_OPERATOR_VERSION)",
  "--set-no-proxy=",
  "--set-proxy=",
  "--set-server={$(DT_SERVER)}",
  "--set-tenant=$(DT_TENANT)"
]
const tenantTokenMount = {
  name: "connection-info-secret",
  readOnly: true,
  mountPath: "/var/lib/dynatrace/secrets/tokens/tenant-token",
  subPath: "tenant-token"
}
const nodeMetadataMount = {
  name: "dynatrace-operator",
  readOnly: true,
  mountPath: "/var/lib/dynatrace/enrichment/dt_node_metadata.properties",
  subPath: "dt_node_metadata.properties"
}
const baseVolumes = [
  { name: "host-root", hostPath: { path: "/" } },
  { name: "dynatrace-operator", emptyDir: {} },
  { name: "connection-info-secret", secret: { secretName: "dk-oneagent-tenant-secret", defaultMode: 0o444 } }
]
const csiVolume = {
  name: "osagent-storage",
  csi: { driver: "csi.oneagent.dynatrace.com", volumeAttributes: { mode: "host", dynakube: "dk" } }
}
const amd64Affinity = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
            { key: "kubernetes.io/os", operator: "In", values: ["linux"] }
          ]
        }
      ]
    }
  }
}
const podSpecRest = {
  imagePullSecrets: [{ name: "dk-pull-secret" }],
  hostNetwork: true,
  hostPID: true,
  securityContext: { fsGroup: 1000 },
  serviceAccountName: "dynatrace-dynakube-oneagent",
  dnsPolicy: "ClusterFirstWithHostNet",
  affinity: amd64Affinity,
  terminationGracePeriodSeconds: 80
}

describe("OneAgent modes", () => {
  it("oneAgentMode / needsOneAgentDaemonSet: a present, non-null mode object selects the mode", () => {
    expect(oneAgentMode(dynakube())).toBeUndefined()
    expect(oneAgentMode(dynakube(classicFullStack()))).toBe("classicFullStack")
    expect(oneAgentMode(dynakube(hostMonitoring()))).toBe("hostMonitoring")
    expect(oneAgentMode(dynakube(cloudNativeFullStack()))).toBe("cloudNativeFullStack")
    expect(oneAgentMode(dynakube(applicationMonitoring()))).toBe("applicationMonitoring")
    expect(oneAgentMode(dynakube(withSpec((s) => (s.oneAgent = { classicFullStack: null }))))).toBeUndefined()
    expect(needsOneAgentDaemonSet(dynakube(applicationMonitoring()))).toBe(false)
    expect(needsOneAgentDaemonSet(dynakube(cloudNativeFullStack()))).toBe(true)
    expect(buildOneAgentDaemonSet({ dynakube: dynakube(applicationMonitoring()), operator })).toBeUndefined()
    expect(buildOneAgentDaemonSet({ dynakube: dynakube(), operator })).toBeUndefined()
  })
})

describe("buildOneAgentDaemonSet: the whole object per mode", () => {
  it("classicFullStack: writable host root, host id source auto, runs as root", () => {
    expect(build(classicFullStack())).toStrictEqual({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: {
        name: "dk-oneagent",
        namespace: "dynatrace",
        labels: labels("classicfullstack"),
        ownerReferences: [owner]
      },
      spec: {
        selector: { matchLabels },
        template: {
          metadata: { labels: labels("classicfullstack"), annotations: podAnnotations },
          spec: {
            initContainers: [initContainer],
            containers: [
              {
                name: "dynatrace-oneagent",
                image: agentImage,
                args: args("auto"),
                env: baseEnv,
                resources: { requests: { cpu: "100m" } },
                volumeMounts: [tenantTokenMount, nodeMetadataMount, { name: "host-root", mountPath: "/mnt/root" }],
                readinessProbe: probe(90),
                livenessProbe: probe(1200),
                securityContext: {
                  capabilities,
                  readOnlyRootFilesystem: false,
                  appArmorProfile: { type: "Unconfined" }
                }
              }
            ],
            volumes: baseVolumes,
            ...podSpecRest
          }
        },
        updateStrategy: { rollingUpdate: { maxUnavailable: 1 } }
      }
    })
  })

  it("hostMonitoring: read-only host root, CSI storage, node-name host id, non-root with read-only root FS", () => {
    expect(build(hostMonitoring())).toStrictEqual({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: {
        name: "dk-oneagent",
        namespace: "dynatrace",
        labels: labels("hostmonitoring"),
        ownerReferences: [owner]
      },
      spec: {
        selector: { matchLabels },
        template: {
          metadata: { labels: labels("hostmonitoring"), annotations: podAnnotations },
          spec: {
            initContainers: [initContainer],
            containers: [
              {
                name: "dynatrace-oneagent",
                image: agentImage,
                args: args("k8s-node-name"),
                env: readOnlyEnv,
                resources: { requests: { cpu: "100m" } },
                volumeMounts: [
                  tenantTokenMount,
                  nodeMetadataMount,
                  { name: "host-root", mountPath: "/mnt/root", readOnly: true },
                  { name: "osagent-storage", mountPath: "/mnt/volume_storage_mount" }
                ],
                readinessProbe: probe(90),
                livenessProbe: probe(1200),
                securityContext: {
                  capabilities,
                  runAsNonRoot: true,
                  runAsUser: 1000,
                  runAsGroup: 1000,
                  readOnlyRootFilesystem: true,
                  appArmorProfile: { type: "Unconfined" }
                }
              }
            ],
            volumes: [...baseVolumes, csiVolume],
            ...podSpecRest
          }
        },
        updateStrategy: { rollingUpdate: { maxUnavailable: 1 } }
      }
    })
  })

  it("cloudNativeFullStack with a process-grouping config: PGC hash annotation, volume and mount", () => {
    const ds = buildOneAgentDaemonSet({
      dynakube: dynakube(cloudNativeFullStack()),
      operator,
      processGroupingConfigHash: "3141592653"
    })
    expect(ds).toStrictEqual({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: {
        name: "dk-oneagent",
        namespace: "dynatrace",
        labels: labels("cloudnativefullstack"),
        ownerReferences: [owner]
      },
      spec: {
        selector: { matchLabels },
        template: {
          metadata: {
            labels: labels("cloudnativefullstack"),
            annotations: { ...podAnnotations, "internal.operator.dynatrace.com/pgc-hash": "3141592653" }
          },
          spec: {
            initContainers: [initContainer],
            containers: [
              {
                name: "dynatrace-oneagent",
                image: agentImage,
                args: args("k8s-node-name"),
                env: readOnlyEnv,
                resources: { requests: { cpu: "100m" } },
                volumeMounts: [
                  tenantTokenMount,
                  nodeMetadataMount,
                  { name: "host-root", mountPath: "/mnt/root", readOnly: true },
                  { name: "osagent-storage", mountPath: "/mnt/volume_storage_mount" },
                  {
                    name: "bootstrapper-pgc",
                    mountPath: "/mnt/volume_storage_mount/opt/agent/conf/declarative.cbor",
                    subPath: "declarative.cbor",
                    readOnly: true
                  }
                ],
                readinessProbe: probe(90),
                livenessProbe: probe(1200),
                securityContext: {
                  capabilities,
                  runAsNonRoot: true,
                  runAsUser: 1000,
                  runAsGroup: 1000,
                  readOnlyRootFilesystem: true,
                  appArmorProfile: { type: "Unconfined" }
                }
              }
            ],
            volumes: [
              ...baseVolumes,
              csiVolume,
              {
                name: "bootstrapper-pgc",
                secret: {
                  secretName: "dk-bootstrapper-config",
                  items: [{ key: "declarative.cbor", path: "declarative.cbor" }]
                }
              }
            ],
            ...podSpecRest
          }
        },
        updateStrategy: { rollingUpdate: { maxUnavailable: 1 } }
      }
    })
  })
})

describe("buildOneAgentDaemonSet: user settings", () => {
  it("args: user args win over defaults, only --set-host-property/--set-host-tag repeat, hostGroup wins over all", () => {
    const ds = build(
      cloudNativeFullStack({
        args: [
          "--set-host-id-source=fqdn",
          "--set-host-property=team=a",
          "--set-host-property=team=a",
          "--set-host-property=env=prod",
          "--set-host-tag=x",
          "--set-host-tag=y",
          "--set-host-group=from-args",
          "--set-host-group=ignored-second",
          "--set-monitoring-mode=infra-only",
          "--set-monitoring-mode=fullstack",
          "--enable-feature\n",
          "--set-tenant=user-tenant"
        ]
      }),
      withHostGroup("from-spec")
    )
    expect(agent(ds).args).toStrictEqual([
      "--enable-feature",
      "--set-host-group=from-spec",
      "--set-host-id-source=fqdn",
      "--set-host-property=OperatorVersion=$(DT_OPERATOR_VERSION)",
      "--set-host-property=team=a",
      "--set-host-property=env=prod",
      "--set-host-tag=x",
      "--set-host-tag=y",
      "--set-monitoring-mode=infra-only",
      "--set-no-proxy=",
      "--set-proxy=",
      "--set-server={$(DT_SERVER)}",
      "--set-tenant=user-tenant"
    ])
  })

  it("args: hostGroup alone, and a --set-host-group arg without spec.hostGroup", () => {
    expect(agent(build(hostMonitoring(), withHostGroup("hg"))).args).toContain("--set-host-group=hg")
    expect(agent(build(hostMonitoring({ args: ["--set-host-group=arg"] }))).args).toContain("--set-host-group=arg")
  })

  it("env: user env wins (also over ONEAGENT_* defaults), extra user env is kept, order is by name", () => {
    const ds = build(
      hostMonitoring({
        env: [
          { name: "DT_K8S_CLUSTER_ID", value: "mine" },
          { name: "ONEAGENT_DISABLE_CONTAINER_INJECTION", value: "false" },
          { name: "A_FIRST", value: "1" },
          { name: "DT_TENANT", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
          { name: "A_FIRST", value: "second one loses" }
        ]
      })
    )
    expect(envOf(ds).map((e) => e.name)).toStrictEqual([
      "A_FIRST",
      "DT_DEPLOYMENT_METADATA",
      "DT_K8S_CLUSTER_ID",
      "DT_K8S_NODE_NAME",
      "DT_OPERATOR_VERSION",
      "DT_SERVER",
      "DT_TENANT",
      "ONEAGENT_DISABLE_CONTAINER_INJECTION",
      "ONEAGENT_READ_ONLY_MODE"
    ])
    expect(envNamed(ds, "A_FIRST")).toStrictEqual({ name: "A_FIRST", value: "1" })
    expect(envNamed(ds, "DT_K8S_CLUSTER_ID")).toStrictEqual({ name: "DT_K8S_CLUSTER_ID", value: "mine" })
    expect(envNamed(ds, "ONEAGENT_DISABLE_CONTAINER_INJECTION")?.value).toBe("false")
    expect(envNamed(ds, "DT_TENANT")?.valueFrom).toStrictEqual({ secretKeyRef: { name: "s", key: "k" } })
  })

  it("labels, annotations, scheduling and resources from the spec", () => {
    const ds = build(
      classicFullStack({
        labels: { team: "infra", "app.kubernetes.io/component": "custom", "app.kubernetes.io/name": "hijack" },
        annotations: { "example.com/a": "b", "dynatrace.com/inject": "true" },
        nodeSelector: { "kubernetes.io/os": "linux" },
        tolerations: [{ operator: "Exists" }],
        priorityClassName: "critical",
        dnsPolicy: "ClusterFirst",
        imagePullPolicy: "Always",
        oneAgentResources: { requests: { memory: "512Mi" }, limits: { cpu: "1" } },
        secCompProfile: "oneagent.json",
        rollingUpdate: { maxUnavailable: "25%" }
      })
    )
    const pod = ds.spec.template
    // User labels may change component/version, never the selector's labels.
    expect(pod.metadata.labels).toStrictEqual({
      ...labels("classicfullstack"),
      team: "infra",
      "app.kubernetes.io/component": "custom"
    })
    expect(ds.metadata.labels).toStrictEqual(pod.metadata.labels)
    expect(ds.spec.selector.matchLabels).toStrictEqual(matchLabels)
    expect(pod.metadata.annotations).toStrictEqual({
      ...podAnnotations,
      "example.com/a": "b",
      "dynatrace.com/inject": "true"
    })
    expect(pod.spec.nodeSelector).toStrictEqual({ "kubernetes.io/os": "linux" })
    expect(pod.spec.tolerations).toStrictEqual([{ operator: "Exists" }])
    expect(pod.spec.priorityClassName).toBe("critical")
    expect(pod.spec.dnsPolicy).toBe("ClusterFirst")
    expect(agent(ds).imagePullPolicy).toBe("Always")
    expect(pod.spec.initContainers?.[0]?.imagePullPolicy).toBe("Always")
    expect(agent(ds).resources).toStrictEqual({ requests: { memory: "512Mi", cpu: "100m" }, limits: { cpu: "1" } })
    expect(pod.spec.initContainers?.[0]?.resources).toStrictEqual(agent(ds).resources)
    expect(agent(ds).securityContext?.seccompProfile).toStrictEqual({
      type: "Localhost",
      localhostProfile: "oneagent.json"
    })
    expect(ds.spec.updateStrategy).toStrictEqual({ rollingUpdate: { maxUnavailable: "25%" } })
    // An explicit CPU request is kept.
    expect(
      agent(build(classicFullStack({ oneAgentResources: { requests: { cpu: "250m" } } }))).resources
    ).toStrictEqual({
      requests: { cpu: "250m" }
    })
  })

  it("a user AppArmor annotation chooses the profile; before Kubernetes 1.31 the annotation stays on the pod", () => {
    const localhost = dynakube(
      hostMonitoring({
        annotations: { "container.apparmor.security.beta.kubernetes.io/dynatrace-oneagent": "localhost/oa" }
      })
    )
    const modern = buildOneAgentDaemonSet({ dynakube: localhost, operator })
    expect(modern?.spec.template.spec.containers[0]?.securityContext?.appArmorProfile).toStrictEqual({
      type: "Localhost",
      localhostProfile: "oa"
    })
    expect(Object.keys(modern?.spec.template.metadata.annotations ?? {})).not.toContain(
      "container.apparmor.security.beta.kubernetes.io/dynatrace-oneagent"
    )
    const legacy = buildOneAgentDaemonSet({
      dynakube: dynakube(hostMonitoring()),
      operator: { ...operator, kubernetesMinorVersion: 30 }
    })
    expect(legacy?.spec.template.metadata.annotations).toStrictEqual({
      ...podAnnotations,
      "container.apparmor.security.beta.kubernetes.io/dynatrace-oneagent": "unconfined"
    })
    expect(legacy?.spec.template.spec.containers[0]?.securityContext?.appArmorProfile).toBeUndefined()
  })

  it("init container attributes: resource attributes merged (mode wins) and sorted; no MEID when unknown", () => {
    const ds = build(
      hostMonitoring({ additionalResourceAttributes: { "b.attr": "mode", "z.attr": "z" } }),
      withSpec((s) => (s.resourceAttributes = { "b.attr": "global", "a.attr": "a" })),
      withStatus((s) => {
        delete s.kubernetesClusterMEID
      })
    )
    expect(ds.spec.template.spec.initContainers?.[0]?.args?.[4]).toBe(
      "k8s.cluster.name=prod-cluster,k8s.cluster.uid=0d3a7a2c-kube-system-uid,k8s.node.name=$(DT_K8S_NODE_NAME),a.attr=a,b.attr=mode,z.attr=z"
    )
  })
})

describe("buildOneAgentDaemonSet: feature flags", () => {
  it("oneagent-privileged: privileged instead of capabilities, no seccomp profile", () => {
    const ds = build(hostMonitoring({ secCompProfile: "p.json" }), withFlag("oneagent-privileged", "true"))
    expect(agent(ds).securityContext).toStrictEqual({
      privileged: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      appArmorProfile: { type: "Unconfined" }
    })
  })

  it("oneagent-skip-liveness-probe: readiness only", () => {
    const ds = build(hostMonitoring(), withFlag("oneagent-skip-liveness-probe", "True"))
    expect(agent(ds).readinessProbe).toStrictEqual(probe(90))
    expect(agent(ds).livenessProbe).toBeUndefined()
  })

  it("oneagent-classic-nonroot: classic runs as 1000 but keeps a writable root FS; ignored flag values mean default", () => {
    expect(agent(build(classicFullStack(), withFlag("oneagent-classic-nonroot", "1"))).securityContext).toStrictEqual({
      capabilities,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: false,
      appArmorProfile: { type: "Unconfined" }
    })
    expect(
      agent(build(classicFullStack(), withFlag("oneagent-classic-nonroot", "yes"))).securityContext?.runAsNonRoot
    ).toBeUndefined()
  })

  it("oneagent-max-unavailable: used without rollingUpdate, unparsable means 1, rollingUpdate wins", () => {
    expect(build(hostMonitoring(), withFlag("oneagent-max-unavailable", "3")).spec.updateStrategy).toStrictEqual({
      rollingUpdate: { maxUnavailable: 3 }
    })
    expect(build(hostMonitoring(), withFlag("oneagent-max-unavailable", "3x")).spec.updateStrategy).toStrictEqual({
      rollingUpdate: { maxUnavailable: 1 }
    })
    expect(
      build(hostMonitoring({ rollingUpdate: { maxSurge: 1 } }), withFlag("oneagent-max-unavailable", "3")).spec
        .updateStrategy
    ).toStrictEqual({ rollingUpdate: { maxSurge: 1 } })
  })

  it("use-public-registry (or a platform token): no tenant pull secret; custom and operator pull secrets stay", () => {
    const op = { ...operator, operatorPullSecret: "helm-secret" }
    const ds = (dk: ReturnType<typeof dynakube>) => buildOneAgentDaemonSet({ dynakube: dk, operator: op })
    const custom = withSpec((s) => (s.customPullSecret = "my-registry"))
    expect(ds(dynakube(hostMonitoring(), custom))?.spec.template.spec.imagePullSecrets).toStrictEqual([
      { name: "dk-pull-secret" },
      { name: "my-registry" },
      { name: "helm-secret" }
    ])
    expect(
      ds(dynakube(hostMonitoring(), custom, withFlag("use-public-registry", "true")))?.spec.template.spec
        .imagePullSecrets
    ).toStrictEqual([{ name: "my-registry" }, { name: "helm-secret" }])
    const platform = withStatus((s) => (s.apiToken = { platform: true }))
    expect(ds(dynakube(hostMonitoring(), platform))?.spec.template.spec.imagePullSecrets).toStrictEqual([
      { name: "helm-secret" }
    ])
    expect(
      buildOneAgentDaemonSet({ dynakube: dynakube(hostMonitoring(), platform), operator })?.spec.template.spec
        .imagePullSecrets
    ).toBeUndefined()
  })
})

describe("buildOneAgentDaemonSet: proxy, ActiveGate, CA and storage", () => {
  it("proxy with a new agent: proxy secret mounted, no --set-proxy; no-proxy flag and ActiveGate hosts in --set-no-proxy", () => {
    const ds = build(
      cloudNativeFullStack(),
      withProxy("http://proxy:3128"),
      withFlag("no-proxy", "internal.example.com,.svc"),
      withActiveGate(["routing", "kubernetes-monitoring"]),
      withServiceIPs("10.0.0.12", "fd00::12")
    )
    expect(agent(ds).args).toContain(
      "--set-no-proxy=internal.example.com,.svc,10.0.0.12,[fd00::12],dk-activegate.dynatrace"
    )
    expect(agent(ds).args?.some((a) => a.startsWith("--set-proxy"))).toBe(false)
    expect(envNamed(ds, "https_proxy")).toBeUndefined()
    expect(ds.spec.template.spec.volumes).toContainEqual({
      name: "internal-proxy-secret-volume",
      secret: { secretName: "dk-internal-proxy", defaultMode: 0o444 }
    })
    expect(agent(ds).volumeMounts).toContainEqual({
      name: "internal-proxy-secret-volume",
      mountPath: "/var/lib/dynatrace/secrets/internal-proxy"
    })
    // The automatic TLS certificate of the ActiveGate is trusted.
    expect(ds.spec.template.spec.volumes).toContainEqual({
      name: "active-gate-ca",
      secret: {
        secretName: "dk-activegate-tls-secret",
        items: [{ key: "server.crt", path: "custom.pem" }],
        defaultMode: 0o444
      }
    })
    expect(agent(ds).volumeMounts).toContainEqual({
      name: "active-gate-ca",
      mountPath: "/mnt/dynatrace/certs/activegate"
    })
  })

  it("no-proxy flag without a proxy is ignored; ActiveGate without routing lists only its IPs", () => {
    const ds = build(
      hostMonitoring(),
      withFlag("no-proxy", "x"),
      withActiveGate(["kubernetes-monitoring"]),
      withServiceIPs("10.0.0.1")
    )
    expect(agent(ds).args).toContain("--set-no-proxy=10.0.0.1")
    expect(agent(ds).args).toContain("--set-proxy=")
  })

  it("proxy with an agent older than 1.273: --set-proxy=$(https_proxy) and https_proxy from value or secret", () => {
    const old = withAgentVersion("1.271.0.20230901-120000")
    const inline = build(classicFullStack(), old, withProxy("http://proxy:3128"))
    expect(agent(inline).args).toContain("--set-proxy=$(https_proxy)")
    expect(envNamed(inline, "https_proxy")).toStrictEqual({ name: "https_proxy", value: "http://proxy:3128" })
    const fromSecret = build(classicFullStack(), old, withProxySecret("proxy-secret"))
    expect(envNamed(fromSecret, "https_proxy")).toStrictEqual({
      name: "https_proxy",
      valueFrom: { secretKeyRef: { name: "proxy-secret", key: "proxy" } }
    })
    // Old agents also get the grep health check and a writable root FS in read-only modes.
    const hm = build(hostMonitoring(), old)
    expect(agent(hm).readinessProbe?.exec?.command).toStrictEqual([
      "/bin/sh",
      "-c",
      "grep -q oneagentwatchdo /proc/[0-9]*/stat"
    ])
    expect(agent(hm).securityContext?.readOnlyRootFilesystem).toBe(false)
  })

  it("oneagent-ignore-proxy: treated as no proxy", () => {
    const ds = build(hostMonitoring(), withProxy("http://p:1"), withFlag("oneagent-ignore-proxy", "true"))
    expect(agent(ds).args).toContain("--set-proxy=")
    expect(ds.spec.template.spec.volumes?.map((v) => v.name)).not.toContain("internal-proxy-secret-volume")
  })

  it("trusted CAs, a user TLS secret, and the automatic certificate turned off", () => {
    const ds = build(
      classicFullStack(),
      withSpec((s) => (s.trustedCAs = "my-cas")),
      withActiveGate(["routing"], (ag) => (ag.tlsSecretName = "my-ag-tls"))
    )
    expect(ds.spec.template.spec.volumes).toContainEqual({
      name: "dynatrace-cluster-ca",
      configMap: { name: "my-cas", items: [{ key: "certs", path: "certs.pem" }] }
    })
    expect(agent(ds).volumeMounts).toContainEqual({ name: "dynatrace-cluster-ca", mountPath: "/mnt/dynatrace/certs" })
    expect(ds.spec.template.spec.volumes).toContainEqual({
      name: "active-gate-ca",
      secret: { secretName: "my-ag-tls", items: [{ key: "server.crt", path: "custom.pem" }], defaultMode: 0o444 }
    })
    const noAuto = build(
      classicFullStack(),
      withActiveGate(["routing"]),
      withFlag("automatic-tls-certificate", "false")
    )
    expect(noAuto.spec.template.spec.volumes?.map((v) => v.name)).not.toContain("active-gate-ca")
  })

  it("without the CSI driver: hostPath storage (default or storageHostPath) mounted at the tenant UUID", () => {
    const noCsi = { ...operator, csiDriver: false }
    const ds = buildOneAgentDaemonSet({ dynakube: dynakube(cloudNativeFullStack()), operator: noCsi })
    expect(ds?.spec.template.spec.volumes).toContainEqual({
      name: "volume-storage",
      hostPath: { path: "/var/opt/dynatrace", type: "DirectoryOrCreate" }
    })
    expect(ds?.spec.template.spec.containers[0]?.volumeMounts).toContainEqual({
      name: "volume-storage",
      mountPath: "/mnt/volume_storage_mount",
      subPath: "abc12345"
    })
    const custom = buildOneAgentDaemonSet({
      dynakube: dynakube(hostMonitoring({ storageHostPath: "/data/dt" })),
      operator: noCsi
    })
    expect(custom?.spec.template.spec.volumes).toContainEqual({
      name: "volume-storage",
      hostPath: { path: "/data/dt", type: "DirectoryOrCreate" }
    })
  })

  it("log monitoring adds the kubelet env; a public-registry image is multi-arch; no health check means no probes", () => {
    const ds = build(
      hostMonitoring(),
      withSpec((s) => (s.logMonitoring = {})),
      withStatus((s) => {
        s.oneAgent = { ...s.oneAgent, source: "public-registry" }
        delete s.oneAgent.healthcheck
      })
    )
    expect(envNamed(ds, "KUBELET_API_NODENAME")).toStrictEqual({ name: "KUBELET_API_NODENAME", valueFrom: nodeNameRef })
    expect(envNamed(ds, "KUBELET_API_ADDRESS")).toStrictEqual({
      name: "KUBELET_API_ADDRESS",
      valueFrom: { fieldRef: { fieldPath: "status.hostIP" } }
    })
    expect(ds.spec.template.spec.affinity).toStrictEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64", "ppc64le", "s390x"] },
                { key: "kubernetes.io/os", operator: "In", values: ["linux"] }
              ]
            }
          ]
        }
      }
    })
    expect(agent(ds).readinessProbe).toBeUndefined()
    expect(agent(ds).livenessProbe).toBeUndefined()
  })

  it("network zone and a classic PGC (never mounted in classic)", () => {
    const ds = buildOneAgentDaemonSet({
      dynakube: dynakube(
        classicFullStack(),
        withSpec((s) => (s.networkZone = "eu-west"))
      ),
      operator,
      processGroupingConfigHash: "1"
    })
    expect(ds?.spec.template.spec.containers[0]?.args).toContain("--set-network-zone=eu-west")
    expect(ds?.spec.template.metadata.annotations).not.toHaveProperty("internal.operator.dynatrace.com/pgc-hash")
    expect(ds?.spec.template.spec.volumes?.map((v) => v.name)).not.toContain("bootstrapper-pgc")
  })
})

describe("recreate and hashes", () => {
  it("recreateOneAgentDaemonSet: only a selector change forces delete-and-create", () => {
    const a = build(hostMonitoring())
    expect(recreateOneAgentDaemonSet(a, build(cloudNativeFullStack()))).toBe(false)
    expect(recreateOneAgentDaemonSet(a, build(hostMonitoring(), withAgentVersion("1.302.0.20250101-000000")))).toBe(
      false
    )
    const renamed = build(hostMonitoring(), withAnnotation("x", "y"), (dk) => {
      dk.metadata = { ...dk.metadata, name: "other" }
    })
    expect(recreateOneAgentDaemonSet(a, renamed)).toBe(true)
    expect(recreateOneAgentDaemonSet({ spec: {} }, a)).toBe(true)
  })

  it("processGroupingConfigHash: FNV-1 of the JSON (base64) encoding, as the original", () => {
    // Go: hasher.GenerateHash([]byte{1,2,3}) = FNV-1 32 of `"AQID"` (value computed independently with Python)
    expect(processGroupingConfigHash(new Uint8Array([1, 2, 3]))).toBe("4184427070")
  })

  it("never adds the template-hash annotation (ObjectSync does)", () => {
    const ds = build(hostMonitoring())
    expect(JSON.stringify(ds)).not.toContain("template-hash")
  })
})

describe("fixture sanity", () => {
  it("withHostSpec changes the active mode's spec", () => {
    expect(
      agent(
        build(
          hostMonitoring(),
          withHostSpec((s) => (s.imagePullPolicy = "Never"))
        )
      ).imagePullPolicy
    ).toBe("Never")
  })
})
