/**
 * The injection phase on the real control plane (shared plane of the integration project) with the tenant
 * simulator: labels, sources and replicas as the spec names them, namespaces leaving, two DynaKubes claiming one
 * namespace, terminating namespaces, the DynaKube's deletion, and the steady state (no write, no tenant call).
 *
 * The DynaKube is a real object (CRD installed as the operator tests do) so the sources' owner references are real
 * and garbage collection can be observed. Every namespace of this file carries `injection-test=<run>`; only those
 * are handed to the phase, so other tests' namespaces are never touched.
 */
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Option, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { clientFor } from "../../../../../e2e/tenant-simulator/ClientForSimulator.ts"
import { startTenantSimulator, type TenantSimulator } from "../../../../../e2e/tenant-simulator/TenantSimulator.ts"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { dynaKubeCrd } from "../../../../schemas/Crds.ts"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as RequestCounter from "../../../../services/kube/RequestCounter.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import type * as Conditions from "../../runtime/Conditions.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import * as Injection from "./Injection.ts"
import type { Namespace } from "./NamespaceMapping.ts"
import * as Replicas from "./Replicas.ts"

const kubeClient = Effect.gen(function* () {
  return yield* KubeClient
})

const run = `inj${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`
const marker = "injection-test"
const operatorNamespace = `${run}-op`
const nsName = (s: string) => `${run}-${s}`
const instanceLabel = "dynakube.internal.dynatrace.com/instance"
const trustedPem = "-----BEGIN CERTIFICATE-----\nMIIBtrusted\n-----END CERTIFICATE-----\n"
const meid = "KUBERNETES_CLUSTER-0123456789ABCDEF"

let sim: TenantSimulator
beforeAll(async () => {
  sim = await startTenantSimulator()
})
afterAll(async () => {
  await sim.close()
})

/** Conditions as the controller would have persisted them, per DynaKube. */
const statusConditions = new Map<string, ReadonlyArray<Conditions.Condition>>()

const sleep = (ms: number) => Effect.sleep(Duration.millis(ms))
const waitUntil = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, timeoutMs = 60_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check.pipe(Effect.orElseSucceed(() => false)))) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting until ${what}`))
      yield* sleep(200)
    }
  })

const installCrd = Effect.gen(function* () {
  const kube = yield* KubeClient
  yield* kube.apply(Resources.CustomResourceDefinition, dynaKubeCrd({ conversion: "None" }) as KubeObject, {
    force: true,
    fieldManager: "operator-tests"
  })
  yield* waitUntil(
    "DynaKubes can be listed",
    kube.list(Resources.DynaKube, { namespace: operatorNamespace, limit: 1 }).pipe(Effect.as(true))
  )
})

const createNamespace = (name: string, labels: Record<string, string>, finalizers?: Array<string>) =>
  Effect.flatMap(kubeClient, (kube) =>
    kube.create(Resources.Namespace, {
      metadata: { name, labels: { [marker]: run, ...labels }, ...(finalizers === undefined ? {} : { finalizers }) }
    })
  )

const setLabels = (name: string, labels: Record<string, string | null>) =>
  Effect.flatMap(kubeClient, (kube) =>
    kube.patch(Resources.Namespace, name, { type: "merge", patch: { metadata: { labels } } })
  )

const createDynaKube = (name: string, spec: DynaKube["spec"]) =>
  Effect.flatMap(kubeClient, (kube) =>
    kube.create<DynaKube & KubeObject>(Resources.DynaKube, {
      apiVersion: "dynatrace.com/v1beta6",
      kind: "DynaKube",
      metadata: { name, namespace: operatorNamespace },
      spec
    })
  )

const ourNamespaces = Effect.flatMap(kubeClient, (kube) =>
  Effect.map(kube.listAll<Namespace>(Resources.Namespace, { labelSelector: `${marker}=${run}` }), (l) => l.items)
)

const secret = (namespace: string, name: string) =>
  Effect.flatMap(kubeClient, (kube) =>
    kube.get<Replicas.Secret>(Resources.Secret, name, { namespace }).pipe(
      Effect.map(Option.some),
      Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<Replicas.Secret>()))
    )
  )

const labelOf = (name: string) =>
  Effect.flatMap(kubeClient, (kube) =>
    Effect.map(kube.get<Namespace>(Resources.Namespace, name), (ns) => ns.metadata?.labels?.[instanceLabel])
  )

/** One run of the phase, as the controller would call it; the result's conditions are "persisted". */
const reconcile = (
  dk: DynaKube,
  options: {
    readonly all?: ReadonlyArray<DynaKube>
    readonly replicas?: Replicas.ReplicaStore
    readonly namespaces?: ReadonlyArray<Namespace>
    readonly now?: number
  } = {}
) =>
  Effect.gen(function* () {
    const tenant = yield* clientFor(sim)
    const connectionInfo = yield* tenant.oneAgentConnectionInfo
    const name = dk.metadata?.name ?? ""
    const conditions = statusConditions.get(name) ?? []
    const namespaces = options.namespaces ?? (yield* ourNamespaces)
    sim.resetHits()
    const result = yield* Injection.reconcileInjection({
      dynakube: dk,
      allDynaKubes: options.all ?? [dk],
      namespaces,
      operatorNamespace,
      operatorVersion: "1.0.0-test",
      tenant,
      tokens: { apiToken: Redacted.make(sim.apiToken), dataIngestToken: Redacted.make(sim.dataIngestToken) },
      connectionInfo,
      kubeSystemUUID: "kube-system-uid",
      kubernetesClusterMEID: meid,
      csiDriver: false,
      settingsRead: true,
      trustedCAs: dk.spec.trustedCAs === undefined ? undefined : trustedPem,
      read: ObjectSync.readWithGet,
      replicas: options.replicas ?? Replicas.byList,
      conditions,
      now: options.now ?? Date.now()
    })
    statusConditions.set(name, Injection.applyConditions(conditions, result, { now: options.now ?? Date.now() }))
    return result
  }).pipe(Effect.scoped)

const writesOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const before = yield* kube.requestStats
    const value = yield* effect
    return { value, stats: RequestCounter.diff(yield* kube.requestStats, before) }
  })

const conditionOf = (dk: string, type: string) => statusConditions.get(dk)?.find((c) => c.type === type)
const decode = (s: Option.Option<Replicas.Secret>, key: string) =>
  Option.isNone(s) ? undefined : Replicas.text(s.value, key)

const selectorA = { matchLabels: { [marker]: run, team: "a" } }

layer(KubeClient.layer, { excludeTestServices: true })("injection on the real control plane", (it) => {
  let dkA: DynaKube

  it.effect("maps matching namespaces: instance label, sources owned by the DynaKube, every replica", () =>
    Effect.gen(function* () {
      yield* createNamespace(operatorNamespace, {})
      yield* installCrd
      for (const s of ["one", "two"]) yield* createNamespace(nsName(s), { team: "a" })
      yield* createNamespace(nsName("other"), { team: "b" })
      // Labelled for the DynaKube earlier, no longer selected: it is unmapped.
      yield* createNamespace(nsName("stale"), { team: "b", [instanceLabel]: "dk-a" })
      dkA = yield* createDynaKube("dk-a", {
        apiUrl: sim.url,
        trustedCAs: "cas",
        oneAgent: { cloudNativeFullStack: { namespaceSelector: selectorA } }
      })

      const result = yield* reconcile(dkA)
      assert.deepStrictEqual(result.errors, [])
      assert.deepStrictEqual(
        result.mapped.map((m) => m.namespace),
        [nsName("one"), nsName("two")]
      )
      assert.deepInclude(result.stats, { labelsAdded: 2, labelsRemoved: 1, replicasWritten: 4, sourcesWritten: 2 })
      assert.strictEqual(yield* labelOf(nsName("one")), "dk-a")
      assert.strictEqual(yield* labelOf(nsName("two")), "dk-a")
      assert.isUndefined(yield* labelOf(nsName("other")))
      assert.isUndefined(yield* labelOf(nsName("stale")))

      // Sources in the DynaKube's namespace, owned by it.
      const source = yield* secret(operatorNamespace, "dk-a-bootstrapper-config")
      assert.isTrue(Option.isSome(source))
      const owner = Option.getOrThrow(source).metadata?.ownerReferences?.[0]
      assert.deepInclude(owner, { kind: "DynaKube", name: "dk-a", uid: dkA.metadata?.uid ?? "", controller: true })
      assert.strictEqual(
        Option.getOrThrow(source).metadata?.annotations?.["internal.operator.dynatrace.com/pgc-etag"],
        sim.tenant.processGroupingEtag()
      )

      // Replicas with the exact files.
      const replica = yield* secret(nsName("one"), "dynatrace-bootstrapper-config")
      assert.deepStrictEqual(Object.keys(Option.getOrThrow(replica).data ?? {}).toSorted(), [
        "declarative.cbor",
        "dtclient.config",
        "endpoint.properties",
        "ruxitagentproc.json"
      ])
      assert.deepInclude(Option.getOrThrow(replica).metadata?.labels, {
        "app.kubernetes.io/name": "dynatrace-operator",
        "app.kubernetes.io/created-by": "dk-a",
        "app.kubernetes.io/component": "webhook",
        "app.kubernetes.io/version": "1.0.0-test"
      })
      assert.strictEqual(
        decode(replica, "dtclient.config"),
        `{"apiToken":"${sim.apiToken}","proxy":"","noProxy":"","networkZone":"","hostGroup":"","skipCertCheck":false}`
      )
      assert.strictEqual(
        decode(replica, "endpoint.properties"),
        `DT_METRICS_INGEST_URL=${sim.url}/v2/metrics/ingest\nDT_METRICS_INGEST_API_TOKEN=${sim.dataIngestToken}\n`
      )
      const pmc = JSON.parse(decode(replica, "ruxitagentproc.json") ?? "{}") as {
        properties: Array<{ section: string; key: string; value: string }>
        revision: number
      }
      const value = (key: string) => pmc.properties.find((p) => p.key === key)?.value
      assert.strictEqual(value("tenant"), sim.tenant.config.tenantUUID)
      assert.strictEqual(value("tenantToken"), sim.tenant.tenantToken)
      assert.strictEqual(value("serverAddress"), `{${sim.tenant.config.communicationEndpoints.join(";")}}`)
      assert.strictEqual(pmc.revision, sim.tenant.config.processModuleRevision)
      assert.deepStrictEqual(
        pmc.properties.map((p) => p.key),
        pmc.properties.map((p) => p.key).toSorted()
      )
      assert.deepStrictEqual(
        Option.getOrThrow(replica).data?.["declarative.cbor"],
        Buffer.from(sim.tenant.config.processGroupingConfig ?? []).toString("base64")
      )
      assert.strictEqual(
        decode(yield* secret(nsName("two"), "dynatrace-bootstrapper-certs"), "trusted.pem"),
        trustedPem
      )
      assert.isTrue(Option.isNone(yield* secret(nsName("other"), "dynatrace-bootstrapper-config")))

      assert.deepInclude(conditionOf("dk-a", "OneAgentNamespacesMonitored"), {
        status: "True",
        reason: "MatchesFound",
        message: `2 namespaces match: ${nsName("one")}, ${nsName("two")}`
      })
      assert.deepInclude(conditionOf("dk-a", "CodeModulesInjection"), { status: "True", reason: "SecretsCreated" })
      assert.deepInclude(conditionOf("dk-a", "BootstrapperConfig"), {
        status: "True",
        reason: "SecretCreatedOrUpdated",
        message: "dk-a-bootstrapper-config created/updated"
      })
      assert.deepInclude(conditionOf("dk-a", "BootstrapperCertsConfig"), { status: "True" })
      assert.deepInclude(conditionOf("dk-a", "MetadataEnrichmentRules"), { status: "True", reason: "StatusUpdated" })
      assert.deepStrictEqual<unknown>(result.metadataEnrichmentRules, sim.tenant.config.enrichmentRules)
    })
  )

  it.effect("a second run with nothing changed makes no write and no tenant call (list- and informer-backed)", () =>
    Effect.gen(function* () {
      const again = yield* writesOf(reconcile(dkA))
      assert.deepStrictEqual(again.value.errors, [])
      assert.strictEqual(again.stats.writes, 0, JSON.stringify(again.stats.byRequest))
      assert.deepStrictEqual(sim.hits(), {}, "no tenant call within the request threshold")
      assert.deepInclude(again.value.stats, { labelsAdded: 0, replicasWritten: 0, replicasUnchanged: 4 })

      // The operator's way: replicas from a cluster-wide informer. Once it has caught up, a run reads nothing.
      const informer = yield* Replicas.makeInformer()
      yield* informer.awaitSynced
      const store = Replicas.fromInformer(informer)
      const namespaces = yield* ourNamespaces
      const cached = yield* writesOf(reconcile(dkA, { replicas: store, namespaces }))
      assert.strictEqual(cached.stats.writes, 0, JSON.stringify(cached.stats.byRequest))
      assert.isUndefined(cached.stats.byRequest["list secrets"], "replicas came from the informer")
    }).pipe(Effect.scoped)
  )

  it.effect("a namespace that leaves the selector loses its label and its replicas", () =>
    Effect.gen(function* () {
      yield* setLabels(nsName("two"), { team: "b" })
      const result = yield* reconcile(dkA)
      assert.deepStrictEqual(result.errors, [])
      assert.deepInclude(result.stats, { labelsRemoved: 1, replicasDeleted: 2 })
      assert.isUndefined(yield* labelOf(nsName("two")))
      assert.isTrue(Option.isNone(yield* secret(nsName("two"), "dynatrace-bootstrapper-config")))
      assert.isTrue(Option.isNone(yield* secret(nsName("two"), "dynatrace-bootstrapper-certs")))
      assert.isTrue(Option.isSome(yield* secret(nsName("one"), "dynatrace-bootstrapper-config")))
      assert.strictEqual(
        conditionOf("dk-a", "OneAgentNamespacesMonitored")?.message,
        `1 namespaces match: ${nsName("one")}`
      )
    })
  )

  it.effect(
    "tenant data is fetched again only once stale (no write when it did not change); a 429 changes nothing",
    () =>
      Effect.gen(function* () {
        const later = Date.now() + 16 * 60_000
        const refresh = yield* writesOf(reconcile(dkA, { now: later }))
        assert.deepStrictEqual(refresh.value.errors, [])
        assert.deepInclude(sim.hits(), { processModuleConfig: 1, processGroupingConfig: 1 })
        assert.strictEqual(refresh.stats.writes, 0, "same content: nothing written")
        const types = refresh.value.conditions.filter((c) => c.type === "BootstrapperConfig").map((c) => c.reason)
        assert.deepStrictEqual(types, ["SecretOutdated", "SecretCreatedOrUpdated"], "False first, so the clock moves")
        const moved = Date.parse(conditionOf("dk-a", "BootstrapperConfig")?.lastTransitionTime ?? "")
        assert.isAtLeast(moved, later - 1000)

        sim.inject("processModuleConfig", { kind: "status", status: 429 })
        const before = yield* secret(nsName("one"), "dynatrace-bootstrapper-config")
        const limited = yield* reconcile(dkA, { now: later + 16 * 60_000 })
        sim.clearFaults()
        assert.isTrue(Injection.isUnreachable(limited), "the controller requeues in a minute, status untouched")
        assert.deepInclude(conditionOf("dk-a", "BootstrapperConfig"), { status: "False", reason: "DynatraceApiError" })
        const after = yield* secret(nsName("one"), "dynatrace-bootstrapper-config")
        assert.strictEqual(
          Option.getOrThrow(after).metadata?.resourceVersion,
          Option.getOrThrow(before).metadata?.resourceVersion,
          "the replica is left as it was"
        )
        const recovered = yield* reconcile(dkA)
        assert.deepStrictEqual(recovered.errors, [])
        assert.deepInclude(conditionOf("dk-a", "BootstrapperConfig"), { status: "True" })
      })
  )

  it.effect("OTLP exporter: data-ingest token and certificate sources, replicas where the OTLP selector matches", () =>
    Effect.gen(function* () {
      yield* createNamespace(nsName("otel"), { otel: "on" })
      const dkC: DynaKube = {
        apiVersion: "dynatrace.com/v1beta6",
        kind: "DynaKube",
        metadata: { name: "dk-c", namespace: operatorNamespace },
        spec: {
          apiUrl: sim.url,
          trustedCAs: "cas",
          otlpExporterConfiguration: {
            signals: { traces: {} },
            namespaceSelector: { matchLabels: { [marker]: run, otel: "on" } }
          }
        }
      }
      const result = yield* reconcile(dkC)
      assert.deepStrictEqual(result.errors, [])
      assert.strictEqual(
        decode(yield* secret(operatorNamespace, "dk-c-otlp-exporter-config"), "dataIngestToken"),
        sim.dataIngestToken
      )
      assert.strictEqual(
        decode(yield* secret(nsName("otel"), "dynatrace-otlp-exporter-config"), "dataIngestToken"),
        sim.dataIngestToken
      )
      assert.strictEqual(
        decode(yield* secret(nsName("otel"), "dynatrace-otlp-exporter-certs"), "activegate-tls.crt"),
        trustedPem
      )
      assert.isTrue(Option.isNone(yield* secret(nsName("otel"), "dynatrace-bootstrapper-config")), "OTLP only")
      assert.deepInclude(conditionOf("dk-c", "OTLPExporterConfigSecret"), {
        status: "True",
        message: "dynatrace-otlp-exporter-config created/updated"
      })
      assert.deepInclude(conditionOf("dk-c", "OTLPExporterConfiguration"), { status: "True", reason: "SecretsCreated" })
      assert.deepInclude(conditionOf("dk-c", "OTLPExporterConfigurationNamespacesMonitored"), {
        message: `1 namespaces match: ${nsName("otel")}`
      })

      // The feature off: the namespace is unmapped, replicas and sources go.
      const off = yield* reconcile({ ...dkC, spec: { apiUrl: sim.url } })
      assert.deepStrictEqual(off.errors, [])
      assert.isUndefined(yield* labelOf(nsName("otel")))
      for (const [namespace, name] of [
        [nsName("otel"), "dynatrace-otlp-exporter-config"],
        [nsName("otel"), "dynatrace-otlp-exporter-certs"],
        [operatorNamespace, "dk-c-otlp-exporter-config"],
        [operatorNamespace, "dk-c-otlp-exporter-certs"]
      ] as const) {
        assert.isTrue(Option.isNone(yield* secret(namespace, name)), `${namespace}/${name} is gone`)
      }
      assert.includeMembers([...off.removeConditions], ["OTLPExporterConfiguration", "OTLPExporterConfigSecret"])
    })
  )

  it.effect("two DynaKubes claiming a namespace: both report it, the owner keeps it, nothing flaps", () =>
    Effect.gen(function* () {
      yield* createNamespace(nsName("shared"), { team: "a", also: "b" })
      const dkB = yield* createDynaKube("dk-b", {
        apiUrl: sim.url,
        metadataEnrichment: { enabled: true, namespaceSelector: { matchLabels: { [marker]: run, also: "b" } } }
      })
      const all = [dkA, dkB]
      const first = yield* reconcile(dkA, { all })
      const second = yield* reconcile(dkB, { all })
      for (const result of [first, second]) {
        const conflict = result.errors.find((e) => e.reason._tag === "NamespaceConflict")
        assert.isDefined(conflict)
        assert.match(conflict!.message, new RegExp(`namespace ${nsName("shared")} matches DynaKubes dk-a, dk-b`))
      }
      // Nobody had it: it stays unlabelled, and neither side gets replicas there.
      assert.isUndefined(yield* labelOf(nsName("shared")))
      assert.deepStrictEqual(second.mapped, [])
      assert.isTrue(Option.isNone(yield* secret(nsName("shared"), "dynatrace-bootstrapper-config")))

      // Once dk-a owns it (e.g. the selectors were fixed and broken again), it keeps it.
      yield* setLabels(nsName("shared"), { [instanceLabel]: "dk-a" })
      const settled = yield* writesOf(
        Effect.gen(function* () {
          for (let i = 0; i < 2; i++) {
            yield* reconcile(dkB, { all })
            yield* reconcile(dkA, { all })
          }
        })
      )
      assert.strictEqual(settled.stats.byRequest["patch namespaces"] ?? 0, 0, "no label write back and forth")
      assert.strictEqual(yield* labelOf(nsName("shared")), "dk-a")
      assert.isTrue(
        Option.isSome(yield* secret(nsName("shared"), "dynatrace-bootstrapper-config")),
        "the owner serves it"
      )
      const conflict = (yield* reconcile(dkB, { all })).errors.find((e) => e.reason._tag === "NamespaceConflict")
      assert.match(conflict!.message, /\(kept by dk-a\)/)
      // dk-b's own namespaces are unaffected by the conflict elsewhere.
      yield* createNamespace(nsName("b-only"), { also: "b" })
      const withOwn = yield* reconcile(dkB, { all })
      assert.deepStrictEqual(
        withOwn.mapped.map((m) => m.namespace),
        [nsName("b-only")]
      )
      assert.strictEqual(
        decode(yield* secret(nsName("b-only"), "dynatrace-bootstrapper-config"), "endpoint.properties"),
        `DT_METRICS_INGEST_URL=${sim.url}/v2/metrics/ingest\nDT_METRICS_INGEST_API_TOKEN=${sim.dataIngestToken}\n`
      )
      assert.isTrue(Option.isNone(yield* secret(nsName("b-only"), "dynatrace-bootstrapper-certs")), "dk-b has no certs")
    })
  )

  it.effect("a terminating namespace is neither labelled nor given replicas", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const name = nsName("ending")
      yield* createNamespace(name, { team: "a" }, ["injection-test.dynatrace.com/hold"])
      yield* kube.delete(Resources.Namespace, name)
      yield* waitUntil(
        "the namespace is terminating",
        Effect.map(kube.get<Namespace>(Resources.Namespace, name), (ns) => ns.status?.phase === "Terminating")
      )
      const result = yield* reconcile(dkA)
      assert.isFalse(result.mapped.some((m) => m.namespace === name))
      assert.isUndefined(yield* labelOf(name))
      assert.isTrue(Option.isNone(yield* secret(name, "dynatrace-bootstrapper-config")))
      yield* kube.patch(Resources.Namespace, name, { type: "merge", patch: { metadata: { finalizers: null } } })
    })
  )

  it.effect("deleting the DynaKube: clean-up unlabels its namespaces and deletes its replicas, once", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      yield* kube.delete(Resources.DynaKube, "dk-a", { namespace: operatorNamespace })
      const cleanup = yield* Injection.cleanupInjection({
        dynakube: "dk-a",
        namespaces: yield* ourNamespaces,
        replicas: Replicas.byList
      })
      assert.deepStrictEqual(cleanup.errors, [])
      assert.deepInclude(cleanup, { labelsRemoved: 2 })
      assert.strictEqual(cleanup.replicasDeleted, 4)
      for (const s of ["one", "shared"]) {
        assert.isUndefined(yield* labelOf(nsName(s)))
        assert.isTrue(Option.isNone(yield* secret(nsName(s), "dynatrace-bootstrapper-config")))
      }
      assert.strictEqual(yield* labelOf(nsName("b-only")), "dk-b", "other DynaKubes' namespaces are untouched")
      // The sources carry the DynaKube as controller owner (first test): garbage collection removes them.
      const again = yield* writesOf(
        Injection.cleanupInjection({ dynakube: "dk-a", namespaces: yield* ourNamespaces, replicas: Replicas.byList })
      )
      assert.strictEqual(again.stats.writes, 0, "a repeated clean-up writes nothing")
    })
  )

  it.effect("turning every injection feature off unmaps the DynaKube's namespaces and removes its secrets", () =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const dkB = yield* kube.get<DynaKube & KubeObject>(Resources.DynaKube, "dk-b", { namespace: operatorNamespace })
      const off: DynaKube = { ...dkB, spec: { ...dkB.spec, metadataEnrichment: { enabled: false } } }
      const result = yield* reconcile(off)
      assert.deepStrictEqual(result.errors, [])
      assert.isUndefined(yield* labelOf(nsName("b-only")))
      assert.isTrue(Option.isNone(yield* secret(nsName("b-only"), "dynatrace-bootstrapper-config")))
      assert.isTrue(Option.isNone(yield* secret(operatorNamespace, "dk-b-bootstrapper-config")))
      assert.includeMembers(
        [...result.removeConditions],
        ["MetadataEnrichment", "MetadataEnrichmentNamespacesMonitored", "BootstrapperConfig", "MetadataEnrichmentRules"]
      )
      assert.strictEqual(result.metadataEnrichmentRules, null)

      // Tidy up: the test namespaces go away with the run.
      for (const ns of yield* ourNamespaces) {
        yield* kube.delete(Resources.Namespace, ns.metadata?.name ?? "").pipe(Effect.ignore)
      }
      yield* kube.delete(Resources.Namespace, operatorNamespace).pipe(Effect.ignore)
    })
  )
})
