/**
 * Tokens, scopes, platform tokens and the proxy secret (spec §2.2.2, §2.2.1 step 5) on the real control plane.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { AllOperatorScopes } from "../../../../e2e/tenant-simulator/Tenant.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Kit from "../testkit/OperatorTestKit.ts"
import * as Harness from "../testkit/OperatorTestLayer.ts"
import * as Names from "./Names.ts"
import * as Proxy from "./Proxy.ts"

const harness = Harness.make({ prefix: "op-tokens" })
const ns = harness.namespace
const { Tenant, asTest, get, absent } = Harness

interface Data extends KubeObject {
  readonly data?: Record<string, string>
}
const text = (s: Data, key: string) => Buffer.from(s.data?.[key] ?? "", "base64").toString("utf8")

const dynakube = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const tenant = yield* Tenant
    return yield* asTest(Kit.applyDynaKube(ns, name, { apiUrl: tenant.url, ...spec }, annotations))
  })

const waitCondition = (
  name: string,
  type: string,
  predicate: (c: { status: string; reason: string; message: string }) => boolean
) =>
  Kit.waitFor(
    `${name} has the expected ${type} condition`,
    asTest(Kit.getDynaKube(ns, name)),
    (d) => {
      const c = Kit.conditionOf(d, type)
      return c !== undefined && predicate(c)
    },
    "60 seconds"
  )

const hostMonitoring = { oneAgent: { hostMonitoring: {} } }

layer(harness.layer, { excludeTestServices: true, timeout: "300 seconds" })("DynaKube tokens", (it) => {
  it.effect("a missing token secret is reported; creating it converges", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      yield* dynakube("missing", hostMonitoring)
      const failed = yield* waitCondition("missing", "Tokens", (c) => c.status === "False")
      assert.strictEqual(Kit.conditionOf(failed, "Tokens")?.reason, "TokenError")
      assert.strictEqual(Kit.conditionOf(failed, "Tokens")?.message, `token secret ${ns}:missing not found`)
      assert.strictEqual(failed.status?.phase, "Error")
      yield* asTest(Kit.tokenSecret(ns, "missing", { apiToken: tenant.apiToken }))
      const fixed = yield* waitCondition("missing", "Tokens", (c) => c.status === "True")
      assert.notStrictEqual(fixed.status?.phase, "Error")
    })
  )

  it.effect("a token without a required scope: Tokens=False naming it; a new token converges", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      const weak = tenant.addToken(AllOperatorScopes.filter((s) => s !== "DataExport" && s !== "InstallerDownload"))
      yield* asTest(Kit.tokenSecret(ns, "weak", { apiToken: weak }))
      yield* dynakube("weak", hostMonitoring)
      const failed = yield* waitCondition("weak", "Tokens", (c) => c.status === "False")
      assert.strictEqual(
        Kit.conditionOf(failed, "Tokens")?.message,
        "Missing required token scopes: apiToken lacks DataExport, InstallerDownload."
      )
      assert.strictEqual(failed.status?.phase, "Error")
      assert.isTrue(yield* absent(Resources.Secret, ns, Names.names("weak").oneAgentTenantSecret))
      yield* asTest(Kit.tokenSecret(ns, "weak", { apiToken: tenant.addToken([...AllOperatorScopes]) }))
      yield* waitCondition("weak", "Tokens", (c) => c.status === "True")
    })
  )

  it.effect("missing optional scopes: ApiTokenOptionalScopes=False (ScopeMissing), the rest works", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      const noSettings = tenant.addToken(["DataExport", "InstallerDownload"])
      yield* asTest(Kit.tokenSecret(ns, "optional", { apiToken: noSettings }))
      yield* dynakube("optional", {
        oneAgent: { cloudNativeFullStack: { namespaceSelector: { matchLabels: { nothing: "here" } } } }
      })
      const dk = yield* waitCondition("optional", "ApiTokenOptionalScopes", (c) => c.status === "False")
      const optional = Kit.conditionOf(dk, "ApiTokenOptionalScopes")
      assert.strictEqual(optional?.reason, "ScopeMissing")
      assert.include(optional?.message ?? "", "settings.read")
      assert.deepStrictEqual((dk.status as any).apiToken.availableOptionalScopes, {
        settingsRead: false,
        settingsWrite: false
      })
      assert.strictEqual(Kit.conditionOf(dk, "Tokens")?.status, "True")
    })
  )

  it.effect("a token with surrounding whitespace is refused, naming the key (not the value)", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      yield* asTest(Kit.tokenSecret(ns, "spaces", { apiToken: tenant.apiToken, paasToken: ` ${tenant.paasToken}` }))
      yield* dynakube("spaces", hostMonitoring)
      const dk = yield* waitCondition("spaces", "Tokens", (c) => c.status === "False")
      const message = Kit.conditionOf(dk, "Tokens")?.message ?? ""
      assert.strictEqual(message, `value of paasToken in token secret ${ns}:spaces has leading or trailing whitespace`)
      assert.notInclude(message, tenant.paasToken)
    })
  )

  it.effect("a platform token: no scope look-up, public registry images, no pull secret", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      yield* asTest(Kit.tokenSecret(ns, "platform", { apiToken: tenant.platformToken }))
      const lookupsBefore = tenant.hitsOf("tokenLookup")
      yield* dynakube("platform", hostMonitoring)
      const dk = yield* Kit.waitFor(
        "the platform DynaKube resolved its OneAgent image",
        asTest(Kit.getDynaKube(ns, "platform")),
        (d) => (d.status as any)?.oneAgent?.source === "public-registry" && d.status?.phase === "Running",
        "60 seconds"
      )
      assert.deepStrictEqual((dk.status as any).apiToken, { platform: true })
      assert.isUndefined(Kit.conditionOf(dk, "ApiTokenOptionalScopes"))
      assert.match((dk.status as any).oneAgent.imageID, new RegExp(`^${tenant.tenant.config.publicRegistry}/`))
      assert.strictEqual(tenant.hitsOf("tokenLookup"), lookupsBefore)
      assert.isTrue(yield* absent(Resources.Secret, ns, Names.names("platform").pullSecret))
    })
  )

  it.effect("a proxy: the internal proxy secret with its parts and status.proxyURLHash; removed with the proxy", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      const proxy = "http://user:p%40ss@proxy.example:3128"
      yield* asTest(Kit.tokenSecret(ns, "proxied", { apiToken: tenant.apiToken }))
      // The tenant itself is reached directly (no-proxy), so the reconcile works without a proxy server.
      const noProxy = { "feature.dynatrace.com/no-proxy": "127.0.0.1" }
      yield* dynakube("proxied", { ...hostMonitoring, proxy: { value: proxy } }, noProxy)
      const n = Names.names("proxied")
      const secret = yield* Kit.waitFor(
        "the internal proxy secret exists",
        get<Data>(Resources.Secret, ns, n.internalProxy),
        () => true,
        "60 seconds"
      )
      assert.deepStrictEqual(
        Object.fromEntries(["scheme", "host", "port", "username", "password"].map((k) => [k, text(secret, k)])),
        { scheme: "http", host: "proxy.example", port: "3128", username: "user", password: "p@ss" }
      )
      const dk = yield* waitCondition("proxied", "Tokens", (c) => c.status === "True")
      assert.strictEqual((dk.status as any).proxyURLHash, Proxy.urlHash(proxy))
      yield* dynakube("proxied", hostMonitoring, noProxy)
      yield* Kit.waitUntil("the proxy secret is gone", absent(Resources.Secret, ns, n.internalProxy), "60 seconds")
      const after = yield* Kit.waitFor(
        "the proxy hash is cleared",
        asTest(Kit.getDynaKube(ns, "proxied")),
        (d) => (d.status as any)?.proxyURLHash === undefined,
        "60 seconds"
      )
      assert.isUndefined((after.status as any).proxyURLHash)
    })
  )
})
