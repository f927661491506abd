/**
 * The `dynakube-controller`: which changes make a DynaKube be reconciled, and the controller that does it.
 *
 * Sources (all from the informer caches):
 * - DynaKubes: added, deleted, and changed in spec, labels or annotations (a change of status alone, usually our
 *   own write, is not a reason to look again);
 * - objects a DynaKube owns (Secrets, ConfigMaps, Services, DaemonSets, StatefulSets, Deployments): their owner;
 * - Secrets and ConfigMaps a DynaKube refers to by name (token secret, proxy secret, trusted CAs, custom
 *   properties, ActiveGate TLS secret, custom pull secret): the referring DynaKubes;
 * - Namespaces added, deleted or relabelled: every DynaKube with injection features (their selectors may match).
 *
 * @since 0.1.0
 */
import { Effect, Stream } from "effect"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { key, keyOf } from "../../../services/kube/KubeObject.ts"
import type { InformerEvent } from "../../../services/kube/Informer.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import type { OperatorContext } from "./oneagent/WorkloadParts.ts"
import type { OperatorConfig } from "../OperatorConfig.ts"
import * as Controller from "../runtime/Controller.ts"
import * as Reconciler from "./Reconciler.ts"

export const controllerName = "dynakube-controller"

interface RawDynaKube extends KubeObject {
  readonly spec?: Readonly<Record<string, any>> | undefined
}

const present = (value: unknown): boolean => value !== undefined && value !== null

const strings = (...values: ReadonlyArray<unknown>) =>
  values.filter((v): v is string => typeof v === "string" && v !== "")

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

/** A DynaKube event that needs a reconcile. */
export const dynakubeEventMatters = (event: InformerEvent<KubeObject>): boolean => {
  if (event.type !== "Modified") return true
  const a = event.old.metadata
  const b = event.object.metadata
  return (
    a?.generation !== b?.generation ||
    !same(a?.annotations, b?.annotations) ||
    !same(a?.labels, b?.labels) ||
    a?.deletionTimestamp !== b?.deletionTimestamp
  )
}

/** Names of Secrets and ConfigMaps a DynaKube refers to. */
export const references = (
  dk: RawDynaKube
): { readonly secrets: ReadonlyArray<string>; readonly configMaps: ReadonlyArray<string> } => {
  const spec = dk.spec ?? {}
  const name = dk.metadata?.name ?? ""
  return {
    secrets: strings(
      typeof spec["tokens"] === "string" && spec["tokens"] !== "" ? spec["tokens"] : name,
      spec["proxy"]?.valueFrom,
      spec["customPullSecret"],
      spec["activeGate"]?.customProperties?.valueFrom,
      spec["activeGate"]?.tlsSecretName,
      spec["kubernetesMonitoring"]?.customProperties?.valueFrom,
      // Their data hashes are pod annotations of the OTel collector and the extension controller.
      spec["telemetryIngest"]?.tlsRefName,
      spec["templates"]?.extensionExecutionController?.tlsRefName
    ),
    configMaps: strings(spec["trustedCAs"])
  }
}

/** The DynaKube has a feature that maps namespaces (code-module injection, metadata enrichment, OTLP exporter). */
export const mapsNamespaces = (dk: RawDynaKube): boolean => {
  const spec = dk.spec ?? {}
  const oa = spec["oneAgent"] ?? {}
  const signals = spec["otlpExporterConfiguration"]?.signals ?? {}
  return (
    (oa.cloudNativeFullStack !== undefined && oa.cloudNativeFullStack !== null) ||
    (oa.applicationMonitoring !== undefined && oa.applicationMonitoring !== null) ||
    spec["metadataEnrichment"]?.enabled === true ||
    present(signals.metrics) ||
    present(signals.traces) ||
    present(signals.logs)
  )
}

/** The keys of the DynaKubes that own an object (same namespace, kind DynaKube). */
export const ownerKeys = (object: KubeObject): ReadonlyArray<string> =>
  (object.metadata?.ownerReferences ?? [])
    .filter((r) => r.kind === "DynaKube")
    .map((r) => keyOf(object.metadata?.namespace, r.name))

const ownedOnly = (event: InformerEvent<KubeObject>) => Effect.succeed(ownerKeys(event.object))

/** The keys an informer's events map to (periodic resyncs are not changes). */
const fromInformer = (
  events: Stream.Stream<InformerEvent<KubeObject>>,
  keysOf: (e: InformerEvent<KubeObject>) => Effect.Effect<ReadonlyArray<string>>
) =>
  events.pipe(
    Stream.filter((e) => e.type !== "Resync"),
    Stream.mapEffect(keysOf),
    Stream.flatMap((keys) => Stream.fromIterable(keys))
  )

/** The DynaKube a replicated injection secret belongs to (label `app.kubernetes.io/created-by`). */
export const replicaOwner = (operatorNamespace: string, secret: KubeObject): ReadonlyArray<string> => {
  const dk = secret.metadata?.labels?.["app.kubernetes.io/created-by"]
  return dk === undefined || dk === "" ? [] : [keyOf(operatorNamespace, dk)]
}

/** The default operator image when DT_OPERATOR_IMAGE is not set (the chart always sets it). */
export const defaultOperatorImage = (version: string) => `public.ecr.aws/dynatrace/dynatrace-operator:v${version}`

/** What the workload builders need to know about the operator and the cluster (the apiserver's minor version). */
export const operatorContext = (config: OperatorConfig) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const version = yield* kube.version.pipe(
      Effect.map((v) => Number.parseInt(v.minor, 10)),
      Effect.catch((error) =>
        Effect.logWarning("Could not read the Kubernetes version; assuming a current one.").pipe(
          Effect.annotateLogs({ error: error.message }),
          Effect.as(Number.NaN)
        )
      )
    )
    return {
      operatorVersion: config.operatorVersion,
      operatorImage: config.operatorImage ?? defaultOperatorImage(config.operatorVersion),
      operatorPullSecret: config.operatorPullSecret,
      csiDriver: config.modules.csiDriver,
      kubernetesMinorVersion: Number.isFinite(version) ? version : 34
    } satisfies OperatorContext
  })

/** Starts the controller (its sources and workers) in the current scope. */
export const make = (config: OperatorConfig) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const operator = yield* operatorContext(config)
    const dynakubes = () => caches.dynakubes.list() as Effect.Effect<ReadonlyArray<RawDynaKube>>

    const fromDynaKubes = caches.dynakubes.events.pipe(
      Stream.filter(dynakubeEventMatters),
      Stream.map((e) => key(e.object))
    )

    const referrers = (kind: "secrets" | "configMaps") => (event: InformerEvent<KubeObject>) =>
      Effect.map(dynakubes(), (dks) => {
        const name = event.object.metadata?.name ?? ""
        const namespace = event.object.metadata?.namespace
        const referring = dks
          .filter((dk) => dk.metadata?.namespace === namespace && references(dk)[kind].includes(name))
          .map(key)
        return [...new Set([...ownerKeys(event.object), ...referring])]
      })

    const fromNamespaces = caches.namespaces.events.pipe(
      Stream.filter(
        (e) =>
          e.type === "Added" ||
          e.type === "Deleted" ||
          (e.type === "Modified" && !same(e.old.metadata?.labels, e.object.metadata?.labels))
      ),
      Stream.mapEffect(() => Effect.map(dynakubes(), (dks) => dks.filter(mapsNamespaces).map(key))),
      Stream.flatMap((keys) => Stream.fromIterable(keys))
    )

    return yield* Controller.make({
      name: controllerName,
      reconcile: Reconciler.make(config, operator),
      maxConcurrentReconciles: config.maxConcurrentReconciles,
      shutdownGracePeriod: config.shutdownGracePeriod,
      sources: [
        fromDynaKubes,
        fromInformer(caches.secrets.events, referrers("secrets")),
        fromInformer(caches.configMaps.events, referrers("configMaps")),
        fromInformer(caches.services.events, ownedOnly),
        fromInformer(caches.daemonSets.events, ownedOnly),
        fromInformer(caches.statefulSets.events, ownedOnly),
        fromInformer(caches.deployments.events, ownedOnly),
        fromNamespaces,
        fromInformer(caches.replicas.events, (e) => Effect.succeed(replicaOwner(config.namespace, e.object)))
      ]
    })
  })
