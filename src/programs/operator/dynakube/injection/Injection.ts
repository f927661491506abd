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
import { Effect, Option, Redacted, Result } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApi } from "../../../../services/DynatraceApi.ts"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeApiError } from "../../../../services/KubeApiError.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Conditions from "../../runtime/Conditions.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import * as FeatureFlags from "../FeatureFlags.ts"
import * as Features from "../Features.ts"
import * as Names from "../Names.ts"
import * as Data from "./BootstrapperData.ts"
import * as Cond from "./InjectionConditions.ts"
import * as E from "./InjectionError.ts"
import * as Mapping from "./NamespaceMapping.ts"
import * as Replicas from "./Replicas.ts"

// ---------------------------------------------------------------------------------------------------------------------
// Models

/** The metadata-enrichment rule types the status accepts. @category models @since 0.1.0 */
export type RuleType = "LABEL" | "ANNOTATION" | "K8S_NAMESPACE_LABEL" | "K8S_NAMESPACE_ANNOTATION" | "CUSTOM"

/** One rule of `status.metadataEnrichment.rules`. @category models @since 0.1.0 */
export interface EnrichmentRule {
  readonly type: RuleType
  readonly source: string
  readonly target: string
}

/** Everything the phase needs, resolved by the DynaKube controller. @category models @since 0.1.0 */
export interface InjectionInput {
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
  readonly metadataEnrichmentRules: ReadonlyArray<EnrichmentRule> | null | undefined
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
  result.errors.some(
    (e) =>
      e.reason._tag === "DynatraceApi" &&
      (e.reason.error.reason._tag === "RateLimited" ||
        (e.reason.error.reason._tag === "Unavailable" && e.reason.error.reason.status === 503))
  )

const supportedRuleTypes: ReadonlySet<string> = new Set([
  "LABEL",
  "ANNOTATION",
  "K8S_NAMESPACE_LABEL",
  "K8S_NAMESPACE_ANNOTATION",
  "CUSTOM"
])

/** What the phase collects while it runs. */
interface Collector {
  readonly errors: Array<E.InjectionError>
  readonly conditions: Array<Conditions.ConditionUpdate>
  readonly remove: Set<string>
}

const setCondition = (c: Collector, update: Conditions.ConditionUpdate) => {
  c.remove.delete(update.type)
  c.conditions.push(update)
}

const removeCondition = (c: Collector, type: string) => {
  c.remove.add(type)
}

// ---------------------------------------------------------------------------------------------------------------------
// 1. Metadata-enrichment rules

const rulesStep = "metadata-enrichment-rules"

const reconcileRules = (
  input: InjectionInput,
  c: Collector,
  anyFeature: boolean,
  thresholdMinutes: number
): Effect.Effect<ReadonlyArray<EnrichmentRule> | null | undefined> =>
  Effect.gen(function* () {
    const type = Cond.types.metadataEnrichmentRules
    const current = Conditions.find(input.conditions ?? input.dynakube.status?.conditions, type)
    if (!anyFeature) {
      if (current === undefined) return undefined
      removeCondition(c, type)
      return null
    }
    if (!Cond.isOutdated(current, { now: input.now, thresholdMinutes })) return undefined
    setCondition(c, Cond.statusOutdated(type, "Metadata-enrichment rules are outdated in the status"))
    if (!input.settingsRead) {
      setCondition(
        c,
        Cond.scopeMissing(
          type,
          "Metadata-enrichment rules are not set in the status because the optional 'settings.read' scope is not available"
        )
      )
      return undefined
    }
    const scope =
      input.kubernetesClusterMEID === undefined || input.kubernetesClusterMEID === ""
        ? "environment"
        : input.kubernetesClusterMEID
    const answer = yield* Effect.result(input.tenant.enrichmentRules(scope))
    if (Result.isFailure(answer)) {
      if (answer.failure.reason._tag === "MissingScopes") {
        setCondition(
          c,
          Cond.scopeMissing(type, "provided token cannot read metadata-enrichment rules due to missing scopes")
        )
        return undefined
      }
      setCondition(c, Cond.dynatraceApiError(type))
      c.errors.push(E.fromTenant(rulesStep)(answer.failure))
      return undefined
    }
    const rules = answer.success
      .filter((rule) => supportedRuleTypes.has(rule.type))
      .map((rule): EnrichmentRule => ({ type: rule.type as RuleType, source: rule.source, target: rule.target }))
    setCondition(c, Cond.statusUpdated(type, "Metadata-enrichment rules are up-to-date in the status"))
    return rules
  })

// ---------------------------------------------------------------------------------------------------------------------
// 2. Namespace labels

interface LabelOutcome {
  readonly name: string
  readonly label: string | undefined
  readonly flags: Mapping.MatchFlags
  readonly terminating: boolean
  readonly change: "added" | "removed" | "none"
}

const labelPatch = (resourceVersion: string | undefined, to: string | undefined) => ({
  type: "merge" as const,
  patch: {
    metadata: {
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      labels: { [Names.instanceLabel]: to ?? null }
    }
  }
})

/**
 * Carries out one label decision. The patch names only the instance label and is conditional on the namespace's
 * resourceVersion; on a conflict the namespace is read again and the decision made again (at most 3 tries).
 */
const applyLabel = (
  entry: Mapping.PlanEntry,
  self: Mapping.CompiledDynaKube,
  others: ReadonlyArray<Mapping.CompiledDynaKube>
): Effect.Effect<LabelOutcome, KubeApiError, KubeClient> =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    let namespace = entry.namespace
    let decision = entry.decision
    let current = entry.current
    for (let attempt = 1; ; attempt++) {
      const outcome = (label: string | undefined, change: LabelOutcome["change"]): LabelOutcome => ({
        name: entry.name,
        label,
        flags: decision.flags,
        terminating: Mapping.isTerminating(namespace),
        change
      })
      if (decision.label === current) return outcome(current, "none")
      const written = yield* kube
        .patch<Mapping.Namespace>(
          Resources.Namespace,
          entry.name,
          labelPatch(namespace.metadata?.resourceVersion, decision.label)
        )
        .pipe(
          Effect.as("written" as const),
          Effect.catch((error: KubeApiError) =>
            error.reason._tag === "NotFound"
              ? Effect.succeed("gone" as const)
              : error.reason._tag === "Conflict" && attempt < 3
                ? Effect.succeed("conflict" as const)
                : Effect.fail(error)
          )
        )
      if (written === "written") return outcome(decision.label, decision.label === undefined ? "removed" : "added")
      if (written === "gone") return { ...outcome(undefined, "none"), flags: Mapping.noMatch }
      const fresh = yield* kube.get<Mapping.Namespace>(Resources.Namespace, entry.name).pipe(
        Effect.map(Option.some),
        Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none()))
      )
      if (Option.isNone(fresh)) return { ...outcome(undefined, "none"), flags: Mapping.noMatch }
      namespace = fresh.value
      current = namespace.metadata?.labels?.[Names.instanceLabel]
      decision = Mapping.decide(self, others, { ...namespace, metadata: { ...namespace.metadata, name: entry.name } })
    }
  })

// ---------------------------------------------------------------------------------------------------------------------
// 3. Source secrets and their data

/** The four kinds of replicated secret. */
type Kind = "bootstrapperConfig" | "bootstrapperCerts" | "otlpConfig" | "otlpCerts"

const kinds: ReadonlyArray<Kind> = ["bootstrapperConfig", "bootstrapperCerts", "otlpConfig", "otlpCerts"]

/**
 * What a kind's replicas should be: `data` (write them), `absent` (delete them everywhere), or `unknown` (the
 * data could not be built this time: leave existing replicas of mapped namespaces alone).
 */
type Desired =
  | { readonly _tag: "Data"; readonly data: Readonly<Record<string, string>> }
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Unknown" }

const absent: Desired = { _tag: "Absent" }
const unknown: Desired = { _tag: "Unknown" }

const conditionOfKind: Readonly<Record<Kind, string>> = {
  bootstrapperConfig: Cond.types.bootstrapperConfig,
  bootstrapperCerts: Cond.types.bootstrapperCerts,
  otlpConfig: Cond.types.otlpConfigSecret,
  otlpCerts: Cond.types.otlpCertsSecret
}

interface Context {
  readonly input: InjectionInput
  readonly dk: DynaKube
  readonly name: string
  readonly namespace: string
  readonly labels: Readonly<Record<string, string>>
  readonly owner: Names.Owner | undefined
  readonly c: Collector
  readonly stats: { sourcesWritten: number }
}

/** Writes a source secret in the DynaKube's namespace (owned by it) when its content changed. */
const ensureSource = (
  ctx: Context,
  name: string,
  data: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>> = {}
): Effect.Effect<void, KubeApiError, KubeClient> =>
  Effect.gen(function* () {
    const desired: Replicas.Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name,
        namespace: ctx.namespace,
        labels: ctx.labels,
        ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
        ...(ctx.owner === undefined ? {} : { ownerReferences: [Names.controllerReference(ctx.owner)] })
      },
      type: "Opaque",
      data
    }
    const result = yield* ObjectSync.ensure(Resources.Secret, desired, { read: ctx.input.read })
    if (result.action !== "unchanged") ctx.stats.sourcesWritten++
  })

const removeSource = (ctx: Context, name: string): Effect.Effect<void, KubeApiError, KubeClient> =>
  Effect.gen(function* () {
    if (yield* ObjectSync.ensureAbsent(Resources.Secret, ctx.namespace, name, { read: ctx.input.read })) {
      ctx.stats.sourcesWritten++
    }
  })

const readSecret = (
  ctx: Context,
  name: string
): Effect.Effect<Option.Option<Replicas.Secret>, KubeApiError, KubeClient> =>
  ctx.input.read<Replicas.Secret>(Resources.Secret, ctx.namespace, name)

/** The ActiveGate certificate for agents, when the DynaKube's ActiveGate has one. */
const activeGateCertificate = (
  ctx: Context,
  step: string
): Effect.Effect<string | undefined, E.InjectionError, KubeClient> =>
  Effect.gen(function* () {
    const secretName = Data.activeGateTlsSecret(ctx.dk)
    if (secretName === undefined) return undefined
    const secret = yield* readSecret(ctx, secretName).pipe(Effect.mapError(E.fromKube(step)))
    if (Option.isNone(secret)) {
      return yield* E.invalidConfig(step, `the ActiveGate TLS secret ${ctx.namespace}:${secretName} does not exist`)
    }
    const certificate = Data.activeGateCertificate(Replicas.texts(secret.value))
    if (certificate === undefined) {
      return yield* E.invalidConfig(
        step,
        `the ActiveGate TLS secret ${ctx.namespace}:${secretName} has no tls.crt or server.crt`
      )
    }
    return certificate
  })

const configStep = "bootstrapper-config"
const certsStep = "bootstrapper-certs"
const otlpStep = "otlp-exporter-config"

/** Builds `<dk>-bootstrapper-config`'s data (spec §2.2.9 step 4). */
const bootstrapperConfigData = (
  ctx: Context,
  needs: Data.Needs,
  thresholdMinutes: number
): Effect.Effect<
  { readonly data: Data.SecretData; readonly annotations: Readonly<Record<string, string>> },
  E.InjectionError,
  KubeClient
> =>
  Effect.gen(function* () {
    const { input, dk } = ctx
    const flags = FeatureFlags.read(dk, ctx.namespace)
    const proxy = input.proxy !== undefined && !flags.oneAgentIgnoreProxy ? Redacted.value(input.proxy) : undefined
    const hostGroup = Data.hostGroup(dk)
    const data: Record<string, string | Uint8Array> = {}
    const annotations: Record<string, string> = {}
    const source = yield* readSecret(ctx, Data.sourceNames(ctx.name).bootstrapperConfig).pipe(
      Effect.map(Option.getOrUndefined),
      Effect.mapError(E.fromKube(configStep))
    )
    const outdated = Cond.isOutdated(
      Conditions.find(input.conditions ?? dk.status?.conditions, Cond.types.bootstrapperConfig),
      { now: input.now, thresholdMinutes }
    )

    // Cached tenant data is fetched again: the condition goes False first, so its lastTransitionTime moves when it
    // turns True at the end of the phase (the clock of the next staleness check).
    let refreshed = false
    const markRefreshed = () => {
      if (refreshed) return
      refreshed = true
      setCondition(ctx.c, Cond.secretOutdated(Cond.types.bootstrapperConfig))
    }

    if (needs.downloadConfig) {
      data[Data.keys.clientConfig] = Data.clientConfig({
        apiToken: Redacted.value(input.tokens.apiToken),
        proxy: proxy ?? "",
        noProxy: flags.noProxy,
        networkZone: dk.spec.networkZone ?? "",
        hostGroup,
        skipCertCheck: dk.spec.skipCertCheck === true
      })
    }

    if (needs.appInjection) {
      const cachedText = outdated ? undefined : Replicas.text(source, Data.keys.processModuleConfig)
      const cached = cachedText === undefined ? undefined : Data.parseProcessModuleConfig(cachedText)
      let base = cached
      if (base === undefined) {
        markRefreshed()
        const fetched = yield* input.tenant
          .processModuleConfig(hostGroup)
          .pipe(Effect.mapError(E.fromTenant(configStep)))
        base = { properties: fetched.properties, revision: fetched.revision }
      }
      const features = Features.of(dk.spec)
      const amended = Data.amendProcessModuleConfig(base, {
        hostGroup,
        tenantUUID: input.connectionInfo.tenantUUID,
        tenantToken: Redacted.value(input.connectionInfo.tenantToken),
        endpoints: input.connectionInfo.endpoints,
        proxy,
        noProxy: Data.oneAgentNoProxy({
          serviceIPs: dk.status?.activeGate?.serviceIPs ?? [],
          routing: Features.hasCapability(features, "routing"),
          serviceHost: `${ctx.name}-activegate.${ctx.namespace}`,
          noProxyFlag: flags.noProxy
        })
      })
      data[Data.keys.processModuleConfig] = Data.processModuleConfigJson(amended)
      const retry = Data.initialConnectRetryMs(dk)
      if (retry > -1) data[Data.keys.initialConnectRetry] = String(retry)
    }

    const meid = input.kubernetesClusterMEID ?? ""
    if (needs.processGroupingConfig && meid !== "") {
      const cachedEtag = source?.metadata?.annotations?.[Data.pgcEtagAnnotation] ?? ""
      const cachedBody = Replicas.bytes(source, Data.keys.declarative)
      let pgc: { readonly body: Uint8Array; readonly etag: string } | undefined =
        cachedBody === undefined || cachedEtag === "" ? undefined : { body: cachedBody, etag: cachedEtag }
      if (outdated || pgc === undefined) {
        markRefreshed()
        const answer = yield* input.tenant.processGroupingConfig(meid, cachedEtag === "" ? undefined : cachedEtag).pipe(
          Effect.map(Option.some),
          Effect.catchReason("DynatraceApiError", "NotFound", () => Effect.succeed(Option.none())),
          Effect.mapError(E.fromTenant(configStep))
        )
        if (Option.isNone(answer)) pgc = undefined
        else if (answer.value._tag === "Modified") {
          const body = answer.value.body
          const verdict = Data.declarativeVerdict(body.length)
          if (verdict === "skip") {
            yield* Effect.logWarning("Process-grouping config exceeds the maximum size; left out.").pipe(
              Effect.annotateLogs({ size: body.length, maxSize: Data.declarativeMaxBytes })
            )
            pgc = undefined
          } else {
            if (verdict === "warn") {
              yield* Effect.logInfo("Process-grouping config exceeds the warning size.").pipe(
                Effect.annotateLogs({ size: body.length, warnSize: Data.declarativeWarnBytes })
              )
            }
            pgc = { body, etag: answer.value.etag ?? "" }
          }
        }
        // NotModified keeps the cached body.
      }
      if (pgc !== undefined && pgc.body.length > 0) {
        data[Data.keys.declarative] = pgc.body
        if (pgc.etag !== "") annotations[Data.pgcEtagAnnotation] = pgc.etag
      }
    }

    if (needs.appInjection || needs.metadataEnrichment) {
      const metricsIngest = Features.hasCapability(Features.of(dk.spec), "metrics-ingest")
      if (metricsIngest && input.connectionInfo.tenantUUID === "") {
        return yield* E.invalidConfig(configStep, "tenant UUID not available for the in-cluster metrics ingest URL")
      }
      const url = Data.metricsIngestUrl({
        dynakube: ctx.name,
        namespace: ctx.namespace,
        apiUrl: dk.spec.apiUrl,
        metricsIngestCapability: metricsIngest,
        tenantUUID: input.connectionInfo.tenantUUID
      })
      const token =
        input.tokens.dataIngestToken === undefined ? undefined : Redacted.value(input.tokens.dataIngestToken)
      data[Data.keys.endpointProperties] = Data.endpointProperties(url, token)
    }
    return { data, annotations }
  })

/** The bootstrapper config and certs sources; what their replicas should be. */
const reconcileBootstrapper = (
  ctx: Context,
  needs: Data.Needs,
  thresholdMinutes: number
): Effect.Effect<{ readonly config: Desired; readonly certs: Desired }, never, KubeClient> =>
  Effect.gen(function* () {
    const names = Data.sourceNames(ctx.name)
    const c = ctx.c
    if (!needs.bootstrapperConfig) {
      const removed = yield* Effect.result(
        Effect.all([removeSource(ctx, names.bootstrapperConfig), removeSource(ctx, names.bootstrapperCerts)], {
          discard: true
        })
      )
      if (Result.isFailure(removed)) c.errors.push(E.fromKube(configStep)(removed.failure))
      for (const type of [
        Cond.types.codeModulesInjection,
        Cond.types.metadataEnrichment,
        Cond.types.bootstrapperConfig,
        Cond.types.bootstrapperCerts
      ]) {
        removeCondition(c, type)
      }
      return { config: absent, certs: absent }
    }

    let config: Desired = unknown
    const built = yield* Effect.result(bootstrapperConfigData(ctx, needs, thresholdMinutes))
    if (Result.isFailure(built)) {
      c.errors.push(built.failure)
      setCondition(c, conditionForFailure(Cond.types.bootstrapperConfig, built.failure))
    } else if (Object.keys(built.success.data).length > 0) {
      const data = Replicas.encodeData(built.success.data)
      const written = yield* Effect.result(ensureSource(ctx, names.bootstrapperConfig, data, built.success.annotations))
      if (Result.isFailure(written)) {
        c.errors.push(E.fromKube(configStep)(written.failure))
        setCondition(c, Cond.kubeApiError(Cond.types.bootstrapperConfig))
      } else {
        config = { _tag: "Data", data }
      }
    }

    let certs: Desired = unknown
    const certificate = yield* Effect.result(activeGateCertificate(ctx, certsStep))
    if (Result.isFailure(certificate)) {
      c.errors.push(certificate.failure)
      setCondition(c, conditionForFailure(Cond.types.bootstrapperCerts, certificate.failure))
    } else {
      // Only a DynaKube that names a trustedCAs ConfigMap has trusted CAs, whatever the caller resolved.
      const trustedCAs = (ctx.dk.spec.trustedCAs ?? "") === "" ? undefined : ctx.input.trustedCAs
      const certData = Data.certsData({ activeGateCert: certificate.success, trustedCAs })
      if (Object.keys(certData).length === 0) {
        const removed = yield* Effect.result(removeSource(ctx, names.bootstrapperCerts))
        if (Result.isFailure(removed)) c.errors.push(E.fromKube(certsStep)(removed.failure))
        else {
          certs = absent
          removeCondition(c, Cond.types.bootstrapperCerts)
        }
      } else {
        const data = Replicas.encodeData(certData)
        const written = yield* Effect.result(ensureSource(ctx, names.bootstrapperCerts, data))
        if (Result.isFailure(written)) {
          c.errors.push(E.fromKube(certsStep)(written.failure))
          setCondition(c, Cond.kubeApiError(Cond.types.bootstrapperCerts))
        } else {
          certs = { _tag: "Data", data }
        }
      }
    }
    return { config, certs }
  })

/** The OTLP exporter sources (spec §2.2.9 step 5); what their replicas should be. */
const reconcileOtlp = (
  ctx: Context,
  needs: Data.Needs
): Effect.Effect<{ readonly config: Desired; readonly certs: Desired }, never, KubeClient> =>
  Effect.gen(function* () {
    const names = Data.sourceNames(ctx.name)
    const c = ctx.c
    if (!needs.otlp) {
      const removed = yield* Effect.result(
        Effect.all([removeSource(ctx, names.otlpConfig), removeSource(ctx, names.otlpCerts)], { discard: true })
      )
      if (Result.isFailure(removed)) c.errors.push(E.fromKube(otlpStep)(removed.failure))
      for (const type of [
        Cond.types.otlpExporterConfiguration,
        Cond.types.otlpConfigSecret,
        Cond.types.otlpCertsSecret
      ]) {
        removeCondition(c, type)
      }
      return { config: absent, certs: absent }
    }

    let config: Desired = unknown
    const token = ctx.input.tokens.dataIngestToken
    if (token === undefined || Redacted.value(token) === "") {
      c.errors.push(E.invalidConfig(otlpStep, "data ingest token not found in tokens secret"))
      setCondition(c, Cond.secretGenerationFailed(Cond.types.otlpConfigSecret))
    } else {
      const data = Replicas.encodeData({ [Data.keys.dataIngestToken]: Redacted.value(token) })
      const written = yield* Effect.result(ensureSource(ctx, names.otlpConfig, data))
      if (Result.isFailure(written)) {
        c.errors.push(E.fromKube(otlpStep)(written.failure))
        setCondition(c, Cond.kubeApiError(Cond.types.otlpConfigSecret))
      } else {
        config = { _tag: "Data", data }
      }
    }

    let certs: Desired = unknown
    const certificate = yield* Effect.result(
      Effect.gen(function* () {
        if (Data.activeGateTlsSecret(ctx.dk) !== undefined)
          return yield* activeGateCertificate(ctx, "otlp-exporter-certs")
        const trusted = ctx.dk.spec.trustedCAs
        if (trusted === undefined || trusted === "") return undefined
        if (ctx.input.trustedCAs === undefined || ctx.input.trustedCAs === "") {
          return yield* E.invalidConfig(
            "otlp-exporter-certs",
            `the trustedCAs ConfigMap ${ctx.namespace}:${trusted} has no certs`
          )
        }
        return ctx.input.trustedCAs
      })
    )
    if (Result.isFailure(certificate)) {
      c.errors.push(certificate.failure)
      setCondition(c, conditionForFailure(Cond.types.otlpCertsSecret, certificate.failure))
    } else if (certificate.success === undefined) {
      const removed = yield* Effect.result(removeSource(ctx, names.otlpCerts))
      if (Result.isFailure(removed)) c.errors.push(E.fromKube("otlp-exporter-certs")(removed.failure))
      else {
        certs = absent
        removeCondition(c, Cond.types.otlpCertsSecret)
      }
    } else {
      const data = Replicas.encodeData({ [Data.keys.activeGateTlsCrt]: certificate.success })
      const written = yield* Effect.result(ensureSource(ctx, names.otlpCerts, data))
      if (Result.isFailure(written)) {
        c.errors.push(E.fromKube("otlp-exporter-certs")(written.failure))
        setCondition(c, Cond.kubeApiError(Cond.types.otlpCertsSecret))
      } else {
        certs = { _tag: "Data", data }
      }
    }
    return { config, certs }
  })

const conditionForFailure = (type: string, error: E.InjectionError): Conditions.ConditionUpdate =>
  error.reason._tag === "DynatraceApi"
    ? Cond.dynatraceApiError(type)
    : error.reason._tag === "KubeApi"
      ? Cond.kubeApiError(type)
      : Cond.secretGenerationFailed(type)

// ---------------------------------------------------------------------------------------------------------------------
// 4. Replicas

type ReplicaJob =
  | { readonly _tag: "Ensure"; readonly kind: Kind; readonly desired: Replicas.Secret }
  | { readonly _tag: "Delete"; readonly kind: Kind; readonly existing: Replicas.Secret }

type JobResult =
  | { readonly _tag: "Written" | "Unchanged" | "Deleted" | "Skipped"; readonly kind: Kind }
  | { readonly _tag: "Failed"; readonly kind: Kind; readonly error: KubeApiError }

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
    const c: Collector = { errors: [], conditions: [], remove: new Set() }
    const stats = { sourcesWritten: 0 }
    const uid = dk.metadata?.uid
    const ctx: Context = {
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
    const rules = yield* reconcileRules(input, c, anyFeature, thresholdMinutes)

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
    const bootstrapper = yield* reconcileBootstrapper(ctx, needs, thresholdMinutes)
    const otlp = yield* reconcileOtlp(ctx, needs)
    const desired: Readonly<Record<Kind, Desired>> = {
      bootstrapperConfig: bootstrapper.config,
      bootstrapperCerts: bootstrapper.certs,
      otlpConfig: otlp.config,
      otlpCerts: otlp.certs
    }

    // 4. Replicas: where each kind may exist, what to write, what to delete.
    const eligible: Readonly<Record<Kind, ReadonlySet<string>>> = {
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
    for (const kind of kinds) {
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
      const kind = kinds.find((k) => Data.replicaNames[k] === replica.metadata?.name)
      const ns = replica.metadata?.namespace ?? ""
      if (kind === undefined) continue
      const stays = desired[kind]._tag !== "Absent" && eligible[kind].has(ns)
      const goingAway =
        Mapping.isTerminating(namespaceByName.get(ns) ?? {}) || replica.metadata?.deletionTimestamp !== undefined
      if (!stays && !goingAway) jobs.push({ _tag: "Delete", kind, existing: replica })
    }
    const results = yield* Effect.forEach(jobs, (job) => runJob(job, read), { concurrency })

    // 5. Conditions.
    const failedKinds = new Set<Kind>()
    for (const result of results) {
      if (result._tag === "Failed") {
        failedKinds.add(result.kind)
        c.errors.push(E.fromKube(`replicate ${Data.replicaNames[result.kind]}`)(result.error))
      }
    }
    for (const kind of kinds) {
      const want = desired[kind]
      if (want._tag !== "Data") continue
      const type = conditionOfKind[kind]
      if (failedKinds.has(kind)) setCondition(c, Cond.kubeApiError(type))
      else {
        const secretName = kind.startsWith("otlp") ? Data.replicaNames[kind] : Data.sourceNames(name)[kind]
        setCondition(c, Cond.secretCreatedOrUpdated(type, secretName))
      }
    }
    const bootstrapperFailed =
      c.errors.some((e) => e.step === configStep && e.reason._tag === "KubeApi") ||
      failedKinds.has("bootstrapperConfig")
    if (features.appInjection) {
      setCondition(
        c,
        bootstrapperFailed
          ? Cond.kubeApiError(Cond.types.codeModulesInjection)
          : Cond.secretsCreated(Cond.types.codeModulesInjection)
      )
    } else removeCondition(c, Cond.types.codeModulesInjection)
    if (features.metadataEnrichment) setCondition(c, Cond.secretsCreated(Cond.types.metadataEnrichment))
    else removeCondition(c, Cond.types.metadataEnrichment)
    if (features.otlp) {
      // A configuration that cannot be built (no data-ingest token) leaves the condition as it was, as the original.
      if (failedKinds.has("otlpConfig") || failedKinds.has("otlpCerts")) {
        setCondition(c, Cond.kubeApiError(Cond.types.otlpExporterConfiguration))
      } else if (otlp.config._tag === "Data") {
        setCondition(c, Cond.secretsCreated(Cond.types.otlpExporterConfiguration))
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
      if (enabled) setCondition(c, Cond.namespacesMonitored(type, monitored(flag)))
      else removeCondition(c, type)
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
  const kube = yield* KubeClient
  const concurrency = Math.max(1, input.concurrency ?? defaultConcurrency)
  const errors: Array<E.InjectionError> = []
  const labelled = input.namespaces.filter((ns) => ns.metadata?.labels?.[Names.instanceLabel] === input.dynakube)
  const unlabel = (ns: Mapping.Namespace): Effect.Effect<boolean, KubeApiError, KubeClient> =>
    Effect.gen(function* () {
      let current: Mapping.Namespace = ns
      for (let attempt = 1; ; attempt++) {
        if (current.metadata?.labels?.[Names.instanceLabel] !== input.dynakube) return false
        const outcome = yield* kube
          .patch(
            Resources.Namespace,
            current.metadata?.name ?? "",
            labelPatch(current.metadata?.resourceVersion, undefined)
          )
          .pipe(
            Effect.as("written" as const),
            Effect.catch((error: KubeApiError) =>
              error.reason._tag === "NotFound"
                ? Effect.succeed("gone" as const)
                : error.reason._tag === "Conflict" && attempt < 3
                  ? Effect.succeed("conflict" as const)
                  : Effect.fail(error)
            )
          )
        if (outcome === "written") return true
        if (outcome === "gone") return false
        const fresh = yield* kube.get<Mapping.Namespace>(Resources.Namespace, current.metadata?.name ?? "").pipe(
          Effect.map(Option.some),
          Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none()))
        )
        if (Option.isNone(fresh)) return false
        current = fresh.value
      }
    })
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
  yield* Effect.logInfo("Cleaned up app injection of a deleted DynaKube.").pipe(
    Effect.annotateLogs({ dynakube: input.dynakube, labelsRemoved: result.labelsRemoved, replicasDeleted: deleted })
  )
  return result
})
