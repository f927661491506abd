/**
 * Tokens and scope verification (spec §2.2.2): the first phase that talks to the tenant, and the one that builds the
 * DynaKube's tenant client. A failure here stops the reconcile.
 *
 * 1. The token Secret (`spec.tokens`, default `<dk>`) must hold a non-empty `apiToken`; no token may carry
 *    surrounding whitespace. Errors name the secret (`<ns>:<name>`) or the key, never a value.
 * 2. A platform token (`dt0s16…`) skips the scope look-up: every optional scope counts as available, the optional
 *    scope conditions are removed and `status.apiToken.platform` is true.
 * 3. Otherwise every token is looked up (`POST /v2/apiTokens/lookup`, cached for the request threshold) and checked
 *    against what the enabled features require (`requirements`). Missing required scopes fail the phase with
 *    `Tokens=False` listing them; missing optional scopes set `ApiTokenOptionalScopes=False` (reason `ScopeMissing`).
 *
 * @since 0.1.0
 */
import { Effect, Option, Redacted } from "effect"
import type { DynatraceApiConfig } from "../../../services/DynatraceApi.ts"
import type { DynatraceApiError } from "../../../services/DynatraceApiError.ts"
import { PLATFORM_TOKEN_PREFIX, type TokenSlot } from "../../../services/dynatrace/Auth.ts"
import { Scopes } from "../../../services/dynatrace/TokenScopes.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { keyOf } from "../../../services/kube/KubeObject.ts"
import type { OperatorConfig } from "../OperatorConfig.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import { TenantClients } from "../TenantClients.ts"
import type { Features } from "./Features.ts"
import { hasCapability } from "./Features.ts"
import type { FeatureFlags } from "./FeatureFlags.ts"
import * as Proxy from "./Proxy.ts"
import {
  InvalidDynaKube,
  type Phase,
  type ReconcileScope,
  removeCondition,
  setCondition,
  updateStatus
} from "./ReconcileScope.ts"
import type { DynaKubeSpec } from "../../../schemas/DynaKubeV1beta6.ts"
import * as Controller from "../runtime/Controller.ts"

export const conditionTypes = {
  tokens: "Tokens",
  optionalScopes: "ApiTokenOptionalScopes",
  settingsRead: "ApiTokenSettingsRead",
  settingsWrite: "ApiTokenSettingsWrite",
  /** Conditions of older releases, removed when found. */
  legacy: ["APIToken", "PaaSToken", "DataIngestToken"]
} as const

export const reasons = { ready: "TokenReady", error: "TokenError", scopeMissing: "ScopeMissing" } as const

export const messages = {
  ready: "The tokens are ready.",
  readyWithoutDataIngest: "The tokens are ready. No dataIngestToken was provided, so metrics ingest is not possible.",
  verificationFailed: (detail: string) => `The tokens could not be verified: ${detail}`,
  missingScopes: (missing: ReadonlyArray<MissingScopes>) =>
    `Missing required token scopes: ${missing.map((m) => `${m.slot} lacks ${m.scopes.join(", ")}`).join("; ")}.`,
  missingOptional: (scopes: ReadonlyArray<string>) =>
    `The apiToken lacks the optional scopes ${scopes.join(", ")}; features that depend on them are degraded.`
} as const

/** The values of the token secret. Kept redacted; only `isPlatform` looks inside. */
export interface TokenValues {
  readonly apiToken: Redacted.Redacted<string>
  readonly paasToken: Redacted.Redacted<string> | undefined
  readonly dataIngestToken: Redacted.Redacted<string> | undefined
}

/** The token secret's name and the key it has in caches. */
export const secretName = (dk: {
  readonly metadata?: { readonly name?: string | undefined } | undefined
  readonly spec: DynaKubeSpec
}) => (dk.spec.tokens !== undefined && dk.spec.tokens !== "" ? dk.spec.tokens : (dk.metadata?.name ?? ""))

/** Decodes a Secret's base64 `data` into text values. */
export const secretData = (secret: KubeObject): Readonly<Record<string, string>> => {
  const data = (secret as KubeObject & { readonly data?: Readonly<Record<string, string>> }).data ?? {}
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]))
}

/** Checks the token secret's values (spec §2.2.2): apiToken present and non-empty, no surrounding whitespace. */
export const parseTokens = (
  data: Readonly<Record<string, string>>,
  ref: string
): Effect.Effect<TokenValues, InvalidDynaKube> => {
  const apiToken = data["apiToken"]
  if (apiToken === undefined || apiToken === "") {
    return Effect.fail(new InvalidDynaKube({ message: `token secret ${ref} has no apiToken` }))
  }
  for (const [key, value] of Object.entries(data)) {
    if (value.trim() !== value) {
      return Effect.fail(
        new InvalidDynaKube({ message: `value of ${key} in token secret ${ref} has leading or trailing whitespace` })
      )
    }
  }
  const optional = (key: string) => {
    const value = data[key]
    return value === undefined || value === "" ? undefined : Redacted.make(value)
  }
  return Effect.succeed({
    apiToken: Redacted.make(apiToken),
    paasToken: optional("paasToken"),
    dataIngestToken: optional("dataIngestToken")
  })
}

export const isPlatformToken = (token: Redacted.Redacted<string>): boolean =>
  Redacted.value(token).startsWith(PLATFORM_TOKEN_PREFIX)

const present = (value: unknown): boolean => value !== undefined && value !== null

/** Scopes one token needs, each with the feature that needs it. */
export interface Requirement {
  readonly slot: TokenSlot
  readonly scope: string
  readonly feature: string
  readonly optional: boolean
}

/** The scope table of spec §2.2.2 for the enabled features. */
export const requirements = (input: {
  readonly features: Features
  readonly flags: FeatureFlags
  readonly spec: DynaKubeSpec
  readonly config: Pick<OperatorConfig, "hostAvailabilityDetection">
  readonly hasPaasToken: boolean
  readonly hasDataIngestToken: boolean
}): ReadonlyArray<Requirement> => {
  const { features, flags, spec } = input
  const out: Array<Requirement> = []
  const add = (slot: TokenSlot, feature: string, optional: boolean, ...scopes: ReadonlyArray<string>) => {
    for (const scope of scopes) out.push({ slot, scope, feature, optional })
  }
  if (input.config.hostAvailabilityDetection) add("apiToken", "host availability detection", false, Scopes.DataExport)
  const registration =
    (hasCapability(features, "kubernetes-monitoring") && flags.automaticKubernetesApiMonitoring) ||
    (features.kubemon && spec.kubernetesMonitoring?.registration !== undefined)
  if (registration) add("apiToken", "kubernetes api monitoring", true, Scopes.SettingsRead, Scopes.SettingsWrite)
  if (features.logMonitoring) add("apiToken", "log monitoring", true, Scopes.SettingsRead, Scopes.SettingsWrite)
  if (features.appInjection) add("apiToken", "code module injection", true, Scopes.SettingsRead)
  if (features.telemetryIngest || features.extensions || features.metadataEnrichment || features.otlpExporter) {
    add("apiToken", "metadata enrichment", true, Scopes.SettingsRead)
  }
  if (features.activeGate) add("apiToken", "activegate", false, Scopes.ActiveGateTokenCreate)
  if (!input.hasPaasToken) add("apiToken", "installer download", false, Scopes.InstallerDownload)
  if (input.hasPaasToken) add("paasToken", "installer download", false, Scopes.InstallerDownload)
  if (input.hasDataIngestToken) {
    if (hasCapability(features, "metrics-ingest")) add("dataIngestToken", "metrics ingest", false, Scopes.MetricsIngest)
    if (features.telemetryIngest) {
      const protocols = spec.telemetryIngest?.protocols ?? []
      const has = (p: string) => protocols.length === 0 || protocols.includes(p)
      if (has("otlp")) {
        add(
          "dataIngestToken",
          "telemetry ingest (otlp)",
          false,
          Scopes.MetricsIngest,
          Scopes.OpenTelemetryTraceIngest,
          Scopes.LogsIngest
        )
      }
      if (has("zipkin") || has("jaeger")) {
        add("dataIngestToken", "telemetry ingest (zipkin, jaeger)", false, Scopes.OpenTelemetryTraceIngest)
      }
      if (has("statsd")) add("dataIngestToken", "telemetry ingest (statsd)", false, Scopes.MetricsIngest)
    }
    const signals = spec.otlpExporterConfiguration?.signals
    if (present(signals?.traces)) add("dataIngestToken", "otlp exporter traces", false, Scopes.OpenTelemetryTraceIngest)
    if (present(signals?.logs)) add("dataIngestToken", "otlp exporter logs", false, Scopes.LogsIngest)
    if (present(signals?.metrics)) add("dataIngestToken", "otlp exporter metrics", false, Scopes.MetricsIngest)
  }
  return out
}

/** The missing scopes of one token. */
export interface MissingScopes {
  readonly slot: TokenSlot
  readonly scopes: ReadonlyArray<string>
}

/** Compares requirements with granted scopes; de-duplicated, in table order. */
export const evaluate = (
  reqs: ReadonlyArray<Requirement>,
  granted: Readonly<Partial<Record<TokenSlot, ReadonlyArray<string>>>>
): { readonly missingRequired: ReadonlyArray<MissingScopes>; readonly missingOptional: ReadonlyArray<string> } => {
  const required = new Map<TokenSlot, Array<string>>()
  const optional: Array<string> = []
  for (const r of reqs) {
    if ((granted[r.slot] ?? []).includes(r.scope)) continue
    if (r.optional) {
      if (!optional.includes(r.scope)) optional.push(r.scope)
    } else {
      const list = required.get(r.slot) ?? []
      if (!list.includes(r.scope)) list.push(r.scope)
      required.set(r.slot, list)
    }
  }
  return { missingRequired: [...required].map(([slot, scopes]) => ({ slot, scopes })), missingOptional: optional }
}

/** Reads the trustedCAs ConfigMap's `certs`, if configured. */
const trustedCAs = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const name = scope.dk.spec.trustedCAs
    if (name === undefined || name === "") return undefined
    const caches = yield* OperatorCaches
    const cm = yield* caches.configMaps.get(keyOf(scope.namespace, name))
    if (Option.isNone(cm)) {
      return yield* new InvalidDynaKube({ message: `trustedCAs ConfigMap ${scope.namespace}:${name} not found` })
    }
    const certs = (cm.value as KubeObject & { readonly data?: Readonly<Record<string, string>> }).data?.["certs"]
    return certs === undefined || certs === "" ? undefined : certs
  })

/** The phase. */
export const phase: Phase<OperatorCaches | TenantClients> = {
  name: "tokens",
  abortOnError: true,
  run: (scope) =>
    Effect.gen(function* () {
      for (const legacy of conditionTypes.legacy) removeCondition(scope, legacy)
      const caches = yield* OperatorCaches
      const name = secretName(scope.dk)
      const ref = `${scope.namespace}:${name}`
      const failWith = (message: string) => {
        setCondition(scope, { type: conditionTypes.tokens, status: "False", reason: reasons.error, message })
        return new InvalidDynaKube({ message })
      }
      const secret = yield* caches.secrets.get(keyOf(scope.namespace, name))
      if (Option.isNone(secret)) return yield* failWith(`token secret ${ref} not found`)
      const tokens = yield* parseTokens(secretData(secret.value), ref).pipe(Effect.mapError((e) => failWith(e.message)))
      const platform = isPlatformToken(tokens.apiToken)
      if (tokens.paasToken !== undefined) {
        yield* Effect.logInfo("The paasToken is deprecated; the apiToken can do everything it did.").pipe(
          Effect.annotateLogs({ dynakube: scope.key })
        )
      }
      const proxy = yield* Proxy.resolve(scope)
      const cas = yield* trustedCAs(scope)
      const config: DynatraceApiConfig = {
        apiUrl: scope.dk.spec.apiUrl,
        apiToken: tokens.apiToken,
        paasToken: tokens.paasToken,
        dataIngestToken: tokens.dataIngestToken,
        proxy: proxy === undefined ? undefined : Redacted.make(proxy),
        noProxy: scope.flags.noProxy === "" ? undefined : scope.flags.noProxy,
        trustedCAs: cas,
        skipCertCheck: scope.dk.spec.skipCertCheck ?? false,
        networkZone: scope.dk.spec.networkZone,
        timeout: scope.config.clientTimeout,
        requestThresholdMinutes: scope.dk.spec.dynatraceApiRequestThreshold ?? 15,
        userAgent: `dynatrace-operator/${scope.config.operatorVersion}`
      }
      const api = yield* (yield* TenantClients)
        .get(scope.key, config)
        .pipe(Effect.mapError((error) => failWith(`The tenant client cannot be built: ${error.reason.message}`)))
      const registryPassword = Redacted.value(
        tokens.paasToken !== undefined && !platform ? tokens.paasToken : tokens.apiToken
      )
      const base = {
        api,
        tokens,
        proxy: proxy === undefined ? undefined : Redacted.make(proxy),
        trustedCAs: cas,
        platformToken: platform,
        hasPaasToken: tokens.paasToken !== undefined,
        hasDataIngestToken: tokens.dataIngestToken !== undefined,
        registryPassword,
        publicRegistry: platform || scope.flags.usePublicRegistry
      }

      if (platform) {
        updateStatus(scope, { apiToken: { platform: true } })
        removeCondition(scope, conditionTypes.settingsRead)
        removeCondition(scope, conditionTypes.settingsWrite)
        removeCondition(scope, conditionTypes.optionalScopes)
        scope.tenant = { ...base, settingsRead: true, settingsWrite: true }
        setReady(scope, tokens)
        return Controller.done
      }

      const reqs = requirements({
        features: scope.features,
        flags: scope.flags,
        spec: scope.dk.spec,
        config: scope.config,
        hasPaasToken: tokens.paasToken !== undefined,
        hasDataIngestToken: tokens.dataIngestToken !== undefined
      })
      const slots: ReadonlyArray<TokenSlot> = [
        "apiToken",
        ...(tokens.paasToken !== undefined ? (["paasToken"] as const) : []),
        ...(tokens.dataIngestToken !== undefined ? (["dataIngestToken"] as const) : [])
      ]
      const granted: Partial<Record<TokenSlot, ReadonlyArray<string>>> = {}
      for (const slot of slots) {
        granted[slot] = yield* api.tokenScopes(slot).pipe(
          Effect.tapError((error: DynatraceApiError) =>
            Effect.sync(() =>
              // A rate-limited or unavailable tenant leaves the status as it is (the reconcile requeues).
              setCondition(scope, {
                type: conditionTypes.tokens,
                status: "False",
                reason: reasons.error,
                message: messages.verificationFailed(error.message)
              })
            )
          )
        )
      }
      const apiScopes = granted.apiToken ?? []
      const settingsRead = apiScopes.includes(Scopes.SettingsRead)
      const settingsWrite = apiScopes.includes(Scopes.SettingsWrite)
      updateStatus(scope, { apiToken: { platform: false, availableOptionalScopes: { settingsRead, settingsWrite } } })
      scope.tenant = { ...base, settingsRead, settingsWrite }

      const result = evaluate(reqs, granted)
      if (result.missingOptional.length > 0) {
        setCondition(scope, {
          type: conditionTypes.optionalScopes,
          status: "False",
          reason: reasons.scopeMissing,
          message: messages.missingOptional(result.missingOptional)
        })
      } else {
        removeCondition(scope, conditionTypes.optionalScopes)
      }
      if (result.missingRequired.length > 0) return yield* failWith(messages.missingScopes(result.missingRequired))
      setReady(scope, tokens)
      return Controller.done
    })
}

const setReady = (scope: ReconcileScope, tokens: TokenValues) =>
  setCondition(scope, {
    type: conditionTypes.tokens,
    status: "True",
    reason: reasons.ready,
    message: tokens.dataIngestToken === undefined ? messages.readyWithoutDataIngest : messages.ready
  })
