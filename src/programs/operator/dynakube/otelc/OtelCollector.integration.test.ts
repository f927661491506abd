/**
 * The OpenTelemetry collector on the real control plane, with the tenant simulator and the operator in this
 * process: telemetryIngest brings the Service, the endpoint and configuration ConfigMaps and the StatefulSet with
 * the original's names and fields; an unchanged DynaKube costs no write; renaming the Service replaces it; a
 * missing data-ingest token keeps the StatefulSet away; switching telemetryIngest off removes everything.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { parse } from "yaml"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Kit from "../../testkit/OperatorTestKit.ts"
import * as Harness from "../../testkit/OperatorTestLayer.ts"

const harness = Harness.make({ prefix: "op-otelc" })
const ns = harness.namespace
const { Tenant, asTest, get, absent } = Harness

interface Data extends KubeObject {
  readonly data?: Record<string, string>
}
interface Service extends KubeObject {
  readonly spec: { readonly ports?: ReadonlyArray<{ name: string; port: number; protocol: string }> }
}
interface StatefulSet extends KubeObject {
  readonly spec: {
    readonly replicas?: number
    readonly template: {
      readonly metadata: { annotations?: Record<string, string> }
      readonly spec: {
        readonly serviceAccountName?: string
        readonly containers: ReadonlyArray<{
          name: string
          image?: string
          args?: ReadonlyArray<string>
          env?: ReadonlyArray<{ name: string; value?: string; valueFrom?: any }>
        }>
      }
    }
  }
}

const image = { repository: "registry.example.com/dynatrace-otel-collector", tag: "0.30.0" }

const waitCondition = (name: string, type: string, status: string | undefined, reason?: string) =>
  Harness.waitForDynaKube(ns, name, `${name}: ${type} is ${status ?? "absent"}`, (d) => {
    const c = Kit.conditionOf(d, type)
    return c?.status === status && (reason === undefined || c?.reason === reason)
  })

/** Pokes a converged DynaKube three times (annotation changes): no reconcile writes or calls the tenant. */
const steadyState = (name: string, spec: Record<string, unknown>) =>
  Harness.expectSteadyState((i) => asTest(Kit.applyDynaKube(ns, name, spec, { poke: `${i}` })))

layer(harness.layer, { excludeTestServices: true, timeout: "300 seconds" })("OTel collector", (it) => {
  it.effect(
    "telemetryIngest: Service, endpoint and config ConfigMaps, StatefulSet; steady state writes nothing; off removes all",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        yield* Harness.tenantTokens(ns, "ti")
        const spec = {
          apiUrl: tenant.url,
          telemetryIngest: { protocols: ["otlp", "statsd"] },
          templates: { otelCollector: { imageRef: image } }
        }
        yield* asTest(Kit.applyDynaKube(ns, "ti", spec))
        const dk = yield* waitCondition("ti", "OtelStatefulSet", "True", "StatefulSetCreated")
        for (const type of ["OTELCService", "OtelpApiEndpointConfigMap", "OTELCConfigurationConfigMap"]) {
          assert.strictEqual(Kit.conditionOf(dk, type)?.status, "True", type)
        }
        // No collector pod is ready (its service account is not installed here): the phase waits for it.
        assert.strictEqual(dk.status?.["phase"], "Deploying")

        const service = yield* get<Service>(Resources.Service, ns, "ti-telemetry-ingest")
        assert.deepStrictEqual(
          service.spec.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`),
          ["otlp-grpc:4317/TCP", "otlp-http:4318/TCP", "statsd:8125/UDP"]
        )
        const endpoint = yield* get<Data>(Resources.ConfigMap, ns, "dynatrace-otlp-api-endpoint")
        assert.strictEqual(endpoint.data?.["DT_ENDPOINT"], `${tenant.url}/v2/otlp`)
        const config = yield* get<Data>(Resources.ConfigMap, ns, "ti-telemetry-collector-config")
        const telemetry = parse(config.data?.["telemetry.yaml"] ?? "") as {
          receivers: Record<string, unknown>
          service: { pipelines: Record<string, unknown> }
        }
        assert.deepStrictEqual(Object.keys(telemetry.receivers).toSorted(), ["otlp", "statsd"])
        assert.deepStrictEqual(Object.keys(telemetry.service.pipelines).toSorted(), ["logs", "metrics", "traces"])
        assert.notInclude(config.data?.["telemetry.yaml"] ?? "", tenant.dataIngestToken, "no token in the ConfigMap")

        const sts = yield* get<StatefulSet>(Resources.StatefulSet, ns, "ti-otel-collector")
        const pod = sts.spec.template
        assert.strictEqual(pod.spec.serviceAccountName, "dynatrace-otel-collector")
        const container = pod.spec.containers[0]
        assert.strictEqual(container?.image, "registry.example.com/dynatrace-otel-collector:0.30.0")
        assert.deepStrictEqual(container?.args, ["--config=file:///config/telemetry.yaml"])
        const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e]))
        assert.deepStrictEqual(env["DT_DATA_INGEST_TOKEN"]?.valueFrom?.secretKeyRef, {
          name: "ti",
          key: "dataIngestToken"
        })
        assert.strictEqual(env["K8S_CLUSTER_UID"]?.value, dk.status?.["kubeSystemUUID"])
        const annotations = pod.metadata.annotations ?? {}
        assert.match(annotations["internal.operator.dynatrace.com/telemetry-ingest-config-hash"] ?? "", /^\d+$/)
        assert.match(annotations["internal.operator.dynatrace.com/data-ingest-token-hash"] ?? "", /^[0-9a-f]{16}$/)

        yield* steadyState("ti", spec)

        // A new Service name replaces the old Service.
        yield* asTest(
          Kit.applyDynaKube(ns, "ti", { ...spec, telemetryIngest: { ...spec.telemetryIngest, serviceName: "otlp-in" } })
        )
        yield* Kit.waitUntil(
          "the Service is renamed",
          Effect.gen(function* () {
            return (
              (yield* absent(Resources.Service, ns, "ti-telemetry-ingest")) &&
              !(yield* absent(Resources.Service, ns, "otlp-in"))
            )
          }),
          "90 seconds"
        )

        // Switched off: everything goes, conditions too.
        yield* asTest(Kit.applyDynaKube(ns, "ti", { apiUrl: tenant.url }))
        yield* Kit.waitUntil(
          "the collector objects are gone",
          Effect.gen(function* () {
            return (
              (yield* absent(Resources.StatefulSet, ns, "ti-otel-collector")) &&
              (yield* absent(Resources.Service, ns, "otlp-in")) &&
              (yield* absent(Resources.ConfigMap, ns, "dynatrace-otlp-api-endpoint")) &&
              (yield* absent(Resources.ConfigMap, ns, "ti-telemetry-collector-config"))
            )
          }),
          "90 seconds"
        )
        const off = yield* waitCondition("ti", "OtelStatefulSet", undefined)
        for (const type of ["OTELCService", "OtelpApiEndpointConfigMap", "OTELCConfigurationConfigMap"]) {
          assert.isUndefined(Kit.conditionOf(off, type), type)
        }
      }),
    300_000
  )

  it.effect("telemetryIngest without a data-ingest token: Tokens is False and no StatefulSet is created", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      yield* asTest(Kit.tokenSecret(ns, "noingest", { apiToken: tenant.apiToken }))
      const spec = { apiUrl: tenant.url, telemetryIngest: {}, templates: { otelCollector: { imageRef: image } } }
      yield* asTest(Kit.applyDynaKube(ns, "noingest", spec))
      const dk = yield* waitCondition("noingest", "Tokens", "False", "DataIngestTokenMissing")
      assert.strictEqual(Kit.conditionOf(dk, "OTELCService")?.status, "True")
      assert.isTrue(yield* absent(Resources.StatefulSet, ns, "noingest-otel-collector"))
      // The condition the tokens phase sets first does not make the status flap.
      yield* steadyState("noingest", spec)
    })
  )

  it.effect("a Service the apiserver refuses: OTELCService is False with reason KubeApiError, the phase is Error", () =>
    Effect.gen(function* () {
      const tenant = yield* Tenant
      yield* Harness.tenantTokens(ns, "badsvc")
      yield* asTest(
        Kit.applyDynaKube(ns, "badsvc", {
          apiUrl: tenant.url,
          telemetryIngest: { serviceName: "Not_A_DNS_Label" },
          templates: { otelCollector: { imageRef: image } }
        })
      )
      const dk = yield* waitCondition("badsvc", "OTELCService", "False", "KubeApiError")
      assert.include(Kit.conditionOf(dk, "OTELCService")?.message ?? "", "Not_A_DNS_Label")
      assert.strictEqual(dk.status?.["phase"], "Error")
      assert.isTrue(yield* absent(Resources.StatefulSet, ns, "badsvc-otel-collector"))
    })
  )
})
