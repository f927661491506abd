import { assert, describe, it } from "@effect/vitest"
import { parse } from "yaml"
import { dynakube, operator, withActiveGate, withSpec, withStatus } from "../oneagent/WorkloadFixtures.ts"
import { references } from "../DynaKubeController.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import {
  buildConfigConfigMap,
  buildEndpointConfigMap,
  buildService,
  collectorEnabled,
  otlpEndpoint,
  protocols,
  serviceName,
  telemetryConfig
} from "./OtelCollector.ts"

const telemetry = (ti: { protocols?: Array<string>; serviceName?: string; tlsRefName?: string } = {}) =>
  withSpec((s) => {
    s.telemetryIngest = ti
  })

describe("OtelCollector objects", () => {
  it("the collector runs with telemetryIngest or Prometheus extensions only", () => {
    assert.isFalse(collectorEnabled(dynakube()))
    assert.isTrue(collectorEnabled(dynakube(telemetry())))
    assert.isTrue(collectorEnabled(dynakube(withSpec((s) => (s.extensions = { prometheus: {} })))))
    assert.isFalse(collectorEnabled(dynakube(withSpec((s) => (s.extensions = {})))))
  })

  it("the Service is <dk>-telemetry-ingest unless named; an empty protocol list means all four", () => {
    assert.strictEqual(serviceName(dynakube(telemetry())), "dk-telemetry-ingest")
    assert.strictEqual(serviceName(dynakube(telemetry({ serviceName: "otel" }))), "otel")
    assert.deepStrictEqual(protocols(dynakube(telemetry())), ["otlp", "jaeger", "statsd", "zipkin"])
    assert.deepStrictEqual(protocols(dynakube(telemetry({ protocols: ["zipkin", "otlp"] }))), ["zipkin", "otlp"])
  })

  it("Service: labels, selector and one port per receiver, UDP where the receiver is UDP", () => {
    const svc = buildService({ dynakube: dynakube(telemetry({ protocols: ["jaeger", "statsd"] })), operator })
    assert.strictEqual(svc.metadata.name, "dk-telemetry-ingest")
    assert.strictEqual(svc.metadata.namespace, "dynatrace")
    assert.deepStrictEqual(svc.metadata.labels, {
      "app.kubernetes.io/name": "dynatrace-operator",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/component": "dynatrace-otel-collector",
      "app.kubernetes.io/version": "1.7.0"
    })
    assert.deepStrictEqual(svc.spec.selector, {
      "app.kubernetes.io/name": "dynatrace-otel-collector",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/managed-by": "dynatrace-operator"
    })
    assert.deepStrictEqual(
      svc.spec.ports?.map(
        (p) => `${p.name}:${p.port}/${p.protocol}${p.appProtocol === undefined ? "" : `:${p.appProtocol}`}`
      ),
      [
        "jaeger-grpc:14250/TCP:grpc",
        "jaeger-thrift-binary:6832/UDP",
        "jaeger-thrift-compact:6831/UDP",
        "jaeger-thrift-http:14268/TCP",
        "statsd:8125/UDP"
      ]
    )
    const otlp = buildService({ dynakube: dynakube(telemetry({ protocols: ["otlp", "zipkin"] })), operator })
    assert.deepStrictEqual(
      otlp.spec.ports?.map((p) => [p.name, p.port, p.targetPort]),
      [
        ["otlp-grpc", 4317, 4317],
        ["otlp-http", 4318, 4318],
        ["zipkin", 9411, 9411]
      ]
    )
  })

  it("endpoint: the tenant's OTLP API without an ActiveGate (3rd-gen URLs mapped), the ActiveGate Service with one", () => {
    assert.strictEqual(otlpEndpoint(dynakube(telemetry())), "https://abc12345.live.dynatrace.com/api/v2/otlp")
    assert.strictEqual(
      otlpEndpoint(
        dynakube(
          telemetry(),
          withSpec((s) => (s.apiUrl = "https://abc12345.apps.dynatrace.com"))
        )
      ),
      "https://abc12345.live.dynatrace.com/api/v2/otlp"
    )
    assert.strictEqual(
      otlpEndpoint(dynakube(telemetry(), withActiveGate(["routing"]))),
      "https://dk-activegate.dynatrace/e/abc12345/api/v2/otlp"
    )
    const noTenant = dynakube(
      telemetry(),
      withActiveGate(["routing"]),
      withStatus((s) => {
        s.oneAgent = {}
        s.activeGate = {}
      })
    )
    assert.deepStrictEqual(otlpEndpoint(noTenant), { problem: "tenant UUID not available" })
    const cm = buildEndpointConfigMap({ dynakube: dynakube(telemetry()), operator })
    assert.isTrue("kind" in cm)
    if ("kind" in cm) {
      assert.strictEqual(cm.metadata.name, "dynatrace-otlp-api-endpoint")
      assert.deepStrictEqual(cm.data, { DT_ENDPOINT: "https://abc12345.live.dynatrace.com/api/v2/otlp" })
    }
  })

  it("the exporter trusts the ActiveGate certificate with an ActiveGate, else the trusted CAs and the system pool", () => {
    const exporterTls = (dk: ReturnType<typeof dynakube>) =>
      (parse(telemetryConfig(dk, readWorkloadFlags(dk))) as { exporters: { otlphttp: { tls?: unknown } } }).exporters
        .otlphttp.tls
    assert.deepStrictEqual(exporterTls(dynakube(telemetry(), withActiveGate(["routing"]))), {
      ca_file: "/tls/custom/activegate/cert.pem"
    })
    assert.deepStrictEqual(
      exporterTls(
        dynakube(
          telemetry(),
          withSpec((s) => (s.trustedCAs = "cas"))
        )
      ),
      {
        ca_file: "/tls/custom/cacerts/rootca.pem",
        include_system_ca_certs_pool: true
      }
    )
    assert.strictEqual(exporterTls(dynakube(telemetry())), undefined)
  })

  it("the config ConfigMap holds telemetry.yaml with TLS receivers when tlsRefName is set", () => {
    const dk = dynakube(telemetry({ tlsRefName: "ingest-tls", protocols: ["otlp"] }))
    const cm = buildConfigConfigMap({ dynakube: dk, operator, flags: readWorkloadFlags(dk) })
    assert.strictEqual(cm.metadata.name, "dk-telemetry-collector-config")
    const config = parse(cm.data["telemetry.yaml"] ?? "") as {
      receivers: { otlp: { protocols: { grpc: { tls: unknown } } } }
    }
    assert.deepStrictEqual(config.receivers.otlp.protocols.grpc.tls, {
      cert_file: "/tls/custom/telemetry/tls.crt",
      key_file: "/tls/custom/telemetry/tls.key"
    })
  })

  it("a change of the receivers' or the EEC's TLS Secret triggers a reconcile (their hashes roll the pods)", () => {
    const raw = {
      metadata: { name: "dk", namespace: "dynatrace" },
      spec: {
        telemetryIngest: { tlsRefName: "ingest-tls" },
        templates: { extensionExecutionController: { tlsRefName: "eec-tls" } }
      }
    }
    assert.deepStrictEqual(references(raw).secrets, ["dk", "ingest-tls", "eec-tls"])
  })
})
