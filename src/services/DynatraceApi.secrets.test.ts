/**
 * No token value reaches a log line or an error text: every call, success and failure, runs with a capturing
 * logger at the lowest level, the failures are logged the way the operator logs them, and the captured text is
 * searched for every secret (tokens, the tenant token, the ActiveGate token, the proxy password).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Logger, Redacted, References } from "effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import { afterAll, beforeAll } from "vitest"
import { clientFor } from "../../e2e/tenant-simulator/ClientForSimulator.ts"
import { startTenantSimulator, type TenantSimulator } from "../../e2e/tenant-simulator/TenantSimulator.ts"
import type { DynatraceApi } from "./DynatraceApi.ts"
import { markedForTermination } from "./dynatrace/Events.ts"

let sim: TenantSimulator
let dir: string
beforeAll(async () => {
  sim = await startTenantSimulator()
  dir = await mkdtemp(join(tmpdir(), "dt-secrets-"))
})
afterAll(async () => {
  await sim.close()
  await rm(dir, { recursive: true, force: true })
})

const lines: Array<string> = []
const capture = Layer.mergeAll(
  Logger.layer([
    Logger.map(Logger.formatJson, (line) => void lines.push(line)),
    Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))
  ]),
  Layer.succeed(References.MinimumLogLevel, "All")
)

type Api = DynatraceApi["Service"]
const everyCall = (api: Api): ReadonlyArray<Effect.Effect<unknown, unknown>> => [
  api.tokenScopes("apiToken"),
  api.tokenScopes("paasToken"),
  api.tokenScopes("dataIngestToken"),
  api.oneAgentConnectionInfo,
  api.activeGateConnectionInfo,
  api.latestAgentVersion({ type: "paas" }),
  api.latestActiveGateVersion,
  api.availableAgentVersions({ type: "paas" }),
  api.downloadAgent({ type: "paas" }, join(dir, `${Math.random()}.zip`)),
  api.processModuleConfig("group"),
  api.processGroupingConfig("KUBERNETES_CLUSTER-1"),
  api.createActiveGateToken("dk"),
  api.containerImages(),
  api.hostEntities,
  api.sendEvent(markedForTermination(["HOST-1"], 1)),
  api.kubernetesClusterEntity("uid"),
  api.createKubernetesClusterSettings("label", "uid"),
  api.settingsObjects("builtin:cloud.kubernetes", "environment"),
  api.enrichmentRules("environment")
]

/** Runs a call and logs its value or failure as a reconciler would. */
const runAndLog = (call: Effect.Effect<unknown, unknown>) =>
  Effect.exit(call).pipe(
    Effect.tap((exit) =>
      Exit.isSuccess(exit)
        ? Effect.logDebug("Dynatrace API call succeeded", exit.value)
        : Effect.logError("Dynatrace API call failed", Cause.squash(exit.cause)).pipe(
            Effect.andThen(Effect.logError(Cause.pretty(exit.cause))),
            Effect.andThen(
              Effect.sync(() => {
                const error = Cause.squash(exit.cause)
                lines.push(String(error), inspect(error, { depth: 10 }), JSON.stringify(error) ?? "")
              })
            )
          )
    )
  )

describe("DynatraceApi secrets", () => {
  it.live(
    "no token value appears in any log line or error text",
    () =>
      Effect.gen(function* () {
        lines.length = 0
        const proxyPassword = "Pr0xyPassw0rdSecret"
        const wrongToken = `dt0c01.${"W".repeat(24)}.${"X".repeat(64)}`
        const api = yield* clientFor(sim, { requestThresholdMinutes: 0, retry: { times: 1, base: "5 millis" } })
        const wrong = yield* clientFor(sim, {
          apiToken: Redacted.make(wrongToken),
          paasToken: undefined,
          retry: { times: 0 }
        })
        const proxied = yield* clientFor(sim, {
          proxy: Redacted.make(`http://user:${proxyPassword}@127.0.0.1:9`),
          retry: { times: 0 },
          timeout: "500 millis"
        })

        // Successes (their values are logged too).
        const agToken = yield* api.createActiveGateToken("dk")
        for (const call of everyCall(api)) yield* runAndLog(call)
        // Every fault on every endpoint, including a tenant that echoes the tokens back in its error body.
        const echo = `token ${sim.apiToken} / ${sim.paasToken} / ${sim.dataIngestToken} was rejected`
        const faults = [
          { kind: "status", status: 401 },
          { kind: "status", status: 403 },
          { kind: "status", status: 429, retryAfter: "1" },
          { kind: "status", status: 503 },
          { kind: "malformed" },
          { kind: "truncate" },
          { kind: "reset" },
          { kind: "body", status: 400, body: JSON.stringify({ error: { code: 400, message: echo } }) },
          {
            kind: "body",
            status: 200,
            body: JSON.stringify({ scopes: 1, tenantUUID: sim.apiToken, items: [sim.paasToken] })
          }
        ] as const
        for (const fault of faults) {
          for (const endpoint of [
            "tokenLookup",
            "agentConnectionInfo",
            "hosts",
            "agentDownloadLatest",
            "settingsCreate",
            "activeGateTokens"
          ] as const) {
            sim.clearFaults()
            sim.inject(endpoint, fault)
          }
          for (const call of everyCall(api)) yield* runAndLog(call)
        }
        sim.clearFaults()
        for (const call of everyCall(wrong)) yield* runAndLog(call)
        for (const call of everyCall(proxied).slice(0, 3)) yield* runAndLog(call)

        const text = lines.join("\n")
        assert.isAbove(lines.length, 100, "the capture must have seen the calls")
        assert.include(text, "Dynatrace API call failed")
        assert.include(text, "<redacted>") // the echoed tokens were scrubbed, not dropped
        const secrets = {
          apiToken: sim.apiToken,
          paasToken: sim.paasToken,
          dataIngestToken: sim.dataIngestToken,
          wrongToken,
          tenantToken: sim.tenant.tenantToken,
          activeGateToken: Redacted.value(agToken.token),
          proxyPassword
        }
        for (const [name, value] of Object.entries(secrets)) {
          // isFalse, not notInclude: a failure message must not print the secret either.
          assert.isFalse(text.includes(value), `${name} leaked into a log line`)
          // The secret part after the token prefix must not show up either.
          assert.isFalse(text.includes(value.split(".").at(-1) ?? value), `${name} (secret part) leaked`)
        }
      }).pipe(Effect.scoped, Effect.provide(capture)),
    120_000
  )
})
