/**
 * The DynaKube's app-injection phase (spec §2.2.9 steps 2–6, §2.6) and its clean-up when the DynaKube is deleted
 * (§2.2.1 step 1).
 *
 * `reconcileInjection(input)`, in order:
 * 1. Metadata-enrichment rules into `status.metadataEnrichment.rules` (when stale, condition
 *    `MetadataEnrichmentRules`), if enrichment, injection or OTLP is enabled.
 * 2. Namespace mapping (`NamespaceMapping.plan`): the instance label is added / removed with a merge patch of
 *    that one label made conditional on the namespace's resourceVersion (a concurrent edit is re-read and
 *    re-decided, never overwritten). Conflicts are reported, not fought over.
 * 3. Sources in the DynaKube's namespace (owned by it): `<dk>-bootstrapper-config` (+ `-certs`) and
 *    `<dk>-otlp-exporter-config` (+ `-certs`), each written only when its content changed.
 * 4. Replicas in every mapped namespace that needs them (not terminating), written only when they differ
 *    from what exists; replicas of this DynaKube anywhere else are deleted. Bounded parallelism.
 * 5. Conditions: `*NamespacesMonitored`, `CodeModulesInjection`, `MetadataEnrichment`,
 *    `OTLPExporterConfiguration`, `BootstrapperConfig`, `BootstrapperCertsConfig`, `OTLPExporterConfigSecret`,
 *    `OTLPExporterCertsConfig`.
 *
 * Errors are collected, not short-circuited (as the original's components): the phase always returns its
 * conditions, and `errors` says what failed. Tenant data cached in the status or in the source secret (rules,
 * process-module config, process-grouping config) is fetched again only when its condition is stale (spec
 * §2.2.7), so a steady-state reconcile makes no tenant call and, with informer-backed reads, no apiserver request.
 *
 * @since 0.1.0
 */
import { Effect, type Redacted, Result } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApi } from "../../../../services/DynatraceApi.ts"
import * as DynatraceApiError from "../../../../services/DynatraceApiError.ts"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeApiError } from "../../../../services/KubeApiError.ts"
import * as Conditions from "../../runtime/Conditions.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import * as Names from "../Names.ts"
import * as Data from "./BootstrapperData.ts"
import * as Collector from "./Collector.ts"
import * as Rules from "./EnrichmentRules.ts"
import * as Cond from "./InjectionConditions.ts"
import * as E from "./InjectionError.ts"
import * as Labels from "./NamespaceLabels.ts"
import * as Mapping from "./NamespaceMapping.ts"
import * as Replicas from "./Replicas.ts"
import * as Sources from "./Sources.ts"

// ---------------------------------------------------------------------------------------------------------------------
// Models

/** Everything the phase needs, resolved by the DynaKube controller. @category models @since 0.1.0 */
export interface InjectionInput extends Sources.SourcesInput, Rules.RulesInput {
  /** The DynaKube (hub version) with metadata (name, namespace, uid for owner references) and status. */
  readonly dynakube: DynaKube
  /** The DynaKubes of the operator namespace (from the informer); `dynakube` replaces its namesake. */
  readonly allDynaKubes: ReadonlyArray<DynaKube>
  /** Every Namespace of the cluster (from the informer). */
  readonly namespaces: ReadonlyArray<Mapping.Namespace>
  readonly operatorNamespace: string
  /** `app.kubernetes.io/version` of the secrets. */
  readonly operatorVersion: string
  /** The tenant client of this DynaKube. */
  readonly tenant: DynatraceApi["Service"]
  readonly tokens: {
    readonly apiToken: Redacted.Redacted<string>
    readonly dataIngestToken?: Redacted.Redacted<string> | undefined
  }
  /** OneAgent connection info (tenant UUID, tenant token, endpoints joined with `;`). */
  readonly connectionInfo: {
    readonly tenantUUID: string
    readonly tenantToken: Redacted.Redacted<string>
    readonly endpoints: string
  }
  readonly kubeSystemUUID: string
  /** `status.kubernetesClusterMEID`, when the tenant knows the cluster. */
  readonly kubernetesClusterMEID?: string | undefined
  /** The CSI driver module is installed (no `dtclient.config` needed). */
  readonly csiDriver: boolean
  /** The optional `settings.read` scope is available (always with a platform token). */
  readonly settingsRead: boolean
  /** `spec.proxy` resolved (value, or the key `proxy` of the valueFrom Secret). */
  readonly proxy?: Redacted.Redacted<string> | undefined
  /** The PEM bundle of the `trustedCAs` ConfigMap (key `certs`). */
  readonly trustedCAs?: string | undefined
  /** Reads objects of the DynaKube's namespace (source secrets, the ActiveGate TLS secret); informer-backed ideally. */
  readonly read: ObjectSync.Reader
  /** Where the existing replicas come from (an informer in the operator, `Replicas.byList` otherwise). */
  readonly replicas: Replicas.ReplicaStore
  /** The conditions to judge staleness by (default: `dynakube.status.conditions`). */
  readonly conditions?: ReadonlyArray<Conditions.Condition> | undefined
  /** Milliseconds since the epoch. */
  readonly now: number
  /** Parallel apiserver writes (default 16). */
  readonly concurrency?: number | undefined
}

/** Counts of what the phase did, for logs, tests and benchmarks. @category models @since 0.1.0 */
export interface InjectionStats {
  readonly mapped: number
  readonly labelsAdded: number
  readonly labelsRemoved: number
  readonly replicasWritten: number
  readonly replicasUnchanged: number
  readonly replicasDeleted: number
  readonly replicasSkipped: number
  readonly sourcesWritten: number
  readonly conflicts: number
}

/** What the phase found and did. @category models @since 0.1.0 */
export interface InjectionResult {
  /**
   * Condition updates, to apply **in order** with `Conditions.set` (see `applyConditions`): a refresh of cached
   * tenant data sets its condition to `False` (outdated) and then `True`, which moves `lastTransitionTime`, the
   * clock the next staleness check reads.
   */
  readonly conditions: ReadonlyArray<Conditions.ConditionUpdate>
  /** Condition types to remove (features that are off). */
  readonly removeConditions: ReadonlyArray<string>
  /** `status.metadataEnrichment.rules`: `undefined` = leave as is, `null` = clear, an array = set. */
  readonly metadataEnrichmentRules: ReadonlyArray<Rules.EnrichmentRule> | null | undefined
  /** What failed (the phase carried on with everything else). Empty when all went well. */
  readonly errors: ReadonlyArray<E.InjectionError>
  /** The namespaces mapped to this DynaKube afterwards, sorted. */
  readonly mapped: ReadonlyArray<Mapping.Mapped>
  readonly stats: InjectionStats
}

/** Parallel writes by default. @category constants @since 0.1.0 */
export const defaultConcurrency = 16

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

/** Applies a result's condition updates (in order) and removals to a condition list. @category status @since 0.1.0 */
export const applyConditions = (
  conditions: ReadonlyArray<Conditions.Condition>,
  result: Pick<InjectionResult, "conditions" | "removeConditions">,
  options: { readonly now: number; readonly generation?: number | undefined }
): ReadonlyArray<Conditions.Condition> => {
  let next = conditions
  for (const update of result.conditions) next = Conditions.set(next, update, options)
  for (const type of result.removeConditions) next = Conditions.remove(next, type)
  return next
}

/** True when a tenant error of the result is 429/503: requeue in a minute, status untouched (spec §2.2.1). @category predicates @since 0.1.0 */
export const isUnreachable = (result: Pick<InjectionResult, "errors">): boolean =>
  result.errors.some((e) => e.reason._tag === "DynatraceApi" && DynatraceApiError.isUnreachable(e.reason.error))

// ---------------------------------------------------------------------------------------------------------------------
// 2. Namespace labels

interface LabelOutcome {
  readonly name: string
  readonly label: string | undefined
  readonly flags: Mapping.MatchFlags
  readonly terminating: boolean
  readonly change: "added" | "removed" | "none"
}

/** Carries out one plan entry's label decision (decided again on a fresh read after a conflict). */
const applyLabel = (
  entry: Mapping.PlanEntry,
  self: Mapping.CompiledDynaKube,
  others: ReadonlyArray<Mapping.CompiledDynaKube>
): Effect.Effect<LabelOutcome, KubeApiError, KubeClient> => {
  let flags = entry.decision.flags
  const decide = (namespace: Mapping.Namespace) => {
    if (namespace === entry.namespace) return entry.decision.label
    const decision = Mapping.decide(self, others, {
      ...namespace,
      metadata: { ...namespace.metadata, name: entry.name }
    })
    flags = decision.flags
    return decision.label
  }
  return Effect.map(Labels.writeLabel(entry.namespace, decide), (write) => ({
    name: entry.name,
    label: write.label,
    flags: write.namespace === undefined ? Mapping.noMatch : flags,
    terminating: write.namespace !== undefined && Mapping.isTerminating(write.namespace),
    change: write.change
  }))
}

// ---------------------------------------------------------------------------------------------------------------------
// 4. Replicas

type ReplicaJob =
  | { readonly _tag: "Ensure"; readonly kind: Sources.Kind; readonly desired: Replicas.Secret }
  | { readonly _tag: "Delete"; readonly kind: Sources.Kind; readonly existing: Replicas.Secret }

type JobResult =
  | { readonly _tag: "Written" | "Unchanged" | "Deleted" | "Skipped"; readonly kind: Sources.Kind }
  | { readonly _tag: "Failed"; readonly kind: Sources.Kind; readonly error: KubeApiError }

const runJob = (job: ReplicaJob, read: ObjectSync.Reader): Effect.Effect<JobResult, never, KubeClient> => {
  const run: Effect.Effect<JobResult, KubeApiError, KubeClient> =
    job._tag === "Ensure"
      ? Effect.map(Replicas.ensureReplica(job.desired, read), (outcome): JobResult => ({
          _tag: outcome._tag === "Skipped" ? "Skipped" : outcome.action === "unchanged" ? "Unchanged" : "Written",
          kind: job.kind
        }))
      : Effect.map(Replicas.deleteReplica(job.existing), (deleted): JobResult => ({
          _tag: deleted ? "Deleted" : "Skipped",
          kind: job.kind
        }))
  return run.pipe(
    Effect.catch((error: KubeApiError) => Effect.succeed<JobResult>({ _tag: "Failed", kind: job.kind, error }))
  )
}

// ---------------------------------------------------------------------------------------------------------------------
// The phase

/**
 * Reconciles app injection for one DynaKube (see the module doc). Never fails: failures are in `errors`.
 * @category reconcile
 * @since 0.1.0
 */
export const reconcileInjection = Effect.fn("Injection.reconcile")(
  function* (input: InjectionInput) {
    const dk = input.dynakube
    const name = dk.metadata?.name ?? ""
    const namespace = dk.metadata?.namespace ?? input.operatorNamespace
    const concurrency = Math.max(1, input.concurrency ?? defaultConcurrency)
    const thresholdMinutes = dk.spec.dynatraceApiRequestThreshold ?? 15
    const c = Collector.make()
    const stats = { sourcesWritten: 0 }
    const uid = dk.metadata?.uid
    const ctx: Sources.Context = {
      input,
      dk,
      name,
      namespace,
      labels: Replicas.labels(name, input.operatorVersion),
      owner:
        uid === undefined || uid === ""
          ? undefined
          : { apiVersion: dk.apiVersion ?? "dynatrace.com/v1beta6", kind: "DynaKube", name, uid },
      c,
      stats
    }
    const needs = Data.needs(dk, { csiDriver: input.csiDriver })
    const features = Mapping.injectionFeatures(dk)
    const anyFeature = Mapping.hasInjectionFeatures(features)

    // 1. Rules.
    const rules = yield* Rules.reconcileRules(input, c, anyFeature, thresholdMinutes)

    // 2. Mapping and labels.
    const plan = Mapping.plan({
      dynakube: dk,
      allDynaKubes: input.allDynaKubes,
      namespaces: input.namespaces,
      operatorNamespace: input.operatorNamespace
    })
    for (const problem of Mapping.selectorProblems(plan.self)) {
      yield* Effect.logWarning("DynaKube has an invalid namespace selector; it matches no namespace.").pipe(
        Effect.annotateLogs({ problem })
      )
    }
    const labelResults = yield* Effect.forEach(
      plan.entries,
      (entry) =>
        entry.decision.label === entry.current
          ? Effect.succeed<LabelOutcome>({
              name: entry.name,
              label: entry.current,
              flags: entry.decision.flags,
              terminating: Mapping.isTerminating(entry.namespace),
              change: "none"
            })
          : applyLabel(entry, plan.self, plan.others).pipe(
              Effect.catch((error: KubeApiError) =>
                Effect.sync((): LabelOutcome => {
                  c.errors.push(E.fromKube("namespace-mapping")(error))
                  return {
                    name: entry.name,
                    label: entry.current,
                    flags: entry.decision.flags,
                    terminating: Mapping.isTerminating(entry.namespace),
                    change: "none"
                  }
                })
              )
            ),
      { concurrency }
    )
    const mapped = Mapping.mappedOf(name, labelResults)
    if (plan.conflicts.length > 0) {
      c.errors.push(
        new E.InjectionError({
          step: "namespace-mapping",
          reason: new E.NamespaceConflict({ conflicts: plan.conflicts })
        })
      )
    }

    // 3. Sources.
    const bootstrapper = yield* Sources.reconcileBootstrapper(ctx, needs, thresholdMinutes)
    const otlp = yield* Sources.reconcileOtlp(ctx, needs)
    const desired: Readonly<Record<Sources.Kind, Sources.Desired>> = {
      bootstrapperConfig: bootstrapper.config,
      bootstrapperCerts: bootstrapper.certs,
      otlpConfig: otlp.config,
      otlpCerts: otlp.certs
    }

    // 4. Replicas: where each kind may exist, what to write, what to delete.
    const eligible: Readonly<Record<Sources.Kind, ReadonlySet<string>>> = {
      bootstrapperConfig: new Set(
        needs.bootstrapperConfig ? mapped.filter((m) => Mapping.needsBootstrapper(m.flags)).map((m) => m.namespace) : []
      ),
      bootstrapperCerts: new Set(
        needs.bootstrapperConfig ? mapped.filter((m) => Mapping.needsBootstrapper(m.flags)).map((m) => m.namespace) : []
      ),
      otlpConfig: new Set(needs.otlp ? mapped.filter((m) => m.flags.otlp).map((m) => m.namespace) : []),
      otlpCerts: new Set(needs.otlp ? mapped.filter((m) => m.flags.otlp).map((m) => m.namespace) : [])
    }
    const terminating = new Set(mapped.filter((m) => m.terminating).map((m) => m.namespace))
    const namespaceByName = new Map(input.namespaces.map((ns) => [ns.metadata?.name ?? "", ns] as const))
    const existing = yield* Effect.result(input.replicas.list(name))
    if (Result.isFailure(existing)) c.errors.push(E.fromKube("replicas")(existing.failure))
    const existingReplicas = Result.isSuccess(existing) ? existing.success : undefined
    const read = existingReplicas === undefined ? ObjectSync.readWithGet : Replicas.snapshotReader(existingReplicas)

    const jobs: Array<ReplicaJob> = []
    for (const kind of Sources.kinds) {
      const want = desired[kind]
      if (want._tag !== "Data") continue
      for (const ns of eligible[kind]) {
        if (terminating.has(ns)) continue
        jobs.push({
          _tag: "Ensure",
          kind,
          desired: Replicas.replica({
            name: Data.replicaNames[kind],
            namespace: ns,
            labels: ctx.labels,
            data: want.data
          })
        })
      }
    }
    for (const replica of existingReplicas ?? []) {
      const kind = Sources.kinds.find((k) => Data.replicaNames[k] === replica.metadata?.name)
      const ns = replica.metadata?.namespace ?? ""
      if (kind === undefined) continue
      const stays = desired[kind]._tag !== "Absent" && eligible[kind].has(ns)
      const goingAway =
        Mapping.isTerminating(namespaceByName.get(ns) ?? {}) || replica.metadata?.deletionTimestamp !== undefined
      if (!stays && !goingAway) jobs.push({ _tag: "Delete", kind, existing: replica })
    }
    const results = yield* Effect.forEach(jobs, (job) => runJob(job, read), { concurrency })

    // 5. Conditions.
    const failedKinds = new Set<Sources.Kind>()
    for (const result of results) {
      if (result._tag === "Failed") {
        failedKinds.add(result.kind)
        c.errors.push(E.fromKube(`replicate ${Data.replicaNames[result.kind]}`)(result.error))
      }
    }
    for (const kind of Sources.kinds) {
      const want = desired[kind]
      if (want._tag !== "Data") continue
      const type = Sources.conditionOfKind[kind]
      if (failedKinds.has(kind)) Collector.setCondition(c, Cond.kubeApiError(type))
      else {
        const secretName = kind.startsWith("otlp") ? Data.replicaNames[kind] : Data.sourceNames(name)[kind]
        Collector.setCondition(c, Cond.secretCreatedOrUpdated(type, secretName))
      }
    }
    const bootstrapperFailed =
      c.errors.some((e) => e.step === Sources.configStep && e.reason._tag === "KubeApi") ||
      failedKinds.has("bootstrapperConfig")
    if (features.appInjection) {
      Collector.setCondition(
        c,
        bootstrapperFailed
          ? Cond.kubeApiError(Cond.types.codeModulesInjection)
          : Cond.secretsCreated(Cond.types.codeModulesInjection)
      )
    } else Collector.removeCondition(c, Cond.types.codeModulesInjection)
    if (features.metadataEnrichment) Collector.setCondition(c, Cond.secretsCreated(Cond.types.metadataEnrichment))
    else Collector.removeCondition(c, Cond.types.metadataEnrichment)
    if (features.otlp) {
      // A configuration that cannot be built (no data-ingest token) leaves the condition as it was, as the original.
      if (failedKinds.has("otlpConfig") || failedKinds.has("otlpCerts")) {
        Collector.setCondition(c, Cond.kubeApiError(Cond.types.otlpExporterConfiguration))
      } else if (otlp.config._tag === "Data") {
        Collector.setCondition(c, Cond.secretsCreated(Cond.types.otlpExporterConfiguration))
      }
    }
    const monitored = (flag: (m: Mapping.MatchFlags) => boolean) =>
      mapped.filter((m) => flag(m.flags)).map((m) => m.namespace)
    for (const [enabled, type, flag] of [
      [features.appInjection, Cond.types.oneAgentNamespacesMonitored, (m: Mapping.MatchFlags) => m.oneAgent],
      [
        features.metadataEnrichment,
        Cond.types.metadataEnrichmentNamespacesMonitored,
        (m: Mapping.MatchFlags) => m.metadataEnrichment
      ],
      [features.otlp, Cond.types.otlpNamespacesMonitored, (m: Mapping.MatchFlags) => m.otlp]
    ] as const) {
      if (enabled) Collector.setCondition(c, Cond.namespacesMonitored(type, monitored(flag)))
      else Collector.removeCondition(c, type)
    }

    const count = (tag: JobResult["_tag"]) => results.filter((r) => r._tag === tag).length
    const result: InjectionResult = {
      conditions: c.conditions,
      removeConditions: [...c.remove],
      metadataEnrichmentRules: rules,
      errors: c.errors,
      mapped,
      stats: {
        mapped: mapped.length,
        labelsAdded: labelResults.filter((r) => r.change === "added").length,
        labelsRemoved: labelResults.filter((r) => r.change === "removed").length,
        replicasWritten: count("Written"),
        replicasUnchanged: count("Unchanged"),
        replicasDeleted: count("Deleted"),
        replicasSkipped: count("Skipped"),
        sourcesWritten: stats.sourcesWritten,
        conflicts: plan.conflicts.length
      }
    }
    yield* Effect.logDebug("Reconciled app injection.").pipe(
      Effect.annotateLogs({ ...result.stats, errors: c.errors.length })
    )
    return result
  },
  (effect, input) => Effect.annotateLogs(effect, { dynakube: input.dynakube.metadata?.name ?? "" })
)

// ---------------------------------------------------------------------------------------------------------------------
// Deletion

/** What the clean-up of a deleted DynaKube did. @category models @since 0.1.0 */
export interface CleanupResult {
  readonly labelsRemoved: number
  readonly replicasDeleted: number
  readonly errors: ReadonlyArray<E.InjectionError>
}

/**
 * After a DynaKube was deleted (spec §2.2.1 step 1): removes its instance label from every namespace that carries
 * it and deletes its replicas everywhere. The sources are owned by the DynaKube and go with it (garbage
 * collection). Never fails: failures are in `errors` (retry the clean-up).
 * @category reconcile
 * @since 0.1.0
 */
export const cleanupInjection = Effect.fn("Injection.cleanup")(function* (input: {
  readonly dynakube: string
  /** Every Namespace (from the informer); only those labelled for the DynaKube are touched. */
  readonly namespaces: ReadonlyArray<Mapping.Namespace>
  readonly replicas: Replicas.ReplicaStore
  readonly concurrency?: number | undefined
}) {
  const concurrency = Math.max(1, input.concurrency ?? defaultConcurrency)
  const errors: Array<E.InjectionError> = []
  const labelled = input.namespaces.filter((ns) => ns.metadata?.labels?.[Names.instanceLabel] === input.dynakube)
  const unlabel = (ns: Mapping.Namespace) =>
    Effect.map(
      Labels.writeLabel(ns, (current) => {
        const label = Labels.instanceOf(current)
        return label === input.dynakube ? undefined : label
      }),
      (write) => write.change === "removed"
    )
  const removed = yield* Effect.forEach(
    labelled,
    (ns) =>
      unlabel(ns).pipe(
        Effect.catch((error: KubeApiError) =>
          Effect.sync(() => {
            errors.push(E.fromKube("cleanup")(error))
            return false
          })
        )
      ),
    { concurrency }
  )
  const replicas = yield* Effect.result(input.replicas.list(input.dynakube))
  let deleted = 0
  if (Result.isFailure(replicas)) errors.push(E.fromKube("cleanup")(replicas.failure))
  else {
    const outcomes = yield* Effect.forEach(
      replicas.success,
      (replica) =>
        Replicas.deleteReplica(replica).pipe(
          Effect.catch((error: KubeApiError) =>
            Effect.sync(() => {
              errors.push(E.fromKube("cleanup")(error))
              return false
            })
          )
        ),
      { concurrency }
    )
    deleted = outcomes.filter(Boolean).length
  }
  const result: CleanupResult = { labelsRemoved: removed.filter(Boolean).length, replicasDeleted: deleted, errors }
  // The only report of the clean-up; a retry that finds nothing left stays quiet.
  if (result.labelsRemoved > 0 || deleted > 0) {
    yield* Effect.logInfo("Cleaned up app injection of a deleted DynaKube.").pipe(
      Effect.annotateLogs({ dynakube: input.dynakube, labelsRemoved: result.labelsRemoved, replicasDeleted: deleted })
    )
  }
  return result
})
