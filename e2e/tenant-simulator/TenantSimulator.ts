/**
 * A simulated Dynatrace tenant: an HTTP(S) server on 127.0.0.1 that answers the endpoints of spec §6.2 the way a
 * tenant does, for tests and the local demo.
 *
 * - Tokens are checked like a tenant checks them: `Authorization: Api-Token <token>` (platform tokens `dt0s16…` also
 *   as `Bearer`); no header, an unknown or disabled token ⇒ 401; a token without a scope the endpoint needs ⇒ 403
 *   `Token is missing required scope. Use one of: …`; both with the tenant's body `{"error":{"code","message"}}`.
 * - It records what it receives (requests per endpoint, events, settings objects, ActiveGate tokens) and counts hits.
 * - Faults (see `Faults.ts`) are injected per endpoint, from code or over HTTP under `/__admin`.
 * - Code-module zips are generated on the fly (`CodeModuleZip.ts`), small by default, any size on request.
 *
 * In tests: `const tenant = await startTenantSimulator()` … `await tenant.close()`. Standalone: `npm run tenant-sim`.
 *
 * @since 0.1.0
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { createServer as createHttpsServer } from "node:https"
import type { AddressInfo, Socket } from "node:net"
import { Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import { setTimeout as sleep } from "node:timers/promises"
import * as CodeModuleZip from "./CodeModuleZip.ts"
import { handlePlatformRequest, isPlatformPath, PlatformTenant } from "./EdgeConnectRoutes.ts"
import { type Endpoint, type Fault, FaultBook, isEndpoint } from "./Faults.ts"
import { type Reply, type Route, routes, tenantError } from "./Routes.ts"
import {
  AllOperatorScopes,
  defaultConfig,
  IngestScopes,
  makeToken,
  type StoredSettingsObject,
  Tenant,
  type TenantConfig
} from "./Tenant.ts"

/** How to start a simulator. */
export interface TenantSimulatorOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Default 0 (a free port). */
  readonly port?: number
  /** Serve HTTPS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string; readonly key: string }
  /** API base path, default `/api` (Managed style: `/e/<env>/api`). */
  readonly basePath?: string
  /** Overrides of the tenant's facts (tenant UUID, versions, endpoints, code-module size, …). */
  readonly config?: Partial<TenantConfig>
  /** Scopes of the default API token (default: every scope the operator uses). */
  readonly apiTokenScopes?: ReadonlyArray<string>
  /** Scopes of the default PaaS token (default: `InstallerDownload`). */
  readonly paasTokenScopes?: ReadonlyArray<string>
}

/** One request as the simulator saw it. */
export interface RecordedRequest {
  readonly endpoint: Endpoint
  readonly method: string
  readonly path: string
  readonly query: ReadonlyArray<readonly [string, string]>
  readonly headers: Readonly<Record<string, string | undefined>>
  /** The request body as text (JSON requests only). */
  body?: string
}

/** A running simulator and its admin helpers. */
export interface TenantSimulator {
  /** API base URL, e.g. `http://127.0.0.1:41234/api` (what goes into `spec.apiUrl`). */
  readonly url: string
  /** `http(s)://127.0.0.1:<port>`; the admin API lives under `<origin>/__admin`. */
  readonly origin: string
  /** An API token with `apiTokenScopes`. */
  readonly apiToken: string
  /** A PaaS token with `paasTokenScopes`. */
  readonly paasToken: string
  /** A data-ingest token with the ingest scopes. */
  readonly dataIngestToken: string
  /** A platform token (`dt0s16…`) with every operator scope. */
  readonly platformToken: string
  /** The tenant's data (mutable: tests may change config, hosts, rules, …). */
  readonly tenant: Tenant
  /** The platform side: SSO token endpoint and EdgeConnect / settings API (see EdgeConnectRoutes.ts). */
  readonly platform: PlatformTenant
  /** Registers a new token with `scopes`; returns its value. */
  addToken(scopes: ReadonlyArray<string>, prefix?: string): string
  /** Replaces the scopes of a known token. */
  setScopes(token: string, scopes: ReadonlyArray<string>): void
  /** Queues a fault for an endpoint (for `times` requests; default until cleared). */
  inject(endpoint: Endpoint, fault: Fault, times?: number): void
  /** Removes queued faults (of one endpoint, or all). */
  clearFaults(endpoint?: Endpoint): void
  /** Requests per endpoint since start or the last `resetHits`. */
  hits(): Readonly<Partial<Record<Endpoint, number>>>
  /** Requests of one endpoint. */
  hitsOf(endpoint: Endpoint): number
  /** Sets the counters (and the recorded requests) back to zero. */
  resetHits(): void
  /** Recorded requests (of one endpoint, or all), oldest first. */
  requests(endpoint?: Endpoint): ReadonlyArray<RecordedRequest>
  /** Events received by `POST /v1/events`. */
  events(): ReadonlyArray<unknown>
  /** Settings objects currently stored. */
  settings(): ReadonlyArray<StoredSettingsObject>
  /** Changes tenant facts. */
  configure(config: Partial<TenantConfig>): void
  /** Exact size and SHA-256 of the zip the tenant serves for `version` (default: latest code module). */
  codeModuleDigest(version?: string, include?: ReadonlyArray<string>): Promise<{ size: number; sha256: string }>
  /** Stops the server (open connections are closed). */
  close(): Promise<void>
}

const MAX_REQUEST_BODY = 1024 * 1024

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > MAX_REQUEST_BODY) throw new Error("request body too large")
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

const send = (
  response: ServerResponse,
  status: number,
  contentType: string | undefined,
  body: Buffer,
  headers: Record<string, string> = {}
) => {
  response.writeHead(status, {
    ...(contentType === undefined ? {} : { "content-type": contentType }),
    "content-length": String(body.length),
    ...headers
  })
  response.end(body)
}

/** Sends `body` but announces its full length and stops after `cut` bytes, then drops the connection. */
const sendTruncated = (
  response: ServerResponse,
  status: number,
  contentType: string,
  body: Buffer,
  cut: number,
  headers: Record<string, string> = {}
) => {
  response.writeHead(status, { "content-type": contentType, "content-length": String(body.length), ...headers })
  response.flushHeaders()
  response.write(body.subarray(0, Math.max(0, Math.min(cut, body.length - 1))), () => response.socket?.destroy())
}

const reasonPhrase = (status: number): string =>
  ({
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout"
  })[status] ?? `HTTP ${status}`

/** Writes a reply; with `cut`, only that many body bytes go out before the connection drops. */
const writeReply = async (response: ServerResponse, reply: Reply, cut: number | undefined): Promise<void> => {
  const headers = "headers" in reply && reply.headers !== undefined ? reply.headers : {}
  switch (reply.kind) {
    case "json": {
      const body = Buffer.from(JSON.stringify(reply.body))
      if (cut !== undefined) return sendTruncated(response, reply.status, "application/json", body, cut, headers)
      return send(response, reply.status, "application/json; charset=utf-8", body, headers)
    }
    case "bytes": {
      const body = Buffer.from(reply.body)
      if (cut !== undefined) return sendTruncated(response, reply.status, reply.contentType, body, cut, headers)
      return send(response, reply.status, reply.contentType, body, headers)
    }
    case "empty":
      response.writeHead(reply.status, headers)
      response.end()
      return
    case "zip": {
      const zip = await CodeModuleZip.generate(reply.spec)
      response.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(zip.size),
        "content-disposition": `attachment; filename=OneAgent-Linux-${reply.spec.version}.zip`
      })
      const limit = cut ?? Number.POSITIVE_INFINITY
      let sent = 0
      const gate = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          if (sent + chunk.length >= limit) {
            const rest = Math.max(0, limit - sent)
            sent = limit
            this.push(chunk.subarray(0, rest))
            // Let the partial chunk go out, then drop the connection mid-body.
            setImmediate(() => response.socket?.destroy())
            return callback()
          }
          sent += chunk.length
          callback(null, chunk)
        }
      })
      await pipeline(zip.stream, gate, response).catch(() => undefined)
      return
    }
  }
}

/** Half the body length of a reply (the default truncation point). */
const halfOf = async (reply: Reply): Promise<number> => {
  switch (reply.kind) {
    case "json":
      return Math.floor(Buffer.byteLength(JSON.stringify(reply.body)) / 2)
    case "bytes":
      return Math.floor(reply.body.length / 2)
    case "empty":
      return 0
    case "zip":
      return Math.floor((await CodeModuleZip.digest(reply.spec)).size / 2)
  }
}

/** Applies a fault: `done` = answered (or dropped), `continue` = answer normally, `cut` = truncate the answer. */
const applyFault = async (
  fault: Fault,
  request: IncomingMessage,
  response: ServerResponse
): Promise<"done" | "continue" | { cut: number }> => {
  switch (fault.kind) {
    case "reset":
      request.socket.resetAndDestroy()
      return "done"
    case "latency":
      await sleep(fault.millis)
      return "continue"
    case "status": {
      const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter }
      await writeReply(
        response,
        tenantError(fault.status, fault.message ?? reasonPhrase(fault.status), headers),
        undefined
      )
      return "done"
    }
    case "malformed":
      send(response, 200, "application/json", Buffer.from('{"tenantUUID": "abc", "communicationEndpoints": ['))
      return "done"
    case "body":
      send(
        response,
        fault.status ?? 200,
        fault.contentType ?? "application/json",
        fault.base64 === true ? Buffer.from(fault.body, "base64") : Buffer.from(fault.body)
      )
      return "done"
    case "truncate":
      return { cut: fault.bytes ?? -1 }
  }
}

/**
 * Starts a simulator. Resolves when it listens.
 * @since 0.1.0
 */
export const startTenantSimulator = async (options: TenantSimulatorOptions = {}): Promise<TenantSimulator> => {
  const config = { ...defaultConfig(options.config?.tenantUUID), ...options.config }
  const tenant = new Tenant(config)
  const apiToken = tenant.addToken(options.apiTokenScopes ?? AllOperatorScopes, makeToken(), "operator API token")
  const paasToken = tenant.addToken(
    options.paasTokenScopes ?? ["InstallerDownload"],
    makeToken(),
    "operator PaaS token"
  )
  const dataIngestToken = tenant.addToken(IngestScopes, makeToken(), "operator data ingest token")
  const platformToken = tenant.addToken(AllOperatorScopes, makeToken("dt0s16"), "platform token")
  const faults = new FaultBook()
  const recorded: Array<RecordedRequest> = []
  const basePath = (options.basePath ?? "/api").replace(/\/+$/, "")
  const sockets = new Set<Socket>()

  const authenticate = (request: IncomingMessage, route: Route): Reply | undefined => {
    const header = request.headers.authorization
    if (header === undefined || header.trim() === "") return tenantError(401, "Missing authorization parameter.")
    const match = /^(Api-Token|Bearer)\s+(\S+)$/.exec(header.trim())
    const token = match?.[2] === undefined ? undefined : tenant.tokens.get(match[2])
    if (match === null || token === undefined || !token.enabled) return tenantError(401, "Token Authentication failed")
    if (match[1] === "Bearer" && !token.value.startsWith("dt0s16"))
      return tenantError(401, "Token Authentication failed")
    if (route.scopes.length > 0 && !route.scopes.some((scope) => token.scopes.includes(scope))) {
      return tenantError(403, `Token is missing required scope. Use one of: ${route.scopes.join(", ")}`)
    }
    return undefined
  }

  const handleApi = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const relative = url.pathname.slice(basePath.length)
    const candidates = routes.filter((route) => route.pattern.test(relative))
    const route = candidates.find((candidate) => candidate.method === request.method)
    if (route === undefined) {
      const reply = candidates.length > 0 ? tenantError(405, "Method not allowed") : tenantError(404, "Not found")
      return writeReply(response, reply, undefined)
    }
    const body = request.method === "GET" || request.method === "DELETE" ? Buffer.alloc(0) : await readBody(request)
    const record: RecordedRequest = {
      endpoint: route.endpoint,
      method: request.method ?? "",
      path: url.pathname,
      query: [...url.searchParams.entries()],
      headers: { ...request.headers } as Record<string, string | undefined>,
      ...(body.length > 0 ? { body: body.toString("utf8") } : {})
    }
    recorded.push(record)
    let cut: number | undefined
    const fault = faults.take(route.endpoint)
    if (fault !== undefined) {
      const outcome = await applyFault(fault, request, response)
      if (outcome === "done") return
      if (outcome !== "continue") cut = outcome.cut
    }
    const denied = authenticate(request, route)
    if (denied !== undefined) return writeReply(response, denied, undefined)
    const params = route.pattern.exec(relative)?.groups ?? {}
    const reply = await route.handle({
      request,
      url,
      params,
      tenant,
      json: async () => {
        try {
          return JSON.parse(body.toString("utf8")) as unknown
        } catch {
          return undefined
        }
      }
    })
    // A truncation without a byte count cuts the body in half.
    const effectiveCut = cut === -1 ? await halfOf(reply) : cut
    return writeReply(response, reply, effectiveCut)
  }

  const simulator: TenantSimulator = {
    url: "",
    origin: "",
    apiToken,
    paasToken,
    dataIngestToken,
    platformToken,
    tenant,
    platform: new PlatformTenant(config.tenantUUID),
    addToken: (scopes, prefix) => tenant.addToken(scopes, makeToken(prefix)),
    setScopes: (token, scopes) => {
      const known = tenant.tokens.get(token)
      if (known === undefined) throw new Error("unknown token")
      known.scopes = [...scopes]
    },
    inject: (endpoint, fault, times) => faults.inject(endpoint, fault, times),
    clearFaults: (endpoint) => faults.clear(endpoint),
    hits: () => faults.hits(),
    hitsOf: (endpoint) => faults.hitsOf(endpoint),
    resetHits: () => {
      faults.resetHits()
      recorded.length = 0
    },
    requests: (endpoint) => (endpoint === undefined ? [...recorded] : recorded.filter((r) => r.endpoint === endpoint)),
    events: () => [...tenant.events],
    settings: () => [...tenant.settings.values()],
    configure: (partial) => void Object.assign(tenant.config, partial),
    codeModuleDigest: (version, include) =>
      CodeModuleZip.digest({
        version: version ?? tenant.config.latestCodeModuleVersion,
        fillerBytes: tenant.config.codeModuleFillerBytes,
        include
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }

  const handleAdmin = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const json = (status: number, body: unknown) =>
      send(response, status, "application/json", Buffer.from(JSON.stringify(body)))
    const path = url.pathname.slice("/__admin".length)
    const input = async (): Promise<Record<string, unknown>> => {
      const text = (await readBody(request)).toString("utf8")
      const parsed: unknown = text === "" ? {} : JSON.parse(text)
      return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {}
    }
    const key = `${request.method} ${path}`
    switch (key) {
      case "GET /hits":
        return json(200, simulator.hits())
      case "DELETE /hits":
        simulator.resetHits()
        return json(200, {})
      case "POST /faults": {
        const body = await input()
        if (!isEndpoint(body["endpoint"])) return json(400, { error: "unknown endpoint" })
        simulator.inject(
          body["endpoint"],
          body["fault"] as Fault,
          typeof body["times"] === "number" ? body["times"] : undefined
        )
        return json(200, {})
      }
      case "DELETE /faults": {
        const endpoint = url.searchParams.get("endpoint")
        simulator.clearFaults(isEndpoint(endpoint) ? endpoint : undefined)
        return json(200, {})
      }
      case "GET /requests": {
        const endpoint = url.searchParams.get("endpoint")
        return json(200, simulator.requests(isEndpoint(endpoint) ? endpoint : undefined))
      }
      case "GET /events":
        return json(200, simulator.events())
      case "GET /settings":
        return json(200, simulator.settings())
      case "POST /tokens": {
        const body = await input()
        const scopes = Array.isArray(body["scopes"])
          ? body["scopes"].filter((s): s is string => typeof s === "string")
          : []
        return json(200, {
          token: simulator.addToken(scopes, typeof body["prefix"] === "string" ? body["prefix"] : undefined)
        })
      }
      case "PUT /config": {
        const body = await input()
        const { processGroupingConfig, ...rest } = body
        simulator.configure(rest as Partial<TenantConfig>)
        if (processGroupingConfig === null) tenant.config.processGroupingConfig = undefined
        else if (typeof processGroupingConfig === "string")
          tenant.config.processGroupingConfig = Buffer.from(processGroupingConfig, "base64")
        return json(200, tenant.config)
      }
      case "GET /config":
        return json(200, tenant.config)
      case "GET /code-module":
        return json(
          200,
          await simulator.codeModuleDigest(
            url.searchParams.get("version") ?? undefined,
            url.searchParams.getAll("include")
          )
        )
      default:
        return json(404, { error: `no admin route ${key}` })
    }
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://simulator.invalid")
    const work = url.pathname.startsWith("/__admin/")
      ? handleAdmin(request, response, url)
      : isPlatformPath(url.pathname)
        ? handlePlatformRequest(simulator.platform, request, response, url)
        : url.pathname.startsWith(`${basePath}/`)
          ? handleApi(request, response, url)
          : writeReply(response, tenantError(404, "Not found"), undefined)
    work.catch((error: unknown) => {
      if (response.headersSent) response.socket?.destroy()
      else
        send(
          response,
          500,
          "application/json",
          Buffer.from(JSON.stringify({ error: { code: 500, message: String(error) } }))
        )
    })
  }

  const server: Server =
    options.tls === undefined ? createHttpServer(listener) : createHttpsServer(options.tls, listener)
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  // TLS handshakes a client refuses (unknown CA) would otherwise surface as unhandled errors.
  server.on("tlsClientError", () => undefined)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  const origin = `${options.tls === undefined ? "http" : "https"}://${host}:${address.port}`
  return Object.assign(simulator, { origin, url: `${origin}${basePath}` })
}
