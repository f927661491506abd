/**
 * The EdgeConnect tenant client against the tenant simulator's platform side, over HTTPS with a custom CA (as
 * `caCertsRef` provides it): OAuth client credentials, the EdgeConnect and settings calls, token reuse and renewal,
 * typed errors, and no secret in any error message.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { makeTestCertificates, type TestCertificates } from "../../../../e2e/tenant-simulator/TestCertificates.ts"
import { startTenantSimulator, type TenantSimulator } from "../../../../e2e/tenant-simulator/TenantSimulator.ts"
import * as EdgeConnectClient from "./EdgeConnectClient.ts"

let sim: TenantSimulator
let certs: TestCertificates
beforeAll(async () => {
  certs = await makeTestCertificates()
  sim = await startTenantSimulator({ tls: { cert: certs.certPem, key: certs.keyPem } })
})
afterAll(() => sim.close())

const scopes = EdgeConnectClient.provisionerScopes(true)

const clientFor = (
  credentials: { id: string; secret: string },
  overrides: Partial<EdgeConnectClient.EdgeConnectClientConfig> = {}
) =>
  EdgeConnectClient.make({
    apiServer: new URL(sim.origin).host,
    tokenUrl: `${sim.origin}/sso/oauth2/token`,
    clientId: credentials.id,
    clientSecret: Redacted.make(credentials.secret),
    resource: sim.platform.resource,
    scopes,
    trustedCAs: certs.caPem,
    ...overrides
  })

describe("EdgeConnectClient", () => {
  it.effect("creates, lists by name, reads, updates and deletes an EdgeConnect with one access token", () =>
    Effect.scoped(
      Effect.gen(function* () {
        sim.platform.resetHits()
        const provisioner = sim.platform.addClient(scopes)
        const client = yield* clientFor(provisioner)
        assert.deepStrictEqual(yield* client.listByName("ec-one"), [])
        const created = yield* client.create({
          name: "ec-one",
          hostPatterns: ["*.internal.example"],
          hostMappings: [{ from: "ec-one.ns.uid.kubernetes-automation", to: "kubernetes.default.svc.cluster.local" }]
        })
        assert.strictEqual(
          sim.platform.clients.get(created.oauthClientId)?.secret,
          Redacted.value(created.oauthClientSecret)
        )
        assert.strictEqual(created.oauthClientResource, sim.platform.resource)
        const listed = yield* client.listByName("ec-one")
        assert.deepStrictEqual(
          listed.map((ec) => [ec.id, ec.managedByDynatraceOperator]),
          [[created.id, true]]
        )
        yield* client.update(created.id, {
          name: "ec-one",
          hostPatterns: ["a.example", "b.example"],
          hostMappings: [],
          oauthClientId: created.oauthClientId
        })
        assert.deepStrictEqual((yield* client.get(created.id)).hostPatterns, ["a.example", "b.example"])
        const update = sim.platform.requests.find((r) => r.route === "updateEdgeConnect")
        assert.deepStrictEqual(JSON.parse(update?.body ?? "{}"), {
          name: "ec-one",
          hostPatterns: ["a.example", "b.example"],
          hostMappings: [],
          managedByDynatraceOperator: true,
          oauthClientId: created.oauthClientId
        })
        yield* client.remove(created.id)
        assert.isFalse(sim.platform.edgeConnects.has(created.id))
        assert.strictEqual(sim.platform.hitsOf("token"), 1, "the access token is reused")
        const notFound = yield* client.get(created.id).pipe(Effect.flip)
        assert.strictEqual(notFound.reason._tag, "NotFound")
      })
    )
  )

  it.effect("maintains Kubernetes connection settings", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const client = yield* clientFor(sim.platform.addClient(scopes))
        const value = {
          name: "ec",
          uid: "kube-system-uid",
          namespace: "dynatrace",
          token: Redacted.make("dt0e01.AAA.BBB")
        }
        const objectId = yield* client.createConnectionSetting(value)
        const stored = sim.platform.settings.get(objectId)
        assert.strictEqual(stored?.schemaId, EdgeConnectClient.connectionSchemaId)
        assert.strictEqual(stored?.scope, "environment")
        assert.deepStrictEqual(stored?.value, {
          name: "ec",
          uid: "kube-system-uid",
          namespace: "dynatrace",
          token: "dt0e01.AAA.BBB"
        })
        yield* client.updateConnectionSetting(objectId, { ...value, token: Redacted.make("dt0e01.CCC.DDD") })
        const listed = yield* client.connectionSettings
        const mine = listed.find((s) => s.objectId === objectId)
        assert.strictEqual(mine === undefined ? undefined : Redacted.value(mine.token), "dt0e01.CCC.DDD")
        yield* client.deleteConnectionSetting(objectId)
        assert.isFalse(sim.platform.settings.has(objectId))
      })
    )
  )

  it.effect(
    "a refused client, a missing scope, an unavailable tenant and a rejected token are typed errors without secrets",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const wrong = yield* clientFor({ id: "dt0s02.UNKNOWN", secret: "dt0s02.UNKNOWN.SECRETVALUE" })
          const refused = yield* wrong.listByName("x").pipe(Effect.flip)
          assert.strictEqual(refused.reason._tag, "Unauthorized")
          assert.notInclude(refused.message, "SECRETVALUE")

          const readOnly = sim.platform.addClient(["app-engine:edge-connects:read"])
          const limited = yield* clientFor(readOnly, { scopes: ["app-engine:edge-connects:read"] })
          const forbidden = yield* limited
            .create({ name: "nope", hostPatterns: [], hostMappings: [] })
            .pipe(Effect.flip)
          assert.strictEqual(forbidden.reason._tag, "MissingScopes")

          const good = yield* clientFor(sim.platform.addClient(scopes))
          sim.platform.failNext("listEdgeConnects", 503)
          const unavailable = yield* good.listByName("x").pipe(Effect.flip)
          assert.strictEqual(unavailable.reason._tag, "Unavailable")

          // The tenant forgets the token: 401, then the next call fetches a new one.
          const tokensBefore = sim.platform.hitsOf("token")
          sim.platform.tokens.clear()
          const rejected = yield* good.listByName("x").pipe(Effect.flip)
          assert.strictEqual(rejected.reason._tag, "Unauthorized")
          assert.deepStrictEqual(yield* good.listByName("x"), [])
          assert.strictEqual(sim.platform.hitsOf("token"), tokensBefore + 1)
        })
      )
  )

  it.effect("without the custom CA the TLS connection is refused; a bad apiServer is InvalidConfig", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const untrusting = yield* clientFor(sim.platform.addClient(scopes), { trustedCAs: undefined })
        const tls = yield* untrusting.listByName("x").pipe(Effect.flip)
        assert.strictEqual(tls.reason._tag, "Transport")
        const bad = yield* clientFor(sim.platform.addClient(scopes), { apiServer: "https://host/path" }).pipe(
          Effect.flip
        )
        assert.strictEqual(bad.reason._tag, "InvalidConfig")
      })
    )
  )
})
