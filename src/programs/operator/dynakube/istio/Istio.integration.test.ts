/**
 * `spec.enableIstio` on the real control plane (spec §2.2.11): without Istio a clear False condition and the
 * reconcile goes on; with Istio's CRDs (minimal ServiceEntry/VirtualService CRDs installed by this test, removed
 * after) the ServiceEntries and VirtualServices of the operator, ActiveGate and OneAgent components appear with the
 * original's names, labels, ports and resolution; the steady state writes nothing; changed endpoints replace stale
 * objects; `enableIstio: false` removes everything and the conditions.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Kit from "../../testkit/OperatorTestKit.ts"
import * as Harness from "../../testkit/OperatorTestLayer.ts"
import * as Istio from "./Istio.ts"

const harness = Harness.make({ prefix: "op-istio" })
const ns = harness.namespace
const { Tenant, TestKube, asTest, get, absent } = Harness
const name = "dk-istio"

interface IstioJson extends KubeObject {
  readonly spec: Record<string, any>
}

/** A minimal CRD of an Istio kind: v1 (storage) and v1beta1 served, free-form spec. */
const istioCrd = (kind: string, plural: string): KubeObject =>
  ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.networking.istio.io` },
    spec: {
      group: "networking.istio.io",
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: ["v1", "v1beta1"].map((version) => ({
        name: version,
        served: true,
        storage: version === "v1",
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            "x-kubernetes-preserve-unknown-fields": true
          }
        }
      }))
    }
  }) as KubeObject

const crdNames = ["serviceentries.networking.istio.io", "virtualservices.networking.istio.io"]

const removeIstioCrds = asTest(
  Effect.gen(function* () {
    const kube = yield* KubeClient
    for (const crd of crdNames) {
      yield* kube
        .delete(Resources.CustomResourceDefinition, crd)
        .pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void))
    }
    yield* Kit.waitUntil(
      "Istio's resources are no longer served",
      kube.list(Resources.IstioServiceEntry, { namespace: ns, limit: 1 }).pipe(
        Effect.as(false),
        Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(true))
      ),
      "90 seconds"
    )
  })
)

const installIstioCrds = asTest(
  Effect.gen(function* () {
    const kube = yield* KubeClient
    yield* kube.apply(Resources.CustomResourceDefinition, istioCrd("ServiceEntry", "serviceentries"), {
      force: true,
      fieldManager: "operator-tests"
    })
    yield* kube.apply(Resources.CustomResourceDefinition, istioCrd("VirtualService", "virtualservices"), {
      force: true,
      fieldManager: "operator-tests"
    })
    for (const resource of [Resources.IstioServiceEntry, Resources.IstioVirtualService]) {
      yield* Kit.waitUntil(
        `${resource.plural} can be listed`,
        kube.list(resource, { namespace: ns, limit: 1 }).pipe(
          Effect.as(true),
          Effect.orElseSucceed(() => false)
        ),
        "90 seconds"
      )
    }
  })
)

const dynakube = (spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
  Harness.applyTenantDynaKube(ns, name, spec, annotations)

const waitDynaKube = (what: string, predicate: (dk: Kit.DynaKubeJson) => boolean) =>
  Harness.waitForDynaKube(ns, name, what, predicate)

const conditionStatus = (dk: Kit.DynaKubeJson, component: "operator" | "oneagent" | "activegate") =>
  Kit.conditionOf(dk, Istio.conditionType(component))?.status

const serviceEntry = (n: string) => get<IstioJson>(Resources.IstioServiceEntry, ns, n)
const virtualService = (n: string) => get<IstioJson>(Resources.IstioVirtualService, ns, n)

const baseSpec = {
  enableIstio: true,
  oneAgent: { applicationMonitoring: {} },
  activeGate: { capabilities: ["metrics-ingest"] }
}

layer(harness.layer, { excludeTestServices: true, timeout: "400 seconds" })("Istio", (it) => {
  it.effect(
    "without Istio: False conditions that say so, the rest of the reconcile goes on; with Istio: the objects of every component, no writes in the steady state, stale ones replaced, all removed with enableIstio false",
    () =>
      Effect.gen(function* () {
        const tenant = yield* Tenant
        const port = new URL(tenant.url).port
        yield* removeIstioCrds
        yield* Effect.addFinalizer(() => removeIstioCrds.pipe(Effect.orDie))
        yield* Harness.tenantTokens(ns, name)

        // 1. No Istio in the cluster.
        yield* dynakube(baseSpec)
        const without = yield* waitDynaKube(
          "the Istio conditions say Istio is missing and connection info was fetched",
          (dk) =>
            conditionStatus(dk, "operator") === "False" &&
            conditionStatus(dk, "activegate") === "False" &&
            conditionStatus(dk, "oneagent") === "False" &&
            Kit.conditionOf(dk, "OneAgentConnectionInfo")?.status === "True"
        )
        const operatorCondition = Kit.conditionOf(without, "IstioForOperator")!
        assert.strictEqual(operatorCondition.reason, "IstioForOperatorFailed")
        assert.include(operatorCondition.message, "networking.istio.io")
        assert.strictEqual(Kit.conditionOf(without, "IstioForOneAgent")?.reason, "IstioForOneAgentFailed")

        // 2. Istio's CRDs appear; the next reconcile (an annotation change) configures every component.
        yield* installIstioCrds
        yield* dynakube(baseSpec, { poke: "istio-installed" })
        const configured = yield* waitDynaKube(
          "every Istio condition is True",
          (dk) =>
            conditionStatus(dk, "operator") === "True" &&
            conditionStatus(dk, "activegate") === "True" &&
            conditionStatus(dk, "oneagent") === "True"
        )
        assert.strictEqual(Kit.conditionOf(configured, "IstioForOperator")?.reason, "IstioForOperatorChanged")
        assert.strictEqual(
          Kit.conditionOf(configured, "IstioForActiveGate")?.message,
          "ServiceEntries and VirtualServices for ActiveGate have been configured."
        )

        // The API URL (http://127.0.0.1:<port>/api) is an IP host: one IP ServiceEntry, no FQDN objects.
        const apiEntry = yield* serviceEntry(`${name}-ip-operator`)
        assert.deepStrictEqual(apiEntry.spec, {
          hosts: ["ignored.subdomain"],
          addresses: ["127.0.0.1/32"],
          ports: [{ name: `TCP-${port}`, number: Number(port), protocol: "TCP" }],
          location: "MESH_EXTERNAL",
          resolution: "NONE"
        })
        assert.deepInclude(apiEntry.metadata?.labels ?? {}, {
          "app.kubernetes.io/name": "dynatrace-operator",
          "app.kubernetes.io/created-by": name,
          "app.kubernetes.io/component": "operator"
        })
        assert.strictEqual(apiEntry.metadata?.ownerReferences?.[0]?.uid, configured.metadata?.uid)
        assert.isTrue(yield* absent(Resources.IstioServiceEntry, ns, `${name}-fqdn-operator`))
        assert.isTrue(yield* absent(Resources.IstioVirtualService, ns, `${name}-fqdn-operator`))

        // The tenant's communication endpoints are https FQDNs: FQDN entry + VirtualService per component.
        const uuid = tenant.tenant.config.tenantUUID
        const fqdns = [
          "sg-us-east-1-52-1-2-3-prod01.dynatrace.com",
          "sg-us-east-1-52-4-5-6-prod01.dynatrace.com",
          `${uuid}.live.dynatrace.com`
        ].toSorted()
        for (const component of ["oneagent", "activegate"] as const) {
          const entry = yield* serviceEntry(`${name}-fqdn-${component}`)
          assert.deepStrictEqual(entry.spec, {
            hosts: fqdns,
            ports: [{ name: "https-443", number: 443, protocol: "HTTPS" }],
            location: "MESH_EXTERNAL",
            resolution: "DNS"
          })
          assert.strictEqual(entry.metadata?.labels?.["app.kubernetes.io/component"], component)
          const vs = yield* virtualService(`${name}-fqdn-${component}`)
          assert.deepStrictEqual(vs.spec["hosts"], fqdns)
          assert.deepStrictEqual(
            vs.spec["tls"],
            fqdns.map((host) => ({
              match: [{ sniHosts: [host], port: 443 }],
              route: [{ destination: { host, port: { number: 443 } } }]
            }))
          )
          assert.isUndefined(vs.spec["http"])
          assert.isTrue(yield* absent(Resources.IstioServiceEntry, ns, `${name}-ip-${component}`))
        }

        // 3. Steady state: reconciles of the unchanged DynaKube write nothing.
        // An annotation change is a reason to reconcile, and changes nothing the operator derives.
        yield* Harness.expectSteadyState((i) => dynakube(baseSpec, { poke: `steady-${i}` }), { noTenantCalls: false })

        // 4. The OneAgent endpoints change to IP hosts (a network zone whose endpoints are IPv4 and IPv6): the
        //    stale FQDN objects go, an IP entry comes; the other components keep theirs.
        tenant.tenant.config.networkZones["istio-zone"] = [
          "https://10.1.2.3/communication",
          "https://[2001:db8::5]:9999/communication"
        ]
        yield* dynakube({ ...baseSpec, networkZone: "istio-zone" })
        const ipEntry = yield* Kit.waitFor(
          "the OneAgent IP ServiceEntry exists",
          serviceEntry(`${name}-ip-oneagent`),
          () => true,
          "90 seconds"
        )
        assert.deepStrictEqual(ipEntry.spec, {
          hosts: ["ignored.subdomain"],
          addresses: ["10.1.2.3/32", "2001:db8::5/128"],
          ports: [
            { name: "TCP-443", number: 443, protocol: "TCP" },
            { name: "TCP-9999", number: 9999, protocol: "TCP" }
          ],
          location: "MESH_EXTERNAL",
          resolution: "NONE"
        })
        yield* Kit.waitUntil(
          "the stale OneAgent FQDN objects are gone",
          Effect.zipWith(
            absent(Resources.IstioServiceEntry, ns, `${name}-fqdn-oneagent`),
            absent(Resources.IstioVirtualService, ns, `${name}-fqdn-oneagent`),
            (a, b) => a && b
          ),
          "90 seconds"
        )
        assert.isFalse(yield* absent(Resources.IstioServiceEntry, ns, `${name}-fqdn-activegate`))

        // 5. enableIstio false: every object and every Istio condition goes.
        yield* dynakube({ ...baseSpec, enableIstio: false, networkZone: "istio-zone" })
        yield* waitDynaKube("no Istio condition is left", (dk) =>
          (dk.status?.conditions ?? []).every((c) => !c.type.startsWith("IstioFor"))
        )
        const kubeTest = yield* TestKube
        for (const resource of [Resources.IstioServiceEntry, Resources.IstioVirtualService]) {
          const left = yield* kubeTest.list<KubeObject>(resource, { namespace: ns })
          assert.deepStrictEqual(
            left.items.map((o) => o.metadata?.name),
            [],
            `${resource.plural} left behind`
          )
        }
      }),
    400_000
  )
})
