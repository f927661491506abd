import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { DynaKubeSpec } from "../../../schemas/DynaKubeV1beta6.ts"
import * as FeatureFlags from "./FeatureFlags.ts"
import * as Features from "./Features.ts"
import * as Tokens from "./Tokens.ts"

const reqs = (
  spec: Omit<DynaKubeSpec, "apiUrl">,
  options: { paas?: boolean; ingest?: boolean; hostAvailability?: boolean; annotations?: Record<string, string> } = {}
) =>
  Tokens.requirements({
    features: Features.of({ apiUrl: "https://x/api", ...spec }),
    flags: FeatureFlags.read({ metadata: { annotations: options.annotations ?? {} } }, "dynatrace"),
    spec: { apiUrl: "https://x/api", ...spec },
    config: { hostAvailabilityDetection: options.hostAvailability ?? true },
    hasPaasToken: options.paas ?? false,
    hasDataIngestToken: options.ingest ?? false
  })

const scopesOf = (requirements: ReadonlyArray<Tokens.Requirement>, slot: string, optional: boolean) =>
  [...new Set(requirements.filter((r) => r.slot === slot && r.optional === optional).map((r) => r.scope))].toSorted()

describe("Tokens", () => {
  it("the scope table: the apiToken needs DataExport and InstallerDownload by default", () => {
    const r = reqs({ oneAgent: { hostMonitoring: {} } })
    assert.deepStrictEqual(scopesOf(r, "apiToken", false), ["DataExport", "InstallerDownload"])
    assert.deepStrictEqual(scopesOf(r, "apiToken", true), [])
  })

  it("with a paasToken the installer scope moves to it; without host availability no DataExport", () => {
    const r = reqs({ oneAgent: { hostMonitoring: {} } }, { paas: true, hostAvailability: false })
    assert.deepStrictEqual(scopesOf(r, "apiToken", false), [])
    assert.deepStrictEqual(scopesOf(r, "paasToken", false), ["InstallerDownload"])
  })

  it("ActiveGate, kubernetes monitoring, injection and log monitoring add their scopes", () => {
    const r = reqs({
      oneAgent: { cloudNativeFullStack: {} },
      activeGate: { capabilities: ["kubernetes-monitoring", "metrics-ingest"] },
      logMonitoring: {}
    })
    assert.deepStrictEqual(scopesOf(r, "apiToken", false), [
      "DataExport",
      "InstallerDownload",
      "activeGateTokenManagement.create"
    ])
    assert.deepStrictEqual(scopesOf(r, "apiToken", true), ["settings.read", "settings.write"])
    // metrics-ingest only matters when a dataIngestToken exists.
    assert.deepStrictEqual(scopesOf(r, "dataIngestToken", false), [])
  })

  it("the registration flag off drops the settings scopes of kubernetes monitoring", () => {
    const r = reqs(
      { activeGate: { capabilities: ["kubernetes-monitoring"] } },
      { annotations: { "feature.dynatrace.com/automatic-kubernetes-api-monitoring": "false" } }
    )
    assert.deepStrictEqual(scopesOf(r, "apiToken", true), [])
  })

  it("dataIngestToken: metrics-ingest, telemetry ingest protocols and OTLP signals", () => {
    assert.deepStrictEqual(
      scopesOf(reqs({ activeGate: { capabilities: ["metrics-ingest"] } }, { ingest: true }), "dataIngestToken", false),
      ["metrics.ingest"]
    )
    assert.deepStrictEqual(scopesOf(reqs({ telemetryIngest: {} }, { ingest: true }), "dataIngestToken", false), [
      "logs.ingest",
      "metrics.ingest",
      "openTelemetryTrace.ingest"
    ])
    assert.deepStrictEqual(
      scopesOf(reqs({ telemetryIngest: { protocols: ["zipkin"] } }, { ingest: true }), "dataIngestToken", false),
      ["openTelemetryTrace.ingest"]
    )
    assert.deepStrictEqual(
      scopesOf(
        reqs({ otlpExporterConfiguration: { signals: { logs: {} } } }, { ingest: true }),
        "dataIngestToken",
        false
      ),
      ["logs.ingest"]
    )
  })

  it("evaluate lists what is missing, per token, in table order, without duplicates", () => {
    const r = reqs({ oneAgent: { cloudNativeFullStack: {} }, activeGate: { capabilities: ["routing"] } })
    const result = Tokens.evaluate(r, { apiToken: ["InstallerDownload"] })
    assert.deepStrictEqual(result.missingRequired, [
      { slot: "apiToken", scopes: ["DataExport", "activeGateTokenManagement.create"] }
    ])
    assert.deepStrictEqual(result.missingOptional, ["settings.read"])
    assert.strictEqual(
      Tokens.messages.missingScopes(result.missingRequired),
      "Missing required token scopes: apiToken lacks DataExport, activeGateTokenManagement.create."
    )
    const none = Tokens.evaluate(r, {
      apiToken: ["DataExport", "InstallerDownload", "activeGateTokenManagement.create", "settings.read"]
    })
    assert.deepStrictEqual(none, { missingRequired: [], missingOptional: [] })
  })

  it.effect("parseTokens: apiToken required and non-empty; whitespace refused naming the key only", () =>
    Effect.gen(function* () {
      const ok = yield* Tokens.parseTokens({ apiToken: "dt0c01.A.B", paasToken: "" }, "ns:dk")
      assert.strictEqual(Redacted.value(ok.apiToken), "dt0c01.A.B")
      assert.isUndefined(ok.paasToken)
      const missing = yield* Effect.flip(Tokens.parseTokens({ paasToken: "x" }, "ns:dk"))
      assert.strictEqual(missing.message, "token secret ns:dk has no apiToken")
      const spaced = yield* Effect.flip(Tokens.parseTokens({ apiToken: "a", dataIngestToken: "secret\n" }, "ns:dk"))
      assert.strictEqual(
        spaced.message,
        "value of dataIngestToken in token secret ns:dk has leading or trailing whitespace"
      )
      assert.notInclude(spaced.message, "secret\n")
    })
  )

  it("platform tokens are recognised by their prefix; the secret name defaults to the DynaKube's", () => {
    assert.isTrue(Tokens.isPlatformToken(Redacted.make("dt0s16.ABC.DEF")))
    assert.isFalse(Tokens.isPlatformToken(Redacted.make("dt0c01.ABC.DEF")))
    assert.strictEqual(Tokens.secretName({ metadata: { name: "dk" }, spec: { apiUrl: "u" } }), "dk")
    assert.strictEqual(Tokens.secretName({ metadata: { name: "dk" }, spec: { apiUrl: "u", tokens: "t" } }), "t")
  })
})
