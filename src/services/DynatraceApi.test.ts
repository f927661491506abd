/**
 * Contract tests: every client call against the tenant simulator, checking what goes over the wire (paths, query,
 * headers, bodies, which token) and what comes back (decoded values and typed errors).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option, Redacted } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { clientFor } from "../../e2e/tenant-simulator/ClientForSimulator.ts"
import { startTenantSimulator, type TenantSimulator } from "../../e2e/tenant-simulator/TenantSimulator.ts"
import { markedForTermination } from "./dynatrace/Events.ts"
import { entityIdForIp } from "./dynatrace/HostEntities.ts"
import * as E from "./DynatraceApiError.ts"

let sim: TenantSimulator
beforeAll(async () => {
  sim = await startTenantSimulator({ config: { tenantUUID: "abc12345" } })
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.clearFaults()
  sim.resetHits()
})

const query = (endpoint: Parameters<TenantSimulator["requests"]>[0]) => {
  const last = sim.requests(endpoint).at(-1)
  assert.isDefined(last, `no request to ${endpoint}`)
  return last!
}
const authOf = (endpoint: Parameters<TenantSimulator["requests"]>[0]) => query(endpoint).headers["authorization"]
const reasonOf = <A>(effect: Effect.Effect<A, E.DynatraceApiError>) =>
  Effect.map(Effect.flip(effect), (error) => error.reason)

describe("DynatraceApi contract (tenant simulator)", () => {
  it.live("token scopes: looks up each token with the API token", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      assert.deepStrictEqual(yield* api.tokenScopes("apiToken"), [
        "DataExport",
        "InstallerDownload",
        "activeGateTokenManagement.create",
        "settings.read",
        "settings.write"
      ])
      assert.deepStrictEqual(yield* api.tokenScopes("paasToken"), ["InstallerDownload"])
      assert.deepStrictEqual(yield* api.tokenScopes("dataIngestToken"), [
        "metrics.ingest",
        "logs.ingest",
        "openTelemetryTrace.ingest"
      ])
      const lookups = sim.requests("tokenLookup")
      assert.deepStrictEqual(
        lookups.map((r) => JSON.parse(r.body ?? "{}").token),
        [sim.apiToken, sim.paasToken, sim.dataIngestToken]
      )
      for (const request of lookups) {
        assert.strictEqual(request.headers["authorization"], `Api-Token ${sim.apiToken}`)
        assert.strictEqual(request.headers["content-type"], "application/json")
        assert.strictEqual(request.headers["accept"], "application/json")
        assert.strictEqual(request.headers["user-agent"], "dynatrace-operator")
      }
    }).pipe(Effect.scoped)
  )

  it.live("token scopes: an unknown token is NotFound, a missing slot is InvalidConfig", () =>
    Effect.gen(function* () {
      const stranger = yield* clientFor(sim, { dataIngestToken: Redacted.make("dt0c01.UNKNOWN.UNKNOWN") })
      assert.strictEqual((yield* reasonOf(stranger.tokenScopes("dataIngestToken")))._tag, "NotFound")
      const none = yield* clientFor(sim, { dataIngestToken: undefined })
      assert.strictEqual((yield* reasonOf(none.tokenScopes("dataIngestToken")))._tag, "InvalidConfig")
    }).pipe(Effect.scoped)
  )

  it.live("OneAgent connection info: PaaS token, normalised endpoints, network zone with fallback", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const info = yield* api.oneAgentConnectionInfo
      assert.strictEqual(info.tenantUUID, "abc12345")
      assert.strictEqual(Redacted.value(info.tenantToken), sim.tenant.tenantToken)
      assert.strictEqual(info.endpoints, sim.tenant.config.communicationEndpoints.join(";"))
      assert.strictEqual(authOf("agentConnectionInfo"), `Api-Token ${sim.paasToken}`)
      assert.deepStrictEqual(query("agentConnectionInfo").query, [])

      const zoned = yield* clientFor(sim, { networkZone: "eu-west" })
      const zoneInfo = yield* zoned.oneAgentConnectionInfo
      assert.deepStrictEqual(zoneInfo.communicationEndpoints, sim.tenant.config.networkZones["eu-west"])
      assert.deepStrictEqual(query("agentConnectionInfo").query, [
        ["networkZone", "eu-west"],
        ["defaultZoneFallback", "true"]
      ])
      // An unknown zone falls back to the default endpoints (defaultZoneFallback=true).
      const unknownZone = yield* clientFor(sim, { networkZone: "nowhere" })
      assert.strictEqual((yield* unknownZone.oneAgentConnectionInfo).endpoints, info.endpoints)
    }).pipe(Effect.scoped)
  )

  it.live(
    "OneAgent connection info: a 400 for the network zone means 'no endpoints'; without a zone it is an error",
    () =>
      Effect.gen(function* () {
        sim.inject("agentConnectionInfo", { kind: "status", status: 400, message: "Network zone does not exist" }, 1)
        const zoned = yield* clientFor(sim, { networkZone: "gone" })
        const info = yield* zoned.oneAgentConnectionInfo
        assert.strictEqual(info.endpoints, "")
        assert.strictEqual(info.tenantUUID, "")
        sim.inject("agentConnectionInfo", { kind: "status", status: 400 }, 1)
        const plain = yield* clientFor(sim)
        const reason = yield* reasonOf(plain.oneAgentConnectionInfo)
        assert.isTrue(reason._tag === "UnexpectedStatus" && reason.status === 400)
      }).pipe(Effect.scoped)
  )

  it.live("ActiveGate connection info", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const info = yield* api.activeGateConnectionInfo
      assert.strictEqual(info.tenantUUID, "abc12345")
      assert.deepStrictEqual(info.communicationEndpoints, sim.tenant.config.communicationEndpoints)
      assert.strictEqual(authOf("gatewayConnectionInfo"), `Api-Token ${sim.paasToken}`)
    }).pipe(Effect.scoped)
  )

  it.live("latest versions and available versions", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      assert.strictEqual(yield* api.latestAgentVersion({ type: "default" }), sim.tenant.config.latestAgentVersion)
      assert.deepStrictEqual(query("agentLatestMetainfo").query, [
        ["bitness", "64"],
        ["flavor", "default"]
      ])
      assert.strictEqual(yield* api.latestAgentVersion({ type: "paas" }), sim.tenant.config.latestCodeModuleVersion)
      assert.strictEqual(
        query("agentLatestMetainfo").path,
        "/api/v1/deployment/installer/agent/unix/paas/latest/metainfo"
      )
      assert.strictEqual(yield* api.latestActiveGateVersion, sim.tenant.config.latestGatewayVersion)
      assert.deepStrictEqual(yield* api.availableAgentVersions({ type: "paas" }), sim.tenant.config.availableVersions)
      assert.deepStrictEqual(query("agentVersions").query, [
        ["flavor", "multidistro"],
        ["arch", "x86"]
      ])
      assert.strictEqual(authOf("agentVersions"), `Api-Token ${sim.paasToken}`)
      const reason = yield* reasonOf(api.latestAgentVersion({ type: "paas", flavor: "nonsense" }))
      assert.isTrue(reason._tag === "UnexpectedStatus" && reason.status === 400)
    }).pipe(Effect.scoped)
  )

  it.live("process-module config: PaaS token, sections and host group; an empty property list is refused", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const config = yield* api.processModuleConfig("group-a")
      assert.strictEqual(config.revision, sim.tenant.config.processModuleRevision)
      assert.deepInclude(config.properties, { section: "general", key: "hostGroup", value: "group-a" })
      assert.deepStrictEqual(query("processModuleConfig").query, [
        ["sections", "general,agentType"],
        ["hostgroup", "group-a"]
      ])
      sim.inject("processModuleConfig", { kind: "body", body: '{"revision":1,"properties":[]}' }, 1)
      const uncached = yield* clientFor(sim)
      const reason = yield* reasonOf(uncached.processModuleConfig())
      assert.strictEqual(reason._tag, "Decode")
      assert.include(reason.message, "no properties")
    }).pipe(Effect.scoped)
  )

  it.live("process-grouping config: CBOR with ETag, 304 when unchanged, NotFound when unavailable", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const first = yield* api.processGroupingConfig("KUBERNETES_CLUSTER-1")
      assert.strictEqual(first._tag, "Modified")
      if (first._tag !== "Modified") return
      assert.deepStrictEqual([...first.body], [...(sim.tenant.config.processGroupingConfig ?? [])])
      assert.strictEqual(first.etag, sim.tenant.processGroupingEtag())
      assert.strictEqual(query("processGroupingConfig").headers["accept"], "application/cbor")
      assert.strictEqual(authOf("processGroupingConfig"), `Api-Token ${sim.apiToken}`)

      const again = yield* api.processGroupingConfig("KUBERNETES_CLUSTER-1", first.etag)
      assert.deepStrictEqual(again, { _tag: "NotModified", etag: first.etag ?? "" })
      assert.strictEqual(query("processGroupingConfig").headers["if-none-match"], first.etag)

      const saved = sim.tenant.config.processGroupingConfig
      sim.configure({ processGroupingConfig: undefined })
      assert.strictEqual((yield* reasonOf(api.processGroupingConfig("KUBERNETES_CLUSTER-1")))._tag, "NotFound")
      sim.configure({ processGroupingConfig: saved })
    }).pipe(Effect.scoped)
  )

  it.live("ActiveGate token: the original's body, token redacted; the scope is required", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const before = Date.now()
      const created = yield* api.createActiveGateToken("dynakube")
      assert.match(created.id, /^dt0g02\.[A-Z2-7]{8}$/)
      assert.isTrue(Redacted.value(created.token).startsWith(`${created.id}.`))
      assert.strictEqual(String(created.token), "<redacted>")
      const body = JSON.parse(query("activeGateTokens").body ?? "{}")
      assert.strictEqual(body.name, "dynakube")
      assert.strictEqual(body.activeGateType, "ENVIRONMENT")
      assert.strictEqual(body.seedToken, false)
      assert.match(body.expirationDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
      const days = (Date.parse(body.expirationDate) - before) / 86_400_000
      assert.isTrue(days > 59.9 && days <= 60.01, `expiration ${days} days ahead`)

      const limited = sim.addToken(["InstallerDownload"])
      const weak = yield* clientFor(sim, { apiToken: Redacted.make(limited) })
      const reason = yield* reasonOf(weak.createActiveGateToken("dynakube"))
      assert.strictEqual(reason._tag, "MissingScopes")
      if (reason._tag === "MissingScopes") assert.deepStrictEqual(reason.scopes, ["activeGateTokenManagement.create"])
    }).pipe(Effect.scoped)
  )

  it.live("container images: tags parsed, registry override passed, foreign images refused", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const images = yield* api.containerImages()
      const oneagent = images.find((image) => image.type === "oneagent")
      assert.strictEqual(oneagent?.tag, sim.tenant.config.latestAgentVersion)
      assert.strictEqual(oneagent?.repository, "public.ecr.aws/dynatrace/dynatrace-oneagent")
      const mirrored = yield* api.containerImages("mirror.example.com/dt")
      assert.isTrue(mirrored.every((image) => image.imageUri.startsWith("mirror.example.com/dt/")))
      assert.deepStrictEqual(query("containerImages").query, [["registry", "mirror.example.com/dt"]])

      sim.inject(
        "containerImages",
        { kind: "body", body: JSON.stringify({ components: [{ type: "oneagent", imageUri: "evil.example/x:1" }] }) },
        1
      )
      const fresh = yield* clientFor(sim)
      const reason = yield* reasonOf(fresh.containerImages("mirror.example.com/dt"))
      assert.strictEqual(reason._tag, "Decode")
      assert.include(reason.message, "evil.example/x:1")
    }).pipe(Effect.scoped)
  )

  it.live("host entities and the MARKED_FOR_TERMINATION event (nodes controller)", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { requestThresholdMinutes: 0 })
      const hosts = yield* api.hostEntities
      assert.deepStrictEqual(query("hosts").query, [
        ["relativeTime", "30mins"],
        ["includeDetails", "false"],
        ["pageSize", "4000"]
      ])
      const entityId = entityIdForIp(hosts, "10.0.0.12", undefined)
      assert.strictEqual(entityId, "HOST-0A1B2C3D4E5F6072")
      const event = markedForTermination([entityId ?? ""], 1_700_000_000_000)
      const before = sim.events().length
      yield* api.sendEvent(event)
      assert.deepStrictEqual(sim.events().slice(before), [event])
      assert.strictEqual(authOf("events"), `Api-Token ${sim.apiToken}`)

      const noExport = yield* clientFor(sim, { apiToken: Redacted.make(sim.addToken(["settings.read"])) })
      assert.strictEqual((yield* reasonOf(noExport.hostEntities))._tag, "MissingScopes")
      assert.strictEqual((yield* reasonOf(noExport.sendEvent(event)))._tag, "MissingScopes")
    }).pipe(Effect.scoped)
  )

  it.live("Kubernetes settings: lookup, creation (with schema-version fallback), count and delete", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      const uid = `uid-${Date.now()}`
      assert.deepStrictEqual(yield* api.kubernetesClusterEntity(uid), Option.none())
      assert.deepInclude(query("settingsObjects").query, ["filter", `value.clusterId='${uid}'`])
      assert.deepInclude(query("settingsObjects").query, ["validateOnly", "true"])

      const objectId = yield* api.createKubernetesClusterSettings("prod-cluster", uid)
      assert.deepInclude(query("settingsCreate").query, ["validateOnly", "false"])
      const stored = sim.settings().find((object) => object.objectId === objectId)
      assert.strictEqual(stored?.schemaVersion, "3.0.0")
      assert.deepStrictEqual(stored?.value, {
        label: "prod-cluster",
        clusterId: uid,
        clusterIdEnabled: true,
        enabled: true
      })

      const entity = yield* api.kubernetesClusterEntity(uid)
      assert.isTrue(Option.isSome(entity))
      const meid = Option.getOrThrow(entity).meid
      assert.match(meid, /^KUBERNETES_CLUSTER-[0-9A-F]{16}$/)
      assert.strictEqual(Option.getOrThrow(entity).label, "prod-cluster")

      const logSettings = yield* api.createSettingsObject({
        schemaId: "builtin:logmonitoring.log-storage-settings",
        schemaVersion: "1.0.16",
        scope: meid,
        value: { "config-item-title": "prod-cluster", enabled: true, "send-to-storage": true, matchers: [] }
      })
      const counted = yield* api.settingsObjects("builtin:logmonitoring.log-storage-settings", meid)
      assert.strictEqual(counted.totalCount, 1)
      assert.strictEqual(counted.items[0]?.objectId, logSettings)

      yield* api.deleteSettingsObject(logSettings)
      assert.strictEqual((yield* api.settingsObjects("builtin:logmonitoring.log-storage-settings", meid)).totalCount, 0)
      assert.strictEqual((yield* reasonOf(api.deleteSettingsObject(logSettings)))._tag, "NotFound")

      // An older tenant only knows schema 1.0.27: the client retries with it after the 404.
      const saved = sim.tenant.config.kubernetesSchemaVersions
      sim.configure({ kubernetesSchemaVersions: ["1.0.27"] })
      const oldId = yield* api.createKubernetesClusterSettings("old", `${uid}-old`)
      sim.configure({ kubernetesSchemaVersions: saved })
      const old = sim.settings().find((object) => object.objectId === oldId)
      assert.strictEqual(old?.schemaVersion, "1.0.27")
      assert.propertyVal(old?.value as object, "cloudApplicationPipelineEnabled", true)

      const readOnly = yield* clientFor(sim, { apiToken: Redacted.make(sim.addToken(["settings.read"])) })
      const reason = yield* reasonOf(readOnly.createKubernetesClusterSettings("x", "y"))
      assert.isTrue(reason._tag === "MissingScopes" && reason.scopes.includes("settings.write"))
    }).pipe(Effect.scoped)
  )

  it.live("enrichment rules: current schema, and the fallback schema after a 404", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim)
      assert.deepStrictEqual(yield* api.enrichmentRules("environment"), sim.tenant.config.enrichmentRules)
      assert.deepInclude(query("effectiveValues").query, [
        "schemaIds",
        "builtin:kubernetes.generic.metadata.enrichment"
      ])
      assert.deepInclude(query("effectiveValues").query, ["scope", "environment"])
      sim.inject("effectiveValues", { kind: "status", status: 404 }, 1)
      assert.deepStrictEqual(yield* api.enrichmentRules("KUBERNETES_CLUSTER-1"), sim.tenant.config.enrichmentRules)
      assert.deepInclude(query("effectiveValues").query, ["schemaIds", "builtin:ingest.enrichment.config"])
    }).pipe(Effect.scoped)
  )

  it.live("platform tokens authenticate every call with Api-Token, also the PaaS-token calls", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { apiToken: Redacted.make(sim.platformToken) })
      yield* api.oneAgentConnectionInfo
      yield* api.hostEntities
      assert.strictEqual(authOf("agentConnectionInfo"), `Api-Token ${sim.platformToken}`)
      assert.strictEqual(authOf("hosts"), `Api-Token ${sim.platformToken}`)
    }).pipe(Effect.scoped)
  )

  it.live("wrong or disabled tokens are Unauthorized and not retried", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { apiToken: Redacted.make("dt0c01.NOPE.NOPE"), paasToken: undefined })
      const reason = yield* reasonOf(api.hostEntities)
      assert.strictEqual(reason._tag, "Unauthorized")
      assert.strictEqual(reason.message, "Token Authentication failed")
      assert.strictEqual(sim.hitsOf("hosts"), 1)
    }).pipe(Effect.scoped)
  )

  it.live("refuses unusable configuration with InvalidConfig, naming the field and not the value", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<[Partial<Parameters<typeof clientFor>[1]>, string]> = [
        [{ apiUrl: "not a url" }, "apiUrl"],
        [{ apiToken: Redacted.make("dt0c01.SECRET with space") }, "apiToken"],
        [{ proxy: Redacted.make("socks5://user:SECRET@proxy:1080") }, "proxy"],
        [{ trustedCAs: "-----BEGIN CERTIFICATE-----\nSECRETgarbage\n-----END CERTIFICATE-----\n" }, "trustedCAs"],
        [{ timeout: "SECRET o'clock" as Duration.Input }, "timeout"]
      ]
      for (const [overrides, field] of cases) {
        const error = yield* Effect.flip(clientFor(sim, overrides))
        assert.strictEqual(error.reason._tag, "InvalidConfig", field)
        assert.include(error.message, field)
        assert.notInclude(error.message, "SECRET")
      }
    }).pipe(Effect.scoped)
  )

  it.live("maps 3rd-gen apiUrls and reports the raw host", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { apiUrl: "https://abc12345.apps.dynatrace.com" })
      assert.strictEqual(api.apiUrl.base, "https://abc12345.live.dynatrace.com/api")
      assert.strictEqual(api.apiUrl.rawHost, "abc12345.apps.dynatrace.com")
    }).pipe(Effect.scoped)
  )

  it.live("uses the configured User-Agent", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(sim, { userAgent: "dynatrace-operator/1.2.3 provisioner" })
      yield* api.latestActiveGateVersion
      assert.strictEqual(query("gatewayLatestMetainfo").headers["user-agent"], "dynatrace-operator/1.2.3 provisioner")
    }).pipe(Effect.scoped)
  )
})
