/**
 * The DynaKube controller's pure pieces: proxy parsing, connection-info decisions, version comparison and probing,
 * phase readiness, event filters and references, feature derivation, status comparison.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { ConnectionInfo } from "../../../services/DynatraceApi.ts"
import * as OperatorConfig from "../OperatorConfig.ts"
import * as ConnectionInfoPhase from "./ConnectionInfo.ts"
import * as DeploymentPhase from "./DeploymentPhase.ts"
import * as DynaKubeController from "./DynaKubeController.ts"
import * as FeatureFlags from "./FeatureFlags.ts"
import * as Features from "./Features.ts"
import * as Proxy from "./Proxy.ts"
import type { ReconcileScope } from "./ReconcileScope.ts"
import * as ReconcileScopeModule from "./ReconcileScope.ts"
import * as Reconciler from "./Reconciler.ts"
import * as VersionResolution from "./VersionResolution.ts"

const now = Date.parse("2026-11-24T12:00:00Z")
const config = Effect.runSync(
  OperatorConfig.fromRaw(
    Object.fromEntries(OperatorConfig.envVars.map((k) => [k, undefined])) as OperatorConfig.RawOperatorConfig,
    { version: "0.1.0" }
  )
)

/** A scope over a DynaKube spec, for the pure decisions that read one. */
const scopeOf = (dk: Partial<DynaKube> & { spec: DynaKube["spec"] }): ReconcileScope => ({
  key: "dynatrace/dk",
  name: "dk",
  namespace: "dynatrace",
  generation: 1,
  raw: {},
  dk: { metadata: { name: "dk", namespace: "dynatrace" }, ...dk } as DynaKube,
  owner: { apiVersion: "dynatrace.com/v1beta6", kind: "DynaKube", name: "dk", uid: "u", namespace: "dynatrace" },
  config,
  operator: { operatorVersion: "0.1.0", operatorImage: "img", csiDriver: true, kubernetesMinorVersion: 34 },
  features: Features.of(dk.spec),
  flags: FeatureFlags.read({}, "dynatrace"),
  now,
  oldStatus: dk.status ?? {},
  status: dk.status ?? {},
  tenant: undefined,
  kubeSystemUUID: "cluster",
  oneAgentConnectionInfo: undefined,
  activeGateConnectionInfo: undefined,
  oneAgentConnectionInfoPostponed: false,
  activeGateConnectionInfoPostponed: false
})

const info = (endpoints: ReadonlyArray<string>, uuid = "abc"): ConnectionInfo => ({
  tenantUUID: uuid,
  tenantToken: Redacted.make("token"),
  communicationEndpoints: endpoints,
  endpoints: endpoints.join(";")
})

describe("Proxy", () => {
  it("splits a proxy URL; no scheme means http; credentials are URL-decoded", () => {
    assert.deepStrictEqual(Proxy.parse("http://us%65r:p%40ss@proxy.example:3128"), {
      scheme: "http",
      host: "proxy.example",
      port: "3128",
      username: "user",
      password: "p@ss"
    })
    assert.deepStrictEqual(Proxy.parse("proxy.example:8080"), {
      scheme: "http",
      host: "proxy.example",
      port: "8080",
      username: "",
      password: ""
    })
    assert.isUndefined(Proxy.parse("http://[bad"))
  })

  it("the URL hash is the first 16 hex characters of its SHA-256", () => {
    assert.strictEqual(Proxy.urlHash("http://proxy:3128"), Proxy.urlHash("http://proxy:3128"))
    assert.match(Proxy.urlHash("http://proxy:3128"), /^[0-9a-f]{16}$/)
    assert.notStrictEqual(Proxy.urlHash("http://proxy:3128"), Proxy.urlHash("http://proxy:3129"))
  })
})

describe("ConnectionInfo", () => {
  it("endpoint hosts of ;-separated URLs", () => {
    assert.deepStrictEqual(
      ConnectionInfoPhase.endpointHosts("https://10.0.0.1:443/communication; https://[fd00::1]:9999/c;host.example"),
      ["10.0.0.1", "fd00::1", "host.example"]
    )
  })

  it("no endpoints: postponed with EmptyCommunicationHosts", () => {
    const scope = scopeOf({ spec: { apiUrl: "https://x/api", oneAgent: { hostMonitoring: {} } } })
    assert.strictEqual(ConnectionInfoPhase.postponeReason(scope, info([]))?.reason, "EmptyCommunicationHosts")
    assert.isUndefined(ConnectionInfoPhase.postponeReason(scope, info(["https://a/communication"])))
  })

  it("network zone + routing ActiveGate: postponed until an ActiveGate service IP is among the endpoints", () => {
    const spec = {
      apiUrl: "https://x/api",
      networkZone: "zone",
      oneAgent: { hostMonitoring: {} },
      activeGate: { capabilities: ["routing"] }
    }
    const without = scopeOf({ spec, status: { activeGate: { serviceIPs: ["10.0.0.9"] } } })
    assert.strictEqual(
      ConnectionInfoPhase.postponeReason(without, info(["https://10.0.0.1:443/communication"]))?.reason,
      "StaleNetworkZoneEndpoints"
    )
    assert.isUndefined(ConnectionInfoPhase.postponeReason(without, info(["https://10.0.0.9:443/communication"])))
  })

  it("lastRequest stays while the answer is unchanged and fresh; moves when it changed or got stale", () => {
    const scope = scopeOf({ spec: { apiUrl: "https://x/api" } })
    const first = ConnectionInfoPhase.nextStatus(scope, undefined, info(["e1"]))
    assert.strictEqual(first.lastRequest, "2026-11-24T12:00:00Z")
    const later = { ...scope, now: now + 60_000 }
    assert.strictEqual(ConnectionInfoPhase.nextStatus(later, first, info(["e1"])).lastRequest, first.lastRequest)
    assert.strictEqual(ConnectionInfoPhase.nextStatus(later, first, info(["e2"])).lastRequest, "2026-11-24T12:01:00Z")
    const stale = { ...scope, now: now + 16 * 60_000 }
    assert.strictEqual(ConnectionInfoPhase.nextStatus(stale, first, info(["e1"])).lastRequest, "2026-11-24T12:16:00Z")
    assert.notStrictEqual(first.tenantTokenHash, "token")
  })
})

describe("VersionResolution", () => {
  it("compares tenant versions numerically, part by part", () => {
    assert.isBelow(VersionResolution.compareVersions("1.299.0.20240101-000000", "1.300.0.20230101-000000"), 0)
    assert.isAbove(VersionResolution.compareVersions("1.300.10.20240101-000000", "1.300.9.20240101-000000"), 0)
    assert.strictEqual(VersionResolution.compareVersions("1.2.3", "1.2.3"), 0)
  })

  it("probes only when nothing is known, the source or custom value changed, or (auto-update) it is stale", () => {
    const scope = scopeOf({ spec: { apiUrl: "https://x/api", oneAgent: { hostMonitoring: {} } } })
    const input = { component: "oneAgent", customImage: undefined, customVersion: undefined, autoUpdate: true } as const
    const fresh = { source: "tenant-registry", version: "1", lastProbeTimestamp: "2026-11-24T11:55:00Z" } as const
    assert.isTrue(VersionResolution.needsProbe(scope, input, undefined))
    assert.isFalse(VersionResolution.needsProbe(scope, input, fresh))
    assert.isTrue(VersionResolution.needsProbe(scope, input, { ...fresh, lastProbeTimestamp: "2026-11-24T11:40:00Z" }))
    assert.isTrue(VersionResolution.needsProbe(scope, { ...input, customImage: "my/image:1" }, fresh))
    const pinned = { ...input, customVersion: "1", autoUpdate: false }
    const custom = { source: "custom-version", version: "1", lastProbeTimestamp: "2026-01-01T00:00:00Z" } as const
    assert.isFalse(VersionResolution.needsProbe(scope, pinned, custom), "no auto-update: first resolution only")
  })
})

describe("DeploymentPhase", () => {
  it("a StatefulSet is ready when every replica is; a DaemonSet when every scheduled pod is", () => {
    assert.isFalse(DeploymentPhase.statefulSetReady({ spec: { replicas: 2 }, status: { readyReplicas: 1 } }))
    assert.isTrue(DeploymentPhase.statefulSetReady({ spec: { replicas: 2 }, status: { readyReplicas: 2 } }))
    assert.isFalse(DeploymentPhase.statefulSetReady({}), "one replica by default, none ready")
    assert.isFalse(DeploymentPhase.daemonSetReady({ status: { currentNumberScheduled: 3, numberReady: 2 } }))
    assert.isTrue(DeploymentPhase.daemonSetReady({ status: { currentNumberScheduled: 3, numberReady: 3 } }))
    assert.isTrue(DeploymentPhase.daemonSetReady({}), "nothing scheduled yet counts as nothing to wait for")
  })
})

describe("DynaKubeController sources", () => {
  const dk = (meta: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
    metadata: { name: "dk", namespace: "dynatrace", ...meta },
    spec
  })

  it("a change of status alone is no reason to reconcile; spec, labels, annotations and deletion are", () => {
    const old = dk({ generation: 1, annotations: { a: "1" } })
    const withStatus = { ...old, status: { phase: "Running" } }
    assert.isFalse(DynaKubeController.dynakubeEventMatters({ type: "Modified", old, object: withStatus }))
    assert.isTrue(
      DynaKubeController.dynakubeEventMatters({
        type: "Modified",
        old,
        object: dk({ generation: 2, annotations: { a: "1" } })
      })
    )
    assert.isTrue(
      DynaKubeController.dynakubeEventMatters({
        type: "Modified",
        old,
        object: dk({ generation: 1, annotations: { a: "2" } })
      })
    )
    assert.isTrue(DynaKubeController.dynakubeEventMatters({ type: "Added", object: old }))
    assert.isTrue(DynaKubeController.dynakubeEventMatters({ type: "Deleted", object: old }))
  })

  it("the Secrets and ConfigMaps a DynaKube refers to", () => {
    assert.deepStrictEqual(DynaKubeController.references(dk({}, {})), { secrets: ["dk"], configMaps: [] })
    assert.deepStrictEqual(
      DynaKubeController.references(
        dk(
          {},
          {
            tokens: "t",
            proxy: { valueFrom: "p" },
            customPullSecret: "pull",
            trustedCAs: "cas",
            activeGate: { customProperties: { valueFrom: "cp" }, tlsSecretName: "tls" }
          }
        )
      ),
      { secrets: ["t", "p", "pull", "cp", "tls"], configMaps: ["cas"] }
    )
  })

  it("which DynaKubes map namespaces, and whose objects an event concerns", () => {
    assert.isTrue(DynaKubeController.mapsNamespaces(dk({}, { oneAgent: { applicationMonitoring: {} } })))
    assert.isTrue(DynaKubeController.mapsNamespaces(dk({}, { metadataEnrichment: { enabled: true } })))
    assert.isTrue(DynaKubeController.mapsNamespaces(dk({}, { otlpExporterConfiguration: { signals: { traces: {} } } })))
    assert.isFalse(DynaKubeController.mapsNamespaces(dk({}, { oneAgent: { hostMonitoring: {} } })))
    assert.deepStrictEqual(
      DynaKubeController.ownerKeys({
        metadata: {
          namespace: "dynatrace",
          ownerReferences: [
            { apiVersion: "dynatrace.com/v1beta6", kind: "DynaKube", name: "dk", uid: "1" },
            { apiVersion: "apps/v1", kind: "Deployment", name: "x", uid: "2" }
          ]
        }
      }),
      ["dynatrace/dk"]
    )
    assert.deepStrictEqual(
      DynaKubeController.replicaOwner("dynatrace", { metadata: { labels: { "app.kubernetes.io/created-by": "dk" } } }),
      ["dynatrace/dk"]
    )
  })
})

describe("Features and feature flags", () => {
  it("modes, ActiveGate enablement, custom images", () => {
    const f = Features.of({
      apiUrl: "u",
      oneAgent: { cloudNativeFullStack: { image: "my/oa:1", codeModulesImage: "my/cm:1" } },
      extensions: { prometheus: {} }
    })
    assert.strictEqual(f.oneAgentMode, "cloudNativeFullStack")
    assert.isTrue(f.hostAgent && f.readOnlyHostAgent && f.appInjection)
    assert.isTrue(f.activeGate, "extensions alone enable the ActiveGate")
    assert.strictEqual(f.oneAgentCustomImage, "my/oa:1")
    assert.strictEqual(f.codeModulesImage, "my/cm:1")
    const app = Features.of({ apiUrl: "u", oneAgent: { applicationMonitoring: { version: "1.2" } } })
    assert.isFalse(app.hostAgent)
    assert.strictEqual(app.codeModulesVersion, "1.2")
  })

  it("booleans parse like Go's ParseBool; unreadable values mean the default", () => {
    assert.strictEqual(FeatureFlags.parseBool("T"), true)
    assert.strictEqual(FeatureFlags.parseBool("0"), false)
    assert.isUndefined(FeatureFlags.parseBool("yes"))
    const flags = FeatureFlags.read(
      {
        metadata: {
          annotations: {
            "feature.dynatrace.com/automatic-injection": "yes",
            "feature.dynatrace.com/disable-activegate-updates": "true",
            "feature.dynatrace.com/ignored-namespaces": '["^x$"]'
          }
        }
      },
      "ops"
    )
    assert.isTrue(flags.automaticInjection)
    assert.isFalse(flags.activeGateUpdates)
    assert.deepStrictEqual(flags.ignoredNamespaces, ["^x$"])
    assert.deepStrictEqual(FeatureFlags.read({}, "ops").ignoredNamespaces[0], "^ops$")
  })
})

describe("Reconciler decisions", () => {
  it("status changes are judged on canonical JSON (key order does not count)", () => {
    assert.isFalse(Reconciler.statusChanged({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }))
    assert.isTrue(Reconciler.statusChanged({ a: 1 }, { a: 2 }))
    assert.isFalse(Reconciler.statusChanged(undefined, {}))
  })

  it("conditions move their transition time only when the status changes", () => {
    const scope = scopeOf({ spec: { apiUrl: "u" } })
    ReconcileScopeModule.setCondition(scope, { type: "T", status: "True", reason: "R", message: "m" })
    const first = ReconcileScopeModule.condition(scope, "T")
    const later = { ...scope, now: now + 60_000 }
    ReconcileScopeModule.setCondition(later, { type: "T", status: "True", reason: "R2", message: "m2" })
    assert.strictEqual(ReconcileScopeModule.condition(later, "T")?.lastTransitionTime, first?.lastTransitionTime)
    assert.strictEqual(ReconcileScopeModule.condition(later, "T")?.observedGeneration, 1)
    ReconcileScopeModule.setCondition(later, { type: "T", status: "False", reason: "R3", message: "m3" })
    assert.strictEqual(ReconcileScopeModule.condition(later, "T")?.lastTransitionTime, "2026-11-24T12:01:00Z")
  })
})
