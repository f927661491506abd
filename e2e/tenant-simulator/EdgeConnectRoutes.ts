/**
 * The platform side of a simulated tenant, for the EdgeConnect controller (spec §2.3, §6.2 #20–#22): the SSO token
 * endpoint (OAuth2 client credentials) and the platform API behind bearer tokens.
 *
 * | route | method & path | scope |
 * |---|---|---|
 * | `token` | `POST /sso/oauth2/token` (form: grant_type, client_id, client_secret, scope, resource) | – |
 * | `listEdgeConnects` | `GET /platform/app-engine/edge-connect/v1/edge-connects?filter=name='<n>'` | `app-engine:edge-connects:read` |
 * | `getEdgeConnect` | `GET …/edge-connects/<id>` | `app-engine:edge-connects:read` |
 * | `createEdgeConnect` | `POST …/edge-connects` | `app-engine:edge-connects:write` |
 * | `updateEdgeConnect` | `PUT …/edge-connects/<id>` | `app-engine:edge-connects:write` |
 * | `deleteEdgeConnect` | `DELETE …/edge-connects/<id>` | `app-engine:edge-connects:delete` |
 * | `listSettings` | `GET /platform/classic/environment-api/v2/settings/objects?schemaIds=…` | `settings:objects:read` |
 * | `createSettings` | `POST …/settings/objects` (array) | `settings:objects:write` |
 * | `updateSettings` / `deleteSettings` | `PUT` / `DELETE …/settings/objects/<objectId>` | `settings:objects:write` |
 *
 * Like the real tenant: unknown clients get `401 {"error":"invalid_client"}`, scopes the client was not granted get
 * `400 invalid_scope`, an unknown or expired bearer token gets 401 and a token without the route's scope 403, both
 * with the platform's `{"error":{"code","message"}}` body. Creating an EdgeConnect creates an OAuth client for it
 * (returned once, with its secret) and deleting it deletes that client. Names are unique.
 *
 * Tests register provisioner clients with `platform.addClient(scopes)`, inspect `edgeConnects` / `settings`, count
 * `hitsOf(route)` and queue failures with `failNext(route, status, times)`.
 *
 * @since 0.1.0
 */
import { randomBytes, randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { randomBase32 } from "./Tenant.ts"

/** Path of the SSO token endpoint. */
export const tokenPath = "/sso/oauth2/token"
const edgeConnectsPath = "/platform/app-engine/edge-connect/v1/edge-connects"
const settingsPath = "/platform/classic/environment-api/v2/settings/objects"

/** One platform route. */
export type PlatformRoute =
  | "token"
  | "listEdgeConnects"
  | "getEdgeConnect"
  | "createEdgeConnect"
  | "updateEdgeConnect"
  | "deleteEdgeConnect"
  | "listSettings"
  | "createSettings"
  | "updateSettings"
  | "deleteSettings"

/** An OAuth client the SSO knows. */
export interface OAuthClient {
  readonly id: string
  readonly secret: string
  readonly scopes: ReadonlyArray<string>
  readonly resource: string
}

/** An EdgeConnect stored by the tenant. */
export interface StoredEdgeConnect {
  readonly id: string
  name: string
  hostPatterns: ReadonlyArray<string>
  hostMappings: ReadonlyArray<{ readonly from: string; readonly to: string }>
  managedByDynatraceOperator: boolean
  readonly oauthClientId: string
}

/** A stored settings object of the platform settings API. */
export interface StoredPlatformSetting {
  readonly objectId: string
  readonly schemaId: string
  readonly scope: string
  value: Record<string, unknown>
}

/** Whether a path belongs to the platform side (SSO or platform API). */
export const isPlatformPath = (pathname: string): boolean => pathname === tokenPath || pathname.startsWith("/platform/")

/** The platform tenant: clients, tokens, EdgeConnects, settings, hits and queued failures. */
export class PlatformTenant {
  readonly clients = new Map<string, OAuthClient>()
  readonly tokens = new Map<
    string,
    { readonly clientId: string; readonly scopes: ReadonlyArray<string>; readonly expiresAt: number }
  >()
  readonly edgeConnects = new Map<string, StoredEdgeConnect>()
  readonly settings = new Map<string, StoredPlatformSetting>()
  readonly requests: Array<{
    readonly route: PlatformRoute
    readonly method: string
    readonly path: string
    readonly query: string
    readonly body?: string
  }> = []
  /** Lifetime of issued access tokens in seconds. */
  tokenLifetimeSeconds = 300
  readonly #hits = new Map<PlatformRoute, number>()
  readonly #faults = new Map<PlatformRoute, Array<{ status: number; remaining: number }>>()
  readonly resource: string

  constructor(tenantUUID: string) {
    this.resource = `urn:dtenvironment:${tenantUUID}`
  }

  /** Registers an OAuth client with `scopes`; returns its credentials. */
  addClient(scopes: ReadonlyArray<string>): OAuthClient {
    const client: OAuthClient = {
      id: `dt0s02.${randomBase32(8)}`,
      secret: `dt0s02.${randomBase32(8)}.${randomBase32(64)}`,
      scopes: [...scopes],
      resource: this.resource
    }
    this.clients.set(client.id, client)
    return client
  }

  /** The next `times` requests of `route` are answered with `status` (platform error body). */
  failNext(route: PlatformRoute, status: number, times = 1): void {
    const queue = this.#faults.get(route) ?? []
    queue.push({ status, remaining: times })
    this.#faults.set(route, queue)
  }

  /** Requests seen by a route. */
  hitsOf(route: PlatformRoute): number {
    return this.#hits.get(route) ?? 0
  }

  /** Forgets hits and recorded requests. */
  resetHits(): void {
    this.#hits.clear()
    this.requests.length = 0
  }

  /** Counts a request; the queued failure status for it, if any. */
  take(route: PlatformRoute): number | undefined {
    this.#hits.set(route, this.hitsOf(route) + 1)
    const queue = this.#faults.get(route)
    const head = queue?.[0]
    if (queue === undefined || head === undefined) return undefined
    head.remaining -= 1
    if (head.remaining <= 0) queue.shift()
    return head.status
  }
}

const MAX_BODY = 1024 * 1024

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new Error("request body too large")
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString("utf8")
}

const sendJson = (response: ServerResponse, status: number, body: unknown) => {
  const text = Buffer.from(JSON.stringify(body))
  response.writeHead(status, { "content-type": "application/json", "content-length": String(text.length) })
  response.end(text)
}

const sendEmpty = (response: ServerResponse, status: number) => {
  response.writeHead(status)
  response.end()
}

const platformError = (response: ServerResponse, status: number, message: string) =>
  sendJson(response, status, { error: { code: status, message } })

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const strings = (value: unknown): ReadonlyArray<string> =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []

const mappings = (value: unknown): ReadonlyArray<{ from: string; to: string }> =>
  Array.isArray(value)
    ? value.flatMap((item) =>
        isRecord(item) && typeof item["from"] === "string" && typeof item["to"] === "string"
          ? [{ from: item["from"], to: item["to"] }]
          : []
      )
    : []

const routeOf = (method: string, pathname: string): { route: PlatformRoute; id?: string } | undefined => {
  if (pathname === tokenPath) return method === "POST" ? { route: "token" } : undefined
  if (pathname === edgeConnectsPath) {
    return method === "GET"
      ? { route: "listEdgeConnects" }
      : method === "POST"
        ? { route: "createEdgeConnect" }
        : undefined
  }
  if (pathname.startsWith(`${edgeConnectsPath}/`)) {
    const id = decodeURIComponent(pathname.slice(edgeConnectsPath.length + 1))
    if (id === "" || id.includes("/")) return undefined
    const route = ({ GET: "getEdgeConnect", PUT: "updateEdgeConnect", DELETE: "deleteEdgeConnect" } as const)[
      method as "GET" | "PUT" | "DELETE"
    ]
    return route === undefined ? undefined : { route, id }
  }
  if (pathname === settingsPath) {
    return method === "GET" ? { route: "listSettings" } : method === "POST" ? { route: "createSettings" } : undefined
  }
  if (pathname.startsWith(`${settingsPath}/`)) {
    const id = decodeURIComponent(pathname.slice(settingsPath.length + 1))
    const route = ({ PUT: "updateSettings", DELETE: "deleteSettings" } as const)[method as "PUT" | "DELETE"]
    return route === undefined || id === "" ? undefined : { route, id }
  }
  return undefined
}

const requiredScope: Readonly<Record<Exclude<PlatformRoute, "token">, string>> = {
  listEdgeConnects: "app-engine:edge-connects:read",
  getEdgeConnect: "app-engine:edge-connects:read",
  createEdgeConnect: "app-engine:edge-connects:write",
  updateEdgeConnect: "app-engine:edge-connects:write",
  deleteEdgeConnect: "app-engine:edge-connects:delete",
  listSettings: "settings:objects:read",
  createSettings: "settings:objects:write",
  updateSettings: "settings:objects:write",
  deleteSettings: "settings:objects:write"
}

const view = (ec: StoredEdgeConnect) => ({
  id: ec.id,
  name: ec.name,
  hostPatterns: ec.hostPatterns,
  hostMappings: ec.hostMappings,
  oauthClientId: ec.oauthClientId,
  managedByDynatraceOperator: ec.managedByDynatraceOperator
})

const issueToken = (platform: PlatformTenant, request: IncomingMessage, body: string, response: ServerResponse) => {
  const form = new URLSearchParams(body)
  let clientId = form.get("client_id") ?? ""
  let clientSecret = form.get("client_secret") ?? ""
  const basic = /^Basic\s+(\S+)$/.exec(request.headers.authorization ?? "")
  if (basic?.[1] !== undefined) {
    const [id, secret] = Buffer.from(basic[1], "base64").toString("utf8").split(":")
    clientId = decodeURIComponent(id ?? "")
    clientSecret = decodeURIComponent(secret ?? "")
  }
  if (form.get("grant_type") !== "client_credentials") {
    return sendJson(response, 400, { error: "unsupported_grant_type", error_description: "only client_credentials" })
  }
  const client = platform.clients.get(clientId)
  if (client === undefined || client.secret !== clientSecret) {
    return sendJson(response, 401, { error: "invalid_client", error_description: "Client authentication failed" })
  }
  const requested = (form.get("scope") ?? "").split(" ").filter((scope) => scope !== "")
  const missing = requested.filter((scope) => !client.scopes.includes(scope))
  if (missing.length > 0) {
    return sendJson(response, 400, { error: "invalid_scope", error_description: `not granted: ${missing.join(" ")}` })
  }
  const accessToken = `dt0s03.${randomBytes(24).toString("base64url")}`
  platform.tokens.set(accessToken, {
    clientId,
    scopes: requested.length > 0 ? requested : client.scopes,
    expiresAt: Date.now() + platform.tokenLifetimeSeconds * 1000
  })
  return sendJson(response, 200, {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: platform.tokenLifetimeSeconds,
    scope: requested.join(" "),
    resource: form.get("resource") ?? client.resource
  })
}

/**
 * Answers a request on the platform side. Returns false when the path is not a platform path (the caller answers).
 */
export const handlePlatformRequest = async (
  platform: PlatformTenant,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL
): Promise<boolean> => {
  if (!isPlatformPath(url.pathname)) return false
  const method = request.method ?? "GET"
  const matched = routeOf(method, url.pathname)
  if (matched === undefined) {
    platformError(response, 404, "Not found")
    return true
  }
  const body = method === "GET" || method === "DELETE" ? "" : await readBody(request)
  platform.requests.push({
    route: matched.route,
    method,
    path: url.pathname,
    query: url.search,
    ...(body === "" || matched.route === "token" ? {} : { body })
  })
  const fault = platform.take(matched.route)
  if (fault !== undefined) {
    platformError(response, fault, `simulated failure ${fault}`)
    return true
  }
  if (matched.route === "token") {
    issueToken(platform, request, body, response)
    return true
  }

  const bearer = /^Bearer\s+(\S+)$/.exec(request.headers.authorization ?? "")?.[1]
  const token = bearer === undefined ? undefined : platform.tokens.get(bearer)
  if (token === undefined || token.expiresAt <= Date.now()) {
    platformError(response, 401, "Authentication required: missing, invalid or expired token")
    return true
  }
  const scope = requiredScope[matched.route]
  if (!token.scopes.includes(scope)) {
    platformError(response, 403, `Missing scope ${scope}`)
    return true
  }

  const json = parseJson(body)
  const id = matched.id ?? ""
  switch (matched.route) {
    case "listEdgeConnects": {
      const filter = /^name='((?:[^']|'')*)'$/.exec(url.searchParams.get("filter") ?? "")
      const name = filter?.[1]?.replaceAll("''", "'")
      const all = [...platform.edgeConnects.values()].filter((ec) => name === undefined || ec.name === name)
      sendJson(response, 200, { edgeConnects: all.map(view), totalCount: all.length })
      return true
    }
    case "getEdgeConnect": {
      const ec = platform.edgeConnects.get(id)
      if (ec === undefined) platformError(response, 404, `EdgeConnect ${id} not found`)
      else sendJson(response, 200, view(ec))
      return true
    }
    case "createEdgeConnect": {
      if (!isRecord(json) || typeof json["name"] !== "string" || json["name"] === "") {
        platformError(response, 400, "name is required")
        return true
      }
      const name = json["name"]
      if ([...platform.edgeConnects.values()].some((ec) => ec.name === name)) {
        platformError(response, 409, `EdgeConnect with name '${name}' already exists`)
        return true
      }
      const client = platform.addClient(["app-engine:edge-connects:connect", "oauth2:clients:manage"])
      const ec: StoredEdgeConnect = {
        id: randomUUID(),
        name,
        hostPatterns: strings(json["hostPatterns"]),
        hostMappings: mappings(json["hostMappings"]),
        managedByDynatraceOperator: json["managedByDynatraceOperator"] === true,
        oauthClientId: client.id
      }
      platform.edgeConnects.set(ec.id, ec)
      sendJson(response, 201, {
        ...view(ec),
        oauthClientSecret: client.secret,
        oauthClientResource: client.resource
      })
      return true
    }
    case "updateEdgeConnect": {
      const ec = platform.edgeConnects.get(id)
      if (ec === undefined) {
        platformError(response, 404, `EdgeConnect ${id} not found`)
        return true
      }
      if (!isRecord(json)) {
        platformError(response, 400, "body must be an object")
        return true
      }
      if (typeof json["name"] === "string") ec.name = json["name"]
      ec.hostPatterns = strings(json["hostPatterns"])
      ec.hostMappings = mappings(json["hostMappings"])
      if (typeof json["managedByDynatraceOperator"] === "boolean") {
        ec.managedByDynatraceOperator = json["managedByDynatraceOperator"]
      }
      sendJson(response, 200, view(ec))
      return true
    }
    case "deleteEdgeConnect": {
      const ec = platform.edgeConnects.get(id)
      if (ec === undefined) {
        platformError(response, 404, `EdgeConnect ${id} not found`)
        return true
      }
      platform.edgeConnects.delete(id)
      platform.clients.delete(ec.oauthClientId)
      sendEmpty(response, 204)
      return true
    }
    case "listSettings": {
      const schemaIds = (url.searchParams.get("schemaIds") ?? "").split(",").filter((s) => s !== "")
      const scopes = (url.searchParams.get("scopes") ?? "").split(",").filter((s) => s !== "")
      const items = [...platform.settings.values()].filter(
        (item) =>
          (schemaIds.length === 0 || schemaIds.includes(item.schemaId)) &&
          (scopes.length === 0 || scopes.includes(item.scope))
      )
      sendJson(response, 200, { items, totalCount: items.length, pageSize: 100 })
      return true
    }
    case "createSettings": {
      const objects = Array.isArray(json) ? json : [json]
      const results: Array<unknown> = []
      for (const object of objects) {
        if (!isRecord(object) || typeof object["schemaId"] !== "string" || !isRecord(object["value"])) {
          platformError(response, 400, "each object needs schemaId and value")
          return true
        }
        const stored: StoredPlatformSetting = {
          objectId: `vu9U3hXa3q0AAAAB${randomBytes(16).toString("base64url")}`,
          schemaId: object["schemaId"],
          scope: typeof object["scope"] === "string" ? object["scope"] : "environment",
          value: object["value"]
        }
        platform.settings.set(stored.objectId, stored)
        results.push({ code: 200, objectId: stored.objectId })
      }
      sendJson(response, 200, results)
      return true
    }
    case "updateSettings": {
      const stored = platform.settings.get(id)
      if (stored === undefined) platformError(response, 404, `Settings object ${id} not found`)
      else if (!isRecord(json) || !isRecord(json["value"])) platformError(response, 400, "value is required")
      else {
        stored.value = json["value"]
        sendJson(response, 200, { code: 200, objectId: id })
      }
      return true
    }
    case "deleteSettings": {
      if (!platform.settings.delete(id)) platformError(response, 404, `Settings object ${id} not found`)
      else sendEmpty(response, 204)
      return true
    }
  }
}
