/**
 * The source secrets in the DynaKube's namespace, owned by it (spec §2.2.9 steps 4–5): `<dk>-bootstrapper-config`,
 * `<dk>-bootstrapper-certs`, `<dk>-otlp-exporter-config`, `<dk>-otlp-exporter-certs`; and what their replicas
 * should be: the data (write it), absent (delete them), or unknown (the data could not be built this time: existing
 * replicas are left alone).
 *
 * Cached tenant data: `ruxitagentproc.json` and `declarative.cbor` (with its ETag annotation) are taken from the
 * existing source secret while the `BootstrapperConfig` condition is fresh; a refresh sets the condition `False`
 * (outdated) first, so its `lastTransitionTime` moves when it turns `True` again.
 *
 * @since 0.1.0
 */
import { Effect, Option, Redacted, Result } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApi } from "../../../../services/DynatraceApi.ts"
import type { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeApiError } from "../../../../services/KubeApiError.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Conditions from "../../runtime/Conditions.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import * as FeatureFlags from "../FeatureFlags.ts"
import * as Features from "../Features.ts"
import * as Names from "../Names.ts"
import * as Data from "./BootstrapperData.ts"
import { type Collector, removeCondition, setCondition } from "./Collector.ts"
import * as Cond from "./InjectionConditions.ts"
import * as E from "./InjectionError.ts"
import * as Replicas from "./Replicas.ts"

/** What the sources need. @category models @since 0.1.0 */
export interface SourcesInput {
  readonly dynakube: DynaKube
  readonly tenant: DynatraceApi["Service"]
  readonly tokens: {
    readonly apiToken: Redacted.Redacted<string>
    readonly dataIngestToken?: Redacted.Redacted<string> | undefined
  }
  readonly connectionInfo: {
    readonly tenantUUID: string
    readonly tenantToken: Redacted.Redacted<string>
    readonly endpoints: string
  }
  readonly kubernetesClusterMEID?: string | undefined
  readonly proxy?: Redacted.Redacted<string> | undefined
  readonly trustedCAs?: string | undefined
  readonly read: ObjectSync.Reader
  readonly conditions?: ReadonlyArray<Conditions.Condition> | undefined
  readonly now: number
}

/** The four kinds of replicated secret. */
export type Kind = "bootstrapperConfig" | "bootstrapperCerts" | "otlpConfig" | "otlpCerts"

export const kinds: ReadonlyArray<Kind> = ["bootstrapperConfig", "bootstrapperCerts", "otlpConfig", "otlpCerts"]

/**
 * What a kind's replicas should be: `data` (write them), `absent` (delete them everywhere), or `unknown` (the
 * data could not be built this time: leave existing replicas of mapped namespaces alone).
 */
export type Desired =
  | { readonly _tag: "Data"; readonly data: Readonly<Record<string, string>> }
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Unknown" }

const absent: Desired = { _tag: "Absent" }
const unknown: Desired = { _tag: "Unknown" }

export const conditionOfKind: Readonly<Record<Kind, string>> = {
  bootstrapperConfig: Cond.types.bootstrapperConfig,
  bootstrapperCerts: Cond.types.bootstrapperCerts,
  otlpConfig: Cond.types.otlpConfigSecret,
  otlpCerts: Cond.types.otlpCertsSecret
}

export interface Context {
  readonly input: SourcesInput
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

export const configStep = "bootstrapper-config"
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
export const reconcileBootstrapper = (
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
export const reconcileOtlp = (
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
