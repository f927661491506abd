/**
 * The tenant endpoints the operator uses (spec §6.2 #1–#19), answered from a `Tenant` with realistic payloads.
 *
 * Each route names the scopes a token needs (any one of them, as the tenant's "Use one of: …" says); the server
 * checks tokens and scopes before calling the handler. Paths are relative to the API base (`/api`).
 *
 * @since 0.1.0
 */
import type { IncomingMessage } from "node:http"
import { type CodeModuleSpec, selectedTechnologies } from "./CodeModuleZip.ts"
import type { Endpoint } from "./Faults.ts"
import { randomBase32, Tenant } from "./Tenant.ts"

/** What a handler answers. */
export type Reply =
  | {
      readonly kind: "json"
      readonly status: number
      readonly body: unknown
      readonly headers?: Record<string, string>
    }
  | {
      readonly kind: "bytes"
      readonly status: number
      readonly body: Uint8Array
      readonly contentType: string
      readonly headers?: Record<string, string>
    }
  | { readonly kind: "empty"; readonly status: number; readonly headers?: Record<string, string> }
  | { readonly kind: "zip"; readonly spec: CodeModuleSpec }

/** What a handler gets. */
export interface RouteContext {
  readonly request: IncomingMessage
  readonly url: URL
  readonly params: Readonly<Record<string, string>>
  readonly tenant: Tenant
  /** The request body parsed as JSON (`undefined` when absent or not JSON). */
  readonly json: () => Promise<unknown>
}

/** One endpoint. */
export interface Route {
  readonly endpoint: Endpoint
  readonly method: "GET" | "POST" | "DELETE"
  readonly pattern: RegExp
  /** The token needs one of these (empty = any valid token). */
  readonly scopes: ReadonlyArray<string>
  readonly handle: (context: RouteContext) => Reply | Promise<Reply>
}

/** The tenant's error body. */
export const tenantError = (status: number, message: string, headers?: Record<string, string>): Reply => ({
  kind: "json",
  status,
  body: { error: { code: status, message } },
  ...(headers === undefined ? {} : { headers })
})

const ok = (body: unknown, status = 200): Reply => ({ kind: "json", status, body })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const KNOWN_FLAVORS = new Set(["default", "multidistro", "musl"])
const KNOWN_ARCHES = new Set(["x86", "arm", "ppcle", "s390", "all"])

const checkInstallerQuery = (context: RouteContext): Reply | undefined => {
  const flavor = context.url.searchParams.get("flavor")
  const arch = context.url.searchParams.get("arch")
  if (flavor !== null && !KNOWN_FLAVORS.has(flavor)) return tenantError(400, `Invalid flavor '${flavor}'`)
  if (arch !== null && !KNOWN_ARCHES.has(arch)) return tenantError(400, `Invalid arch '${arch}'`)
  const os = context.params["os"]
  if (os !== undefined && os !== "unix" && os !== "windows" && os !== "aix" && os !== "solaris") {
    return tenantError(400, `Invalid OS type '${os}'`)
  }
  const type = context.params["type"]
  if (type !== undefined && type !== "default" && type !== "paas" && type !== "paas-sh") {
    return tenantError(400, `Invalid installer type '${type}'`)
  }
  return undefined
}

const matchesFilter = (object: { value: unknown }, filter: string | null): boolean => {
  if (filter === null || filter === "") return true
  const match = /^value\.([\w.]+)\s*=\s*'((?:[^']|'')*)'$/.exec(filter.trim())
  if (match === null || match[1] === undefined || match[2] === undefined) return false
  let current: unknown = object.value
  for (const key of match[1].split(".")) current = isRecord(current) ? current[key] : undefined
  return String(current) === match[2].replaceAll("''", "'")
}

const project = (object: Record<string, unknown>, fields: string | null): Record<string, unknown> => {
  if (fields === null || fields === "") return object
  const wanted = new Set(fields.split(",").map((field) => field.trim()))
  return Object.fromEntries(Object.entries(object).filter(([key]) => wanted.has(key)))
}

const list = (param: string | null): ReadonlyArray<string> =>
  param === null
    ? []
    : param
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "")

const zipReply = (context: RouteContext, version: string): Reply => {
  const tenant = context.tenant
  const known = new Set([
    ...tenant.config.availableVersions,
    tenant.config.latestAgentVersion,
    tenant.config.latestCodeModuleVersion
  ])
  if (!known.has(version)) return tenantError(404, `Requested agent version ${version} not found`)
  const include = context.url.searchParams.getAll("include")
  const unknown = include.filter((tech) => tech !== "all" && selectedTechnologies([tech]).length === 0)
  if (unknown.length > 0) return tenantError(400, `Invalid technology '${unknown[0]}'`)
  return { kind: "zip", spec: { version, fillerBytes: tenant.config.codeModuleFillerBytes, include } }
}

/** Every route, most specific first. */
export const routes: ReadonlyArray<Route> = [
  {
    endpoint: "tokenLookup",
    method: "POST",
    pattern: /^\/v2\/apiTokens\/lookup$/,
    scopes: [],
    handle: async (context) => {
      const body = await context.json()
      if (!isRecord(body) || typeof body["token"] !== "string") {
        return tenantError(400, "Constraints violated.")
      }
      const token = context.tenant.tokens.get(body["token"])
      if (token === undefined) return tenantError(404, "Token not found.")
      return ok({
        id: token.value.split(".").slice(0, 2).join("."),
        name: token.name,
        enabled: token.enabled,
        owner: "operator@example.com",
        creationDate: token.created,
        scopes: token.scopes
      })
    }
  },
  {
    endpoint: "agentConnectionInfo",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/agent\/connectioninfo$/,
    scopes: ["InstallerDownload"],
    handle: (context) => {
      const { config } = context.tenant
      const zone = context.url.searchParams.get("networkZone")
      const fallback = context.url.searchParams.get("defaultZoneFallback") === "true"
      let endpoints = config.communicationEndpoints
      if (zone !== null && zone !== "") {
        const zoned = config.networkZones[zone]
        if (zoned !== undefined) endpoints = zoned
        else if (!fallback) return tenantError(400, `Network zone '${zone}' does not exist`)
      }
      return ok({
        tenantUUID: config.tenantUUID,
        tenantToken: context.tenant.tenantToken,
        communicationEndpoints: endpoints,
        formattedCommunicationEndpoints: endpoints.join(";")
      })
    }
  },
  {
    endpoint: "gatewayConnectionInfo",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/gateway\/connectioninfo$/,
    scopes: ["InstallerDownload"],
    handle: (context) =>
      ok({
        tenantUUID: context.tenant.config.tenantUUID,
        tenantToken: context.tenant.tenantToken,
        communicationEndpoints: context.tenant.config.communicationEndpoints.join(";")
      })
  },
  {
    endpoint: "agentLatestMetainfo",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/agent\/(?<os>[^/]+)\/(?<type>[^/]+)\/latest\/metainfo$/,
    scopes: ["InstallerDownload"],
    handle: (context) =>
      checkInstallerQuery(context) ??
      ok({
        latestAgentVersion:
          context.params["type"] === "default"
            ? context.tenant.config.latestAgentVersion
            : context.tenant.config.latestCodeModuleVersion
      })
  },
  {
    endpoint: "gatewayLatestMetainfo",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/gateway\/(?<os>[^/]+)\/latest\/metainfo$/,
    scopes: ["InstallerDownload"],
    handle: (context) =>
      checkInstallerQuery(context) ?? ok({ latestGatewayVersion: context.tenant.config.latestGatewayVersion })
  },
  {
    endpoint: "agentVersions",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/agent\/versions\/(?<os>[^/]+)\/(?<type>[^/]+)$/,
    scopes: ["InstallerDownload"],
    handle: (context) =>
      checkInstallerQuery(context) ?? ok({ availableVersions: context.tenant.config.availableVersions })
  },
  {
    endpoint: "agentDownloadLatest",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/agent\/(?<os>[^/]+)\/(?<type>[^/]+)\/latest$/,
    scopes: ["InstallerDownload"],
    handle: (context) =>
      checkInstallerQuery(context) ??
      zipReply(
        context,
        context.params["type"] === "default"
          ? context.tenant.config.latestAgentVersion
          : context.tenant.config.latestCodeModuleVersion
      )
  },
  {
    endpoint: "agentDownload",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/agent\/(?<os>[^/]+)\/(?<type>[^/]+)\/version\/(?<version>[^/]+)$/,
    scopes: ["InstallerDownload"],
    handle: (context) =>
      checkInstallerQuery(context) ?? zipReply(context, decodeURIComponent(context.params["version"] ?? ""))
  },
  {
    endpoint: "processModuleConfig",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/agent\/processmoduleconfig$/,
    scopes: ["InstallerDownload"],
    handle: (context) => {
      const { config } = context.tenant
      const hostGroup = context.url.searchParams.get("hostgroup")
      const properties = [
        { section: "general", key: "tenant", value: config.tenantUUID },
        { section: "general", key: "serverAddress", value: `{${config.communicationEndpoints.join(";")}}` },
        { section: "general", key: "storage", value: "/var/lib/dynatrace/oneagent" },
        { section: "agentType", key: "java", value: "on" },
        { section: "agentType", key: "nodejs", value: "on" },
        { section: "agentType", key: "php", value: "off" },
        ...(hostGroup === null || hostGroup === "" ? [] : [{ section: "general", key: "hostGroup", value: hostGroup }])
      ]
      return ok({ revision: config.processModuleRevision, properties })
    }
  },
  {
    endpoint: "processGroupingConfig",
    method: "GET",
    pattern: /^\/v1\/deployment\/installer\/agent\/processgroupingconfig$/,
    scopes: [],
    handle: (context) => {
      const clusterId = context.url.searchParams.get("kubernetesClusterId")
      if (clusterId === null || clusterId === "") return tenantError(400, "kubernetesClusterId must not be empty")
      const body = context.tenant.config.processGroupingConfig
      const etag = context.tenant.processGroupingEtag()
      if (body === undefined || etag === undefined) return tenantError(404, "Process grouping config not available")
      if (context.request.headers["if-none-match"] === etag) return { kind: "empty", status: 304, headers: { etag } }
      return { kind: "bytes", status: 200, body, contentType: "application/cbor", headers: { etag } }
    }
  },
  {
    endpoint: "activeGateTokens",
    method: "POST",
    pattern: /^\/v2\/activeGateTokens$/,
    scopes: ["activeGateTokenManagement.create"],
    handle: async (context) => {
      const body = await context.json()
      const violations: Array<{ path: string; message: string }> = []
      if (!isRecord(body)) return tenantError(400, "Constraints violated.")
      if (typeof body["name"] !== "string" || body["name"] === "")
        violations.push({ path: "name", message: "must not be empty" })
      if (body["activeGateType"] !== "ENVIRONMENT" && body["activeGateType"] !== "CLUSTER") {
        violations.push({ path: "activeGateType", message: "must be ENVIRONMENT or CLUSTER" })
      }
      const expiration = body["expirationDate"]
      if (expiration !== undefined && (typeof expiration !== "string" || Number.isNaN(Date.parse(expiration)))) {
        violations.push({ path: "expirationDate", message: "must be an RFC 3339 date" })
      }
      if (body["seedToken"] !== undefined && typeof body["seedToken"] !== "boolean") {
        violations.push({ path: "seedToken", message: "must be a boolean" })
      }
      if (violations.length > 0) {
        return {
          kind: "json",
          status: 400,
          body: { error: { code: 400, message: "Constraints violated.", constraintViolations: violations } }
        }
      }
      const id = `dt0g02.${randomBase32(8)}`
      const token = `${id}.${randomBase32(64)}`
      const expirationDate =
        typeof expiration === "string" ? expiration : new Date(Date.now() + 60 * 86_400_000).toISOString()
      context.tenant.activeGateTokens.push({ id, name: String(body["name"]), expirationDate })
      return ok({ id, token, expirationDate }, 201)
    }
  },
  {
    endpoint: "containerImages",
    method: "GET",
    pattern: /^\/v2\/fleetManagement\/components\/containerImages$/,
    scopes: [],
    handle: (context) => {
      const { config } = context.tenant
      const registry = (context.url.searchParams.get("registry") ?? config.publicRegistry).replace(/\/+$/, "")
      const image = (name: string, tag: string) => `${registry}/${name}:${tag}`
      return ok({
        components: [
          { type: "oneagent", imageUri: image("dynatrace-oneagent", config.latestAgentVersion) },
          { type: "codemodules", imageUri: image("dynatrace-codemodules", config.latestCodeModuleVersion) },
          { type: "activegate", imageUri: image("dynatrace-activegate", config.latestGatewayVersion) },
          { type: "eec", imageUri: image("dynatrace-eec", "1.311.0.20250317-100000") },
          { type: "logmodule", imageUri: image("dynatrace-logmodule", "1.311.54.20250317-111439") },
          { type: "sql-extension-executor", imageUri: image("dynatrace-sql-extension-executor", "1.311.0") }
        ]
      })
    }
  },
  {
    endpoint: "hosts",
    method: "GET",
    pattern: /^\/v1\/entity\/infrastructure\/hosts$/,
    scopes: ["DataExport"],
    handle: (context) =>
      ok(
        context.tenant.config.hosts.map((host) => ({
          entityId: host.entityId,
          displayName: host.displayName,
          networkZoneId: host.networkZoneId,
          ipAddresses: host.ipAddresses,
          lastSeenTimestamp: Date.now()
        }))
      )
  },
  {
    endpoint: "events",
    method: "POST",
    pattern: /^\/v1\/events$/,
    scopes: ["DataExport"],
    handle: async (context) => {
      const body = await context.json()
      if (
        !isRecord(body) ||
        typeof body["eventType"] !== "string" ||
        !isRecord(body["attachRules"]) ||
        !Array.isArray(body["attachRules"]["entityIds"]) ||
        (body["start"] !== undefined && typeof body["start"] !== "number") ||
        (body["end"] !== undefined && typeof body["end"] !== "number")
      ) {
        return tenantError(400, "Constraints violated.")
      }
      context.tenant.events.push(body)
      const id = `${Date.now()}_${randomBase32(6)}`
      return ok({ storedEventIds: [id], storedIds: [id], storedCorrelationIds: [] })
    }
  },
  {
    endpoint: "settingsObjects",
    method: "GET",
    pattern: /^\/v2\/settings\/objects$/,
    scopes: ["settings.read"],
    handle: (context) => {
      const params = context.url.searchParams
      const schemaIds = list(params.get("schemaIds"))
      const scopes = list(params.get("scopes"))
      const items = [...context.tenant.settings.values()]
        .filter((object) => schemaIds.length === 0 || schemaIds.includes(object.schemaId))
        .filter((object) => scopes.length === 0 || scopes.includes(object.scope))
        .filter((object) => matchesFilter(object, params.get("filter")))
      const pageSize = Number(params.get("pageSize") ?? "100")
      return ok({
        items: items.slice(0, Number.isFinite(pageSize) && pageSize > 0 ? pageSize : 100).map((object) =>
          project(
            {
              objectId: object.objectId,
              schemaId: object.schemaId,
              schemaVersion: object.schemaVersion,
              scope: object.scope,
              value: object.value
            },
            params.get("fields")
          )
        ),
        totalCount: items.length,
        pageSize
      })
    }
  },
  {
    endpoint: "settingsCreate",
    method: "POST",
    pattern: /^\/v2\/settings\/objects$/,
    scopes: ["settings.write"],
    handle: async (context) => {
      const body = await context.json()
      if (!Array.isArray(body) || body.length === 0) return tenantError(400, "Constraints violated.")
      const results: Array<{ code: number; objectId?: string; error?: { code: number; message: string } }> = []
      const created: Array<{
        objectId: string
        schemaId: string
        schemaVersion: string
        scope: string
        value: unknown
      }> = []
      for (const item of body as ReadonlyArray<unknown>) {
        if (!isRecord(item) || typeof item["schemaId"] !== "string" || !isRecord(item["value"])) {
          results.push({ code: 400, error: { code: 400, message: "Constraints violated." } })
          continue
        }
        const schemaId = item["schemaId"]
        const schemaVersion = typeof item["schemaVersion"] === "string" ? item["schemaVersion"] : ""
        if (
          schemaId === "builtin:cloud.kubernetes" &&
          schemaVersion !== "" &&
          !context.tenant.config.kubernetesSchemaVersions.includes(schemaVersion)
        ) {
          results.push({
            code: 404,
            error: { code: 404, message: `Schema version ${schemaVersion} of ${schemaId} not found` }
          })
          continue
        }
        const scope =
          typeof item["scope"] === "string" && item["scope"] !== ""
            ? item["scope"]
            : schemaId === "builtin:cloud.kubernetes"
              ? Tenant.newClusterMeid()
              : "environment"
        const objectId = Tenant.newObjectId()
        created.push({ objectId, schemaId, schemaVersion, scope, value: item["value"] })
        results.push({ code: 200, objectId })
      }
      const failed = results.find((result) => result.code !== 200)
      if (failed !== undefined) return { kind: "json", status: failed.code, body: results }
      for (const object of created) context.tenant.settings.set(object.objectId, object)
      return ok(results)
    }
  },
  {
    endpoint: "settingsDelete",
    method: "DELETE",
    pattern: /^\/v2\/settings\/objects\/(?<objectId>[^/]+)$/,
    scopes: ["settings.write"],
    handle: (context) => {
      const objectId = decodeURIComponent(context.params["objectId"] ?? "")
      if (!context.tenant.settings.delete(objectId)) return tenantError(404, `Settings object ${objectId} not found`)
      return { kind: "empty", status: 204 }
    }
  },
  {
    endpoint: "effectiveValues",
    method: "GET",
    pattern: /^\/v2\/settings\/effectiveValues$/,
    scopes: ["settings.read"],
    handle: (context) => {
      const schemaIds = list(context.url.searchParams.get("schemaIds"))
      const rules = context.tenant.config.enrichmentRules
      if (schemaIds.includes("builtin:kubernetes.generic.metadata.enrichment")) {
        return ok({ items: [{ value: { rules } }], totalCount: 1 })
      }
      if (schemaIds.includes("builtin:ingest.enrichment.config")) {
        const items = rules.map((rule) => ({
          value: { type: rule.type, valueSource: rule.source, target: rule.target }
        }))
        return ok({ items, totalCount: items.length })
      }
      return tenantError(404, `Schema ${schemaIds.join(",")} not found`)
    }
  }
]
