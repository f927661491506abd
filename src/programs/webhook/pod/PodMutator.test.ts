import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, JsonPatch } from "effect"
import { TestClock } from "effect/testing"
import type { Container, Pod } from "../../../schemas/Pod.ts"
import * as InjectionContext from "../InjectionContext.ts"
import * as Keys from "../Keys.ts"
import * as T from "../TestObjects.ts"
import * as H from "./MutatorHarness.ts"
import * as PodMutator from "./PodMutator.ts"

const asPod = (value: unknown) => value as Pod
const annotationsOf = (value: unknown) => asPod(value).metadata.annotations ?? {}
const initContainer = (value: unknown) =>
  asPod(value).spec.initContainers?.find((c) => c.name === Keys.names.initContainer)
const containerNamed = (value: unknown, name: string) =>
  asPod(value).spec.containers.find((c) => c.name === name) as Container
const envOf = (c: Container | undefined) =>
  Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]))
const mountsOf = (c: Container | undefined) =>
  (c?.volumeMounts ?? []).map((m) => `${m.name}:${m.mountPath}:${m.subPath ?? ""}`)
const volumeOf = (value: unknown, name: string) =>
  (asPod(value).spec.volumes ?? []).find((v) => v.name === name) as Record<string, unknown> | undefined

const run = (
  dk: T.DynaKubeObject,
  pod: Pod,
  options: {
    readonly fixtures?: Partial<InjectionContext.Fixtures>
    readonly settings?: Parameters<typeof T.settings>[0]
  } = {}
) =>
  H.admit(pod).pipe(
    Effect.provide(H.mutatorLayer(H.standardFixtures(dk, options.fixtures), T.settings(options.settings)))
  )

const cloudNative = T.dynakube(T.cloudNative())
const web = T.pod("web")

describe("PodMutator: cloudNativeFullStack with CSI", () => {
  it.effect("adds the init container last, with the spec's args, env, mounts, resources and security context", () =>
    Effect.gen(function* () {
      const pod = T.pod("web", (p) => ({
        ...p,
        spec: { ...p.spec, initContainers: [T.container("setup", "busybox")] }
      }))
      const { response, result } = yield* run(cloudNative, pod)
      assert.isTrue(response.allowed)
      const inits = asPod(result).spec.initContainers ?? []
      expect(inits.map((c) => c.name)).toEqual(["setup", "dynatrace-operator"])
      const init = initContainer(result) as Container & Record<string, unknown>
      expect(init.image).toBe(T.settings().operatorImage)
      expect(init["imagePullPolicy"]).toBe("IfNotPresent")
      expect(init.args).toEqual([
        "bootstrap",
        "--config-directory=/mnt/config",
        "--input-directory=/mnt/input",
        "--suppress-error",
        "--enable-attributes-dt-kubernetes=true",
        "--attribute=dt.entity.kubernetes_cluster=KUBERNETES_CLUSTER-0123456789ABCDEF",
        "--attribute=k8s.cluster.name=prod-eu",
        "--attribute=k8s.cluster.uid=9f8e7d6c-0000-4000-8000-000000000001",
        "--attribute=k8s.namespace.name=apps",
        "--attribute=k8s.node.name=$(K8S_NODE_NAME)",
        "--attribute=k8s.pod.name=$(K8S_PODNAME)",
        "--attribute=k8s.pod.uid=$(K8S_PODUID)",
        '--attribute-container={"container_image.registry":"registry.example.com","container_image.repository":"team/web","container_image.tags":"1.0","k8s.container.name":"web"}',
        "--source=/opt/dynatrace/oneagent",
        "--target=/mnt/bin",
        "--install-path=/opt/dynatrace/oneagent-paas",
        "--fullstack",
        "--tenant=abc12345"
      ])
      expect(init.env).toEqual([
        { name: "K8S_PODNAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "K8S_PODUID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
        { name: "K8S_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }
      ])
      expect(init["resources"]).toEqual({
        requests: { cpu: "30m", memory: "64Mi" },
        limits: { cpu: "100m", memory: "128Mi" }
      })
      expect(init.securityContext).toEqual({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ["ALL"] },
        runAsUser: 1001,
        runAsGroup: 1001,
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" }
      })
      expect(mountsOf(init)).toEqual([
        "dynatrace-input:/mnt/input:",
        "dynatrace-config:/mnt/config:",
        "oneagent-bin:/mnt/bin:"
      ])
      expect(init.volumeMounts?.filter((m) => m.readOnly === true).map((m) => m.name)).toEqual([
        "dynatrace-input",
        "oneagent-bin"
      ])
    })
  )

  it.effect("adds the CSI, projected input and emptyDir config volumes", () =>
    Effect.gen(function* () {
      const { result } = yield* run(cloudNative, web)
      expect(volumeOf(result, "oneagent-bin")).toEqual({
        name: "oneagent-bin",
        csi: {
          driver: "csi.oneagent.dynatrace.com",
          readOnly: true,
          volumeAttributes: { mode: "app", dynakube: "dk", retryTimeout: "10m0s" }
        }
      })
      expect(volumeOf(result, "dynatrace-input")).toEqual({
        name: "dynatrace-input",
        projected: {
          sources: [
            { secret: { name: "dynatrace-bootstrapper-config", optional: false } },
            { secret: { name: "dynatrace-bootstrapper-certs", optional: true } }
          ]
        }
      })
      expect(volumeOf(result, "dynatrace-config")).toEqual({ name: "dynatrace-config", emptyDir: {} })
    })
  )

  it.effect("mounts config, ld.so.preload and the code module and sets the env of each container", () =>
    Effect.gen(function* () {
      const pod = T.pod(
        "web",
        T.withContainer("proxy", "envoyproxy/envoy:v1.30", {
          env: [{ name: "LD_PRELOAD", value: "/lib/a.so /lib/b.so" }]
        })
      )
      const { result } = yield* run(T.dynakube(T.cloudNative(), T.withSpec({ networkZone: "eu-1" })), pod)
      const app = containerNamed(result, "web")
      expect(mountsOf(app)).toEqual([
        "dynatrace-config:/var/lib/dynatrace:web",
        "dynatrace-config:/etc/ld.so.preload:oneagent/ld.so.preload",
        "oneagent-bin:/opt/dynatrace/oneagent-paas:"
      ])
      expect(envOf(app)).toEqual({
        DT_DEPLOYMENT_METADATA:
          "orchestration_tech=Operator-cloud_native_fullstack;script_version=1.7.0;orchestrator_id=9f8e7d6c-0000-4000-8000-000000000001",
        LD_PRELOAD: "/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so",
        DT_STORAGE: "/var/lib/dynatrace/oneagent",
        DT_NETWORK_ZONE: "eu-1"
      })
      // An existing LD_PRELOAD with spaces gets the library appended with a space.
      expect(envOf(containerNamed(result, "proxy"))["LD_PRELOAD"]).toBe(
        "/lib/a.so /lib/b.so /opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so"
      )
      expect(annotationsOf(result)).toMatchObject({
        "dynakube.dynatrace.com/injected": "true",
        "oneagent.dynatrace.com/injected": "true"
      })
      expect(annotationsOf(result)["metadata-enrichment.dynatrace.com/injected"]).toBeUndefined()
    })
  )

  it.effect("appends to LD_PRELOAD with ':' and leaves one that names the install path", () =>
    Effect.gen(function* () {
      const pod = T.withContainers(
        T.container("a", "x", { env: [{ name: "LD_PRELOAD", value: "/lib/a.so" }] }),
        T.container("b", "x", { env: [{ name: "LD_PRELOAD", value: "/opt/dynatrace/oneagent-paas/agent/lib64/x.so" }] })
      )(web)
      const { result } = yield* run(cloudNative, pod)
      expect(envOf(containerNamed(result, "a"))["LD_PRELOAD"]).toBe(
        "/lib/a.so:/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so"
      )
      expect(envOf(containerNamed(result, "b"))["LD_PRELOAD"]).toBe("/opt/dynatrace/oneagent-paas/agent/lib64/x.so")
    })
  )

  it.effect("takes the technology, flavor, failure policy, install path and identity from annotations", () =>
    Effect.gen(function* () {
      const pod = T.pod(
        "web",
        T.withAnnotation("oneagent.dynatrace.com/technologies", "java,nodejs"),
        T.withAnnotation("oneagent.dynatrace.com/flavor", "musl"),
        T.withAnnotation("oneagent.dynatrace.com/failure-policy", "fail"),
        T.withAnnotation("oneagent.dynatrace.com/install-path", "/opt/agent"),
        T.withAnnotation("init-container.dynatrace.com/securityContext.runAsUser", "0"),
        T.withAnnotation("init-container.dynatrace.com/securityContext.runAsGroup", "3000")
      )
      const { result } = yield* run(cloudNative, pod)
      const init = initContainer(result)
      expect(init?.args).not.toContain("--suppress-error")
      expect(init?.args).toContain("--flavor=musl")
      expect(init?.args).toContain("--technology=java,nodejs")
      expect(init?.args).toContain("--install-path=/opt/agent")
      expect(init?.securityContext).toMatchObject({ runAsUser: 0, runAsGroup: 3000, runAsNonRoot: false })
      expect(mountsOf(containerNamed(result, "web"))).toContain("oneagent-bin:/opt/agent:")
      expect(envOf(containerNamed(result, "web"))["LD_PRELOAD"]).toBe("/opt/agent/agent/lib64/liboneagentproc.so")
    })
  )

  it.effect("takes runAsUser/runAsGroup from the pod, then the first container; omits the user on OpenShift", () =>
    Effect.gen(function* () {
      const pod = T.pod(
        "web",
        T.withSpecField("securityContext", { runAsUser: 2000, runAsGroup: 2000, fsGroup: 5 }),
        (p) => T.withContainers({ ...T.container("web"), securityContext: { runAsUser: 3000 } })(p)
      )
      const { result } = yield* run(cloudNative, pod)
      expect(initContainer(result)?.securityContext).toMatchObject({
        runAsUser: 3000,
        runAsGroup: 2000,
        runAsNonRoot: true
      })
      const openShift = yield* run(cloudNative, web, { settings: { openShift: true } })
      const sc = initContainer(openShift.result)?.securityContext ?? {}
      expect(sc.runAsUser).toBeUndefined()
      expect(sc).toMatchObject({ runAsGroup: 1001, runAsNonRoot: true })
    })
  )

  it.effect("drops the seccomp profile when the feature flag is off; uses the mode's initResources for CSI", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(
        T.cloudNative({ initResources: { requests: { cpu: "50m" } } }),
        T.withDkAnnotation("feature.dynatrace.com/init-container-seccomp-profile", "false"),
        T.withDkAnnotation("feature.dynatrace.com/max-csi-mount-timeout", "90s")
      )
      const { result } = yield* run(dk, web)
      const init = initContainer(result) as Container & Record<string, unknown>
      expect(init.securityContext?.["seccompProfile"]).toBeUndefined()
      expect(init["resources"]).toEqual({ requests: { cpu: "50m" } })
      expect(volumeOf(result, "oneagent-bin")).toMatchObject({ csi: { volumeAttributes: { retryTimeout: "1m30s" } } })
    })
  )

  it.effect("skips excluded containers (pod or DynaKube annotation)", () =>
    Effect.gen(function* () {
      const pod = T.pod(
        "web",
        T.withContainer("istio-proxy"),
        T.withContainer("log-shipper"),
        T.withAnnotation("container.inject.dynatrace.com/istio-proxy", "false")
      )
      const dk = T.dynakube(T.cloudNative(), T.withDkAnnotation("container.inject.dynatrace.com/log-shipper", "false"))
      const { result } = yield* run(dk, pod)
      expect(containerNamed(result, "istio-proxy")).toEqual(T.container("istio-proxy"))
      expect(containerNamed(result, "log-shipper")).toEqual(T.container("log-shipper"))
      expect(mountsOf(containerNamed(result, "web")).length).toBe(3)
      const args = initContainer(result)?.args ?? []
      expect(args.filter((a) => a.startsWith("--attribute-container="))).toHaveLength(1)
    })
  )
})

describe("PodMutator: applicationMonitoring without CSI", () => {
  const appMon = T.dynakube(T.applicationMonitoring())

  it.effect("downloads the zip into an emptyDir: --url, --version, no resources, writable /mnt/bin", () =>
    Effect.gen(function* () {
      const pod = T.pod("web", T.withAnnotation("volume.dynatrace.com/oneagent-bin", "500Mi"))
      const { result } = yield* run(appMon, pod, { settings: { csiDriver: false, extractCodeModulesImageLinks: true } })
      const init = initContainer(result) as Container & Record<string, unknown>
      expect(init.args?.slice(0, 5)).toEqual([
        "bootstrap",
        "--config-directory=/mnt/config",
        "--input-directory=/mnt/input",
        "--url=https://abc12345.live.dynatrace.com/api",
        "--suppress-error"
      ])
      expect(init.args).toContain("--version=1.309.0.20250101-120000")
      expect(init.args).not.toContain("--fullstack")
      expect(init["resources"]).toBeUndefined()
      expect(init.env).toContainEqual({ name: "DT_EXTRACT_CODEMODULES_IMAGE_LINKS", value: "true" })
      expect(init.volumeMounts).toContainEqual({ name: "oneagent-bin", mountPath: "/mnt/bin" })
      expect(volumeOf(result, "oneagent-bin")).toEqual({ name: "oneagent-bin", emptyDir: { sizeLimit: "500Mi" } })
      expect(envOf(containerNamed(result, "web"))["DT_DEPLOYMENT_METADATA"]).toContain(
        "orchestration_tech=Operator-application_monitoring"
      )
    })
  )

  it.effect("maps a 3rd-generation apiUrl for the download", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(T.applicationMonitoring(), T.withSpec({ apiUrl: "https://abc12345.apps.dynatrace.com" }))
      const { result } = yield* run(dk, web, { settings: { csiDriver: false } })
      expect(initContainer(result)?.args).toContain("--url=https://abc12345.live.dynatrace.com/api")
    })
  )

  it.effect("with a code-modules image runs the image itself (no bootstrap arg, no --url)", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(
        T.applicationMonitoring({ codeModulesImage: "registry.example.com/codemodules:1.309" }),
        T.withStatus({
          codeModules: { imageID: "registry.example.com/codemodules@sha256:abc", version: "custom-image" }
        })
      )
      const { result } = yield* run(dk, web, { settings: { csiDriver: false } })
      const init = initContainer(result)
      expect(init?.image).toBe("registry.example.com/codemodules@sha256:abc")
      expect(init?.args?.[0]).toBe("--config-directory=/mnt/config")
      expect(init?.args?.some((a) => a.startsWith("--url") || a.startsWith("--version"))).toBe(false)
    })
  )

  it.effect("with CSI and a code-modules image, volume-type ephemeral chooses the image instead of CSI", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(
        T.applicationMonitoring({ codeModulesImage: "registry.example.com/codemodules:1.309" }),
        T.withStatus({ codeModules: { imageID: "registry.example.com/codemodules@sha256:abc" } })
      )
      const csi = yield* run(dk, web)
      expect(volumeOf(csi.result, "oneagent-bin")).toHaveProperty("csi")
      const ephemeral = yield* run(
        dk,
        T.pod("web", T.withAnnotation("oneagent.dynatrace.com/volume-type", "ephemeral"))
      )
      expect(volumeOf(ephemeral.result, "oneagent-bin")).toHaveProperty("emptyDir")
      expect(initContainer(ephemeral.result)?.image).toBe("registry.example.com/codemodules@sha256:abc")
    })
  )
})

describe("PodMutator: not injected, with the reason recorded", () => {
  it.effect("a pod that opted out stays unchanged; the response says why", () =>
    Effect.gen(function* () {
      const { response, patch } = yield* run(
        cloudNative,
        T.pod("web", T.withAnnotation("dynatrace.com/inject", "false"))
      )
      expect(patch).toEqual([])
      assert.isTrue(response.allowed)
      expect(response.status?.message).toContain("PodOptedOut")
    })
  )

  it.effect("every container excluded, or an OpenShift debug pod: unchanged", () =>
    Effect.gen(function* () {
      const excluded = yield* run(
        cloudNative,
        T.pod("web", T.withAnnotation("container.inject.dynatrace.com/web", "false"))
      )
      expect(excluded.patch).toEqual([])
      expect(excluded.response.status?.message).toContain("AllContainersExcluded")
      const debug = yield* run(
        cloudNative,
        T.pod(
          "web",
          T.withAnnotation("debug.openshift.io/source-container", "web"),
          T.withAnnotation("debug.openshift.io/source-resource", "/pods/web")
        )
      )
      expect(debug.patch).toEqual([])
    })
  )

  it.effect("OneAgent opted out and no enrichment: NoMutationNeeded is written", () =>
    Effect.gen(function* () {
      const { result } = yield* run(
        cloudNative,
        T.pod("web", T.withAnnotation("oneagent.dynatrace.com/inject", "false"))
      )
      expect(annotationsOf(result)).toEqual({
        "oneagent.dynatrace.com/inject": "false",
        "dynakube.dynatrace.com/injected": "false",
        "dynakube.dynatrace.com/reason": "NoMutationNeeded"
      })
      expect(asPod(result).spec).toEqual(web.spec)
    })
  )

  it.effect("automatic-injection off: pods need the opt-in annotation", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(T.cloudNative(), T.withDkAnnotation("feature.dynatrace.com/automatic-injection", "false"))
      const off = yield* run(dk, web)
      expect(annotationsOf(off.result)["dynakube.dynatrace.com/reason"]).toBe("NoMutationNeeded")
      const optIn = yield* run(dk, T.pod("web", T.withAnnotation("oneagent.dynatrace.com/inject", "true")))
      expect(annotationsOf(optIn.result)["oneagent.dynatrace.com/injected"]).toBe("true")
    })
  )

  it.effect("a namespace outside the OneAgent namespaceSelector gets no OneAgent", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(T.cloudNative({ namespaceSelector: { matchLabels: { monitor: "yes" } } }))
      const { result } = yield* run(dk, web)
      expect(annotationsOf(result)["dynakube.dynatrace.com/reason"]).toBe("NoMutationNeeded")
    })
  )

  it.effect("no bootstrapper config to copy: NoBootstrapperConfig", () =>
    Effect.gen(function* () {
      const { result } = yield* run(cloudNative, web, { fixtures: { secrets: [] } })
      expect(annotationsOf(result)).toEqual({
        "dynakube.dynatrace.com/injected": "false",
        "dynakube.dynatrace.com/reason": "NoBootstrapperConfig"
      })
    })
  )

  it.effect("code modules not resolved yet: DynaKubeStatusNotReady; no tenant UUID: MissingTenantUUID", () =>
    Effect.gen(function* () {
      const notReady = yield* run(T.dynakube(T.cloudNative(), T.withStatus({ codeModules: {} })), web)
      expect(annotationsOf(notReady.result)).toMatchObject({
        "oneagent.dynatrace.com/injected": "false",
        "oneagent.dynatrace.com/reason": "DynaKubeStatusNotReady",
        "dynakube.dynatrace.com/reason": "NoMutationNeeded"
      })
      const noTenant = yield* run(T.dynakube(T.cloudNative(), T.withStatus({ oneAgent: {} })), web)
      expect(annotationsOf(noTenant.result)["oneagent.dynatrace.com/reason"]).toBe("MissingTenantUUID")
    })
  )

  it.effect("an invalid install path: InvalidInstallPath, metadata enrichment still injected", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(T.cloudNative(), T.enrichment())
      const { result } = yield* run(
        dk,
        T.pod("web", T.withAnnotation("oneagent.dynatrace.com/install-path", "/opt/a b"))
      )
      expect(annotationsOf(result)).toMatchObject({
        "oneagent.dynatrace.com/injected": "false",
        "oneagent.dynatrace.com/reason": "InvalidInstallPath",
        "metadata-enrichment.dynatrace.com/injected": "true",
        "dynakube.dynatrace.com/injected": "true"
      })
      expect(volumeOf(result, "oneagent-bin")).toBeUndefined()
    })
  )

  it.effect("a user volume named like ours with another type: ConflictingVolumeType and nothing else", () =>
    Effect.gen(function* () {
      const conflicting = T.pod("web", T.withSpecField("volumes", [{ name: "oneagent-bin", hostPath: { path: "/x" } }]))
      const a = yield* run(cloudNative, conflicting)
      expect(annotationsOf(a.result)).toEqual({
        "oneagent.dynatrace.com/injected": "false",
        "oneagent.dynatrace.com/reason": "ConflictingVolumeType"
      })
      expect(asPod(a.result).spec).toEqual(conflicting.spec)
      const config = yield* run(
        cloudNative,
        T.pod("web", T.withSpecField("volumes", [{ name: "dynatrace-config", configMap: { name: "x" } }]))
      )
      expect(annotationsOf(config.result)).toEqual({
        "volume.dynatrace.com/injected": "false",
        "volume.dynatrace.com/reason": "ConflictingVolumeType"
      })
    })
  )

  it.effect("metadata larger than DT_METADATA_SIZE_LIMIT: rolled back with the size message", () =>
    Effect.gen(function* () {
      const pod = T.pod("web", T.withAnnotation("metadata.dynatrace.com/team", "x".repeat(200)))
      const { result } = yield* run(T.dynakube(T.cloudNative(), T.enrichment()), pod, {
        settings: { metadataSizeLimit: 100 }
      })
      const annotations = annotationsOf(result)
      expect(annotations["dynakube.dynatrace.com/injected"]).toBe("false")
      expect(annotations["dynakube.dynatrace.com/reason"]).toMatch(/exceeds the limit of 100 bytes/)
      expect(asPod(result).spec).toEqual(pod.spec)
    })
  )

  it.effect("a namespace pointing to a missing DynaKube: unchanged, with a Warning Event", () =>
    Effect.gen(function* () {
      const events: NonNullable<InjectionContext.Fixtures["events"]> = []
      const fixtures = { ...H.standardFixtures(cloudNative), dynakubes: [], events }
      const { patch, response } = yield* H.admit(web).pipe(Effect.provide(H.mutatorLayer(fixtures)))
      expect(patch).toEqual([])
      expect(response.status?.message).toContain("DynaKubeNotFound")
      expect(events).toEqual([
        expect.objectContaining({ type: "Warning", reason: "MissingDynakube", namespace: "apps" })
      ])
    })
  )

  it.effect("a dry run records no Event and copies no Secret", () =>
    Effect.gen(function* () {
      const events: NonNullable<InjectionContext.Fixtures["events"]> = []
      const fixtures = { ...H.standardFixtures(cloudNative), events }
      const layer = H.mutatorLayer(fixtures)
      const dry = yield* H.admit(web, { dryRun: true }).pipe(Effect.provide(layer))
      expect(annotationsOf(dry.result)["dynakube.dynatrace.com/injected"]).toBe("true")
      expect(events).toEqual([])
    })
  )
})

describe("PodMutator: metadata enrichment", () => {
  const enrichmentOnly = T.dynakube(
    T.enrichment(),
    T.withSpec({ resourceAttributes: { "cost center": "42" } }),
    T.withStatus({
      metadataEnrichment: {
        rules: [
          { type: "LABEL", source: "team", target: "dt.owner" },
          { type: "ANNOTATION", source: "costcenter", target: "" },
          { type: "CUSTOM", source: "static", target: "dt.custom" },
          { type: "LABEL", source: "other", target: "dt.owner" }
        ]
      }
    })
  )
  const ns = T.namespace(
    "apps",
    { [Keys.instanceLabel]: "dk", team: "payments", other: "x" },
    {
      costcenter: "cc-7",
      "metadata.dynatrace.com/region": "eu",
      "mapping.release.dynatrace.com/stage": "metadata.labels['stage']"
    }
  )

  it.effect("only enrichment: init container with enrichment args and initResources, split-free config mount", () =>
    Effect.gen(function* () {
      const pod = T.pod("web", T.withAnnotation("metadata.dynatrace.com/region", "eu-west"))
      const dk: T.DynaKubeObject = {
        ...enrichmentOnly,
        spec: {
          ...enrichmentOnly.spec,
          metadataEnrichment: { enabled: true, initResources: { limits: { memory: "40Mi" } } }
        }
      }
      const { result } = yield* run(dk, pod, { fixtures: { namespaces: [ns] } })
      const init = initContainer(result) as Container & Record<string, unknown>
      expect(init.args).toContain("--metadata-enrichment")
      expect(init.args).toContain("--attribute=k8s.workload.kind=deployment")
      expect(init.args).toContain("--attribute=region=eu-west")
      expect(init.args?.some((a) => a.startsWith("--install-path"))).toBe(false)
      expect(init["resources"]).toEqual({ limits: { memory: "40Mi" } })
      expect(mountsOf(init)).toEqual(["dynatrace-input:/mnt/input:", "dynatrace-config:/mnt/config:"])
      expect(mountsOf(containerNamed(result, "web"))).toEqual(["dynatrace-config:/var/lib/dynatrace:web"])
      expect(envOf(containerNamed(result, "web"))).toEqual({})
      expect(volumeOf(result, "oneagent-bin")).toBeUndefined()
      expect(JSON.parse(annotationsOf(result)["metadata.dynatrace.com"] ?? "{}")).toEqual({
        cost_center: "42",
        "dt.custom": "static",
        "dt.owner": "payments",
        "k8s.namespace.annotation.costcenter": "cc-7",
        "k8s.workload.kind": "deployment",
        "k8s.workload.name": "web",
        region: "eu-west"
      })
      expect(annotationsOf(result)).toMatchObject({
        "metadata-enrichment.dynatrace.com/injected": "true",
        "dynakube.dynatrace.com/injected": "true"
      })
    })
  )

  it.effect("split mounts: the enrichment files and the OneAgent directory separately", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(T.cloudNative(), T.enrichment())
      const { result } = yield* run(dk, T.pod("web", T.withAnnotation("dynatrace.com/split-mounts", "true")))
      expect(mountsOf(containerNamed(result, "web"))).toEqual([
        "dynatrace-config:/var/lib/dynatrace/oneagent:web/oneagent",
        "dynatrace-config:/var/lib/dynatrace/enrichment/dt_metadata.json:web/enrichment/dt_metadata.json",
        "dynatrace-config:/var/lib/dynatrace/enrichment/dt_metadata.properties:web/enrichment/dt_metadata.properties",
        "dynatrace-config:/var/lib/dynatrace/enrichment/endpoint:web/enrichment/endpoint",
        "dynatrace-config:/etc/ld.so.preload:oneagent/ld.so.preload",
        "oneagent-bin:/opt/dynatrace/oneagent-paas:"
      ])
    })
  )

  it.effect("an owner that cannot be resolved: OwnerLookupFailed, OneAgent still injected", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(T.cloudNative(), T.enrichment())
      const { result } = yield* run(dk, web, { fixtures: { failing: ["workload"] } })
      expect(annotationsOf(result)).toMatchObject({
        "metadata-enrichment.dynatrace.com/injected": "false",
        "metadata-enrichment.dynatrace.com/reason": "OwnerLookupFailed",
        "oneagent.dynatrace.com/injected": "true"
      })
      expect(initContainer(result)?.args).not.toContain("--metadata-enrichment")
    })
  )

  it.effect("label-version-detection adds DT_RELEASE_* from labels and namespace mappings", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(
        T.cloudNative(),
        T.withDkAnnotation("feature.dynatrace.com/label-version-detection", "true")
      )
      const { result } = yield* run(dk, web, { fixtures: { namespaces: [ns] } })
      const env = containerNamed(result, "web").env ?? []
      expect(env.filter((e) => e.name.startsWith("DT_RELEASE_"))).toEqual([
        {
          name: "DT_RELEASE_VERSION",
          valueFrom: { fieldRef: { fieldPath: "metadata.labels['app.kubernetes.io/version']" } }
        },
        {
          name: "DT_RELEASE_PRODUCT",
          valueFrom: { fieldRef: { fieldPath: "metadata.labels['app.kubernetes.io/part-of']" } }
        },
        { name: "DT_RELEASE_STAGE", valueFrom: { fieldRef: { fieldPath: "metadata.labels['stage']" } } }
      ])
    })
  )
})

describe("PodMutator: re-invocation (reinvocationPolicy IfNeeded)", () => {
  const dk = T.dynakube(T.cloudNative(), T.enrichment())

  it.effect("a second call on the injected pod changes nothing", () =>
    Effect.gen(function* () {
      const layer = H.mutatorLayer(H.standardFixtures(dk))
      const first = yield* H.admit(web).pipe(Effect.provide(layer))
      const second = yield* H.admit(first.result).pipe(Effect.provide(layer))
      expect(second.patch).toEqual([])
      expect(second.response.status?.message).toContain("Unchanged")
    })
  )

  it.effect(
    "a container added by a later webhook gets mounts, env and its --attribute-container; nothing doubles",
    () =>
      Effect.gen(function* () {
        const layer = H.mutatorLayer(H.standardFixtures(dk))
        const first = yield* H.admit(web).pipe(Effect.provide(layer))
        const withSidecar = T.withContainer("istio-proxy", "docker.io/istio/proxyv2:1.22")(asPod(first.result))
        const second = yield* H.admit(withSidecar).pipe(Effect.provide(layer))
        expect(second.response.status?.message).toContain("Updated")
        expect(
          second.patch.every(
            (op) => op.path.startsWith("/spec/containers/1") || op.path.startsWith("/spec/initContainers/0/args")
          )
        ).toBe(true)
        const sidecar = containerNamed(second.result, "istio-proxy")
        expect(mountsOf(sidecar)).toEqual([
          "dynatrace-config:/var/lib/dynatrace:istio-proxy",
          "dynatrace-config:/etc/ld.so.preload:oneagent/ld.so.preload",
          "oneagent-bin:/opt/dynatrace/oneagent-paas:"
        ])
        expect(initContainer(second.result)?.args?.filter((a) => a.startsWith("--attribute-container"))).toHaveLength(2)
        const third = yield* H.admit(second.result).pipe(Effect.provide(layer))
        expect(third.patch).toEqual([])
      })
  )
})

describe("PodMutator: OTLP exporter configuration", () => {
  it.effect("sets endpoint, protocol and headers per signal, with the token from the Secret", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(T.otlp(["traces", "metrics"]))
      const { result } = yield* run(
        dk,
        T.pod(
          "web",
          T.withContainer("done", "x", { env: [{ name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://mine" }] })
        )
      )
      const env = containerNamed(result, "web").env ?? []
      expect(env.slice(0, 8)).toEqual([
        {
          name: "DT_API_TOKEN",
          valueFrom: { secretKeyRef: { name: "dynatrace-otlp-exporter-config", key: "dataIngestToken" } }
        },
        {
          name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
          value: "https://abc12345.live.dynatrace.com/api/v2/otlp/v1/traces"
        },
        { name: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", value: "http/protobuf" },
        { name: "OTEL_EXPORTER_OTLP_TRACES_HEADERS", value: "authorization=Api-Token $(DT_API_TOKEN)" },
        {
          name: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
          value: "https://abc12345.live.dynatrace.com/api/v2/otlp/v1/metrics"
        },
        { name: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", value: "http/protobuf" },
        { name: "OTEL_EXPORTER_OTLP_METRICS_HEADERS", value: "authorization=Api-Token $(DT_API_TOKEN)" },
        { name: "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", value: "delta" }
      ])
      const attributes = env.find((e) => e.name === "OTEL_RESOURCE_ATTRIBUTES")?.value ?? ""
      expect(attributes).toContain("k8s.pod.name=$(K8S_PODNAME)")
      expect(attributes).toContain("k8s.workload.name=web")
      expect(env.findIndex((e) => e.name === "K8S_PODNAME")).toBeLessThan(
        env.findIndex((e) => e.name === "OTEL_RESOURCE_ATTRIBUTES")
      )
      // A container with its own exporter settings is left alone.
      expect(containerNamed(result, "done").env).toEqual([
        { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://mine" }
      ])
      expect(annotationsOf(result)["otlp-exporter-configuration.dynatrace.com/injected"]).toBe("true")
      expect(JSON.stringify(result)).not.toContain("dt0c01")
    })
  )

  it.effect("without the token Secret: NoOTLPExporterConfigSecret", () =>
    Effect.gen(function* () {
      const { result } = yield* run(T.dynakube(T.otlp(["logs"])), web, { fixtures: { secrets: [] } })
      expect(annotationsOf(result)).toEqual({
        "otlp-exporter-configuration.dynatrace.com/injected": "false",
        "otlp-exporter-configuration.dynatrace.com/reason": "NoOTLPExporterConfigSecret"
      })
    })
  )

  it.effect("via an in-cluster ActiveGate: its endpoint, certificates and NO_PROXY", () =>
    Effect.gen(function* () {
      const dk = T.dynakube(
        T.otlp(["logs"]),
        T.withSpec({ activeGate: { capabilities: ["routing"] } }),
        T.withStatus({ activeGate: { connectionInfoStatus: { tenantUUID: "abc12345" } } })
      )
      const pod = T.withContainers(T.container("web", "x", { env: [{ name: "NO_PROXY", value: "localhost" }] }))(web)
      const { result } = yield* run(dk, pod)
      const env = Object.fromEntries((containerNamed(result, "web").env ?? []).map((e) => [e.name, e.value]))
      expect(env["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"]).toBe(
        "https://dk-activegate.dynatrace/e/abc12345/api/v2/otlp/v1/logs"
      )
      expect(env["OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE"]).toBe("/etc/dynatrace/ssl/activegate-tls.crt")
      expect(env["NO_PROXY"]).toBe("localhost,dk-activegate.dynatrace")
      expect(volumeOf(result, "otlp-dynatrace-certs")).toEqual({
        name: "otlp-dynatrace-certs",
        secret: { secretName: "dynatrace-otlp-exporter-certs" }
      })
      expect(mountsOf(containerNamed(result, "web"))).toContain("otlp-dynatrace-certs:/etc/dynatrace/ssl:")
    })
  )
})

describe("PodMutator: total and fail-open", () => {
  it.effect("a lookup failure admits the pod with only the reason annotation", () =>
    Effect.gen(function* () {
      const { result, response } = yield* run(cloudNative, web, { fixtures: { failing: ["namespace"] } })
      assert.isTrue(response.allowed)
      expect(response.status?.message).toContain("InternalError")
      expect(annotationsOf(result)).toEqual({
        "dynakube.dynatrace.com/injected": "false",
        "dynakube.dynatrace.com/reason": "InternalError"
      })
      expect(asPod(result).spec).toEqual(web.spec)
    })
  )

  it.effect("the internal deadline admits the pod with reason Timeout", () =>
    Effect.gen(function* () {
      const hanging = InjectionContext.layerTest(H.standardFixtures(cloudNative))
      const slow = Effect.gen(function* () {
        const context = yield* InjectionContext.InjectionContext
        return InjectionContext.InjectionContext.of({ ...context, namespace: () => Effect.never })
      })
      const mutator = yield* PodMutator.make({ settings: T.settings(), deadline: "3 seconds" }).pipe(
        Effect.provideServiceEffect(InjectionContext.InjectionContext, slow),
        Effect.provide(hanging)
      )
      const fiber = yield* Effect.forkChild(mutator.handle(T.review(web).request as never))
      yield* TestClock.adjust("2999 millis")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      expect(response.status?.message).toContain("Timeout")
      const result = JsonPatch.apply(H.patchOfResponse(response), web as never) as unknown
      expect(annotationsOf(result)["dynakube.dynatrace.com/reason"]).toBe("Timeout")
    })
  )

  it.effect("not a pod, not a CREATE, or a pod that does not decode: allowed without patch", () =>
    Effect.gen(function* () {
      const layer = H.mutatorLayer(H.standardFixtures(cloudNative))
      const service = yield* H.admit({ kind: "Service" }, { kind: { group: "", version: "v1", kind: "Service" } }).pipe(
        Effect.provide(layer)
      )
      expect(service.patch).toEqual([])
      expect(service.response.status?.message).toContain("NotAPod")
      const update = yield* H.admit(web, { operation: "UPDATE" }).pipe(Effect.provide(layer))
      expect(update.patch).toEqual([])
      const broken = yield* H.admit({ metadata: { annotations: { a: 1 } }, spec: {} }).pipe(Effect.provide(layer))
      expect(broken.patch).toEqual([])
      expect(broken.response.status?.message).toContain("InvalidPod")
    })
  )

  it.effect("failurePatch annotates only when there is metadata to annotate", () =>
    Effect.sync(() => {
      expect(PodMutator.failurePatch(null, "X")).toEqual([])
      expect(PodMutator.failurePatch({ metadata: [] }, "X")).toEqual([])
      expect(PodMutator.failurePatch({ metadata: { annotations: "x" } }, "X")).toEqual([])
      expect(PodMutator.failurePatch({ metadata: {} }, "X")).toEqual([
        {
          op: "add",
          path: "/metadata/annotations",
          value: { "dynakube.dynatrace.com/injected": "false", "dynakube.dynatrace.com/reason": "X" }
        }
      ])
    })
  )
})
