import { describe, expect, it } from "@effect/vitest"
import { fileURLToPath } from "node:url"
import {
  dynakube,
  expectGolden,
  type Modifier,
  operator,
  withActiveGate,
  withFlag,
  withProxy,
  withServiceIPs,
  withSpec,
  withStatus
} from "../oneagent/WorkloadFixtures.ts"
import type { Container } from "../oneagent/WorkloadTypes.ts"
import {
  buildLogMonitoringDaemonSet,
  initArgs,
  initEnv,
  recreateLogMonitoringDaemonSet,
  templateImage
} from "./LogMonitoringDaemonSet.ts"

// Regenerate after a deliberate change: UPDATE_GOLDEN=1 npm exec -- vitest run --project unit <this file>, then
// `npm run format`.
const golden = fileURLToPath(new URL("./testdata/logmonitoring-daemonset.golden.json", import.meta.url))

const image = "public.ecr.aws/dynatrace/dynatrace-logmodule:1.311.54.20250317-111439"
const standalone = withSpec((s) => {
  s.logMonitoring = {}
})
const build = (...modifiers: ReadonlyArray<Modifier>) =>
  buildLogMonitoringDaemonSet({ dynakube: dynakube(standalone, ...modifiers), operator, image })
const container = (ds: ReturnType<typeof build>, name: string): Container | undefined =>
  [...(ds.spec.template.spec.initContainers ?? []), ...ds.spec.template.spec.containers].find((c) => c.name === name)

describe("log monitoring DaemonSet golden file", () => {
  it("a DaemonSet with every template field set matches testdata/logmonitoring-daemonset.golden.json", () => {
    const ds = build(
      withProxy("http://proxy.corp:3128"),
      withFlag("no-proxy", "internal.corp"),
      withActiveGate(["routing"]),
      withServiceIPs("10.96.0.12"),
      withStatus((s) => {
        s.proxyURLHash = "proxy-hash-1"
      }),
      withSpec((s) => {
        s.networkZone = "eu-west"
        s.customPullSecret = "corp-registry"
        s.resourceAttributes = { "k8s.cluster.name": "prod", "dt.cost.center": "42" }
        s.logMonitoring = { ingestRuleMatchers: [{ attribute: "k8s.namespace.name", values: ["shop"] }] }
        s.templates = {
          logMonitoring: {
            labels: { team: "logs" },
            annotations: {
              "example.com/owner": "platform",
              "container.apparmor.security.beta.kubernetes.io/main": "runtime/default"
            },
            nodeSelector: { "kubernetes.io/os": "linux" },
            imageRef: { repository: "registry.corp/dynatrace/logmodule", tag: "1.311.54", pullPolicy: "Always" },
            dnsPolicy: "ClusterFirstWithHostNet",
            priorityClassName: "dynatrace-high-priority",
            secCompProfile: "logmodule.json",
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
            rollingUpdate: { maxUnavailable: "25%" },
            tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
            args: ["-c extra_option\nvalue"]
          }
        }
      })
    )
    expectGolden(golden, ds)
  })
})

describe("log monitoring DaemonSet", () => {
  it("is <dk>-logmonitoring with the log module's service account, labels, selector and owner", () => {
    const ds = build()
    expect(ds.metadata.name).toBe("dk-logmonitoring")
    expect(ds.metadata.ownerReferences?.[0]?.kind).toBe("DynaKube")
    expect(ds.spec.selector.matchLabels).toStrictEqual({
      "app.kubernetes.io/name": "logmonitoring",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/managed-by": "dynatrace-operator"
    })
    expect(ds.spec.template.metadata.labels["app.kubernetes.io/component"]).toBe("logmonitoring")
    expect(ds.spec.template.spec.serviceAccountName).toBe("dynatrace-logmonitoring")
    expect(ds.spec.template.spec.securityContext).toStrictEqual({ fsGroup: 65532 })
    expect(ds.spec.updateStrategy).toStrictEqual({ rollingUpdate: { maxUnavailable: 1 } })
  })

  it("runs the bootstrapper in init-volume and the module in main, both with the resolved image", () => {
    const ds = build()
    const init = container(ds, "init-volume")
    const main = container(ds, "main")
    expect(init?.command).toStrictEqual(["/opt/dynatrace/oneagent/agent/lib64/bootstrap"])
    expect(init?.image).toBe(image)
    expect(main?.image).toBe(image)
    expect(init?.volumeMounts).toStrictEqual([
      { name: "dynatrace-lib", subPath: "logmonitoring-abc12345", mountPath: "/var/lib/dynatrace" }
    ])
    expect(main?.volumeMounts?.map((m) => [m.name, m.mountPath, m.subPath ?? "", m.readOnly ?? false])).toStrictEqual([
      ["config", "/var/lib/dynatrace/oneagent/agent/config/deployment.conf", "deployment.conf", false],
      ["dynatrace-lib", "/var/lib/dynatrace", "logmonitoring-abc12345", false],
      ["dynatrace-logs", "/tmp/dynatrace", "logmonitoring-abc12345", false],
      ["docker-container-logs", "/var/lib/docker/containers", "", true],
      ["var-log", "/var/log", "", true]
    ])
    expect(ds.spec.template.spec.volumes?.[0]).toStrictEqual({
      name: "config",
      secret: { secretName: "dk-logmonitoring-config", defaultMode: 0o640 }
    })
    expect(main?.securityContext?.capabilities).toStrictEqual({ drop: ["ALL"], add: ["DAC_READ_SEARCH"] })
    expect(init?.securityContext?.capabilities).toStrictEqual({ drop: ["ALL"], add: ["CHOWN"] })
    expect(main?.securityContext?.privileged).toBe(false)
    expect(main?.securityContext?.runAsUser).toBe(65532)
  })

  it("the oneagent-privileged flag makes both containers privileged", () => {
    const ds = build(withFlag("oneagent-privileged", "true"))
    for (const name of ["main", "init-volume"]) {
      expect(container(ds, name)?.securityContext?.privileged).toBe(true)
      expect(container(ds, name)?.securityContext?.allowPrivilegeEscalation).toBe(true)
    }
  })

  it("cluster name and MEID go into env and args only when both are known", () => {
    const known = dynakube(standalone)
    expect(initEnv(known).map((e) => e.name)).toContain("DT_ENTITY_KUBERNETES_CLUSTER")
    expect(initArgs(known)).toContain("-p dt.entity.kubernetes_cluster=$(DT_ENTITY_KUBERNETES_CLUSTER)")
    const unknown = dynakube(
      standalone,
      withStatus((s) => {
        s.kubernetesClusterMEID = ""
      })
    )
    expect(initEnv(unknown).map((e) => e.name)).not.toContain("DT_ENTITY_KUBERNETES_CLUSTER")
    expect(initEnv(unknown).map((e) => e.name)).not.toContain("K8S_CLUSTER_NAME")
    expect(initArgs(unknown).some((a) => a.includes("k8s.cluster.name"))).toBe(false)
  })

  it("resource attributes are sorted by key and stripped of control characters, template args come last", () => {
    const dk = dynakube(
      standalone,
      withSpec((s) => {
        s.resourceAttributes = { zeta: "z", "al\tpha": "a\nb" }
        s.templates = { logMonitoring: { args: ["--last\r"] } }
      })
    )
    const args = initArgs(dk)
    expect(args.slice(-3)).toStrictEqual(["-p alpha=ab", "-p zeta=z", "--last"])
  })

  it("pull secrets are the custom one and the operator's, never the tenant pull secret", () => {
    expect(build().spec.template.spec.imagePullSecrets).toBeUndefined()
    const ds = buildLogMonitoringDaemonSet({
      dynakube: dynakube(
        standalone,
        withSpec((s) => {
          s.customPullSecret = "corp"
        })
      ),
      operator: { ...operator, operatorPullSecret: "operator-pull" },
      image
    })
    expect(ds.spec.template.spec.imagePullSecrets).toStrictEqual([{ name: "corp" }, { name: "operator-pull" }])
  })

  it("AppArmor annotations move into securityContext on 1.31+ and stay annotations before", () => {
    const annotated = withSpec((s) => {
      s.templates = {
        logMonitoring: { annotations: { "container.apparmor.security.beta.kubernetes.io/main": "localhost/logs" } }
      }
    })
    const modern = build(annotated)
    expect(container(modern, "main")?.securityContext?.appArmorProfile).toStrictEqual({
      type: "Localhost",
      localhostProfile: "logs"
    })
    expect(modern.spec.template.metadata.annotations).not.toHaveProperty(
      "container.apparmor.security.beta.kubernetes.io/main"
    )
    const old = buildLogMonitoringDaemonSet({
      dynakube: dynakube(standalone, annotated),
      operator: { ...operator, kubernetesMinorVersion: 30 },
      image
    })
    expect(container(old, "main")?.securityContext?.appArmorProfile).toBeUndefined()
    expect(old.spec.template.metadata.annotations?.["container.apparmor.security.beta.kubernetes.io/main"]).toBe(
      "localhost/logs"
    )
  })

  it("template labels cannot change the selector labels", () => {
    const ds = build(
      withSpec((s) => {
        s.templates = { logMonitoring: { labels: { "app.kubernetes.io/name": "mine", extra: "yes" } } }
      })
    )
    expect(ds.spec.template.metadata.labels["app.kubernetes.io/name"]).toBe("logmonitoring")
    expect(ds.spec.template.metadata.labels["extra"]).toBe("yes")
  })

  it("recreate only when the selector differs", () => {
    const ds = build()
    expect(recreateLogMonitoringDaemonSet(ds, ds)).toBe(false)
    expect(recreateLogMonitoringDaemonSet({ spec: { selector: { matchLabels: { a: "b" } } } }, ds)).toBe(true)
  })
})

describe("template image", () => {
  const withImageRef = (imageRef: Record<string, string>) =>
    dynakube(
      withSpec((s) => {
        s.templates = { logMonitoring: { imageRef } }
      })
    )
  it("is repo:tag, repo@digest when a digest is set, and undefined without repository or tag/digest", () => {
    expect(templateImage(withImageRef({ repository: "r/logmodule", tag: "1.2" }))).toBe("r/logmodule:1.2")
    expect(templateImage(withImageRef({ repository: "r/logmodule", tag: "1.2", digest: "sha256:abcd" }))).toBe(
      "r/logmodule@sha256:abcd"
    )
    expect(templateImage(withImageRef({ repository: "r/logmodule" }))).toBeUndefined()
    expect(templateImage(withImageRef({ tag: "1.2" }))).toBeUndefined()
    expect(templateImage(dynakube())).toBeUndefined()
  })
})
