/**
 * The tenant client of the EdgeConnect controller (spec §2.3, §6.2 #20–#22): OAuth2 client credentials against the
 * SSO token endpoint (`spec.oauth.endpoint`), then bearer calls to the platform API at `https://<spec.apiServer>`:
 *
 * | method | path |
 * |---|---|
 * | `GET` | `/platform/app-engine/edge-connect/v1/edge-connects?add-fields=name,managedByDynatraceOperator&filter=name='<name>'` |
 * | `GET` / `PUT` / `DELETE` | `/platform/app-engine/edge-connect/v1/edge-connects/<id>` |
 * | `POST` | `/platform/app-engine/edge-connect/v1/edge-connects` |
 * | `GET` / `POST` | `/platform/classic/environment-api/v2/settings/objects` (schema `app:dynatrace.kubernetes.connector:connection`, scope `environment`) |
 * | `PUT` / `DELETE` | `/platform/classic/environment-api/v2/settings/objects/<objectId>` |
 *
 * - The access token is fetched once and reused until 30 s before it expires; a 401 from the API drops it.
 * - Failures are `DynatraceApiError`s (the same reasons as the classic API: the platform answers with the same
 *   `{"error":{"code","message"}}` body), so callers treat both tenants' errors alike. The token endpoint's own
 *   `{"error","error_description"}` is read too.
 * - Secrets (client secret, access token, created OAuth client secrets, automation tokens) stay `Redacted` and are
 *   scrubbed from every message copied from an answer.
 * - TLS trusts the system roots plus `trustedCAs` (the EdgeConnect's `caCertsRef`).
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Redacted, Schema } from "effect"
import { HttpBody, HttpClient, HttpClientRequest, type HttpClientError } from "effect/http"
import * as Auth from "../../../services/dynatrace/Auth.ts"
import { classify } from "../../../services/dynatrace/ServerError.ts"
import * as Transport from "../../../services/dynatrace/Transport.ts"
import * as E from "../../../services/DynatraceApiError.ts"

/** Base path of the EdgeConnect API. @category constants */
export const edgeConnectsPath = "/platform/app-engine/edge-connect/v1/edge-connects"

/** Base path of the settings API as the platform serves it. @category constants */
export const settingsObjectsPath = "/platform/classic/environment-api/v2/settings/objects"

/** The settings schema of the Kubernetes connection of an EdgeConnect. @category constants */
export const connectionSchemaId = "app:dynatrace.kubernetes.connector:connection"

/** Scope of the connection settings. @category constants */
export const connectionScope = "environment"

/** Scopes the provisioner asks for; `settings:objects:*` only with Kubernetes automation. @category constants */
export const provisionerScopes = (kubernetesAutomation: boolean): ReadonlyArray<string> => [
  "app-engine:edge-connects:read",
  "app-engine:edge-connects:write",
  "app-engine:edge-connects:delete",
  "oauth2:clients:manage",
  ...(kubernetesAutomation ? ["settings:objects:read", "settings:objects:write"] : [])
]

/** An EdgeConnect as the tenant lists it. @category models */
export const TenantEdgeConnect = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  oauthClientId: Schema.optional(Schema.NullOr(Schema.String)),
  hostPatterns: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  managedByDynatraceOperator: Schema.optional(Schema.NullOr(Schema.Boolean))
})
/** @category models */
export type TenantEdgeConnect = typeof TenantEdgeConnect.Type

const ListResponse = Schema.Struct({ edgeConnects: Schema.Array(TenantEdgeConnect) })

const CreateResponse = Schema.Struct({
  id: Schema.String,
  oauthClientId: Schema.String,
  oauthClientSecret: Schema.String,
  oauthClientResource: Schema.String
})

/** What creating an EdgeConnect returns: its id and the OAuth client made for it. @category models */
export interface CreatedEdgeConnect {
  readonly id: string
  readonly oauthClientId: string
  readonly oauthClientSecret: Redacted.Redacted<string>
  readonly oauthClientResource: string
}

/** A `from` host routed to a `to` host. @category models */
export interface HostMapping {
  readonly from: string
  readonly to: string
}

/** The body of create and update. @category models */
export interface EdgeConnectRequest {
  readonly name: string
  readonly hostPatterns: ReadonlyArray<string>
  readonly hostMappings: ReadonlyArray<HostMapping>
  /** Update only: the OAuth client the EdgeConnect keeps. */
  readonly oauthClientId?: string | undefined
}

/** The value of a Kubernetes connection setting. @category models */
export interface ConnectionValue {
  readonly name: string
  readonly uid: string
  readonly namespace: string
  readonly token: Redacted.Redacted<string>
}

const ConnectionItem = Schema.Struct({
  objectId: Schema.String,
  value: Schema.Struct({
    name: Schema.optional(Schema.String),
    uid: Schema.optional(Schema.String),
    namespace: Schema.optional(Schema.String),
    token: Schema.optional(Schema.String)
  })
})
const ConnectionList = Schema.Struct({ items: Schema.Array(ConnectionItem) })
const CreatedObjects = Schema.Array(Schema.Struct({ objectId: Schema.String }))

/** A Kubernetes connection setting as stored. @category models */
export interface ConnectionSetting {
  readonly objectId: string
  readonly name: string
  readonly uid: string
  readonly namespace: string
  readonly token: Redacted.Redacted<string>
}

const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  expires_in: Schema.optional(Schema.Number)
})
const OAuthErrorBody = Schema.Struct({
  error: Schema.String,
  error_description: Schema.optional(Schema.String)
})

/** How to reach one tenant. @category models */
export interface EdgeConnectClientConfig {
  /** `spec.apiServer`: host (and port), no scheme. */
  readonly apiServer: string
  /** `spec.oauth.endpoint`: the SSO token URL. */
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** `spec.oauth.resource`, sent with the token request. */
  readonly resource?: string | undefined
  readonly scopes: ReadonlyArray<string>
  /** Extra trusted CAs (PEM). */
  readonly trustedCAs?: string | undefined
  /** Per-request timeout (default 30 s). */
  readonly timeout?: Duration.Input | undefined
  readonly userAgent?: string | undefined
}

/** The client. @category models */
export interface EdgeConnectClient {
  /** The EdgeConnects named `name` (the tenant filters; more than one is the caller's problem). */
  readonly listByName: (name: string) => Effect.Effect<ReadonlyArray<TenantEdgeConnect>, E.DynatraceApiError>
  readonly get: (id: string) => Effect.Effect<TenantEdgeConnect, E.DynatraceApiError>
  readonly create: (request: EdgeConnectRequest) => Effect.Effect<CreatedEdgeConnect, E.DynatraceApiError>
  readonly update: (id: string, request: EdgeConnectRequest) => Effect.Effect<void, E.DynatraceApiError>
  readonly remove: (id: string) => Effect.Effect<void, E.DynatraceApiError>
  /** Kubernetes connection settings (all of the environment). */
  readonly connectionSettings: Effect.Effect<ReadonlyArray<ConnectionSetting>, E.DynatraceApiError>
  readonly createConnectionSetting: (value: ConnectionValue) => Effect.Effect<string, E.DynatraceApiError>
  readonly updateConnectionSetting: (
    objectId: string,
    value: ConnectionValue
  ) => Effect.Effect<void, E.DynatraceApiError>
  readonly deleteConnectionSetting: (objectId: string) => Effect.Effect<void, E.DynatraceApiError>
}

const utf8 = new TextDecoder()

const invalid = (message: string) =>
  new E.DynatraceApiError({ endpoint: "configuration", reason: new E.InvalidConfig({ message }) })

const fail = (endpoint: string, reason: E.DynatraceApiErrorReason) => new E.DynatraceApiError({ endpoint, reason })

const requestBody = (request: EdgeConnectRequest) => ({
  name: request.name,
  hostPatterns: request.hostPatterns,
  hostMappings: request.hostMappings,
  managedByDynatraceOperator: true,
  ...(request.oauthClientId === undefined ? {} : { oauthClientId: request.oauthClientId })
})

const connectionBody = (value: ConnectionValue) => ({
  name: value.name,
  uid: value.uid,
  namespace: value.namespace,
  token: Redacted.value(value.token)
})

/**
 * Builds a client; its connections close with the scope. Fails with `InvalidConfig` for an unusable apiServer,
 * token URL or CA bundle (the message names the field).
 * @category constructors
 */
export const make = Effect.fn("EdgeConnectClient.make")(function* (config: EdgeConnectClientConfig) {
  const base = `https://${config.apiServer}`
  if (config.apiServer === "" || /[/\s]/.test(config.apiServer) || !URL.canParse(base)) {
    return yield* invalid(`apiServer "${config.apiServer}" is not a host name`)
  }
  if (!URL.canParse(config.tokenUrl) || !/^https?:$/.test(new URL(config.tokenUrl).protocol)) {
    return yield* invalid("oauth.endpoint is not an http(s) URL")
  }
  const http = yield* Transport.makeHttpClient({ trustedCAs: config.trustedCAs }).pipe(
    Effect.mapError((problem) => invalid(problem.problem))
  )
  const timeout = Duration.fromInputUnsafe(config.timeout ?? "30 seconds")
  const userAgent = config.userAgent ?? "dynatrace-operator"
  const secrets: Array<Redacted.Redacted<string>> = [config.clientSecret]
  const scrub = (text: string) => Auth.scrub(text, secrets)
  let cachedToken: { readonly value: Redacted.Redacted<string>; readonly expiresAt: number } | undefined

  const transportFailure = (endpoint: string, error: HttpClientError.HttpClientError) => {
    const cause = error.reason.cause
    const detail = cause instanceof Error ? cause.message : (error.reason.description ?? error.reason._tag)
    return fail(endpoint, new E.Transport({ message: scrub(detail) }))
  }

  /** Sends a request, reads the body; a non-2xx answer becomes a reason. */
  const send = (endpoint: string, request: HttpClientRequest.HttpClientRequest, ok: (status: number) => boolean) =>
    Effect.scoped(
      Effect.gen(function* () {
        const response = yield* HttpClient.withScope(http)
          .execute(request)
          .pipe(Effect.mapError((error) => transportFailure(endpoint, error)))
        const body = utf8.decode(
          yield* response.arrayBuffer.pipe(Effect.mapError((error) => transportFailure(endpoint, error)))
        )
        if (!ok(response.status)) {
          const nowMillis = yield* Clock.currentTimeMillis
          return yield* fail(
            endpoint,
            classify({
              status: response.status,
              body: scrub(body),
              retryAfter: response.headers["retry-after"],
              nowMillis
            })
          )
        }
        return { status: response.status, body }
      })
    ).pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(
            fail(endpoint, new E.Timeout({ after: timeout, message: `no answer within ${Duration.format(timeout)}` }))
          )
      })
    )

  const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(
    endpoint: string,
    schema: S,
    text: string
  ): Effect.Effect<S["Type"], E.DynatraceApiError> =>
    Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(text).pipe(
      Effect.mapError((error) =>
        fail(endpoint, new E.Decode({ message: scrub(`unexpected answer: ${error.message}`) }))
      )
    ) as Effect.Effect<S["Type"], E.DynatraceApiError>

  const accessToken = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    if (cachedToken !== undefined && cachedToken.expiresAt > now) return cachedToken.value
    const endpoint = "POST <oauth.endpoint>"
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: config.clientId,
      client_secret: Redacted.value(config.clientSecret),
      scope: config.scopes.join(" "),
      ...(config.resource === undefined || config.resource === "" ? {} : { resource: config.resource })
    })
    const request = HttpClientRequest.post(config.tokenUrl, {
      headers: { accept: "application/json", "user-agent": userAgent },
      body: HttpBody.text(form.toString(), "application/x-www-form-urlencoded")
    })
    const answer = yield* send(endpoint, request, () => true)
    if (answer.status !== 200) {
      const described = Schema.decodeUnknownOption(Schema.fromJsonString(OAuthErrorBody))(answer.body)
      const message = scrub(
        described._tag === "Some"
          ? `${described.value.error}${described.value.error_description === undefined ? "" : `: ${described.value.error_description}`}`
          : `HTTP ${answer.status}`
      )
      return yield* fail(
        endpoint,
        answer.status === 400 || answer.status === 401
          ? new E.Unauthorized({ message: `the OAuth client was refused: ${message}` })
          : classify({ status: answer.status, body: scrub(answer.body), retryAfter: undefined, nowMillis: now })
      )
    }
    const parsed = yield* decode(endpoint, TokenResponse, answer.body)
    const value = Redacted.make(parsed.access_token)
    secrets.push(value)
    const lifetime = Math.max(0, (parsed.expires_in ?? 300) * 1000 - 30_000)
    cachedToken = { value, expiresAt: now + lifetime }
    return value
  })

  /** A bearer call to the platform API. */
  const call = (
    endpoint: string,
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    options: { readonly query?: Readonly<Record<string, string>>; readonly body?: unknown } = {}
  ) =>
    Effect.gen(function* () {
      const bearer = yield* accessToken
      const url = new URL(path, base)
      for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value)
      const request = HttpClientRequest.make(method)(url.toString(), {
        headers: {
          authorization: `Bearer ${Redacted.value(bearer)}`,
          accept: "application/json",
          "user-agent": userAgent
        },
        ...(options.body === undefined ? {} : { body: HttpBody.text(JSON.stringify(options.body), "application/json") })
      })
      const ok = (status: number) =>
        method === "DELETE" ? status >= 200 && status < 300 : status >= 200 && status <= 201
      return yield* send(endpoint, request, ok).pipe(
        Effect.tapError((error) =>
          Effect.sync(() => {
            // A rejected token is fetched again next time (revoked, or expired early).
            if (error.reason._tag === "Unauthorized") cachedToken = undefined
          })
        )
      )
    })

  const client: EdgeConnectClient = {
    listByName: (name) =>
      Effect.gen(function* () {
        const endpoint = `GET ${edgeConnectsPath}`
        const answer = yield* call(endpoint, "GET", edgeConnectsPath, {
          query: { "add-fields": "name,managedByDynatraceOperator", filter: `name='${name.replaceAll("'", "''")}'` }
        })
        return (yield* decode(endpoint, ListResponse, answer.body)).edgeConnects
      }).pipe(Effect.withSpan("EdgeConnectClient.listByName")),
    get: (id) =>
      Effect.gen(function* () {
        const endpoint = `GET ${edgeConnectsPath}/{id}`
        const answer = yield* call(endpoint, "GET", `${edgeConnectsPath}/${encodeURIComponent(id)}`)
        return yield* decode(endpoint, TenantEdgeConnect, answer.body)
      }).pipe(Effect.withSpan("EdgeConnectClient.get")),
    create: (request) =>
      Effect.gen(function* () {
        const endpoint = `POST ${edgeConnectsPath}`
        const answer = yield* call(endpoint, "POST", edgeConnectsPath, { body: requestBody(request) })
        const created = yield* decode(endpoint, CreateResponse, answer.body)
        const oauthClientSecret = Redacted.make(created.oauthClientSecret)
        secrets.push(oauthClientSecret)
        return {
          id: created.id,
          oauthClientId: created.oauthClientId,
          oauthClientSecret,
          oauthClientResource: created.oauthClientResource
        }
      }).pipe(Effect.withSpan("EdgeConnectClient.create")),
    update: (id, request) =>
      call(`PUT ${edgeConnectsPath}/{id}`, "PUT", `${edgeConnectsPath}/${encodeURIComponent(id)}`, {
        body: requestBody(request)
      }).pipe(Effect.asVoid, Effect.withSpan("EdgeConnectClient.update")),
    remove: (id) =>
      call(`DELETE ${edgeConnectsPath}/{id}`, "DELETE", `${edgeConnectsPath}/${encodeURIComponent(id)}`).pipe(
        Effect.asVoid,
        Effect.withSpan("EdgeConnectClient.remove")
      ),
    connectionSettings: Effect.gen(function* () {
      const endpoint = `GET ${settingsObjectsPath}`
      const answer = yield* call(endpoint, "GET", settingsObjectsPath, {
        query: { schemaIds: connectionSchemaId, scopes: connectionScope, fields: "objectId,value" }
      })
      const list = yield* decode(endpoint, ConnectionList, answer.body)
      return list.items.map((item) => {
        const token = Redacted.make(item.value.token ?? "")
        secrets.push(token)
        return {
          objectId: item.objectId,
          name: item.value.name ?? "",
          uid: item.value.uid ?? "",
          namespace: item.value.namespace ?? "",
          token
        }
      })
    }).pipe(Effect.withSpan("EdgeConnectClient.connectionSettings")),
    createConnectionSetting: (value) =>
      Effect.gen(function* () {
        secrets.push(value.token)
        const endpoint = `POST ${settingsObjectsPath}`
        const answer = yield* call(endpoint, "POST", settingsObjectsPath, {
          body: [{ schemaId: connectionSchemaId, scope: connectionScope, value: connectionBody(value) }]
        })
        const created = yield* decode(endpoint, CreatedObjects, answer.body)
        const first = created[0]
        if (created.length !== 1 || first === undefined) {
          return yield* fail(endpoint, new E.Decode({ message: `expected one created object, got ${created.length}` }))
        }
        return first.objectId
      }).pipe(Effect.withSpan("EdgeConnectClient.createConnectionSetting")),
    updateConnectionSetting: (objectId, value) =>
      Effect.suspend(() => {
        secrets.push(value.token)
        return call(
          `PUT ${settingsObjectsPath}/{objectId}`,
          "PUT",
          `${settingsObjectsPath}/${encodeURIComponent(objectId)}`,
          {
            body: { value: connectionBody(value) }
          }
        )
      }).pipe(Effect.asVoid, Effect.withSpan("EdgeConnectClient.updateConnectionSetting")),
    deleteConnectionSetting: (objectId) =>
      call(
        `DELETE ${settingsObjectsPath}/{objectId}`,
        "DELETE",
        `${settingsObjectsPath}/${encodeURIComponent(objectId)}`
      ).pipe(Effect.asVoid, Effect.withSpan("EdgeConnectClient.deleteConnectionSetting"))
  }
  return client
})
