/**
 * The Dynatrace tenant API client (spec §6), one instance per DynaKube.
 *
 * `make(config)` builds a client from what a DynaKube says: its apiUrl (3rd-gen URLs mapped to 2nd gen), tokens,
 * proxy (with credentials), trusted CAs, skipCertCheck, network zone, timeouts and `dynatraceApiRequestThreshold`.
 * Every endpoint the operator, the CSI provisioner and the bootstrapper use is one method with a Schema-decoded
 * answer; every failure is a `DynatraceApiError` whose `reason` says why (see `DynatraceApiError.ts`).
 *
 * Behaviour that matters to callers:
 * - **Auth**: `Authorization: Api-Token <token>`; installer and connection-info endpoints use the PaaS token
 *   (= `paasToken` unless absent or the API token is a platform token), everything else the API token.
 * - **Retries**: only transient reasons (429, 502/503/504, timeouts, broken connections), on a jittered exponential
 *   `Schedule`; a 429 waits for its `Retry-After` (up to a bound). See `dynatrace/Retry.ts`.
 * - **Timeouts**: `timeout` (default 30 s, the operator's) per attempt of a JSON call; `downloadTimeout` (default
 *   15 min, the CSI provisioner's and bootstrapper's) per download attempt.
 * - **Cache**: cacheable answers (token scopes, connection info, latest versions, container images, process-module
 *   config) are served from the process-wide `ResponseCache` for `requestThresholdMinutes` (default 15, 0 = off),
 *   so repeated reconciles within the threshold make no tenant calls (spec §2.2.7).
 * - **Secrets**: tokens and the proxy URL stay `Redacted`; secret answer fields (tenant token, ActiveGate token)
 *   decode into `Redacted`; every message copied from the tenant or the transport is scrubbed of token values.
 * - **Downloads** stream to disk with size, checksum and zip checks (`dynatrace/Download.ts`).
 *
 * @since 0.1.0
 */
import { NodeFileSystem } from "@effect/platform-node"
import {
  Clock,
  Context,
  Duration,
  Effect,
  Exit,
  FileSystem,
  Layer,
  Metric,
  Option,
  Redacted,
  Schema,
  Stream
} from "effect"
import type { PlatformError } from "effect/PlatformError"
import { HttpBody, HttpClient, HttpClientRequest, type HttpClientError, type HttpClientResponse } from "effect/http"
import * as ActiveGateTokenApi from "./dynatrace/ActiveGateToken.ts"
import * as Versions from "./dynatrace/AgentVersions.ts"
import { type ApiUrl, endpointUrl, isApiUrl, parseApiUrl, type Query } from "./dynatrace/ApiUrl.ts"
import * as Auth from "./dynatrace/Auth.ts"
import * as ConnectionInfoApi from "./dynatrace/ConnectionInfo.ts"
import * as ContainerImagesApi from "./dynatrace/ContainerImages.ts"
import * as Download from "./dynatrace/Download.ts"
import * as EventsApi from "./dynatrace/Events.ts"
import * as HostEntitiesApi from "./dynatrace/HostEntities.ts"
import * as ProcessGroupingConfigApi from "./dynatrace/ProcessGroupingConfig.ts"
import * as ProcessModuleConfigApi from "./dynatrace/ProcessModuleConfig.ts"
import { cacheKey, ResponseCache } from "./dynatrace/ResponseCache.ts"
import * as Retry from "./dynatrace/Retry.ts"
import { classify } from "./dynatrace/ServerError.ts"
import * as SettingsApi from "./dynatrace/Settings.ts"
import * as TokenScopesApi from "./dynatrace/TokenScopes.ts"
import * as Transport from "./dynatrace/Transport.ts"
import * as E from "./DynatraceApiError.ts"

// ---------------------------------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Everything one client needs, taken from a DynaKube and the process's settings.
 * @category models
 * @since 0.1.0
 */
export interface DynatraceApiConfig {
  /** `spec.apiUrl`. */
  readonly apiUrl: string
  /** `apiToken` of the token Secret. */
  readonly apiToken: Redacted.Redacted<string>
  /** `paasToken` of the token Secret (deprecated, optional). */
  readonly paasToken?: Redacted.Redacted<string> | undefined
  /** `dataIngestToken` of the token Secret (only inspected with the scope lookup). */
  readonly dataIngestToken?: Redacted.Redacted<string> | undefined
  /** `spec.proxy` resolved to a URL, possibly with credentials. */
  readonly proxy?: Redacted.Redacted<string> | undefined
  /** Hosts that bypass the proxy (feature flag `no-proxy`). */
  readonly noProxy?: string | undefined
  /** PEM bundle of `spec.trustedCAs` (ConfigMap key `certs`). */
  readonly trustedCAs?: string | undefined
  /** `spec.skipCertCheck`. */
  readonly skipCertCheck?: boolean | undefined
  /** `spec.networkZone`, sent on OneAgent connection-info calls. */
  readonly networkZone?: string | undefined
  /** Per-attempt timeout of JSON calls (default 30 s). */
  readonly timeout?: Duration.Input | undefined
  /** Per-attempt timeout of downloads (default 15 min; env `DT_CLIENT_CONNECTION_TIMEOUT` in the original). */
  readonly downloadTimeout?: Duration.Input | undefined
  /** `spec.dynatraceApiRequestThreshold` in minutes (default 15, 0 disables the cache). */
  readonly requestThresholdMinutes?: number | undefined
  /** `User-Agent` (default `dynatrace-operator`; the CSI provisioner appends ` provisioner`). */
  readonly userAgent?: string | undefined
  /** Retry tuning (default `Retry.defaultRetryPolicy`: 3 retries from 1 s, capped at 10 s, Retry-After up to 30 s). */
  readonly retry?:
    | {
        readonly times?: number | undefined
        readonly base?: Duration.Input | undefined
        readonly maxDelay?: Duration.Input | undefined
        readonly maxRetryAfter?: Duration.Input | undefined
      }
    | undefined
  /** Largest JSON (or CBOR) answer accepted, in bytes (default 32 MiB). */
  readonly maxResponseBytes?: number | undefined
}

export type { ConnectionInfo } from "./dynatrace/ConnectionInfo.ts"
export type { ActiveGateToken } from "./dynatrace/ActiveGateToken.ts"
export type { Installer, DownloadSelection } from "./dynatrace/AgentVersions.ts"
export type { DownloadResult, DownloadChecks } from "./dynatrace/Download.ts"
export type { ProcessModuleConfig } from "./dynatrace/ProcessModuleConfig.ts"
export type { ProcessGroupingConfig } from "./dynatrace/ProcessGroupingConfig.ts"
export type { ComponentImage } from "./dynatrace/ContainerImages.ts"
export type { HostEntity } from "./dynatrace/HostEntities.ts"
export type { MarkedForTerminationEvent } from "./dynatrace/Events.ts"
export type {
  EnrichmentRule,
  KubernetesClusterEntity,
  SettingsObject,
  SettingsObjectCreate
} from "./dynatrace/Settings.ts"

/** A list of settings objects with the tenant's total. @category models @since 0.1.0 */
export interface SettingsObjects {
  readonly totalCount: number
  readonly items: ReadonlyArray<SettingsApi.SettingsObject>
}

/**
 * Requests sent to tenants, by endpoint (method and path template, never a query or token) and outcome: the HTTP
 * status, or `transport` / `timeout` when no status arrived. Answers served from the response cache are not requests.
 * @category metrics
 * @since 0.1.0
 */
export const tenantRequests = Metric.counter("dynatrace_api_requests_total", {
  description: "Requests sent to the Dynatrace tenant API, by endpoint and status"
})

const countRequest = (endpoint: string, status: string) =>
  Metric.update(Metric.withAttributes(tenantRequests, { endpoint, status }), 1)

// ---------------------------------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------------------------------

type Fails<A> = Effect.Effect<A, E.DynatraceApiError>

/**
 * A client for one tenant (one DynaKube).
 * @category services
 * @since 0.1.0
 */
export class DynatraceApi extends Context.Service<
  DynatraceApi,
  {
    /** The mapped base URL and the raw host (the tenant registry host). */
    readonly apiUrl: ApiUrl
    /** #1: scopes of the token in `slot` (looked up with the API token). Cacheable. */
    readonly tokenScopes: (slot: Auth.TokenSlot) => Fails<ReadonlyArray<string>>
    /** #2: OneAgent connection info (with the network zone, if any). A 400 with a zone = empty. Cacheable. */
    readonly oneAgentConnectionInfo: Fails<ConnectionInfoApi.ConnectionInfo>
    /** #3: ActiveGate connection info. Cacheable. */
    readonly activeGateConnectionInfo: Fails<ConnectionInfoApi.ConnectionInfo>
    /** #4: latest OneAgent (`type: "default"`) or code-module (`type: "paas"`) version. Cacheable. */
    readonly latestAgentVersion: (installer: Versions.Installer) => Fails<string>
    /** #5: latest ActiveGate version. Cacheable. */
    readonly latestActiveGateVersion: Fails<string>
    /** #6: versions the tenant offers. */
    readonly availableAgentVersions: (installer: Versions.Installer) => Fails<ReadonlyArray<string>>
    /** #7, #8: downloads a zip to `destination` (streamed, checked). */
    readonly downloadAgent: (
      selection: Versions.DownloadSelection,
      destination: string,
      checks?: Download.DownloadChecks
    ) => Effect.Effect<Download.DownloadResult, E.DynatraceApiError | PlatformError>
    /** #9: process-module config (optionally for a host group). Cacheable. */
    readonly processModuleConfig: (hostGroup?: string) => Fails<ProcessModuleConfigApi.ProcessModuleConfig>
    /** #10: process-grouping config for a cluster ME, conditional on `etag`. 404 = `NotFound`. */
    readonly processGroupingConfig: (
      kubernetesClusterId: string,
      etag?: string
    ) => Fails<ProcessGroupingConfigApi.ProcessGroupingConfig>
    /** #11: a new ActiveGate auth token named after the DynaKube, valid 60 days. */
    readonly createActiveGateToken: (dynakube: string) => Fails<ActiveGateTokenApi.ActiveGateToken>
    /** #12: public container images (optionally from a registry override). Cacheable. */
    readonly containerImages: (registry?: string) => Fails<ReadonlyArray<ContainerImagesApi.ComponentImage>>
    /** #13: host entities seen in the last 30 minutes. Never cached. */
    readonly hostEntities: Fails<ReadonlyArray<HostEntitiesApi.HostEntity>>
    /** #14: sends a MARKED_FOR_TERMINATION event. */
    readonly sendEvent: (event: EventsApi.MarkedForTerminationEvent) => Fails<void>
    /** #15: the cluster's monitored entity (MEID and label), if the tenant knows the cluster. */
    readonly kubernetesClusterEntity: (
      kubeSystemUUID: string
    ) => Fails<Option.Option<SettingsApi.KubernetesClusterEntity>>
    /** #16: settings objects of a schema in a scope. */
    readonly settingsObjects: (schemaId: string, scope: string) => Fails<SettingsObjects>
    /** #17: creates one settings object and returns its id. */
    readonly createSettingsObject: (object: SettingsApi.SettingsObjectCreate) => Fails<string>
    /** #17 for `builtin:cloud.kubernetes` (schema 3.0.0, falling back to 1.0.27 on 404). */
    readonly createKubernetesClusterSettings: (label: string, kubeSystemUUID: string) => Fails<string>
    /** #18: deletes a settings object. */
    readonly deleteSettingsObject: (objectId: string) => Fails<void>
    /** #19: metadata-enrichment rules for a scope (MEID or `environment`), with the original's schema fallback. */
    readonly enrichmentRules: (scope: string) => Fails<ReadonlyArray<SettingsApi.EnrichmentRule>>
  }
>()("dynatrace-operator/services/DynatraceApi") {}

// ---------------------------------------------------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------------------------------------------------

/** One request, described. */
interface Call {
  /** Method and path template, for errors, logs and spans (never a query or token). */
  readonly endpoint: string
  readonly method: "GET" | "POST" | "DELETE"
  readonly path: string
  readonly query?: Query
  readonly token: "apiToken" | "paasToken"
  readonly body?: string
  readonly accept?: string
  readonly headers?: Readonly<Record<string, string>>
  /** Statuses that count as an answer (default 200–201; DELETE 200–299). */
  readonly ok?: (status: number) => boolean
}

interface Answer {
  readonly status: number
  readonly headers: HttpClientResponse.HttpClientResponse["headers"]
  readonly body: Uint8Array
}

const defaultOk = (call: Call) => (status: number) =>
  call.method === "DELETE" ? status >= 200 && status < 300 : status === 200 || status === 201

const utf8 = new TextDecoder()

const invalid = (message: string) =>
  new E.DynatraceApiError({ endpoint: "configuration", reason: new E.InvalidConfig({ message }) })

/** A configured duration, or InvalidConfig naming the field. */
const duration = (field: string, input: Duration.Input) =>
  Option.match(Duration.fromInput(input), {
    onNone: () => Effect.fail(invalid(`${field} is not a duration`)),
    onSome: (value) =>
      Duration.isFinite(value) && Duration.toMillis(value) >= 0
        ? Effect.succeed(value)
        : Effect.fail(invalid(`${field} must be a finite, non-negative duration`))
  })

/**
 * Builds a client for one DynaKube. Fails with reason `InvalidConfig` for an unusable apiUrl, proxy, CA bundle or
 * token (the message names the field, never its value). The transport's connections close with the scope.
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fn("DynatraceApi.make")(function* (config: DynatraceApiConfig) {
  const apiUrl = parseApiUrl(config.apiUrl)
  if (!isApiUrl(apiUrl)) return yield* invalid(apiUrl.problem)
  const tokens: Auth.Tokens = {
    apiToken: config.apiToken,
    paasToken: config.paasToken,
    dataIngestToken: config.dataIngestToken
  }
  const badSlots = Auth.invalidTokenSlots(tokens)
  if (badSlots.length > 0) {
    return yield* invalid(`token ${badSlots.join(", ")} is empty or contains whitespace or control characters`)
  }
  const http = yield* Transport.makeHttpClient(config).pipe(Effect.mapError((problem) => invalid(problem.problem)))
  const cache = yield* ResponseCache
  const fs = yield* FileSystem.FileSystem

  const timeout = yield* duration("timeout", config.timeout ?? "30 seconds")
  const downloadTimeout = yield* duration("downloadTimeout", config.downloadTimeout ?? "15 minutes")
  const ttl = Duration.minutes(Math.max(0, config.requestThresholdMinutes ?? 15))
  const userAgent = config.userAgent ?? "dynatrace-operator"
  const maxResponseBytes = config.maxResponseBytes ?? 32 * 1024 * 1024
  const defaults = Retry.defaultRetryPolicy
  const policy: Retry.RetryPolicy = {
    times: Math.max(0, config.retry?.times ?? defaults.times),
    base: yield* duration("retry.base", config.retry?.base ?? defaults.base),
    maxDelay: yield* duration("retry.maxDelay", config.retry?.maxDelay ?? defaults.maxDelay),
    maxRetryAfter: yield* duration("retry.maxRetryAfter", config.retry?.maxRetryAfter ?? defaults.maxRetryAfter)
  }
  const retrySchedule = Retry.schedule(policy)
  const secrets = [
    config.apiToken,
    ...(config.paasToken === undefined ? [] : [config.paasToken]),
    ...(config.dataIngestToken === undefined ? [] : [config.dataIngestToken]),
    ...Transport.proxySecrets(config.proxy)
  ]
  const scrub = (text: string) => Auth.scrub(text, secrets)
  const fail = (call: Call, reason: E.DynatraceApiErrorReason) =>
    new E.DynatraceApiError({ endpoint: call.endpoint, reason })
  const authorizationFor = (call: Call) =>
    Auth.authorization(call.token === "apiToken" ? tokens.apiToken : Auth.effectivePaasToken(tokens))

  const transportFailure = (call: Call, error: HttpClientError.HttpClientError) => {
    const cause = error.reason.cause
    const detail = cause instanceof Error ? `${cause.message}${causeCode(cause)}` : (error.reason.description ?? "")
    return fail(call, new E.Transport({ message: scrub(detail === "" ? error.reason._tag : detail) }))
  }

  const request = (call: Call) =>
    HttpClientRequest.make(call.method)(endpointUrl(apiUrl.base, call.path, call.query), {
      headers: {
        authorization: Redacted.value(authorizationFor(call)),
        accept: call.accept ?? "application/json",
        "user-agent": userAgent,
        ...call.headers
      },
      ...(call.body === undefined ? {} : { body: HttpBody.text(call.body, "application/json") })
    })

  // One attempt, bounded by `limit`: send, read the (capped) body, and turn a non-answer status into a reason.
  const attempt = (call: Call, limit: Duration.Duration): Fails<Answer> =>
    Effect.scoped(
      Effect.gen(function* () {
        const response = yield* HttpClient.withScope(http)
          .execute(request(call))
          .pipe(
            Effect.mapError((error) => transportFailure(call, error)),
            Effect.tapError(() => countRequest(call.endpoint, "transport"))
          )
        yield* countRequest(call.endpoint, String(response.status))
        const body = yield* readCapped(call, response)
        const ok = (call.ok ?? defaultOk(call))(response.status)
        if (!ok) {
          const nowMillis = yield* Clock.currentTimeMillis
          const reason = classify({
            status: response.status,
            body: scrub(utf8.decode(body)),
            retryAfter: response.headers["retry-after"],
            nowMillis
          })
          return yield* fail(call, reason)
        }
        yield* Effect.logDebug("Received answer from Dynatrace API").pipe(
          Effect.annotateLogs({ endpoint: call.endpoint, status: response.status })
        )
        return { status: response.status, headers: response.headers, body }
      })
    ).pipe(
      Effect.timeoutOrElse({
        duration: limit,
        orElse: () =>
          countRequest(call.endpoint, "timeout").pipe(
            Effect.andThen(
              Effect.fail(
                fail(call, new E.Timeout({ after: limit, message: `no answer within ${Duration.format(limit)}` }))
              )
            )
          )
      })
    )

  const readCapped = (call: Call, response: HttpClientResponse.HttpClientResponse): Fails<Uint8Array> =>
    Stream.runFoldEffect(
      response.stream.pipe(Stream.mapError((error) => transportFailure(call, error))),
      () => ({ chunks: [] as Array<Uint8Array>, size: 0 }),
      (acc, chunk) => {
        acc.size += chunk.byteLength
        if (acc.size > maxResponseBytes) {
          return Effect.fail(fail(call, new E.Decode({ message: `answer is larger than ${maxResponseBytes} bytes` })))
        }
        acc.chunks.push(chunk)
        return Effect.succeed(acc)
      }
    ).pipe(Effect.map((acc) => Buffer.concat(acc.chunks, acc.size)))

  const withRetry = <A>(call: Call, effect: Fails<A>): Fails<A> =>
    effect.pipe(
      Effect.tapError((error) =>
        Retry.isRetryable(error, policy) && policy.times > 0
          ? Effect.logDebug("Dynatrace API call failed, may retry").pipe(
              Effect.annotateLogs({ endpoint: call.endpoint, reason: error.reason._tag })
            )
          : Effect.void
      ),
      Effect.retry(retrySchedule)
    )

  const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(
    call: Call,
    schema: S,
    text: string
  ): Fails<S["Type"]> =>
    Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(text).pipe(
      Effect.mapError((error) => fail(call, new E.Decode({ message: scrub(`unexpected answer: ${error.message}`) })))
    ) as Fails<S["Type"]>

  /** A JSON call: cache (when `cacheable`), retried attempts, decode. */
  const json = <S extends Schema.Top & { readonly DecodingServices: never }>(
    call: Call,
    schema: S,
    options: { readonly cacheable?: (value: S["Type"]) => boolean } = {}
  ): Fails<S["Type"]> =>
    Effect.gen(function* () {
      const useCache = options.cacheable !== undefined && Duration.toMillis(ttl) > 0
      const key = useCache
        ? cacheKey({
            method: call.method,
            url: endpointUrl(apiUrl.base, call.path, call.query),
            authorization: Redacted.value(authorizationFor(call)),
            body: call.body ?? ""
          })
        : undefined
      if (key !== undefined) {
        const hit = yield* cache.get(key)
        if (Option.isSome(hit)) {
          const cached = yield* Effect.exit(decode(call, schema, hit.value))
          if (Exit.isSuccess(cached) && options.cacheable?.(cached.value) === true) {
            yield* Effect.logDebug("Served Dynatrace API answer from cache").pipe(
              Effect.annotateLogs({ endpoint: call.endpoint })
            )
            return cached.value
          }
          yield* cache.invalidate(key)
        }
      }
      const fetched = yield* withRetry(
        call,
        Effect.flatMap(attempt(call, timeout), (answer) => {
          const text = utf8.decode(answer.body)
          return Effect.map(decode(call, schema, text), (value) => ({ value, text }))
        })
      ).pipe(Effect.tapError(() => (key === undefined ? Effect.void : cache.invalidate(key))))
      if (key !== undefined && options.cacheable?.(fetched.value) === true) {
        yield* cache.set(key, fetched.text, ttl)
      }
      return fetched.value
    }).pipe(Effect.withSpan(`DynatraceApi ${call.endpoint}`))

  /** A call whose answer body is not used. */
  const noContent = (call: Call): Fails<void> =>
    withRetry(call, attempt(call, timeout)).pipe(Effect.asVoid, Effect.withSpan(`DynatraceApi ${call.endpoint}`))

  // ---- endpoints ------------------------------------------------------------------------------------------------

  const tokenScopes = Effect.fn("DynatraceApi.tokenScopes")(function* (slot: Auth.TokenSlot) {
    const token = Auth.tokenInSlot(tokens, slot)
    const call: Call = {
      endpoint: `POST ${TokenScopesApi.path}`,
      method: "POST",
      path: TokenScopesApi.path,
      token: "apiToken"
    }
    if (token === undefined) {
      return yield* fail(call, new E.InvalidConfig({ message: `no ${slot} configured` }))
    }
    const response = yield* json(
      { ...call, body: JSON.stringify({ token: Redacted.value(token) }) },
      TokenScopesApi.TokenLookupResponse,
      { cacheable: () => true }
    )
    return response.scopes
  })

  const oneAgentCall: Call = {
    endpoint: `GET ${ConnectionInfoApi.oneAgentPath}`,
    method: "GET",
    path: ConnectionInfoApi.oneAgentPath,
    token: "paasToken",
    ...(config.networkZone !== undefined && config.networkZone !== ""
      ? { query: { networkZone: config.networkZone, defaultZoneFallback: "true" } }
      : {})
  }
  const oneAgentConnectionInfo = json(oneAgentCall, ConnectionInfoApi.OneAgentConnectionInfoResponse, {
    cacheable: (response) => !ConnectionInfoApi.isEmpty(ConnectionInfoApi.fromOneAgent(response))
  }).pipe(
    Effect.map(ConnectionInfoApi.fromOneAgent),
    // An unknown network zone is answered with 400; the original treats that as "no endpoints".
    Effect.catchIf(
      (error) =>
        oneAgentCall.query !== undefined && error.reason._tag === "UnexpectedStatus" && error.reason.status === 400,
      () => Effect.succeed(ConnectionInfoApi.empty)
    ),
    Effect.withSpan("DynatraceApi.oneAgentConnectionInfo")
  )

  const activeGateConnectionInfo = json(
    {
      endpoint: `GET ${ConnectionInfoApi.activeGatePath}`,
      method: "GET",
      path: ConnectionInfoApi.activeGatePath,
      token: "paasToken"
    },
    ConnectionInfoApi.ActiveGateConnectionInfoResponse,
    { cacheable: (response) => !ConnectionInfoApi.isEmpty(ConnectionInfoApi.fromActiveGate(response)) }
  ).pipe(Effect.map(ConnectionInfoApi.fromActiveGate), Effect.withSpan("DynatraceApi.activeGateConnectionInfo"))

  const latestAgentVersion = Effect.fn("DynatraceApi.latestAgentVersion")(function* (installer: Versions.Installer) {
    const response = yield* json(
      {
        endpoint: "GET /v1/deployment/installer/agent/{os}/{type}/latest/metainfo",
        method: "GET",
        path: Versions.latestMetainfoPath(installer),
        query: Versions.latestMetainfoQuery(installer),
        token: "paasToken"
      },
      Versions.LatestAgentVersionResponse,
      { cacheable: (value) => value.latestAgentVersion !== "" }
    )
    return response.latestAgentVersion
  })

  const latestActiveGateVersion = json(
    {
      endpoint: "GET /v1/deployment/installer/gateway/{os}/latest/metainfo",
      method: "GET",
      path: Versions.latestGatewayMetainfoPath(),
      token: "paasToken"
    },
    Versions.LatestGatewayVersionResponse,
    { cacheable: (value) => value.latestGatewayVersion !== "" }
  ).pipe(
    Effect.map((response) => response.latestGatewayVersion),
    Effect.withSpan("DynatraceApi.latestActiveGateVersion")
  )

  const availableAgentVersions = Effect.fn("DynatraceApi.availableAgentVersions")(function* (
    installer: Versions.Installer
  ) {
    const response = yield* json(
      {
        endpoint: "GET /v1/deployment/installer/agent/versions/{os}/{type}",
        method: "GET",
        path: Versions.versionsPath(installer),
        query: Versions.versionsQuery(installer),
        token: "paasToken"
      },
      Versions.AvailableVersionsResponse
    )
    return response.availableVersions
  })

  const downloadAgent = Effect.fn("DynatraceApi.downloadAgent")(function* (
    selection: Versions.DownloadSelection,
    destination: string,
    checks: Download.DownloadChecks = {}
  ) {
    const call: Call = {
      endpoint:
        selection.version === undefined
          ? "GET /v1/deployment/installer/agent/{os}/{type}/latest"
          : "GET /v1/deployment/installer/agent/{os}/{type}/version/{version}",
      method: "GET",
      path: Versions.downloadPath(selection),
      query: Versions.downloadQuery(selection),
      token: "paasToken",
      accept: "application/octet-stream"
    }
    const once: Effect.Effect<Download.DownloadResult, E.DynatraceApiError | PlatformError> = Effect.scoped(
      Effect.gen(function* () {
        const response = yield* HttpClient.withScope(http)
          .execute(request(call))
          .pipe(Effect.mapError((error) => transportFailure(call, error)))
        if (!defaultOk(call)(response.status)) {
          const body = yield* readCapped(call, response)
          const nowMillis = yield* Clock.currentTimeMillis
          return yield* fail(
            call,
            classify({
              status: response.status,
              body: scrub(utf8.decode(body)),
              retryAfter: response.headers["retry-after"],
              nowMillis
            })
          )
        }
        return yield* Download.writeResponse(
          {
            stream: response.stream.pipe(Stream.mapError((error) => transportFailure(call, error))),
            headers: response.headers
          },
          destination,
          checks
        ).pipe(
          Effect.catchIf(
            (error): error is Download.DownloadProblem => error instanceof Download.DownloadProblem,
            (problem) =>
              Effect.fail(
                fail(
                  call,
                  problem.transient
                    ? new E.Transport({ message: problem.problem })
                    : new E.Decode({ message: problem.problem })
                )
              )
          ),
          Effect.provideService(FileSystem.FileSystem, fs)
        )
      })
    ).pipe(
      Effect.timeoutOrElse({
        duration: downloadTimeout,
        orElse: () =>
          Effect.fail(
            fail(
              call,
              new E.Timeout({
                after: downloadTimeout,
                message: `download not finished within ${Duration.format(downloadTimeout)}`
              })
            )
          )
      })
    )
    const result = yield* once.pipe(Effect.retry(Retry.schedule<E.DynatraceApiError | PlatformError>(policy)))
    yield* Effect.logInfo("Downloaded code module").pipe(
      Effect.annotateLogs({ endpoint: call.endpoint, bytes: result.size, sha256: result.sha256 })
    )
    return result
  })

  const processModuleConfig = Effect.fn("DynatraceApi.processModuleConfig")(function* (hostGroup?: string) {
    const call: Call = {
      endpoint: `GET ${ProcessModuleConfigApi.path}`,
      method: "GET",
      path: ProcessModuleConfigApi.path,
      query: { sections: "general,agentType", hostgroup: hostGroup === "" ? undefined : hostGroup },
      token: "paasToken"
    }
    const moduleConfig = yield* json(call, ProcessModuleConfigApi.ProcessModuleConfig, {
      cacheable: (value) => value.properties.length > 0
    })
    if (moduleConfig.properties.length === 0) {
      return yield* fail(call, new E.Decode({ message: "process module config has no properties" }))
    }
    return moduleConfig
  })

  const processGroupingConfig = Effect.fn("DynatraceApi.processGroupingConfig")(function* (
    kubernetesClusterId: string,
    etag?: string
  ) {
    const call: Call = {
      endpoint: `GET ${ProcessGroupingConfigApi.path}`,
      method: "GET",
      path: ProcessGroupingConfigApi.path,
      query: { kubernetesClusterId },
      token: "apiToken",
      accept: "application/cbor",
      ...(etag === undefined || etag === "" ? {} : { headers: { "if-none-match": etag } }),
      ok: (status) => status === 200 || status === 304
    }
    const answer = yield* withRetry(call, attempt(call, timeout))
    if (answer.status === 304) {
      return { _tag: "NotModified", etag: etag ?? "" } satisfies ProcessGroupingConfigApi.ProcessGroupingConfig
    }
    return {
      _tag: "Modified",
      body: answer.body,
      etag: answer.headers["etag"]
    } satisfies ProcessGroupingConfigApi.ProcessGroupingConfig
  })

  const createActiveGateToken = Effect.fn("DynatraceApi.createActiveGateToken")(function* (dynakube: string) {
    const now = yield* Clock.currentTimeMillis
    return yield* json(
      {
        endpoint: `POST ${ActiveGateTokenApi.path}`,
        method: "POST",
        path: ActiveGateTokenApi.path,
        token: "apiToken",
        body: JSON.stringify(ActiveGateTokenApi.request(dynakube, now))
      },
      ActiveGateTokenApi.ActiveGateTokenResponse
    )
  })

  const containerImages = Effect.fn("DynatraceApi.containerImages")(function* (registry?: string) {
    const call: Call = {
      endpoint: `GET ${ContainerImagesApi.path}`,
      method: "GET",
      path: ContainerImagesApi.path,
      query: { registry: registry === "" ? undefined : registry },
      token: "apiToken"
    }
    const response = yield* json(call, ContainerImagesApi.ContainerImagesResponse, {
      cacheable: (value) => value.components.length > 0
    })
    const images = response.components.map((component) =>
      ContainerImagesApi.splitImageUri(component.type, component.imageUri)
    )
    if (registry !== undefined && registry !== "") {
      const foreign = ContainerImagesApi.foreignImages(images, registry)
      if (foreign.length > 0) {
        return yield* fail(
          call,
          new E.Decode({
            message: `images not from registry ${registry}: ${foreign.map((image) => image.imageUri).join(", ")}`
          })
        )
      }
    }
    return images
  })

  const hostEntities = json(
    {
      endpoint: `GET ${HostEntitiesApi.path}`,
      method: "GET",
      path: HostEntitiesApi.path,
      query: HostEntitiesApi.query,
      token: "apiToken"
    },
    HostEntitiesApi.HostEntitiesResponse
  ).pipe(Effect.withSpan("DynatraceApi.hostEntities"))

  const sendEvent = Effect.fn("DynatraceApi.sendEvent")((event: EventsApi.MarkedForTerminationEvent) =>
    noContent({
      endpoint: `POST ${EventsApi.path}`,
      method: "POST",
      path: EventsApi.path,
      token: "apiToken",
      body: JSON.stringify(event)
    })
  )

  const kubernetesClusterEntity = Effect.fn("DynatraceApi.kubernetesClusterEntity")(function* (kubeSystemUUID: string) {
    const response = yield* json(
      {
        endpoint: `GET ${SettingsApi.objectsPath}`,
        method: "GET",
        path: SettingsApi.objectsPath,
        query: SettingsApi.kubernetesClusterQuery(kubeSystemUUID),
        token: "apiToken"
      },
      SettingsApi.SettingsObjectsResponse
    )
    const first = response.items?.[0]
    if (first === undefined || first.scope === undefined || first.scope === null || first.scope === "") {
      return Option.none<SettingsApi.KubernetesClusterEntity>()
    }
    const value = Schema.decodeUnknownOption(SettingsApi.KubernetesClusterValue)(first.value)
    const label = Option.match(value, { onNone: () => "", onSome: (v) => v.label ?? "" })
    return Option.some({ meid: first.scope, label })
  })

  const settingsObjects = Effect.fn("DynatraceApi.settingsObjects")(function* (schemaId: string, scope: string) {
    const response = yield* json(
      {
        endpoint: `GET ${SettingsApi.objectsPath}`,
        method: "GET",
        path: SettingsApi.objectsPath,
        query: { schemaIds: schemaId, scopes: scope, validateOnly: "true" },
        token: "apiToken"
      },
      SettingsApi.SettingsObjectsResponse
    )
    const items = response.items ?? []
    return { totalCount: response.totalCount ?? items.length, items }
  })

  const createSettingsObject = Effect.fn("DynatraceApi.createSettingsObject")(function* (
    object: SettingsApi.SettingsObjectCreate
  ) {
    const call: Call = {
      endpoint: `POST ${SettingsApi.objectsPath}`,
      method: "POST",
      path: SettingsApi.objectsPath,
      query: { validateOnly: "false" },
      token: "apiToken",
      body: JSON.stringify([object])
    }
    const response = yield* json(call, SettingsApi.CreateSettingsResponse)
    const only = response.length === 1 ? response[0] : undefined
    if (only === undefined || only.objectId === undefined || only.objectId === null || only.objectId === "") {
      return yield* fail(
        call,
        new E.Decode({ message: `expected exactly one created object id, got ${response.length} entries` })
      )
    }
    return only.objectId
  })

  const createKubernetesClusterSettings = Effect.fn("DynatraceApi.createKubernetesClusterSettings")(
    (label: string, kubeSystemUUID: string) =>
      createSettingsObject(SettingsApi.kubernetesClusterObject(label, kubeSystemUUID)).pipe(
        Effect.catchIf(
          (error) => error.reason._tag === "NotFound",
          () =>
            createSettingsObject(
              SettingsApi.kubernetesClusterObject(
                label,
                kubeSystemUUID,
                SettingsApi.KubernetesClusterSchemaVersionFallback
              )
            )
        )
      )
  )

  const deleteSettingsObject = Effect.fn("DynatraceApi.deleteSettingsObject")((objectId: string) =>
    noContent({
      endpoint: "DELETE /v2/settings/objects/{objectId}",
      method: "DELETE",
      path: SettingsApi.objectPath(objectId),
      token: "apiToken"
    })
  )

  const effectiveValues = (schemaId: string, scope: string) =>
    json(
      {
        endpoint: `GET ${SettingsApi.effectiveValuesPath}`,
        method: "GET",
        path: SettingsApi.effectiveValuesPath,
        query: { schemaIds: schemaId, scope, validateOnly: "true" },
        token: "apiToken"
      },
      SettingsApi.EffectiveValuesResponse
    )

  const enrichmentRules = Effect.fn("DynatraceApi.enrichmentRules")(function* (scope: string) {
    const fallback = effectiveValues(SettingsApi.IngestEnrichmentSchemaId, scope).pipe(
      Effect.map(SettingsApi.rulesFromIngestEnrichment)
    )
    const current = yield* effectiveValues(SettingsApi.MetadataEnrichmentSchemaId, scope).pipe(
      Effect.map(Option.some),
      Effect.catchIf(
        (error) => error.reason._tag === "NotFound",
        () => Effect.succeed(Option.none<typeof SettingsApi.EffectiveValuesResponse.Type>())
      )
    )
    if (Option.isNone(current) || SettingsApi.usesIngestEnrichmentSchema(current.value)) return yield* fallback
    return SettingsApi.rulesFromMetadataEnrichment(current.value)
  })

  return DynatraceApi.of({
    apiUrl,
    tokenScopes,
    oneAgentConnectionInfo,
    activeGateConnectionInfo,
    latestAgentVersion,
    latestActiveGateVersion,
    availableAgentVersions,
    downloadAgent,
    processModuleConfig,
    processGroupingConfig,
    createActiveGateToken,
    containerImages,
    hostEntities,
    sendEvent,
    kubernetesClusterEntity,
    settingsObjects,
    createSettingsObject,
    createKubernetesClusterSettings,
    deleteSettingsObject,
    enrichmentRules
  })
})

/** ` (ECONNRESET)` for node errors with a code. */
const causeCode = (error: Error): string => {
  const code = (error as Error & { readonly code?: unknown }).code
  return typeof code === "string" ? ` (${code})` : ""
}

// ---------------------------------------------------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------------------------------------------------

/**
 * A client for one DynaKube; needs the process-wide `ResponseCache` and a `FileSystem`.
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  config: DynatraceApiConfig
): Layer.Layer<DynatraceApi, E.DynatraceApiError, ResponseCache | FileSystem.FileSystem> =>
  Layer.effect(DynatraceApi, make(config))

/**
 * `layer` with Node's file system (the cache is still shared and must be provided once per process).
 * @category layers
 * @since 0.1.0
 */
export const layerNode = (config: DynatraceApiConfig): Layer.Layer<DynatraceApi, E.DynatraceApiError, ResponseCache> =>
  layer(config).pipe(Layer.provide(NodeFileSystem.layer))
