import { describe, expect, it } from "@effect/vitest"
import {
  activeGateImage,
  activeGateVersion,
  dynakube,
  type Modifier,
  operator,
  withActiveGate,
  withFlag,
  withProxy,
  withServiceIPs,
  withSpec,
  withStatus
} from "../oneagent/WorkloadFixtures.ts"
import type { Container, StatefulSet, Volume } from "../oneagent/WorkloadTypes.ts"
import { buildActiveGateService } from "./ActiveGateService.ts"
import { buildActiveGateStatefulSet, recreateActiveGateStatefulSet } from "./ActiveGateStatefulSet.ts"

const build = (...modifiers: ReadonlyArray<Modifier>): StatefulSet =>
  buildActiveGateStatefulSet({ dynakube: dynakube(...modifiers), operator, configurationHash: "1234567890" })
const container = (sts: StatefulSet): Container => sts.spec.template.spec.containers[0] as Container
const volumeNames = (sts: StatefulSet) => (sts.spec.template.spec.volumes ?? []).map((v: Volume) => v.name)
const mountNames = (sts: StatefulSet) => (container(sts).volumeMounts ?? []).map((m) => m.name)
const env = (sts: StatefulSet, name: string) => container(sts).env?.find((e) => e.name === name)

const owner = {
  apiVersion: "dynatrace.com/v1beta6",
  kind: "DynaKube",
  name: "dk",
  uid: "6f0c1e4e-1111-4222-8333-944455556666",
  controller: true,
  blockOwnerDeletion: true
}
const matchLabels = {
  "app.kubernetes.io/name": "activegate",
  "app.kubernetes.io/created-by": "dk",
  "app.kubernetes.io/managed-by": "dynatrace-operator"
}
const labels = {
  ...matchLabels,
  "app.kubernetes.io/version": activeGateVersion,
  "app.kubernetes.io/component": "activegate"
}
const configMapRef = (name: string, key: string) => ({ configMapKeyRef: { name, key, optional: false } })
const secret = (name: string, secretName: string) => ({ name, secret: { secretName, defaultMode: 0o640 } })
const securityContext = {
  privileged: false,
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  runAsUser: 1001,
  runAsGroup: 1001,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
  readOnlyRootFilesystem: true
}
const gatewayVolumes = [
  { name: "ag-lib-gateway-temp", emptyDir: {} },
  { name: "ag-lib-gateway-data", emptyDir: {} },
  { name: "ag-log-gateway", emptyDir: {} },
  { name: "ag-lib-gateway-config", emptyDir: {} }
]
const gatewayMounts = [
  { name: "ag-lib-gateway-temp", readOnly: false, mountPath: "/var/lib/dynatrace/gateway/temp" },
  { name: "ag-lib-gateway-data", readOnly: false, mountPath: "/var/lib/dynatrace/gateway/data" },
  { name: "ag-log-gateway", readOnly: false, mountPath: "/var/log/dynatrace/gateway" },
  { name: "ag-lib-gateway-config", readOnly: false, mountPath: "/var/lib/dynatrace/gateway/config" }
]

describe("buildActiveGateStatefulSet", () => {
  it("routing with the automatic certificate: the whole object", () => {
    expect(build(withActiveGate(["routing"]), withServiceIPs("10.0.0.12"))).toStrictEqual({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "dk-activegate", namespace: "dynatrace", labels, ownerReferences: [owner] },
      spec: {
        replicas: 1,
        selector: { matchLabels },
        podManagementPolicy: "Parallel",
        updateStrategy: {},
        template: {
          metadata: {
            labels,
            annotations: {
              "internal.operator.dynatrace.com/activegate-configuration-hash": "1234567890",
              "internal.operator.dynatrace.com/activegate-tenant-token-hash": "ag-token-hash-1",
              "dynatrace.com/split-mounts": "true"
            }
          },
          spec: {
            containers: [
              {
                name: "activegate",
                image: activeGateImage,
                ports: [
                  { name: "https", containerPort: 9999 },
                  { name: "http", containerPort: 9998 }
                ],
                env: [
                  { name: "DT_CAPABILITIES", value: "MSGrouter" },
                  { name: "DT_DEPLOYMENT_METADATA", valueFrom: configMapRef("dk-deployment-metadata", "activegate") },
                  {
                    name: "DT_DNS_ENTRY_POINT",
                    value: "https://10.0.0.12:443/communication,https://dk-activegate.dynatrace:443/communication"
                  },
                  { name: "DT_HTTP_PORT", value: "9998" },
                  { name: "DT_ID_SEED_K8S_CLUSTER_ID", value: "0d3a7a2c-kube-system-uid" },
                  { name: "DT_ID_SEED_NAMESPACE", value: "dynatrace" },
                  {
                    name: "DT_SERVER",
                    valueFrom: configMapRef("dk-activegate-connection-info", "communication-endpoints")
                  },
                  { name: "DT_TENANT", valueFrom: configMapRef("dk-activegate-connection-info", "tenant-uuid") }
                ],
                volumeMounts: [
                  { name: "ag-tmp-gateway", mountPath: "/var/tmp/dynatrace/gateway" },
                  {
                    name: "ag-authtoken-secret",
                    readOnly: true,
                    mountPath: "/var/lib/dynatrace/secrets/tokens/auth-token",
                    subPath: "auth-token"
                  },
                  { name: "ag-lib-gateway-ssl", readOnly: false, mountPath: "/var/lib/dynatrace/gateway/ssl" },
                  { name: "server-certs", readOnly: true, mountPath: "/var/lib/dynatrace/secrets/tls" },
                  {
                    name: "connection-info-secret",
                    readOnly: true,
                    mountPath: "/var/lib/dynatrace/secrets/tokens/tenant-token",
                    subPath: "tenant-token"
                  },
                  ...gatewayMounts
                ],
                readinessProbe: {
                  httpGet: { path: "/rest/health", port: "https", scheme: "HTTPS" },
                  initialDelaySeconds: 90,
                  periodSeconds: 15,
                  timeoutSeconds: 2,
                  successThreshold: 1,
                  failureThreshold: 3
                },
                livenessProbe: {
                  httpGet: { path: "/rest/state", port: 9999, scheme: "HTTPS" },
                  initialDelaySeconds: 90,
                  periodSeconds: 30,
                  timeoutSeconds: 1,
                  successThreshold: 1,
                  failureThreshold: 2
                },
                securityContext
              }
            ],
            serviceAccountName: "dynatrace-activegate",
            automountServiceAccountToken: false,
            affinity: {
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
            },
            securityContext: { fsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
            imagePullSecrets: [{ name: "dk-pull-secret" }],
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels }
              },
              {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                nodeTaintsPolicy: "Honor",
                labelSelector: { matchLabels }
              }
            ],
            volumes: [
              { name: "ag-tmp-gateway", emptyDir: {} },
              secret("ag-authtoken-secret", "dk-activegate-authtoken-secret"),
              { name: "ag-lib-gateway-ssl", emptyDir: {} },
              secret("server-certs", "dk-activegate-tls-secret"),
              secret("connection-info-secret", "dk-activegate-tenant-secret"),
              ...gatewayVolumes
            ]
          }
        }
      }
    })
  })

  it("kubernetes-monitoring: certificate-loader init container, trust store, service account token, kubemon custom properties", () => {
    const sts = build(
      withActiveGate(["kubernetes-monitoring"], (ag) => {
        ag.resources = { requests: { cpu: "500m" } }
        ag.imagePullPolicy = "IfNotPresent"
        ag.customProperties = { value: "[connectivity]\nx=y" }
        ag.annotations = { "container.apparmor.security.beta.kubernetes.io/certificate-loader": "runtime/default" }
      })
    )
    expect(sts.spec.template.spec.automountServiceAccountToken).toBe(true)
    expect(sts.spec.template.spec.initContainers).toStrictEqual([
      {
        name: "certificate-loader",
        image: activeGateImage,
        imagePullPolicy: "IfNotPresent",
        workingDir: "/var/lib/dynatrace/gateway",
        command: ["/bin/bash"],
        args: ["-c", "/opt/dynatrace/gateway/k8scrt2jks.sh"],
        resources: { requests: { cpu: "500m" } },
        volumeMounts: [
          { name: "truststore-volume", readOnly: false, mountPath: "/var/lib/dynatrace/gateway/ssl" },
          { name: "cert-tmp", readOnly: false, mountPath: "/var/lib/dynatrace/gateway" }
        ],
        securityContext: { ...securityContext, appArmorProfile: { type: "RuntimeDefault" } }
      }
    ])
    expect(env(sts, "DT_CAPABILITIES")?.value).toBe("kubernetes_monitoring")
    expect(container(sts).resources).toStrictEqual({ requests: { cpu: "500m" } })
    expect(volumeNames(sts)).toStrictEqual([
      "ag-tmp-gateway",
      "ag-authtoken-secret",
      "ag-lib-gateway-ssl",
      "server-certs",
      "custom-properties",
      "connection-info-secret",
      "ag-lib-gateway-temp",
      "ag-lib-gateway-data",
      "ag-log-gateway",
      "ag-lib-gateway-config",
      "truststore-volume",
      "cert-tmp"
    ])
    expect(sts.spec.template.spec.volumes).toContainEqual({
      name: "custom-properties",
      secret: {
        secretName: "dk-kubernetes-monitoring-custom-properties",
        items: [{ key: "customProperties", path: "custom.properties" }]
      }
    })
    expect(container(sts).volumeMounts).toContainEqual({
      name: "truststore-volume",
      readOnly: true,
      mountPath: "/opt/dynatrace/gateway/jre/lib/security/cacerts",
      subPath: "k8s-local.jks"
    })
    expect(container(sts).volumeMounts).toContainEqual({
      name: "custom-properties",
      readOnly: true,
      mountPath: "/var/lib/dynatrace/gateway/config_template/custom.properties",
      subPath: "custom.properties"
    })
  })

  it("extensions, KSPM (with kubernetes-monitoring), trusted CAs, resource attributes, proxy: their volumes in order", () => {
    const sts = build(
      withActiveGate(["kubernetes-monitoring", "routing"]),
      withSpec((s) => {
        s.extensions = { prometheus: {} }
        s.kspm = {}
        s.trustedCAs = "my-cas"
        s.resourceAttributes = { "k8s.cluster.name": "prod" }
      }),
      withProxy("http://proxy:3128"),
      withStatus((s) => (s.kspm = { tokenSecretHash: "kspm-hash" }))
    )
    expect(volumeNames(sts)).toStrictEqual([
      "ag-tmp-gateway",
      "ag-authtoken-secret",
      "ag-lib-gateway-ssl",
      "server-certs",
      "trustedcas",
      "deployment-properties",
      "internal-proxy-secret-volume",
      "connection-info-secret",
      "ag-lib-gateway-temp",
      "ag-lib-gateway-data",
      "ag-log-gateway",
      "ag-lib-gateway-config",
      "truststore-volume",
      "cert-tmp",
      "eec-token",
      "kspm-token"
    ])
    expect(mountNames(sts)).toStrictEqual(volumeNames(sts).filter((n) => n !== "cert-tmp"))
    const volumes = sts.spec.template.spec.volumes
    expect(volumes).toContainEqual({
      name: "trustedcas",
      configMap: { name: "my-cas", items: [{ key: "certs", path: "rootca.pem" }] }
    })
    expect(volumes).toContainEqual({
      name: "deployment-properties",
      configMap: {
        name: "dk-activegate-deployment-properties",
        items: [{ key: "deployment.properties", path: "deployment.properties" }]
      }
    })
    expect(volumes).toContainEqual(secret("internal-proxy-secret-volume", "dk-internal-proxy"))
    expect(volumes).toContainEqual({
      name: "eec-token",
      secret: {
        secretName: "dk-extensions-token",
        defaultMode: 0o640,
        items: [{ key: "eec.token", path: "eec.token", mode: 0o640 }]
      }
    })
    expect(volumes).toContainEqual({ name: "kspm-token", secret: { secretName: "dk-kspm-token" } })
    expect(container(sts).volumeMounts).toContainEqual({
      name: "kspm-token",
      readOnly: true,
      mountPath: "/var/lib/dynatrace/secrets/tokens/kspm/node-configuration-collector",
      subPath: "kspm-token"
    })
    expect(sts.spec.template.metadata.annotations?.["internal.operator.dynatrace.com/kspm-token-secret-hash"]).toBe(
      "kspm-hash"
    )
    expect(env(sts, "DT_CAPABILITIES")?.value).toBe("kubernetes_monitoring,MSGrouter,extension_controller")
  })

  it("KSPM without kubernetes-monitoring and a proxy the ActiveGate ignores: neither is mounted", () => {
    const sts = build(
      withActiveGate(["routing"]),
      withSpec((s) => (s.kspm = {})),
      withProxy("http://p:1"),
      withFlag("activegate-ignore-proxy", "true")
    )
    expect(volumeNames(sts)).not.toContain("kspm-token")
    expect(volumeNames(sts)).not.toContain("internal-proxy-secret-volume")
    expect(sts.spec.template.metadata.annotations).not.toHaveProperty(
      "internal.operator.dynatrace.com/kspm-token-secret-hash"
    )
  })

  it("no-proxy flag with a proxy mounts the custom properties even without user properties", () => {
    const sts = build(withActiveGate(["routing"]), withProxy("http://p:1"), withFlag("no-proxy", "a.example"))
    expect(volumeNames(sts)).toContain("custom-properties")
    expect(
      build(withActiveGate(["routing"]), withFlag("no-proxy", "a.example")).spec.template.spec.volumes
    ).not.toContainEqual(expect.objectContaining({ name: "custom-properties" }))
  })

  it("telemetry ingest: a 1Gi claim replaces the tmp emptyDir, with Delete retention and a PVC hash", () => {
    const sts = build(
      withActiveGate(["routing"]),
      withSpec((s) => (s.telemetryIngest = {}))
    )
    expect(sts.spec.volumeClaimTemplates).toStrictEqual([
      {
        metadata: { name: "ag-tmp-gateway" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } }
      }
    ])
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toStrictEqual({ whenDeleted: "Delete", whenScaled: "Delete" })
    expect(sts.metadata.annotations?.["internal.operator.dynatrace.com/pvc-hash"]).toMatch(/^[0-9]+$/)
    expect(sts.spec.template.spec.volumes).not.toContainEqual({ name: "ag-tmp-gateway", emptyDir: {} })
    expect(mountNames(sts)).toContain("ag-tmp-gateway")

    const ephemeral = build(
      withActiveGate(["routing"], (ag) => (ag.useEphemeralVolume = true)),
      withSpec((s) => (s.telemetryIngest = {}))
    )
    expect(ephemeral.spec.volumeClaimTemplates).toBeUndefined()
    expect(ephemeral.metadata.annotations).toBeUndefined()
    expect(ephemeral.spec.template.spec.volumes).toContainEqual({ name: "ag-tmp-gateway", emptyDir: {} })

    const claim = {
      accessModes: ["ReadWriteOnce"],
      storageClassName: "fast",
      resources: { requests: { storage: "5Gi" } }
    }
    const custom = build(withActiveGate(["routing"], (ag) => (ag.volumeClaimTemplate = claim)))
    expect(custom.spec.volumeClaimTemplates).toStrictEqual([{ metadata: { name: "ag-tmp-gateway" }, spec: claim }])
    expect(custom.metadata.annotations?.["internal.operator.dynatrace.com/pvc-hash"]).not.toBe(
      sts.metadata.annotations?.["internal.operator.dynatrace.com/pvc-hash"]
    )
  })

  it("user settings: env wins, group and network zone, labels cannot replace app labels, scheduling passes through", () => {
    const sts = build(
      withActiveGate(["routing"], (ag) => {
        ag.env = [
          { name: "DT_TENANT", value: "mine" },
          { name: "DT_CAPABILITIES", value: "custom" },
          { name: "EXTRA", value: "1" }
        ]
        ag.group = "ag-group"
        ag.labels = { team: "net", "app.kubernetes.io/name": "hijack" }
        ag.annotations = { "example.com/a": "b", "dynatrace.com/split-mounts": "false" }
        ag.nodeSelector = { pool: "ag" }
        ag.tolerations = [{ key: "k", operator: "Exists", effect: "NoSchedule" }]
        ag.priorityClassName = "high"
        ag.dnsPolicy = "ClusterFirst"
        ag.terminationGracePeriodSeconds = 30
        ag.rollingUpdate = { partition: 0 }
        ag.topologySpreadConstraints = [{ maxSkew: 2, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }]
        ag.volumes = [{ name: "extra", emptyDir: {} }]
        ag.volumeMounts = [{ name: "extra", mountPath: "/extra" }]
      }),
      withSpec((s) => (s.networkZone = "eu"))
    )
    expect(container(sts).env?.map((e) => e.name)).toStrictEqual([
      "DT_CAPABILITIES",
      "DT_DEPLOYMENT_METADATA",
      "DT_DNS_ENTRY_POINT",
      "DT_GROUP",
      "DT_HTTP_PORT",
      "DT_ID_SEED_K8S_CLUSTER_ID",
      "DT_ID_SEED_NAMESPACE",
      "DT_NETWORK_ZONE",
      "DT_SERVER",
      "DT_TENANT",
      "EXTRA"
    ])
    expect(env(sts, "DT_TENANT")).toStrictEqual({ name: "DT_TENANT", value: "mine" })
    expect(env(sts, "DT_CAPABILITIES")?.value).toBe("custom")
    expect(env(sts, "DT_GROUP")?.value).toBe("ag-group")
    expect(env(sts, "DT_NETWORK_ZONE")?.value).toBe("eu")
    expect(sts.spec.template.metadata.labels).toStrictEqual({ ...labels, team: "net" })
    expect(sts.metadata.labels).toStrictEqual(labels)
    expect(sts.metadata.annotations).toStrictEqual({ "example.com/a": "b", "dynatrace.com/split-mounts": "false" })
    expect(sts.spec.template.metadata.annotations?.["dynatrace.com/split-mounts"]).toBe("false")
    const pod = sts.spec.template.spec
    expect(pod.nodeSelector).toStrictEqual({ pool: "ag" })
    expect(pod.tolerations).toStrictEqual([{ key: "k", operator: "Exists", effect: "NoSchedule" }])
    expect(pod.priorityClassName).toBe("high")
    expect(pod.dnsPolicy).toBe("ClusterFirst")
    expect(pod.terminationGracePeriodSeconds).toBe(30)
    expect(sts.spec.updateStrategy).toStrictEqual({ rollingUpdate: { partition: 0 } })
    expect(pod.topologySpreadConstraints).toStrictEqual([
      { maxSkew: 2, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }
    ])
    expect(volumeNames(sts)[0]).toBe("extra")
    expect(container(sts).volumeMounts?.[0]).toStrictEqual({ name: "extra", mountPath: "/extra" })
  })

  it("replicas: the spec's, else the live object's (an autoscaler's), else 1", () => {
    const dk = dynakube(withActiveGate(["routing"]))
    const input = { dynakube: dk, operator, configurationHash: "1" }
    expect(buildActiveGateStatefulSet(input).spec.replicas).toBe(1)
    expect(buildActiveGateStatefulSet({ ...input, currentReplicas: 4 }).spec.replicas).toBe(4)
    const fixed = dynakube(withActiveGate(["routing"], (ag) => (ag.replicas = 3)))
    expect(buildActiveGateStatefulSet({ ...input, dynakube: fixed, currentReplicas: 4 }).spec.replicas).toBe(3)
  })

  it("activegate-apparmor: RuntimeDefault profile (1.31+) or the legacy annotation (older clusters)", () => {
    const dk = dynakube(withActiveGate(["routing"]), withFlag("activegate-apparmor", "true"))
    const modern = buildActiveGateStatefulSet({ dynakube: dk, operator, configurationHash: "1" })
    expect(container(modern).securityContext?.appArmorProfile).toStrictEqual({ type: "RuntimeDefault" })
    expect(Object.keys(modern.spec.template.metadata.annotations ?? {})).not.toContain(
      "container.apparmor.security.beta.kubernetes.io/activegate"
    )
    const legacy = buildActiveGateStatefulSet({
      dynakube: dk,
      operator: { ...operator, kubernetesMinorVersion: 29 },
      configurationHash: "1"
    })
    expect(container(legacy).securityContext?.appArmorProfile).toBeUndefined()
    expect(
      legacy.spec.template.metadata.annotations?.["container.apparmor.security.beta.kubernetes.io/activegate"]
    ).toBe("runtime/default")
  })

  it("a user TLS secret and trusted CAs without a certificate", () => {
    const user = build(withActiveGate(["routing"], (ag) => (ag.tlsSecretName = "my-tls")))
    expect(user.spec.template.spec.volumes).toContainEqual(secret("server-certs", "my-tls"))
    const noCert = build(
      withActiveGate(["routing"]),
      withFlag("automatic-tls-certificate", "false"),
      withSpec((s) => (s.trustedCAs = "cas"))
    )
    expect(volumeNames(noCert)).toContain("ag-lib-gateway-ssl")
    expect(volumeNames(noCert)).not.toContain("server-certs")
    const neither = build(withActiveGate(["routing"]), withFlag("automatic-tls-certificate", "false"))
    expect(volumeNames(neither)).not.toContain("ag-lib-gateway-ssl")
  })

  it("recreate only for a selector or claim-template change", () => {
    const plain = build(withActiveGate(["routing"]))
    const withPvc = build(
      withActiveGate(["routing"]),
      withSpec((s) => (s.telemetryIngest = {}))
    )
    expect(recreateActiveGateStatefulSet(plain, build(withActiveGate(["routing", "debugging"])))).toBe(false)
    expect(recreateActiveGateStatefulSet(plain, withPvc)).toBe(true)
    expect(recreateActiveGateStatefulSet(withPvc, withPvc)).toBe(false)
    const renamed = build(withActiveGate(["routing"]), (dk) => (dk.metadata = { ...dk.metadata, name: "other" }))
    expect(recreateActiveGateStatefulSet(plain, renamed)).toBe(true)
  })
})

describe("buildActiveGateService", () => {
  it("ClusterIP with https/http ports selecting the ActiveGate pods", () => {
    expect(buildActiveGateService({ dynakube: dynakube(withActiveGate(["routing"])), operator })).toStrictEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "dk-activegate",
        namespace: "dynatrace",
        labels: {
          "app.kubernetes.io/name": "dynatrace-operator",
          "app.kubernetes.io/created-by": "dk",
          "app.kubernetes.io/component": "activegate",
          "app.kubernetes.io/version": "1.7.0"
        },
        ownerReferences: [owner]
      },
      spec: {
        type: "ClusterIP",
        selector: matchLabels,
        ports: [
          { name: "https", protocol: "TCP", port: 443, targetPort: "https" },
          { name: "http", protocol: "TCP", port: 80, targetPort: "http" }
        ]
      }
    })
  })
})
