import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Data from "./BootstrapperData.ts"
import {
  activeGate,
  annotation,
  applicationMonitoring,
  cloudNative,
  dynakube,
  enrichment,
  hostMonitoring,
  otlp,
  spec
} from "./InjectionFixtures.ts"

describe("dtclient.config", () => {
  it("is Go's JSON of the download config, fields in the original's order", () => {
    assert.strictEqual(
      Data.clientConfig({
        apiToken: "dt0c01.ABC",
        proxy: "http://user:p&ss@proxy:3128",
        noProxy: "a.local,b.local",
        networkZone: "zone-a",
        hostGroup: "group<1>",
        skipCertCheck: true
      }),
      '{"apiToken":"dt0c01.ABC","proxy":"http://user:p\\u0026ss@proxy:3128","noProxy":"a.local,b.local",' +
        '"networkZone":"zone-a","hostGroup":"group\\u003c1\\u003e","skipCertCheck":true}'
    )
  })
})

const find = (c: Data.ProcessModuleConfig, key: string) => c.properties.find((p) => p.key === key)?.value

describe("ruxitagentproc.json", () => {
  const tenant: Data.ProcessModuleConfig = {
    revision: 7,
    properties: [
      { section: "general", key: "storage", value: "/var/lib/x" },
      { section: "agentType", key: "java", value: "on" },
      { section: "general", key: "hostGroup", value: "from-tenant" },
      // A cache broken by old operators repeats keys; the last one wins.
      { section: "general", key: "storage", value: "/var/lib/y" }
    ]
  }
  const amendment: Data.ProcessModuleAmendment = {
    hostGroup: "prod",
    tenantUUID: "abc12345",
    tenantToken: "tenant-token-value",
    endpoints: "https://a.example.com/communication;https://b.example.com:443"
  }

  it("amends the general section, removes empty values and sorts by key", () => {
    const amended = Data.amendProcessModuleConfig(tenant, amendment)
    assert.strictEqual(
      Data.processModuleConfigJson(amended),
      '{"properties":[' +
        '{"section":"general","key":"hostGroup","value":"prod"},' +
        '{"section":"agentType","key":"java","value":"on"},' +
        '{"section":"general","key":"serverAddress","value":"{https://a.example.com/communication;https://b.example.com:443}"},' +
        '{"section":"general","key":"storage","value":"/var/lib/y"},' +
        '{"section":"general","key":"tenant","value":"abc12345"},' +
        '{"section":"general","key":"tenantToken","value":"tenant-token-value"}' +
        '],"revision":7}'
    )
  })

  it("with a proxy: proxy and noProxy (ActiveGate hosts, then the no-proxy flag); without: both removed", () => {
    const noProxy = Data.oneAgentNoProxy({
      serviceIPs: ["10.0.0.7", "fd00::1"],
      routing: true,
      serviceHost: "dk-activegate.dynatrace",
      noProxyFlag: "internal.corp"
    })
    assert.strictEqual(noProxy, "10.0.0.7,[fd00::1],dk-activegate.dynatrace,internal.corp")
    const withProxy = Data.amendProcessModuleConfig(tenant, { ...amendment, proxy: "http://proxy:8080", noProxy })
    assert.strictEqual(find(withProxy, "proxy"), "http://proxy:8080")
    assert.strictEqual(find(withProxy, "noProxy"), noProxy)
    const without = Data.amendProcessModuleConfig(withProxy, amendment)
    assert.isUndefined(find(without, "proxy"))
    assert.isUndefined(find(without, "noProxy"))
    assert.strictEqual(
      Data.oneAgentNoProxy({ serviceIPs: [], routing: false, serviceHost: "x", noProxyFlag: "corp" }),
      ",corp",
      "the original's leading comma when there are no ActiveGate hosts"
    )
  })

  it("amending is idempotent and the output is sorted, whatever the tenant sent (property)", () => {
    const property = fc.record({
      section: fc.constantFrom("general", "agentType", "other"),
      key: fc.constantFrom("hostGroup", "tenant", "proxy", "noProxy", "storage", "a", "Z", "é"),
      value: fc.string({ maxLength: 5 })
    })
    const amend = fc.record({
      hostGroup: fc.string({ maxLength: 3 }),
      tenantUUID: fc.string({ maxLength: 3 }),
      tenantToken: fc.string({ maxLength: 3 }),
      endpoints: fc.string({ maxLength: 3 }),
      proxy: fc.option(fc.string({ minLength: 1, maxLength: 3 }), { nil: undefined }),
      noProxy: fc.option(fc.string({ maxLength: 3 }), { nil: undefined })
    })
    fc.assert(
      fc.property(fc.array(property, { maxLength: 10 }), fc.nat(100), amend, (properties, revision, a) => {
        const once = Data.amendProcessModuleConfig({ properties, revision }, a)
        const twice = Data.amendProcessModuleConfig(once, a)
        assert.deepStrictEqual(twice, once)
        const keys = once.properties.map((p) => p.key)
        assert.strictEqual(new Set(keys).size, keys.length, "keys are unique")
        assert.deepStrictEqual(
          keys,
          keys.toSorted((x, y) => Data.compareStrings(x, y))
        )
        const amendedKeys = new Set(["hostGroup", "tenant", "tenantToken", "serverAddress", "proxy", "noProxy"])
        assert.isTrue(
          once.properties.every((p) => !amendedKeys.has(p.key) || p.value !== ""),
          "an amended key is set or absent, never empty"
        )
        assert.deepStrictEqual(Data.parseProcessModuleConfig(Data.processModuleConfigJson(once)) ?? once, once)
      })
    )
  })

  it("a cached file that is not a usable config is ignored", () => {
    assert.isUndefined(Data.parseProcessModuleConfig("not json"))
    assert.isUndefined(Data.parseProcessModuleConfig('{"properties":[],"revision":1}'))
    assert.isUndefined(Data.parseProcessModuleConfig('{"properties":[{"section":1}]}'))
    assert.deepStrictEqual(
      Data.parseProcessModuleConfig('{"properties":[{"section":"s","key":"k","value":"v"}],"revision":3}'),
      {
        properties: [{ section: "s", key: "k", value: "v" }],
        revision: 3
      }
    )
  })
})

describe("initial-connect-retry, endpoint.properties, declarative.cbor", () => {
  const flag = "feature.dynatrace.com/oneagent-initial-connect-retry-ms"
  it("initial connect retry: the flag's integer, -1 by default, 6000 with Istio when unset", () => {
    assert.strictEqual(Data.initialConnectRetryMs(dynakube("dk")), -1)
    assert.strictEqual(Data.initialConnectRetryMs(dynakube("dk", spec({ enableIstio: true }))), 6000)
    assert.strictEqual(
      Data.initialConnectRetryMs(dynakube("dk", spec({ enableIstio: true }), annotation(flag, "250"))),
      250
    )
    assert.strictEqual(Data.initialConnectRetryMs(dynakube("dk", annotation(flag, "+30"))), 30)
    assert.strictEqual(Data.initialConnectRetryMs(dynakube("dk", annotation(flag, "1.5s"))), -1)
  })

  it("endpoint.properties points at the tenant, or the in-cluster ActiveGate with metrics-ingest", () => {
    const tenant = Data.metricsIngestUrl({
      dynakube: "dk",
      namespace: "dynatrace",
      apiUrl: "https://abc.live.dynatrace.com/api",
      metricsIngestCapability: false,
      tenantUUID: "abc"
    })
    assert.strictEqual(
      Data.endpointProperties(tenant, "dt0c01.INGEST"),
      "DT_METRICS_INGEST_URL=https://abc.live.dynatrace.com/api/v2/metrics/ingest\nDT_METRICS_INGEST_API_TOKEN=dt0c01.INGEST\n"
    )
    const activeGateUrl = Data.metricsIngestUrl({
      dynakube: "dk",
      namespace: "dynatrace",
      apiUrl: "https://abc.live.dynatrace.com/api",
      metricsIngestCapability: true,
      tenantUUID: "abc"
    })
    assert.strictEqual(
      Data.endpointProperties(activeGateUrl, undefined),
      "DT_METRICS_INGEST_URL=http://dk-activegate.dynatrace/e/abc/api/v2/metrics/ingest\nDT_METRICS_INGEST_API_TOKEN=\n"
    )
  })

  it("declarative.cbor: kept up to 800 KiB, a warning up to 900 KiB, left out above", () => {
    assert.strictEqual(Data.declarativeVerdict(800 * 1024), "keep")
    assert.strictEqual(Data.declarativeVerdict(800 * 1024 + 1), "warn")
    assert.strictEqual(Data.declarativeVerdict(900 * 1024), "warn")
    assert.strictEqual(Data.declarativeVerdict(900 * 1024 + 1), "skip")
  })
})

describe("what a DynaKube needs", () => {
  it("per mode, CSI and code-modules image", () => {
    const cnfs = Data.needs(dynakube("dk", cloudNative()), { csiDriver: true })
    assert.deepInclude(cnfs, {
      appInjection: true,
      downloadConfig: false,
      processGroupingConfig: true,
      bootstrapperConfig: true,
      otlp: false
    })
    assert.isTrue(Data.needs(dynakube("dk", applicationMonitoring()), { csiDriver: false }).downloadConfig)
    const withImage = dynakube("dk", cloudNative(undefined, { codeModulesImage: "registry/cm:1" }))
    assert.isFalse(Data.needs(withImage, { csiDriver: false }).downloadConfig)
    assert.deepInclude(Data.needs(dynakube("dk", hostMonitoring()), { csiDriver: false }), {
      appInjection: false,
      processGroupingConfig: true,
      bootstrapperConfig: true
    })
    assert.deepInclude(Data.needs(dynakube("dk", enrichment()), { csiDriver: false }), {
      processGroupingConfig: false,
      bootstrapperConfig: true
    })
    assert.deepInclude(Data.needs(dynakube("dk", otlp()), { csiDriver: false }), {
      bootstrapperConfig: false,
      otlp: true
    })
  })

  it("host group from the field, else from a --set-host-group argument", () => {
    assert.strictEqual(
      Data.hostGroup(dynakube("dk", cloudNative(undefined, { args: ["--set-host-group=from-arg"] }))),
      "from-arg"
    )
    const both = dynakube("dk", cloudNative(undefined, { args: ["--set-host-group=from-arg"] }))
    assert.strictEqual(
      Data.hostGroup({ ...both, spec: { ...both.spec, oneAgent: { ...both.spec.oneAgent, hostGroup: "field" } } }),
      "field"
    )
    assert.strictEqual(Data.hostGroup(dynakube("dk", cloudNative())), "")
  })

  it("the ActiveGate TLS secret: configured, else automatic (flag on by default), none without an ActiveGate", () => {
    assert.isUndefined(Data.activeGateTlsSecret(dynakube("dk")))
    assert.strictEqual(Data.activeGateTlsSecret(dynakube("dk", activeGate(["routing"]))), "dk-activegate-tls-secret")
    assert.strictEqual(
      Data.activeGateTlsSecret(dynakube("dk", activeGate(["routing"], { tlsSecretName: "mine" }))),
      "mine"
    )
    assert.isUndefined(
      Data.activeGateTlsSecret(
        dynakube("dk", activeGate(["routing"]), annotation("feature.dynatrace.com/automatic-tls-certificate", "false"))
      )
    )
    assert.strictEqual(Data.activeGateCertificate({ "server.crt": "S", "tls.crt": "T" }), "T")
    assert.strictEqual(Data.activeGateCertificate({ "server.crt": "S" }), "S")
  })

  it("certs data has only the non-empty files", () => {
    assert.deepStrictEqual(Data.certsData({}), {})
    assert.deepStrictEqual(Data.certsData({ activeGateCert: "AG", trustedCAs: "" }), { "activegate.pem": "AG" })
    assert.deepStrictEqual(Data.certsData({ activeGateCert: "AG", trustedCAs: "CA" }), {
      "activegate.pem": "AG",
      "trusted.pem": "CA"
    })
  })

  it("names as the original's", () => {
    assert.deepStrictEqual(Data.sourceNames("dk"), {
      bootstrapperConfig: "dk-bootstrapper-config",
      bootstrapperCerts: "dk-bootstrapper-certs",
      otlpConfig: "dk-otlp-exporter-config",
      otlpCerts: "dk-otlp-exporter-certs"
    })
    assert.deepStrictEqual(Object.values(Data.replicaNames), [
      "dynatrace-bootstrapper-config",
      "dynatrace-bootstrapper-certs",
      "dynatrace-otlp-exporter-config",
      "dynatrace-otlp-exporter-certs"
    ])
  })
})
