import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, References, Result } from "effect"
import fc from "fast-check"
import { decodePod, type Pod } from "../../../schemas/Pod.ts"
import * as InjectionContext from "../InjectionContext.ts"
import * as Keys from "../Keys.ts"
import * as Routes from "../Routes.ts"
import * as T from "../TestObjects.ts"
import * as H from "./MutatorHarness.ts"
import * as PodMutator from "./PodMutator.ts"

// ---------------------------------------------------------------------------------------------------------------
// arbitraries

/** Keys no schema of ours knows: they must come out exactly as they went in. */
const unknownKey = fc.stringMatching(/^x-[a-z]{1,5}$/)
const unknownFields = fc.dictionary(unknownKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 })

const envVar = fc.record({
  name: fc.constantFrom(
    "LD_PRELOAD",
    "DT_STORAGE",
    "DT_DEPLOYMENT_METADATA",
    "NO_PROXY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_RESOURCE_ATTRIBUTES",
    "DT_API_TOKEN",
    "K8S_PODNAME",
    "FOO"
  ),
  value: fc.oneof(fc.constantFrom("", "/lib/a.so", "/lib/a.so /lib/b.so", "k=v"), fc.string({ maxLength: 8 })),
  extra: unknownFields
})

const mount = fc.record({
  name: fc.constantFrom("data", "dynatrace-config", "oneagent-bin", "cache"),
  mountPath: fc.constantFrom(
    "/data",
    "/var/lib/dynatrace",
    "/opt/dynatrace/oneagent-paas",
    "/etc/ld.so.preload",
    "/cache"
  ),
  readOnly: fc.option(fc.boolean(), { nil: undefined }),
  extra: unknownFields
})

const image = fc.oneof(
  fc.constantFrom("", "nginx", "nginx:1.25", "registry:5000/team/app:v1@sha256:abc", "a@b", "docker.io/library/x"),
  fc.string({ maxLength: 12 })
)

const container = fc.record({
  image,
  env: fc.option(fc.uniqueArray(envVar, { selector: (e) => e.name, maxLength: 4 }), { nil: undefined }),
  mounts: fc.option(fc.uniqueArray(mount, { selector: (m) => m.mountPath, maxLength: 3 }), { nil: undefined }),
  runAs: fc.option(fc.record({ runAsUser: fc.integer({ min: 0, max: 5000 }) }), { nil: undefined }),
  extra: unknownFields
})

const volume = fc.record({
  name: fc.constantFrom("data", "dynatrace-config", "oneagent-bin", "dynatrace-input", "otlp-dynatrace-certs"),
  source: fc.constantFrom(
    { emptyDir: {} },
    { hostPath: { path: "/x" } },
    { configMap: { name: "c" } },
    { csi: { driver: "x" } },
    { projected: { sources: [] } },
    { secret: { secretName: "s" } }
  )
})

const annotationKeys = [
  Keys.input.inject,
  Keys.input.oneAgentInject,
  Keys.input.metadataInject,
  Keys.input.otlpInject,
  Keys.input.failurePolicy,
  Keys.input.installPath,
  Keys.input.technologies,
  Keys.input.flavor,
  Keys.input.volumeType,
  Keys.input.configVolumeSize,
  Keys.input.binVolumeSize,
  Keys.input.runAsUser,
  Keys.input.runAsGroup,
  Keys.input.splitMounts,
  "metadata.dynatrace.com/team",
  "metadata.dynatrace.com",
  "container.inject.dynatrace.com/c0",
  "container.inject.dynatrace.com/c1",
  "dynakube.dynatrace.com/reason",
  "other/annotation"
]
const annotationValue = fc.oneof(
  fc.constantFrom(
    "true",
    "false",
    "True",
    "0",
    "1",
    "fail",
    "/opt/x",
    "/bad path",
    "ephemeral",
    "csi",
    "500Mi",
    "1000",
    ""
  ),
  fc.string({ maxLength: 10 })
)

const podArbitrary = fc
  .record({
    containers: fc.array(container, { minLength: 1, maxLength: 3 }),
    volumes: fc.option(fc.uniqueArray(volume, { selector: (v) => v.name, maxLength: 2 }), { nil: undefined }),
    annotations: fc.option(fc.dictionary(fc.constantFrom(...annotationKeys), annotationValue, { maxKeys: 4 }), {
      nil: undefined
    }),
    initContainers: fc.option(fc.constantFrom(["setup"], ["dynatrace-operator"]), { nil: undefined }),
    podSecurity: fc.option(fc.record({ runAsGroup: fc.integer({ min: 0, max: 5000 }) }), { nil: undefined }),
    metaExtra: unknownFields,
    specExtra: unknownFields,
    podExtra: unknownFields,
    named: fc.boolean()
  })
  .map((a): Record<string, unknown> => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...(a.named ? { name: "web-1" } : { generateName: "web-" }),
      namespace: "apps",
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-rs", uid: "u1", controller: true }],
      ...(a.annotations === undefined ? {} : { annotations: a.annotations }),
      ...a.metaExtra
    },
    spec: {
      containers: a.containers.map((c, i) => ({
        name: `c${i}`,
        image: c.image,
        ...(c.env === undefined ? {} : { env: c.env.map((e) => ({ name: e.name, value: e.value, ...e.extra })) }),
        ...(c.mounts === undefined
          ? {}
          : {
              volumeMounts: c.mounts.map((m) => ({
                name: m.name,
                mountPath: m.mountPath,
                ...(m.readOnly === undefined ? {} : { readOnly: m.readOnly }),
                ...m.extra
              }))
            }),
        ...(c.runAs === undefined ? {} : { securityContext: c.runAs }),
        ...c.extra
      })),
      ...(a.volumes === undefined ? {} : { volumes: a.volumes.map((v) => ({ name: v.name, ...v.source })) }),
      ...(a.initContainers === undefined
        ? {}
        : {
            initContainers: a.initContainers.map((name) => ({
              name,
              image: "busybox",
              args: name === "dynatrace-operator" ? ["bootstrap", "--install-path=/opt/x"] : []
            }))
          }),
      ...(a.podSecurity === undefined ? {} : { securityContext: a.podSecurity }),
      ...a.specExtra
    },
    ...a.podExtra
  }))

const dynakubeArbitrary = fc
  .record({
    mode: fc.constantFrom("none", "cloudNative", "appMon", "appMonImage"),
    enrichment: fc.boolean(),
    otlp: fc.subarray(["traces", "metrics", "logs"] as const),
    activeGate: fc.boolean(),
    ready: fc.boolean(),
    flags: fc.dictionary(
      fc.constantFrom(
        "feature.dynatrace.com/automatic-injection",
        "feature.dynatrace.com/label-version-detection",
        "feature.dynatrace.com/init-container-seccomp-profile",
        "feature.dynatrace.com/max-csi-mount-timeout",
        "container.inject.dynatrace.com/c1"
      ),
      fc.constantFrom("true", "false", "5m", "bogus"),
      { maxKeys: 2 }
    )
  })
  .map((a) =>
    T.dynakube(
      (dk) => ({ ...dk, metadata: { ...dk.metadata, annotations: a.flags } }),
      a.mode === "cloudNative"
        ? T.cloudNative()
        : a.mode === "appMon"
          ? T.applicationMonitoring()
          : a.mode === "appMonImage"
            ? T.applicationMonitoring({ codeModulesImage: "registry/cm:1" })
            : (dk) => dk,
      a.enrichment ? T.enrichment() : (dk) => dk,
      a.otlp.length > 0 ? T.otlp(a.otlp) : (dk) => dk,
      a.activeGate ? T.withSpec({ activeGate: { capabilities: ["routing"] }, trustedCAs: "cas" }) : (dk) => dk,
      a.ready
        ? T.withStatus({ codeModules: { version: "1.2.3", imageID: "registry/cm@sha256:1" } })
        : T.withStatus({ codeModules: {} })
    )
  )

const settingsArbitrary = fc.record({ csiDriver: fc.boolean(), openShift: fc.boolean() })
const failingArbitrary = fc.constantFrom<InjectionContext.Fixtures["failing"]>(
  [],
  [],
  [],
  ["workload"],
  ["secret"],
  ["namespace"]
)

const quiet = Layer.succeed(References.MinimumLogLevel, "None")

const runAdmission = (
  pod: unknown,
  dk: T.DynaKubeObject,
  settings: { readonly csiDriver: boolean; readonly openShift: boolean },
  failing: InjectionContext.Fixtures["failing"]
) => {
  const layer = Layer.mergeAll(
    H.mutatorLayer({ ...H.standardFixtures(dk), failing: failing ?? [] }, T.settings(settings)),
    quiet
  )
  return Effect.runPromise(
    Effect.gen(function* () {
      const first = yield* H.admit(pod)
      const second = yield* H.admit(first.result)
      return { first, second }
    }).pipe(Effect.provide(layer))
  )
}

/** Every `x-…` field anywhere in a JSON value, as `key=json` strings (a multiset, sorted). */
const unknownFieldsOf = (value: unknown): ReadonlyArray<string> => {
  const found: Array<string> = []
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk)
    if (typeof v !== "object" || v === null) return
    for (const [k, child] of Object.entries(v)) {
      if (k.startsWith("x-")) found.push(`${k}=${JSON.stringify(child)}`)
      else walk(child)
    }
  }
  walk(value)
  return found.toSorted()
}

const params = { numRuns: 300 }

describe("PodMutator properties (fast-check, arbitrary pods)", () => {
  it("the JSON patch applies cleanly to the request object, and re-admitting the result changes nothing", () =>
    fc.assert(
      fc.asyncProperty(
        podArbitrary,
        dynakubeArbitrary,
        settingsArbitrary,
        failingArbitrary,
        async (pod, dk, s, failing) => {
          const { first, second } = await runAdmission(pod, dk, s, failing)
          expect(first.response.allowed).toBe(true)
          expect(second.patch).toEqual([])
        }
      ),
      params
    ))

  it("fields unknown to our schemas survive untouched, and the patch never addresses them", () =>
    fc.assert(
      fc.asyncProperty(podArbitrary, dynakubeArbitrary, settingsArbitrary, async (pod, dk, s) => {
        const { first } = await runAdmission(pod, dk, s, [])
        expect(unknownFieldsOf(first.result)).toEqual(unknownFieldsOf(pod))
        for (const op of first.patch) expect(op.path.split("/").some((seg) => seg.startsWith("x-"))).toBe(false)
        const result = first.result as Pod & Record<string, unknown>
        for (const [k, v] of Object.entries(pod)) if (k.startsWith("x-")) expect(result[k]).toEqual(v)
      }),
      params
    ))

  it("an injected pod carries the init container last and nothing twice", () =>
    fc.assert(
      fc.asyncProperty(podArbitrary, dynakubeArbitrary, settingsArbitrary, async (pod, dk, s) => {
        const { first } = await runAdmission(pod, dk, s, [])
        const result = first.result as Pod
        const inits = result.spec.initContainers ?? []
        expect(inits.filter((c) => c.name === Keys.names.initContainer).length).toBeLessThanOrEqual(1)
        const volumes = (result.spec.volumes ?? []).map((v) => v.name)
        expect(new Set(volumes).size).toBe(volumes.length)
        for (const c of result.spec.containers) {
          const paths = (c.volumeMounts ?? []).map((m) => m.mountPath)
          expect(new Set(paths).size).toBe(paths.length)
          const names = (c.env ?? []).map((e) => e.name)
          expect(new Set(names).size).toBe(names.length)
        }
        const original = (pod as unknown as Pod).spec.initContainers ?? []
        if (!original.some((c) => c.name === Keys.names.initContainer) && inits.length > original.length) {
          expect(inits.at(-1)?.name).toBe(Keys.names.initContainer)
        }
      }),
      params
    ))

  it("a preview is the admission: the dry-run review's patch and reason, and a trace that agrees with the decision", () =>
    fc.assert(
      fc.asyncProperty(podArbitrary, dynakubeArbitrary, settingsArbitrary, async (raw, dk, s) => {
        const decoded = decodePod(raw)
        fc.pre(Result.isSuccess(decoded))
        if (Result.isFailure(decoded)) return
        const events: NonNullable<InjectionContext.Fixtures["events"]> = []
        const layer = Layer.mergeAll(H.mutatorLayer({ ...H.standardFixtures(dk), events }, T.settings(s)), quiet)
        const { admission, preview } = await Effect.runPromise(
          Effect.all({
            admission: H.admit(raw, { dryRun: true }),
            preview: PodMutator.PodMutator.use((m) => m.preview(decoded.success, "apps"))
          }).pipe(Effect.provide(layer))
        )
        expect(preview.patch).toEqual(admission.patch)
        expect(admission.response.status?.message ?? "").toBe(`${preview.reason}: ${preview.message}`)
        expect(events).toEqual([])
        const { decision, explanation } = preview
        const violated = explanation.pod.filter((step) => step.verdict === "violated")
        if (decision._tag === "Skip") {
          expect(violated.map((step) => step.rule)).toEqual([decision.rule])
          expect(explanation.features).toBeUndefined()
        } else {
          expect(violated).toEqual([])
          expect(explanation.features?.oneAgent.verdict).toBe(decision.oneAgent._tag)
          expect(explanation.features?.metadata.verdict).toBe(decision.metadata._tag)
          expect(explanation.features?.otlp.verdict).toBe(decision.otlp._tag)
          for (const key of ["oneAgent", "metadata", "otlp"] as const) {
            const feature = decision[key]
            if (feature._tag === "On") continue
            const failed = explanation.features?.[key].steps.find((step) => step.verdict === "violated")
            expect(failed).toMatchObject({ rule: feature.rule, reason: feature.reason })
          }
        }
      }),
      params
    ))

  it("the handler never fails or throws, whatever the object under review", () =>
    fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          podArbitrary.map((p) => ({ ...p, spec: "broken" })),
          podArbitrary
        ),
        dynakubeArbitrary,
        async (object, dk) => {
          const layer = Layer.mergeAll(H.mutatorLayer(H.standardFixtures(dk)), quiet)
          const response = await Effect.runPromise(
            PodMutator.PodMutator.use((m) =>
              m.handle({ uid: "u", kind: { group: "", version: "v1", kind: "Pod" }, operation: "CREATE", object })
            ).pipe(Effect.provide(layer))
          )
          expect(response.allowed).toBe(true)
          expect(response.uid).toBe("u")
        }
      ),
      params
    ))

  it("the /inject route answers 200 or 400 for any JSON body, never fails", () =>
    fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ request: fc.jsonValue() }),
          fc.record({
            request: fc.record({
              uid: fc.string(),
              kind: fc.jsonValue(),
              operation: fc.string(),
              object: fc.jsonValue()
            })
          })
        ),
        async (body) => {
          const layer = Layer.mergeAll(H.mutatorLayer(H.standardFixtures(T.dynakube(T.cloudNative()))), quiet)
          const reply = await Effect.runPromise(Routes.inject.handle(body).pipe(Effect.provide(layer)))
          expect([200, 400]).toContain(reply.status)
        }
      ),
      params
    ))
})
