import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as WebhookConfig from "./WebhookConfig.ts"

const flags = { certsDir: "/tmp/webhook/certs", cert: "tls.crt", certKey: "tls.key" }
const parse = (env: WebhookConfig.RawEnv, f: WebhookConfig.Flags = flags) =>
  WebhookConfig.fromRaw(f, env, { version: "0.1.0" })

const message = (env: WebhookConfig.RawEnv, f?: WebhookConfig.Flags) =>
  parse(env, f).pipe(
    Effect.flip,
    Effect.map((e) => e.message)
  )

describe("WebhookConfig", () => {
  it.effect("defaults of the spec", () =>
    Effect.gen(function* () {
      const config = yield* parse({ DT_OPERATOR_IMAGE: "op:1" })
      expect(config).toMatchObject({
        port: 8443,
        certificate: { dir: "/tmp/webhook/certs", cert: "tls.crt", key: "tls.key" },
        metricsBindAddress: { host: "0.0.0.0", port: 8383 },
        healthProbeBindAddress: { host: "0.0.0.0", port: 10080 },
        operatorNamespace: "dynatrace",
        operatorVersion: "0.1.0",
        metadataSizeLimit: 24576,
        csiDriver: true,
        bodyLimit: 2097152
      })
      expect(Duration.toMillis(config.deadline)).toBe(3000)
    })
  )

  it.effect("reads WEBHOOK_PORT, modules.json and the others", () =>
    Effect.gen(function* () {
      const config = yield* parse({
        DT_OPERATOR_IMAGE: "op:1",
        WEBHOOK_PORT: "9443",
        POD_NAMESPACE: "dt",
        "modules.json": '{"csiDriver": false}',
        METRICS_BIND_ADDRESS: "0",
        DT_EXTRACT_CODEMODULES_IMAGE_LINKS: "true",
        WEBHOOK_DEADLINE: "1500ms"
      })
      expect(config).toMatchObject({
        port: 9443,
        operatorNamespace: "dt",
        csiDriver: false,
        extractCodeModulesImageLinks: true
      })
      expect(config.metricsBindAddress).toBeUndefined()
      expect(Duration.toMillis(config.deadline)).toBe(1500)
    })
  )

  it.effect("refuses a start without DT_OPERATOR_IMAGE and bad values, with a message naming them", () =>
    Effect.gen(function* () {
      expect(yield* message({})).toContain("DT_OPERATOR_IMAGE")
      expect(yield* message({ DT_OPERATOR_IMAGE: "x", WEBHOOK_PORT: "70000" })).toContain("WEBHOOK_PORT")
      expect(yield* message({ DT_OPERATOR_IMAGE: "x", WEBHOOK_DEADLINE: "20s" })).toContain("WEBHOOK_DEADLINE")
      expect(yield* message({ DT_OPERATOR_IMAGE: "x" }, { ...flags, cert: "../tls.crt" })).toContain("--cert")
      expect(yield* message({ DT_OPERATOR_IMAGE: "x", HEALTH_PROBE_BIND_ADDRESS: "nonsense" })).toContain(
        "HEALTH_PROBE_BIND_ADDRESS"
      )
    })
  )
})
