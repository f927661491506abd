/**
 * Extensions on the real control plane, with the tenant simulator and the operator in this process: Prometheus
 * extensions bring the token Secret, the EEC Service, its self-signed certificate, the EEC StatefulSet and the OTel
 * collector that reads its configuration from the EEC; the tokens are kept across reconciles and an unchanged
 * DynaKube costs no write; a user certificate replaces the self-signed one; switching extensions off removes it all.
 */
import "reflect-metadata"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { KubeClient } from "../../../../services/KubeClient.ts"
import { x509 } from "../../../../services/certs/X509.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Kit from "../../testkit/OperatorTestKit.ts"
import * as Harness from "../../testkit/OperatorTestLayer.ts"

const harness = Harness.make({ prefix: "op-ext" })
const ns = harness.namespace
const { Tenant, asTest, get, absent } = Harness

interface Secret extends KubeObject {
  readonly type?: string
  readonly data?: Record<string, string>
}
interface Service extends KubeObject {
  readonly spec: { readonly ports?: ReadonlyArray<{ name: string; port: number; targetPort: string | number }> }
}
interface StatefulSet extends KubeObject {
  readonly spec: {
    readonly template: {
      readonly metadata: { annotations?: Record<string, string> }
      readonly spec: {
        readonly containers: ReadonlyArray<{
          name: string
          image?: string
          args?: ReadonlyArray<string>
          env?: ReadonlyArray<{ name: string; value?: string }>
        }>
      }
    }
  }
}

const decode = (s: Secret, key: string) => Buffer.from(s.data?.[key] ?? "", "base64").toString("utf8")

/** Pokes a converged DynaKube three times (annotation changes): no reconcile writes or calls the tenant. */
const steadyState = (name: string, spec: Record<string, unknown>) =>
  Harness.expectSteadyState((i) => asTest(Kit.applyDynaKube(ns, name, spec, { poke: `${i}` })))

layer(harness.layer, { excludeTestServices: true, timeout: "300 seconds" })("Extensions", (it) => {
  it.effect(
    "Prometheus: tokens, Service, self-signed TLS, EEC and collector; tokens kept, zero writes; user TLS; off removes all",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        yield* Harness.tenantTokens(ns, "ext")
        const spec = {
          apiUrl: tenant.url,
          extensions: { prometheus: {} },
          templates: {
            extensionExecutionController: { imageRef: { repository: "registry.example.com/eec", tag: "1.311.0" } },
            otelCollector: { imageRef: { repository: "registry.example.com/otelcol", tag: "0.30.0" } }
          }
        }
        yield* asTest(Kit.applyDynaKube(ns, "ext", spec))
        const dk = yield* Kit.waitFor(
          "the EEC and the collector are deployed",
          asTest(Kit.getDynaKube(ns, "ext")),
          (d) =>
            Kit.conditionOf(d, "ExtensionControllerStatefulSet")?.status === "True" &&
            Kit.conditionOf(d, "OtelStatefulSet")?.status === "True",
          "120 seconds"
        )
        for (const type of ["ExtensionsSecret", "ExtensionsService", "ExtensionsTLSSecret"]) {
          assert.strictEqual(Kit.conditionOf(dk, type)?.status, "True", type)
        }

        const tokens = yield* get<Secret>(Resources.Secret, ns, "ext-extensions-token")
        assert.match(decode(tokens, "eec.token"), /^EEC dt0x01\.[A-Z2-7]{24}\.[A-Z2-7]{64}$/)
        assert.match(decode(tokens, "datasource.token"), /^dt0x01\.[A-Z2-7]{24}\.[A-Z2-7]{64}$/)

        const service = yield* get<Service>(Resources.Service, ns, "ext-extension-controller")
        assert.deepStrictEqual(
          service.spec.ports?.map((p) => [p.name, p.port, p.targetPort]),
          [["dynatrace-extension-controller-collector-com", 14599, "collector-com"]]
        )

        const tls = yield* get<Secret>(Resources.Secret, ns, "ext-extension-controller-tls")
        assert.strictEqual(tls.type, "kubernetes.io/tls")
        const cert = new x509.X509Certificate(decode(tls, "tls.crt"))
        const san = cert.getExtension(x509.SubjectAlternativeNameExtension)
        assert.deepStrictEqual(
          san?.names.items.map((n) => n.value),
          [
            `ext-extension-controller.${ns}`,
            `ext-extension-controller.${ns}.svc`,
            `ext-extension-controller.${ns}.svc.cluster.local`
          ]
        )

        const eec = yield* get<StatefulSet>(Resources.StatefulSet, ns, "ext-extension-controller")
        const container = eec.spec.template.spec.containers[0]
        assert.strictEqual(container?.image, "registry.example.com/eec:1.311.0")
        const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]))
        assert.strictEqual(
          env["TenantId"],
          (dk.status?.["activeGate"] as { connectionInfoStatus?: { tenantUUID?: string } } | undefined)
            ?.connectionInfoStatus?.tenantUUID
        )
        assert.isNotEmpty(env["TenantId"])
        assert.strictEqual(env["ServerUrl"], `ext-activegate.${ns}:443`)
        assert.strictEqual(env["K8sExtServiceUrl"], `https://ext-extension-controller.${ns}`)
        const tlsHash =
          eec.spec.template.metadata.annotations?.["internal.operator.dynatrace.com/extensions-secret-hash"]
        assert.match(tlsHash ?? "", /^\d+$/)

        const collector = yield* get<StatefulSet>(Resources.StatefulSet, ns, "ext-otel-collector")
        assert.deepStrictEqual(collector.spec.template.spec.containers[0]?.args, [
          `--config=eec://ext-extension-controller.${ns}:14599/otcconfig/prometheusMetrics#refresh-interval=5s&auth-file=/secrets/tokens/datasource.token`
        ])
        assert.strictEqual(
          collector.spec.template.metadata.annotations?.["internal.operator.dynatrace.com/extensions-secret-hash"],
          tlsHash
        )
        // Prometheus alone: no telemetry-ingest objects.
        assert.isTrue(yield* absent(Resources.ConfigMap, ns, "ext-telemetry-collector-config"))

        // The ActiveGate gets the extension capability and the EEC token.
        const ag = yield* get<StatefulSet>(Resources.StatefulSet, ns, "ext-activegate")
        const agEnv = Object.fromEntries((ag.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]))
        assert.include(agEnv["DT_CAPABILITIES"] ?? "", "extension_controller")

        // Steady state: no writes, and the tokens stay what they were.
        yield* steadyState("ext", spec)
        const tokensAfter = yield* get<Secret>(Resources.Secret, ns, "ext-extensions-token")
        assert.deepStrictEqual(tokensAfter.data, tokens.data)

        // A user certificate: the self-signed one goes, the pods get the new hash.
        yield* asTest(
          Effect.gen(function* () {
            const k = yield* KubeClient
            yield* k.create(Resources.Secret, {
              metadata: { name: "my-eec-tls", namespace: ns },
              type: "kubernetes.io/tls",
              data: { "tls.crt": tls.data?.["tls.crt"] ?? "", "tls.key": tls.data?.["tls.key"] ?? "", extra: "eA==" }
            })
          })
        )
        const withUserTls = {
          ...spec,
          templates: {
            ...spec.templates,
            extensionExecutionController: {
              ...spec.templates.extensionExecutionController,
              tlsRefName: "my-eec-tls"
            }
          }
        }
        yield* asTest(Kit.applyDynaKube(ns, "ext", withUserTls))
        yield* Kit.waitUntil(
          "the user certificate is used",
          Effect.gen(function* () {
            if (!(yield* absent(Resources.Secret, ns, "ext-extension-controller-tls"))) return false
            const sts = yield* get<StatefulSet>(Resources.StatefulSet, ns, "ext-extension-controller")
            const hash =
              sts.spec.template.metadata.annotations?.["internal.operator.dynatrace.com/extensions-secret-hash"]
            return hash !== undefined && hash !== tlsHash
          }),
          "90 seconds"
        )

        // Off: everything of the extensions goes.
        yield* asTest(Kit.applyDynaKube(ns, "ext", { apiUrl: tenant.url }))
        yield* Kit.waitUntil(
          "the extension objects are gone",
          Effect.gen(function* () {
            return (
              (yield* absent(Resources.StatefulSet, ns, "ext-extension-controller")) &&
              (yield* absent(Resources.StatefulSet, ns, "ext-otel-collector")) &&
              (yield* absent(Resources.Service, ns, "ext-extension-controller")) &&
              (yield* absent(Resources.Secret, ns, "ext-extensions-token"))
            )
          }),
          "90 seconds"
        )
        const off = yield* Kit.waitFor(
          "the extension conditions are gone",
          asTest(Kit.getDynaKube(ns, "ext")),
          (d) => Kit.conditionOf(d, "ExtensionControllerStatefulSet") === undefined,
          "60 seconds"
        )
        for (const type of ["ExtensionsSecret", "ExtensionsService", "ExtensionsTLSSecret", "OtelStatefulSet"]) {
          assert.isUndefined(Kit.conditionOf(off, type), type)
        }
        // The user's Secret is theirs.
        assert.isFalse(yield* absent(Resources.Secret, ns, "my-eec-tls"))
      }),
    300_000
  )

  it.effect(
    "databases: one executor Deployment per entry, the public EEC image; a removed entry loses its Deployment",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        yield* asTest(Kit.tokenSecret(ns, "dbs", { apiToken: tenant.apiToken }))
        // A token Secret as an older operator left it (collector token under `otelc.token`) is replaced.
        yield* asTest(
          Effect.gen(function* () {
            const k = yield* KubeClient
            yield* k.create(Resources.Secret, {
              metadata: { name: "dbs-extensions-token", namespace: ns },
              data: { "eec.token": "b2xk", "otelc.token": "b2xk" }
            })
          })
        )
        const spec = (ids: ReadonlyArray<string>) => ({
          apiUrl: tenant.url,
          extensions: { databases: ids.map((id) => ({ id })) },
          templates: {
            sqlExtensionExecutor: { imageRef: { repository: "registry.example.com/sql-exec", tag: "1.2.3" } }
          }
        })
        yield* asTest(Kit.applyDynaKube(ns, "dbs", spec(["db1", "db2"])))
        const dk = yield* Kit.waitFor(
          "the executors are applied",
          asTest(Kit.getDynaKube(ns, "dbs")),
          (d) => Kit.conditionOf(d, "DatabaseDatasourcesAvailable")?.status === "True",
          "120 seconds"
        )
        assert.strictEqual(Kit.conditionOf(dk, "DatabaseDatasourcesAvailable")?.reason, "DeploymentsApplied")
        const tokens = yield* get<Secret>(Resources.Secret, ns, "dbs-extensions-token")
        assert.deepStrictEqual(Object.keys(tokens.data ?? {}).toSorted(), ["datasource.token", "eec.token"])
        assert.match(decode(tokens, "eec.token"), /^EEC dt0x01\./)
        assert.strictEqual(
          Kit.conditionOf(dk, "DatabaseDatasourcesAvailable")?.message,
          "dbs-sql-ext-exec-db1, dbs-sql-ext-exec-db2"
        )
        const db1 = yield* get<StatefulSet>(Resources.Deployment, ns, "dbs-sql-ext-exec-db1")
        assert.deepStrictEqual(db1.spec.template.spec.containers[0]?.args, [
          `--url=https://dbs-extension-controller.${ns}:14599`
        ])
        // No image in the template: the EEC image comes from the tenant's public registry list.
        const eec = yield* get<StatefulSet>(Resources.StatefulSet, ns, "dbs-extension-controller")
        assert.include(eec.spec.template.spec.containers[0]?.image ?? "", "dynatrace-eec")
        // Prometheus is off: no collector.
        assert.isTrue(yield* absent(Resources.StatefulSet, ns, "dbs-otel-collector"))

        yield* steadyState("dbs", spec(["db1", "db2"]))

        yield* asTest(Kit.applyDynaKube(ns, "dbs", spec(["db1"])))
        yield* Kit.waitUntil(
          "db2's executor is gone",
          absent(Resources.Deployment, ns, "dbs-sql-ext-exec-db2"),
          "90 seconds"
        )
        assert.isFalse(yield* absent(Resources.Deployment, ns, "dbs-sql-ext-exec-db1"))
        yield* asTest(Kit.applyDynaKube(ns, "dbs", { apiUrl: tenant.url }))
        yield* Kit.waitUntil(
          "the executors are gone",
          absent(Resources.Deployment, ns, "dbs-sql-ext-exec-db1"),
          "90 seconds"
        )
        const off = yield* Kit.waitFor(
          "the executor condition is gone",
          asTest(Kit.getDynaKube(ns, "dbs")),
          (d) => Kit.conditionOf(d, "DatabaseDatasourcesAvailable") === undefined,
          "60 seconds"
        )
        assert.isUndefined(Kit.conditionOf(off, "ExtensionControllerStatefulSet"))
      }),
    300_000
  )
})
