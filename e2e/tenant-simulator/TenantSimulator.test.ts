/**
 * The simulator itself: tenant-like token and scope checks, the admin API over HTTP, faults, hit counters and the
 * code-module zip. (The client's contract tests live in src/services/DynatraceApi*.test.ts.)
 */
import { afterAll, assert, beforeAll, beforeEach, describe, it } from "vitest"
import { startTenantSimulator, type TenantSimulator } from "./TenantSimulator.ts"

let sim: TenantSimulator
beforeAll(async () => {
  sim = await startTenantSimulator({ basePath: "/e/env-1/api" })
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.clearFaults()
  sim.resetHits()
})

const get = (path: string, token?: string, scheme = "Api-Token") =>
  fetch(`${sim.url}${path}`, { headers: token === undefined ? {} : { authorization: `${scheme} ${token}` } })
const admin = (path: string, init?: RequestInit) =>
  fetch(`${sim.origin}/__admin${path}`, {
    ...init,
    headers: { "content-type": "application/json" }
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as unknown }))

const post = (path: string, body: unknown) =>
  fetch(`${sim.url}${path}`, {
    method: "POST",
    headers: { authorization: `Api-Token ${sim.apiToken}`, "content-type": "application/json" },
    body: JSON.stringify(body)
  })
const downloadLatest = () => get("/v1/deployment/installer/agent/unix/paas/latest?include=all", sim.paasToken)

const rejects = (promise: Promise<unknown>) =>
  promise.then(
    () => assert.fail("expected the request to fail"),
    () => undefined
  )

describe("tenant simulator", () => {
  it("serves under a Managed-style base path", () => {
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+\/e\/env-1\/api$/)
  })

  it("checks tokens like a tenant: 401 without or with an unknown token, 403 naming the scope", async () => {
    const missing = await get("/v1/entity/infrastructure/hosts")
    assert.strictEqual(missing.status, 401)
    assert.deepStrictEqual(await missing.json(), { error: { code: 401, message: "Missing authorization parameter." } })
    const unknown = await get("/v1/entity/infrastructure/hosts", "dt0c01.NOPE.NOPE")
    assert.strictEqual(unknown.status, 401)
    const denied = await get("/v1/entity/infrastructure/hosts", sim.paasToken)
    assert.strictEqual(denied.status, 403)
    assert.deepStrictEqual(await denied.json(), {
      error: { code: 403, message: "Token is missing required scope. Use one of: DataExport" }
    })
    assert.strictEqual((await get("/v1/entity/infrastructure/hosts", sim.apiToken)).status, 200)
    // Bearer only for platform tokens.
    assert.strictEqual((await get("/v1/entity/infrastructure/hosts", sim.apiToken, "Bearer")).status, 401)
    assert.strictEqual((await get("/v1/entity/infrastructure/hosts", sim.platformToken, "Bearer")).status, 200)
    assert.strictEqual((await get("/v1/nothing/here", sim.apiToken)).status, 404)
  })

  it("counts hits and records requests; the admin API shows them", async () => {
    await get("/v1/deployment/installer/gateway/connectioninfo", sim.paasToken)
    await get("/v1/deployment/installer/gateway/connectioninfo", sim.paasToken)
    assert.strictEqual(sim.hitsOf("gatewayConnectionInfo"), 2)
    assert.deepStrictEqual((await admin("/hits")).body, { gatewayConnectionInfo: 2 })
    const requests = (await admin("/requests?endpoint=gatewayConnectionInfo")).body as Array<{ path: string }>
    assert.deepStrictEqual(
      requests.map((r) => r.path),
      [
        "/e/env-1/api/v1/deployment/installer/gateway/connectioninfo",
        "/e/env-1/api/v1/deployment/installer/gateway/connectioninfo"
      ]
    )
    await admin("/hits", { method: "DELETE" })
    assert.deepStrictEqual(sim.hits(), {})
  })

  it("injects faults over HTTP, for a number of requests, before authentication", async () => {
    const bad = await admin("/faults", {
      method: "POST",
      body: JSON.stringify({ endpoint: "nope", fault: { kind: "reset" } })
    })
    assert.strictEqual(bad.status, 400)
    await admin("/faults", {
      method: "POST",
      body: JSON.stringify({ endpoint: "hosts", fault: { kind: "status", status: 429, retryAfter: "30" }, times: 1 })
    })
    const limited = await get("/v1/entity/infrastructure/hosts")
    assert.strictEqual(limited.status, 429)
    assert.strictEqual(limited.headers.get("retry-after"), "30")
    assert.deepStrictEqual(await limited.json(), { error: { code: 429, message: "Too Many Requests" } })
    assert.strictEqual((await get("/v1/entity/infrastructure/hosts", sim.apiToken)).status, 200)

    sim.inject("hosts", { kind: "reset" })
    await rejects(get("/v1/entity/infrastructure/hosts", sim.apiToken))
    await admin("/faults?endpoint=hosts", { method: "DELETE" })

    sim.inject("hosts", { kind: "truncate", bytes: 10 }, 1)
    const cut = await get("/v1/entity/infrastructure/hosts", sim.apiToken)
    assert.strictEqual(cut.status, 200)
    await rejects(cut.text())

    sim.inject("hosts", { kind: "malformed" }, 1)
    await rejects((await get("/v1/entity/infrastructure/hosts", sim.apiToken)).json())

    sim.inject("hosts", { kind: "latency", millis: 200 }, 1)
    const started = Date.now()
    assert.strictEqual((await get("/v1/entity/infrastructure/hosts", sim.apiToken)).status, 200)
    assert.isAtLeast(Date.now() - started, 190)
  })

  it("records events and settings, and exposes them over the admin API", async () => {
    const event = { eventType: "MARKED_FOR_TERMINATION", attachRules: { entityIds: ["HOST-1"] }, start: 1, end: 1 }
    assert.strictEqual((await post("/v1/events", event)).status, 200)
    assert.strictEqual((await post("/v1/events", { eventType: 1 })).status, 400)
    assert.deepInclude((await admin("/events")).body as Array<unknown>, event)

    const created = await post("/v2/settings/objects?validateOnly=false", [
      { schemaId: "builtin:cloud.kubernetes", schemaVersion: "3.0.0", value: { label: "c", clusterId: "u" } }
    ])
    const [result] = (await created.json()) as Array<{ code: number; objectId: string }>
    assert.strictEqual(result?.code, 200)
    const settings = (await admin("/settings")).body as Array<{ objectId: string; scope: string }>
    assert.match(settings.find((s) => s.objectId === result?.objectId)?.scope ?? "", /^KUBERNETES_CLUSTER-/)

    const refused = await post("/v2/settings/objects", [
      { schemaId: "builtin:cloud.kubernetes", schemaVersion: "9.9.9", value: {} }
    ])
    assert.strictEqual(refused.status, 404)
  })

  it("creates tokens and changes tenant facts over the admin API", async () => {
    const { body } = await admin("/tokens", {
      method: "POST",
      body: JSON.stringify({ scopes: ["DataExport"], prefix: "dt0s16" })
    })
    const token = (body as { token: string }).token
    assert.match(token, /^dt0s16\.[A-Z2-7]{24}\.[A-Z2-7]{64}$/)
    assert.strictEqual((await get("/v1/entity/infrastructure/hosts", token)).status, 200)
    await admin("/config", { method: "PUT", body: JSON.stringify({ latestGatewayVersion: "1.999.0.20300101-000000" }) })
    const version = await get("/v1/deployment/installer/gateway/unix/latest/metainfo", sim.paasToken)
    assert.deepStrictEqual(await version.json(), { latestGatewayVersion: "1.999.0.20300101-000000" })
  })

  it("serves the same zip bytes on every request, with Content-Length and the digest the admin API reports", async () => {
    const first = await downloadLatest()
    const bytes = Buffer.from(await first.arrayBuffer())
    assert.strictEqual(Number(first.headers.get("content-length")), bytes.length)
    assert.deepStrictEqual(Buffer.from(await (await downloadLatest()).arrayBuffer()), bytes)
    const { body } = await admin("/code-module")
    const { createHash } = await import("node:crypto")
    assert.deepStrictEqual(body, { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") })
    assert.strictEqual(bytes.subarray(0, 4).toString("binary"), "PK\u0003\u0004")
  })
})
