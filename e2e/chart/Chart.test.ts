/**
 * The Helm chart without a cluster: `helm lint`, golden `helm template` output for the main value sets
 * (`UPDATE_GOLDEN=1` rewrites them), the spec's facts in the rendered objects, values.schema.json and the
 * template's own validation, generated CRD templates being current, and every subcommand the chart runs existing.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { subcommandNames } from "../../src/programs/cli/Cli.ts"
import { version } from "../../src/programs/cli/Version.ts"
import { chartCrdDir, chartCrdTemplates } from "./ChartCrds.ts"
import { chartDir, ensureHelm, helmOk, runHelm } from "./Helm.ts"
import {
  containers,
  envOf,
  find,
  parseObjects,
  podSpecs,
  type Rendered,
  releaseNamespace,
  render,
  renderError,
  renderText,
  valueSets
} from "./Render.ts"

// Beside the chart (not in it): exact helm output, which the formatter must not touch (manifests/** is not formatted).
const goldenDir = path.join(chartDir, "../golden")

/**
 * Subcommands the chart runs that the CLI does not have yet (spec §7). When one lands, the test below fails until
 * it is removed from this list, so the list only ever shrinks.
 */
const pendingSubcommands = new Set<string>()

let helm = ""
const rendered: Record<string, ReadonlyArray<Rendered>> = {}

beforeAll(async () => {
  helm = await ensureHelm()
  for (const [name, args] of Object.entries(valueSets)) rendered[name] = render(helm, args)
})

const objects = (set: keyof typeof valueSets) => rendered[set]!
const images = (objs: ReadonlyArray<Rendered>) => new Set(containers(objs).map(({ container }) => container.image))
const imageOf = (args: ReadonlyArray<string>) => [...images(render(helm, args))]
const resourcesOf = (args: ReadonlyArray<string>) =>
  (find(render(helm, args), "ClusterRole", "dynatrace-logmonitoring") as any).rules[0].resources

describe("helm lint", () => {
  it.each(Object.keys(valueSets))("passes --strict with the %s values", (set) => {
    const result = runHelm(helm, ["lint", "--strict", chartDir, ...valueSets[set]!])
    expect(result.status, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain("1 chart(s) linted, 0 chart(s) failed")
  })
})

/**
 * The rendered text without the CRD documents: those are the generated schemas (thousands of lines, checked
 * against the generator below), so a schema change does not churn four golden files.
 */
const withoutCrds = (text: string) =>
  text
    .split(/^---\n/m)
    .filter((doc) => !/^kind: CustomResourceDefinition$/m.test(doc))
    .join("---\n")

describe("helm template golden files", () => {
  it.each(Object.keys(valueSets))("%s matches golden/<set>.yaml (CRDs left out)", (set) => {
    const text = withoutCrds(renderText(helm, valueSets[set]!))
    const file = path.join(goldenDir, `${set}.yaml`)
    if (process.env["UPDATE_GOLDEN"] === "1") {
      fs.mkdirSync(goldenDir, { recursive: true })
      fs.writeFileSync(file, text)
    }
    expect(fs.existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1`).toBe(true)
    expect(text, `manifests/chart/golden/${set}.yaml differs: review the diff, then UPDATE_GOLDEN=1`).toBe(
      fs.readFileSync(file, "utf8")
    )
  })
})

describe("objects installed (spec §8.3)", () => {
  it("default: CRDs, RBAC, both Deployments, Service, PDB, webhook configurations, CSI driver, in the release namespace", () => {
    const all = objects("default")
    for (const [kind, name] of [
      ["CustomResourceDefinition", "dynakubes.dynatrace.com"],
      ["CustomResourceDefinition", "edgeconnects.dynatrace.com"],
      ["CustomResourceDefinition", "dtprometheuses.dynatrace.com"],
      ["Deployment", "dynatrace-operator"],
      ["Deployment", "dynatrace-webhook"],
      ["Service", "dynatrace-webhook"],
      ["PodDisruptionBudget", "dynatrace-webhook"],
      ["MutatingWebhookConfiguration", "dynatrace-webhook"],
      ["ValidatingWebhookConfiguration", "dynatrace-webhook"],
      ["CSIDriver", "csi.oneagent.dynatrace.com"],
      ["DaemonSet", "dynatrace-oneagent-csi-driver"],
      ["PriorityClass", "dynatrace-high-priority"],
      ["ClusterRole", "dynatrace-operator"],
      ["Role", "dynatrace-operator"],
      ["ClusterRole", "dynatrace-webhook"],
      ["Role", "dynatrace-webhook"],
      ["Role", "dynatrace-oneagent-csi-driver"],
      ["ClusterRole", "dynatrace-kubernetes-monitoring-default"]
    ] as const) {
      find(all, kind, name)
    }
    // Installed objects (hooks exist only while a hook runs).
    const serviceAccounts = all
      .filter((o) => o.kind === "ServiceAccount" && o.metadata.annotations?.["helm.sh/hook"] === undefined)
      .map((o) => o.metadata.name)
    expect(serviceAccounts.toSorted()).toEqual(
      [
        "dynatrace-operator",
        "dynatrace-webhook",
        "dynatrace-oneagent-csi-driver",
        "dynatrace-dynakube-oneagent",
        "dynatrace-activegate",
        "dynatrace-logmonitoring",
        "dynatrace-node-config-collector",
        "dynatrace-edgeconnect",
        "dynatrace-extension-controller",
        "dynatrace-sql-ext-exec",
        "dynatrace-otel-collector"
      ].toSorted()
    )
    // No SCC rules outside OpenShift.
    expect(JSON.stringify(all)).not.toContain('"use"')
    for (const o of all) {
      const clusterScoped = [
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "CSIDriver",
        "PriorityClass"
      ].includes(o.kind)
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(clusterScoped ? undefined : releaseNamespace)
      expect(o.metadata.labels?.["app.kubernetes.io/name"], `${o.kind}/${o.metadata.name}`).toBe("dynatrace-operator")
    }
  })

  it("the operator Deployment: one replica, certgen init container, probes and ports, no self-injection", () => {
    const operator = find(objects("default"), "Deployment", "dynatrace-operator") as any
    expect(operator.metadata.labels["dynatrace.com/install-source"]).toBe("helm")
    expect(operator.spec.replicas).toBe(1)
    expect(operator.spec.revisionHistoryLimit).toBe(1)
    expect(operator.spec.selector.matchLabels).toEqual({ name: "dynatrace-operator" })
    const pod = operator.spec.template
    expect(pod.metadata.annotations["dynatrace.com/inject"]).toBe("false")
    expect(pod.spec.serviceAccountName).toBe("dynatrace-operator")
    expect(pod.spec.initContainers.map((c: any) => [c.name, c.args])).toEqual([["webhook-cert-generator", ["certgen"]]])
    const [container] = pod.spec.containers
    expect(container.args).toEqual(["operator"])
    expect(container.ports).toEqual([
      { name: "livez", containerPort: 10080 },
      { name: "metrics", containerPort: 8080 }
    ])
    expect(container.livenessProbe.httpGet).toEqual({ path: "/livez", port: "livez", scheme: "HTTP" })
    expect(envOf(container, "DT_OPERATOR_IMAGE")).toBe(`public.ecr.aws/dynatrace/dynatrace-operator:v${version}`)
    expect(envOf(container, "APP_VERSION")).toBe(version)
    expect(envOf(container, "DT_HOST_AVAILABILITY_DETECTION")).toBe("true")
    expect(JSON.parse(envOf(container, "modules.json")!)).toEqual({
      csiDriver: true,
      activeGate: true,
      oneAgent: true,
      extensions: true,
      logMonitoring: true,
      edgeConnect: true,
      supportability: true,
      kubernetesMonitoring: true,
      kspm: true
    })
    // docs/operator.md: 4 MB semi-spaces, old space 3/4 of the 256Mi limit.
    expect(container.resources.limits.memory).toBe("256Mi")
    expect(envOf(container, "NODE_OPTIONS")).toBe("--max-semi-space-size=4 --max-old-space-size=192")
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      runAsUser: 1001
    })
  })

  it("the webhook: 2 replicas spread over zones and hosts, PDB minAvailable 1, Service 443 -> server-port", () => {
    const all = objects("default")
    const webhook = find(all, "Deployment", "dynatrace-webhook") as any
    expect(webhook.spec.replicas).toBe(2)
    const selector = { "internal.dynatrace.com/component": "webhook", "internal.dynatrace.com/app": "webhook" }
    expect(webhook.spec.selector.matchLabels).toEqual(selector)
    const pod = webhook.spec.template.spec
    expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual([
      "topology.kubernetes.io/zone",
      "kubernetes.io/hostname"
    ])
    const [container] = pod.containers
    expect(container.args).toEqual(["webhook-server", "--certs-dir=/tmp/k8s-webhook-server/serving-certs/"])
    expect(container.ports.map((p: any) => [p.name, p.containerPort])).toEqual([
      ["server-port", 8443],
      ["livez", 10080],
      ["metrics", 8383]
    ])
    expect(envOf(container, "WEBHOOK_PORT")).toBe("8443")
    expect(envOf(container, "HEALTH_PROBE_BIND_ADDRESS")).toBe(":10080")
    expect(envOf(container, "METRICS_BIND_ADDRESS")).toBe(":8383")
    // docs/webhook.md: 2 MB semi-spaces, old space 3/4 of the 128Mi limit.
    expect(container.resources).toEqual({
      requests: { cpu: "300m", memory: "128Mi" },
      limits: { cpu: "300m", memory: "128Mi" }
    })
    expect(envOf(container, "NODE_OPTIONS")).toBe("--max-semi-space-size=2 --max-old-space-size=96")
    expect(container.readinessProbe.httpGet.path).toBe("/readyz")
    expect(container.livenessProbe.httpGet.path).toBe("/livez")
    expect(container.volumeMounts).toEqual([{ name: "certs-dir", mountPath: "/tmp/k8s-webhook-server/serving-certs" }])
    expect(pod.volumes).toEqual([{ name: "certs-dir", emptyDir: { sizeLimit: "10Mi" } }])
    const pdb = find(all, "PodDisruptionBudget", "dynatrace-webhook") as any
    expect(pdb.spec).toEqual({ minAvailable: 1, selector: { matchLabels: selector } })
    const service = find(all, "Service", "dynatrace-webhook") as any
    expect(service.spec.selector).toEqual(selector)
    expect(service.spec.ports).toEqual([{ name: "https", port: 443, targetPort: "server-port", protocol: "TCP" }])
  })

  it("webhook configurations: the spec's names, paths, rules and policies; no caBundle (the operator writes it)", () => {
    const all = objects("default")
    const mutating = find(all, "MutatingWebhookConfiguration", "dynatrace-webhook") as any
    expect(mutating.webhooks.map((w: any) => [w.name, w.clientConfig.service.path])).toEqual([
      ["webhook.pod.dynatrace.com", "/inject"],
      ["webhook.ns.dynatrace.com", "/label-ns"]
    ])
    const [pods, namespaces] = mutating.webhooks
    expect(pods).toMatchObject({
      reinvocationPolicy: "IfNeeded",
      failurePolicy: "Ignore",
      timeoutSeconds: 10,
      sideEffects: "None",
      namespaceSelector: {
        matchExpressions: [{ key: "dynakube.internal.dynatrace.com/instance", operator: "Exists" }]
      },
      rules: [{ operations: ["CREATE"], resources: ["pods"] }]
    })
    expect(namespaces.rules).toMatchObject([{ operations: ["CREATE", "UPDATE"], resources: ["namespaces"] }])
    const validating = find(all, "ValidatingWebhookConfiguration", "dynatrace-webhook") as any
    expect(validating.webhooks.map((w: any) => [w.name, w.clientConfig.service.path])).toEqual([
      ["v1beta5.dynakube.webhook.dynatrace.com", "/validate-dynatrace-com-v1beta5-dynakube"],
      ["v1beta6.dynakube.webhook.dynatrace.com", "/validate-dynatrace-com-v1beta6-dynakube"],
      ["v1alpha1.edgeconnect.webhook.dynatrace.com", "/validate-dynatrace-com-v1alpha1-edgeconnect"],
      ["v1alpha2.edgeconnect.webhook.dynatrace.com", "/validate-dynatrace-com-v1alpha2-edgeconnect"]
    ])
    for (const w of validating.webhooks) {
      expect(w.matchPolicy).toBe("Exact")
      expect(w.failurePolicy).toBeUndefined() // API default: Fail
      expect(w.timeoutSeconds).toBe(10)
      expect(w.rules[0].operations).toEqual(["CREATE", "UPDATE"])
    }
    for (const w of [...mutating.webhooks, ...validating.webhooks]) {
      expect(w.clientConfig.service).toMatchObject({ name: "dynatrace-webhook", namespace: releaseNamespace })
      expect(w.clientConfig.caBundle).toBeUndefined()
    }
    for (const name of ["dynakubes.dynatrace.com", "edgeconnects.dynatrace.com"]) {
      const crd = find(all, "CustomResourceDefinition", name) as any
      expect(crd.spec.conversion.webhook.clientConfig.service).toEqual({
        namespace: releaseNamespace,
        name: "dynatrace-webhook",
        path: "/convert"
      })
    }
    // Single version: no conversion stanza, so no caBundle to keep either.
    expect(
      (find(all, "CustomResourceDefinition", "dtprometheuses.dynatrace.com") as any).spec.conversion
    ).toBeUndefined()
    for (const name of ["dynakubes.dynatrace.com", "edgeconnects.dynatrace.com", "dtprometheuses.dynatrace.com"]) {
      // The operator's CRD version check reads this label; the chart sets it to the version it installs.
      const labels = (find(all, "CustomResourceDefinition", name) as any).metadata.labels
      expect(labels["app.kubernetes.io/version"], name).toBe(version)
      expect(labels["app.kubernetes.io/component"], name).toBe("operator")
    }
  })

  it("the CSI driver: CSIDriver, DaemonSet with the five containers, priority class, kubelet paths", () => {
    const all = objects("default")
    const driver = find(all, "CSIDriver", "csi.oneagent.dynatrace.com") as any
    expect(driver.spec).toEqual({ attachRequired: false, podInfoOnMount: true, volumeLifecycleModes: ["Ephemeral"] })
    expect(driver.metadata.labels["security.openshift.io/csi-ephemeral-volume-profile"]).toBeUndefined()
    const ds = find(all, "DaemonSet", "dynatrace-oneagent-csi-driver") as any
    expect(ds.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } })
    const pod = ds.spec.template.spec
    expect(pod.priorityClassName).toBe("dynatrace-high-priority")
    expect(pod.serviceAccountName).toBe("dynatrace-oneagent-csi-driver")
    expect(pod.initContainers.map((c: any) => c.args[0])).toEqual(["csi-init"])
    expect(pod.containers.map((c: any) => [c.name, c.args])).toEqual([
      ["server", ["csi-server", "--endpoint=unix:/csi/csi.sock", "--node-id=$(KUBE_NODE_NAME)"]],
      ["provisioner", ["csi-provisioner", "--health-probe-bind-address=:10090"]],
      [
        "registrar",
        [
          "csi-node-driver-registrar",
          "--csi-address=/csi/csi.sock",
          "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)"
        ]
      ],
      ["liveness-probe", ["livenessprobe", "--csi-address=/csi/csi.sock", "--health-port=9808", "--probe-timeout=9s"]]
    ])
    const server = pod.containers[0]
    expect(server.securityContext.privileged).toBe(true)
    expect(server.volumeMounts).toContainEqual({
      name: "mountpoint-dir",
      mountPath: "/var/lib/kubelet/pods",
      mountPropagation: "Bidirectional"
    })
    expect(envOf(pod.containers[2], "DRIVER_REG_SOCK_PATH")).toBe(
      "/var/lib/kubelet/plugins/csi.oneagent.dynatrace.com/csi.sock"
    )
    expect(pod.volumes.map((v: any) => [v.name, v.hostPath.path])).toEqual([
      ["registration-dir", "/var/lib/kubelet/plugins_registry"],
      ["plugin-dir", "/var/lib/kubelet/plugins/csi.oneagent.dynatrace.com"],
      ["data-dir", "/var/lib/kubelet/plugins/csi.oneagent.dynatrace.com/data"],
      ["mountpoint-dir", "/var/lib/kubelet/pods"]
    ])
    expect(pod.tolerations).toContainEqual({
      effect: "NoSchedule",
      key: "node-role.kubernetes.io/control-plane",
      operator: "Exists"
    })
    const helmJson = JSON.parse(envOf(pod.containers[1], "helm.json")!)
    expect(helmJson.job.priorityClassName).toBe("dynatrace-high-priority")
  })

  it("csidriver.enabled=false: no CSIDriver, DaemonSet, priority class or CSI RBAC; modules.json says so", () => {
    const all = objects("csidriver-disabled")
    for (const kind of ["CSIDriver", "DaemonSet", "PriorityClass"]) expect(all.some((o) => o.kind === kind)).toBe(false)
    expect(all.some((o) => o.metadata.name === "dynatrace-oneagent-csi-driver")).toBe(false)
    for (const { container } of containers(all).filter((c) => envOf(c.container, "modules.json") !== undefined)) {
      expect(JSON.parse(envOf(container, "modules.json")!).csiDriver).toBe(false)
    }
  })

  it("openshift: Red Hat image, SCC use rules, CSIDriver profile label", () => {
    const all = objects("openshift")
    expect(images(all)).toEqual(new Set([`registry.connect.redhat.com/dynatrace/dynatrace-operator:v${version}`]))
    const sccOf = (kind: string, name: string) =>
      ((find(all, kind, name) as any).rules as Array<any>).find(
        (r) => r.resources.includes("securitycontextconstraints") && r.verbs.includes("use")
      )?.resourceNames
    expect(sccOf("ClusterRole", "dynatrace-operator")).toEqual(["privileged", "nonroot-v2"])
    expect(sccOf("ClusterRole", "dynatrace-webhook")).toEqual(["privileged", "nonroot-v2"])
    expect(sccOf("ClusterRole", "dynatrace-oneagent-csi-driver")).toEqual(["privileged"])
    expect(sccOf("ClusterRole", "dynatrace-dynakube-oneagent")).toEqual(["privileged"])
    expect(sccOf("ClusterRole", "dynatrace-activegate")).toEqual(["privileged", "nonroot-v2"])
    const driver = find(all, "CSIDriver", "csi.oneagent.dynatrace.com")
    expect(driver.metadata.labels?.["security.openshift.io/csi-ephemeral-volume-profile"]).toBe("restricted")
    // Detected from the API groups as well.
    const detected = render(helm, ["--api-versions", "security.openshift.io/v1"])
    expect(images(detected)).toEqual(images(all))
  })

  it("custom image and pull secret: on every container, every pod and DT_OPERATOR_PULL_SECRET", () => {
    const all = objects("custom-image")
    expect(images(all)).toEqual(new Set(["registry.example.com/dynatrace/operator:1.2.3"]))
    for (const { container } of containers(all)) expect(container.imagePullPolicy).toBe("Always")
    for (const { owner, spec } of podSpecs(all)) {
      expect(spec.imagePullSecrets, owner).toEqual([{ name: "my-pull-secret" }])
    }
    const operator = (find(all, "Deployment", "dynatrace-operator") as any).spec.template.spec.containers[0]
    expect(envOf(operator, "DT_OPERATOR_PULL_SECRET")).toBe("my-pull-secret")
    expect(envOf(operator, "DT_OPERATOR_IMAGE")).toBe("registry.example.com/dynatrace/operator:1.2.3")
  })

  it("image precedence: image > imageRef digest > imageRef tag > v<appVersion>", () => {
    expect(imageOf(["--set", "image=a/b:c", "--set", "imageRef.repository=x/y"])).toEqual(["a/b:c"])
    expect(
      imageOf([
        "--set",
        "imageRef.repository=x/y",
        "--set",
        "imageRef.tag=1",
        "--set",
        `imageRef.digest=sha256:${"a".repeat(64)}`
      ])
    ).toEqual([`x/y@sha256:${"a".repeat(64)}`])
    expect(imageOf(["--set", "imageRef.repository=x/y"])).toEqual([`x/y:v${version}`])
  })

  it("webhook replicas: 1 when highAvailability is off (no spread constraints) or in debug mode", () => {
    const off = find(
      render(helm, ["--set", "webhook.highAvailability=false"]),
      "Deployment",
      "dynatrace-webhook"
    ) as any
    expect(off.spec.replicas).toBe(1)
    expect(off.spec.template.spec.topologySpreadConstraints).toBeUndefined()
    const debug = find(render(helm, ["--set", "debug=true"]), "Deployment", "dynatrace-webhook") as any
    expect(debug.spec.replicas).toBe(1)
    const three = find(render(helm, ["--set", "webhook.replicas=3"]), "Deployment", "dynatrace-webhook") as any
    expect(three.spec.replicas).toBe(3)
  })

  it("values reach the environment: certs durations, requeue, debug logs, metadata size, kubelet path", () => {
    const all = render(helm, [
      "--set",
      "webhook.certs.rootDuration=720h",
      "--set",
      "webhook.certs.requeueAfter=1h",
      "--set",
      "operator.requeueAfter=5m",
      "--set",
      "debugLogs=true",
      "--set",
      "webhook.metadataSizeLimit=1000",
      "--set",
      "csidriver.kubeletPath=/var/data/kubelet/",
      "--set",
      "rbac.edgeConnect.create=false"
    ])
    const operatorPod = (find(all, "Deployment", "dynatrace-operator") as any).spec.template.spec
    for (const c of [...operatorPod.initContainers, ...operatorPod.containers]) {
      expect(envOf(c, "DT_WEBHOOK_CERTS_ROOT_DURATION"), c.name).toBe("720h")
      expect(envOf(c, "DT_WEBHOOK_CERTS_REQUEUE_AFTER"), c.name).toBe("1h")
      expect(envOf(c, "DT_WEBHOOK_CERTS_SERVER_DURATION"), c.name).toBeUndefined()
      expect(envOf(c, "LOG_LEVEL"), c.name).toBe("debug")
      expect(JSON.parse(envOf(c, "modules.json")!).edgeConnect).toBe(false)
    }
    expect(envOf(operatorPod.containers[0], "DT_DEFAULT_REQUEUE_AFTER")).toBe("5m")
    const webhook = (find(all, "Deployment", "dynatrace-webhook") as any).spec.template.spec.containers[0]
    expect(envOf(webhook, "DT_METADATA_SIZE_LIMIT")).toBe("1000")
    const ds = (find(all, "DaemonSet", "dynatrace-oneagent-csi-driver") as any).spec.template.spec
    expect(envOf(ds.containers[0], "KUBELET_DIR")).toBe("/var/data/kubelet")
    expect(ds.volumes.find((v: any) => v.name === "mountpoint-dir").hostPath.path).toBe("/var/data/kubelet/pods")
    expect(all.some((o) => o.metadata.name === "dynatrace-edgeconnect")).toBe(false)
  })

  it("NODE_OPTIONS follows the memory limits: old space 3/4 of the limit, semi-spaces fixed, no old-space cap without a limit", () => {
    const nodeOptions = (args: ReadonlyArray<string>) => {
      const all = render(helm, args)
      const container = (name: string) => (find(all, "Deployment", name) as any).spec.template.spec.containers[0]
      return [
        envOf(container("dynatrace-operator"), "NODE_OPTIONS"),
        envOf(container("dynatrace-webhook"), "NODE_OPTIONS")
      ]
    }
    expect(nodeOptions(["--set", "operator.limits.memory=1Gi", "--set", "webhook.limits.memory=512M"])).toEqual([
      "--max-semi-space-size=4 --max-old-space-size=768",
      "--max-semi-space-size=2 --max-old-space-size=366"
    ])
    // The original chart's operator limit still works: the heap cap follows it down.
    expect(nodeOptions(["--set", "operator.limits.memory=128Mi"])[0]).toBe(
      "--max-semi-space-size=4 --max-old-space-size=96"
    )
    expect(nodeOptions(["--set", "operator.limits=null", "--set", "webhook.limits=null"])).toEqual([
      "--max-semi-space-size=4",
      "--max-semi-space-size=2"
    ])
  })

  it("OLM: no certgen init container, install source operatorhub, SCC rules", () => {
    const all = render(helm, ["--set", "olm=true"])
    const operator = find(all, "Deployment", "dynatrace-operator") as any
    expect(operator.spec.template.spec.initContainers).toBeUndefined()
    expect(operator.metadata.labels["dynatrace.com/install-source"]).toBe("operatorhub")
    expect(JSON.stringify(find(all, "ClusterRole", "dynatrace-operator"))).toContain("securitycontextconstraints")
  })

  it("AppArmor: the securityContext field from 1.31, the annotation before", () => {
    const current = find(render(helm, ["--set", "operator.apparmor=true"]), "Deployment", "dynatrace-operator") as any
    expect(current.spec.template.spec.securityContext.appArmorProfile).toEqual({ type: "RuntimeDefault" })
    const old = find(
      render(helm, ["--set", "operator.apparmor=true", "--kube-version", "1.30.0"]),
      "Deployment",
      "dynatrace-operator"
    ) as any
    expect(old.spec.template.spec.securityContext.appArmorProfile).toBeUndefined()
    expect(old.spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/operator"]).toBe(
      "runtime/default"
    )
  })

  it("log monitoring reads nodes/pods from Kubernetes 1.36 (or when forced), nodes/proxy before", () => {
    expect(resourcesOf([])).toEqual(["nodes/proxy"])
    expect(resourcesOf(["--kube-version", "1.36.0"])).toEqual(["nodes/pods"])
    expect(resourcesOf(["--set", "rbac.kubeletFineGrainedAuthz=true"])).toEqual(["nodes/pods"])
  })

  it("installCRD=false renders no CRD and no storage-migration hook", () => {
    const all = render(helm, ["--set", "installCRD=false"])
    expect(all.some((o) => o.kind === "CustomResourceDefinition")).toBe(false)
    expect(all.some((o) => o.metadata.name === "dynatrace-operator-crd-storage-migration")).toBe(false)
  })

  it("hooks: the storage-migration Job is pre-upgrade (weight -5, deleted on success); the webhook check is a test hook", () => {
    const all = objects("default")
    const job = find(all, "Job", "dynatrace-operator-crd-storage-migration")
    expect(job.metadata.annotations).toEqual({
      "helm.sh/hook": "pre-upgrade",
      "helm.sh/hook-weight": "-5",
      "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"
    })
    expect((job as any).spec.backoffLimit).toBe(3)
    expect(find(all, "Job", "dynatrace-operator-test-webhook").metadata.annotations?.["helm.sh/hook"]).toBe("test")
  })
})

describe("values validation", () => {
  it.each([
    [["--set", "platform=openshfit"], "/platform"],
    [["--set", "webhook.certs.serverDuration=7days"], "/webhook/certs/serverDuration"],
    [["--set", "webhook.mutatingWebhook.failurePolicy=Deny"], "/webhook/mutatingWebhook/failurePolicy"],
    [["--set", "csidriver.kubeletPath=var/lib/kubelet"], "/csidriver/kubeletPath"],
    [["--set", "webhook.replicas=0"], "/webhook/replicas"],
    [["--set", "imageRef.pullPolicy=Sometimes"], "/imageRef/pullPolicy"]
  ])("the schema rejects %j at %s", (args, where) => {
    expect(renderError(helm, args)).toContain(where)
  })

  it("inconsistent RBAC switches fail with a message naming the values", () => {
    expect(renderError(helm, ["--set", "rbac.activeGate.create=false"])).toContain(
      "rbac.kubernetesMonitoring.create=true needs rbac.activeGate.create=true"
    )
    expect(renderError(helm, ["--set", "rbac.kubernetesMonitoring.create=false"])).toContain(
      "rbac.kspm.create=true needs rbac.kubernetesMonitoring.create=true"
    )
  })

  it("a values file of the original chart (every documented key) renders", () => {
    const file = path.join(import.meta.dirname, "testdata/original-values.yaml")
    const all = render(helm, ["--values", file])
    expect(find(all, "Deployment", "dynatrace-webhook")).toBeDefined()
  })
})

describe("chart sources", () => {
  it("the CRD templates are the generated ones (run `npm run generate` after changing a schema)", () => {
    const expected = chartCrdTemplates()
    expect(
      fs
        .readdirSync(chartCrdDir)
        .filter((f) => f.startsWith("dynatrace.com_"))
        .toSorted()
    ).toEqual(expected.map((t) => t.file).toSorted())
    for (const { file, text } of expected) {
      expect(fs.readFileSync(path.join(chartCrdDir, file), "utf8"), `templates/crd/${file} is stale`).toBe(text)
    }
  })

  it("chart version and appVersion equal the binary's version", () => {
    const chart = helmOk(helm, ["show", "chart", chartDir])
    expect(chart).toContain(`version: ${version}`)
    expect(chart).toContain(`appVersion: ${version}`)
  })

  it("every subcommand the chart runs exists in the CLI, or is listed as pending (and then does not exist yet)", () => {
    const all = [
      ...objects("default"),
      ...render(helm, ["--set", "operator.startupProbe.periodSeconds=5"]),
      ...parseObjects(helmOk(helm, ["template", "x", chartDir, "--is-upgrade"]))
    ]
    const used = new Set<string>()
    for (const { container } of containers(all)) {
      if (container.command?.[0] === "node" && container.command[1] === "-e") continue // the helm test script
      const args: Array<string> = container.args ?? container.command?.slice(2) ?? []
      if (args[0] !== undefined) used.add(args[0])
      const probe = container.startupProbe?.exec?.command
      if (probe !== undefined) used.add(probe[2])
    }
    const known = new Set<string>(subcommandNames)
    for (const name of used) {
      if (pendingSubcommands.has(name)) {
        expect(known.has(name), `${name} landed: remove it from pendingSubcommands`).toBe(false)
      } else {
        expect(known.has(name), `the chart runs "${name}", which the CLI does not have`).toBe(true)
      }
    }
    // The list names only subcommands the chart really uses.
    for (const name of pendingSubcommands) expect(used.has(name), name).toBe(true)
    if (pendingSubcommands.size > 0) {
      console.log(`chart subcommands not in the CLI yet: ${[...pendingSubcommands].join(", ")}`)
    }
  })
})
