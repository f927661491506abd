import { assert, describe, it } from "@effect/vitest"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { parse } from "yaml"
import { allProtocols, type CollectorConfigInput, collectorConfig, collectorConfigObject } from "./CollectorConfig.ts"

// Regenerate after a deliberate change: UPDATE_GOLDEN=1 npm exec -- vitest run --project unit <this file>.
const golden = fileURLToPath(new URL("./testdata/telemetry-full.golden.yaml", import.meta.url))

const base: CollectorConfigInput = {
  podIP: "${env:MY_POD_IP}",
  protocols: allProtocols,
  endpoint: "${env:DT_ENDPOINT}",
  apiToken: "${env:DT_DATA_INGEST_TOKEN}"
}

type Config = {
  exporters: { otlphttp: { endpoint: string; headers?: { Authorization: string }; tls?: Record<string, unknown> } }
  receivers: Record<string, { protocols?: Record<string, { endpoint: string; tls?: unknown }>; endpoint?: string }>
  service: {
    extensions: Array<string>
    pipelines: Record<string, { receivers: Array<string>; processors: Array<string> }>
  }
  extensions: { health_check: { endpoint: string } }
}

const parsed = (input: Partial<CollectorConfigInput>): Config => parse(collectorConfig({ ...base, ...input })) as Config

describe("CollectorConfig", () => {
  it("all protocols with receiver TLS and a CA matches testdata/telemetry-full.golden.yaml", () => {
    const text = collectorConfig({
      ...base,
      caFile: "/tls/custom/cacerts/rootca.pem",
      includeSystemCAs: true,
      tls: { certFile: "/tls/custom/telemetry/tls.crt", keyFile: "/tls/custom/telemetry/tls.key" }
    })
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(golden, text)
    assert.isTrue(existsSync(golden), `${golden} is missing; run with UPDATE_GOLDEN=1 to create it`)
    assert.strictEqual(text, readFileSync(golden, "utf8"))
  })

  it("the YAML text parses back to the object it was made from (no aliases, no lost escapes)", () => {
    const input = { ...base, tls: { certFile: "c", keyFile: "k" } }
    assert.deepStrictEqual(parse(collectorConfig(input)), collectorConfigObject(input))
    const statements = (
      parse(collectorConfig(base)) as {
        processors: { transform: { log_statements: Array<{ statements: Array<string> }> } }
      }
    ).processors.transform.log_statements[0]?.statements
    assert.strictEqual(
      statements?.[0],
      'merge_maps(attributes, ParseJSON(attributes["metadata.dynatrace.com"]), "insert") where IsMatch(attributes["metadata.dynatrace.com"], "^\\\\{")'
    )
  })

  it("a pipeline exists only for signals that have a receiver; receivers follow the protocol list", () => {
    const otlp = parsed({ protocols: ["otlp"] })
    assert.deepStrictEqual(Object.keys(otlp.service.pipelines).toSorted(), ["logs", "metrics", "traces"])
    assert.deepStrictEqual(Object.keys(otlp.receivers), ["otlp"])

    const statsd = parsed({ protocols: ["statsd"] })
    assert.deepStrictEqual(Object.keys(statsd.service.pipelines), ["metrics"])
    assert.deepStrictEqual(statsd.service.pipelines["metrics"]?.processors, [
      "memory_limiter",
      "transform/add-pod-ip",
      "k8sattributes",
      "transform",
      "cumulativetodelta",
      "batch/metrics"
    ])

    const traces = parsed({ protocols: ["zipkin", "jaeger"] })
    assert.deepStrictEqual(Object.keys(traces.service.pipelines), ["traces"])
    assert.deepStrictEqual(traces.service.pipelines["traces"]?.receivers, ["zipkin", "jaeger"])
    assert.deepStrictEqual(traces.service.extensions, ["health_check"])
  })

  it("listens on the pod IP; TLS only on the TCP receivers that support it", () => {
    const config = parsed({ tls: { certFile: "/c", keyFile: "/k" } })
    assert.strictEqual(config.receivers["otlp"]?.protocols?.["grpc"]?.endpoint, "${env:MY_POD_IP}:4317")
    assert.deepStrictEqual(config.receivers["otlp"]?.protocols?.["http"]?.tls, { cert_file: "/c", key_file: "/k" })
    assert.strictEqual(config.receivers["jaeger"]?.protocols?.["thrift_compact"]?.tls, undefined)
    assert.strictEqual(config.receivers["statsd"]?.endpoint, "${env:MY_POD_IP}:8125")
    assert.strictEqual(config.extensions.health_check.endpoint, "${env:MY_POD_IP}:13133")
    assert.strictEqual(parsed({}).receivers["otlp"]?.protocols?.["grpc"]?.tls, undefined)
  })

  it("the exporter sends the token by reference; a CA only when given, the system pool only when asked", () => {
    const plain = parsed({})
    assert.deepStrictEqual(plain.exporters.otlphttp, {
      endpoint: "${env:DT_ENDPOINT}",
      headers: { Authorization: "Api-Token ${env:DT_DATA_INGEST_TOKEN}" }
    })
    assert.deepStrictEqual(parsed({ caFile: "/ag/cert.pem" }).exporters.otlphttp.tls, { ca_file: "/ag/cert.pem" })
    assert.deepStrictEqual(parsed({ caFile: "/ca.pem", includeSystemCAs: true }).exporters.otlphttp.tls, {
      ca_file: "/ca.pem",
      include_system_ca_certs_pool: true
    })
    assert.strictEqual(parsed({ apiToken: "" }).exporters.otlphttp.headers, undefined)
  })
})
