import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import {
  dynakube,
  withActiveGate,
  withFlag,
  withProxy,
  withServiceIPs,
  withSpec,
  withStatus
} from "../oneagent/WorkloadFixtures.ts"
import {
  annotationKeys,
  buildConfigSecret,
  configSecretName,
  deploymentConf,
  noProxyValue,
  restartAnnotations
} from "./LogMonitoringConfig.ts"

const token = Redacted.make("dt0c01.TENANT-TOKEN")
const withEndpoints = withStatus((s) => {
  s.oneAgent = {
    ...s.oneAgent,
    connectionInfoStatus: {
      tenantUUID: "abc12345",
      tenantTokenHash: "hash-1",
      endpoints: "https://a.example:443/communication;https://b.example:443/communication"
    }
  }
})

describe("deployment.conf", () => {
  it("has Server, Tenant, TenantToken and HostIdSource, sorted by key, one line each", () => {
    const text = deploymentConf({
      dynakube: dynakube(withEndpoints),
      operatorVersion: "1.7.0",
      tenantToken: token,
      proxy: undefined
    })
    expect(text).toBe(
      "HostIdSource=k8s-node-name\n" +
        "Server={https://a.example:443/communication;https://b.example:443/communication}\n" +
        "Tenant=abc12345\n" +
        "TenantToken=dt0c01.TENANT-TOKEN\n"
    )
  })

  it("adds Location, Proxy and noProxy (the flag, then the ActiveGate's hosts) in byte order", () => {
    const dk = dynakube(
      withEndpoints,
      withProxy("http://proxy.corp:3128"),
      withFlag("no-proxy", "internal.corp"),
      withActiveGate(["routing"]),
      withServiceIPs("10.96.0.12", "fd00::12"),
      withSpec((s) => {
        s.networkZone = "eu-west"
      })
    )
    const text = deploymentConf({
      dynakube: dk,
      operatorVersion: "1.7.0",
      tenantToken: token,
      proxy: Redacted.make("http://user:pw@proxy.corp:3128")
    })
    expect(text.split("\n")).toStrictEqual([
      "HostIdSource=k8s-node-name",
      "Location=eu-west",
      "Proxy=http://user:pw@proxy.corp:3128",
      "Server={https://a.example:443/communication;https://b.example:443/communication}",
      "Tenant=abc12345",
      "TenantToken=dt0c01.TENANT-TOKEN",
      "noProxy=internal.corp,10.96.0.12,[fd00::12],dk-activegate.dynatrace",
      ""
    ])
  })

  it("noProxy is empty without flag and ActiveGate hosts, and skips a blank flag", () => {
    expect(noProxyValue(dynakube())).toBe("")
    expect(noProxyValue(dynakube(withFlag("no-proxy", "  "), withServiceIPs("10.0.0.1")))).toBe("10.0.0.1")
  })
})

describe("config Secret", () => {
  it("is <dk>-logmonitoring-config, owned by the DynaKube, with deployment.conf base64-encoded", () => {
    const dk = dynakube(withEndpoints)
    const secret = buildConfigSecret({ dynakube: dk, operatorVersion: "1.7.0", tenantToken: token, proxy: undefined })
    expect(secret.metadata?.name).toBe(configSecretName("dk"))
    expect(secret.metadata?.name).toBe("dk-logmonitoring-config")
    expect(secret.metadata?.namespace).toBe("dynatrace")
    expect(secret.metadata?.ownerReferences?.[0]?.uid).toBe(dk.metadata?.uid)
    expect(secret.metadata?.labels).toStrictEqual({
      "app.kubernetes.io/name": "dynatrace-operator",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/component": "logmonitoring",
      "app.kubernetes.io/version": "1.7.0"
    })
    const data = (secret as unknown as { data: Record<string, string> }).data
    expect(Object.keys(data)).toStrictEqual(["deployment.conf"])
    expect(Buffer.from(data["deployment.conf"] ?? "", "base64").toString("utf8")).toContain(
      "TenantToken=dt0c01.TENANT-TOKEN\n"
    )
  })
})

describe("restart annotations", () => {
  it("always carry the token hash; zone, proxy hash and no-proxy only when set; they win over the user's", () => {
    expect(
      restartAnnotations(dynakube(withEndpoints), { team: "a", [annotationKeys.tenantTokenHash]: "x" })
    ).toStrictEqual({ team: "a", [annotationKeys.tenantTokenHash]: "hash-1" })
    const dk = dynakube(
      withEndpoints,
      withProxy("http://proxy.corp:3128"),
      withServiceIPs("10.96.0.12"),
      withStatus((s) => {
        s.proxyURLHash = "proxy-hash-1"
      }),
      withSpec((s) => {
        s.networkZone = "eu-west"
      })
    )
    expect(restartAnnotations(dk)).toStrictEqual({
      [annotationKeys.tenantTokenHash]: "hash-1",
      [annotationKeys.networkZone]: "eu-west",
      [annotationKeys.proxyHash]: "proxy-hash-1",
      [annotationKeys.noProxy]: "10.96.0.12"
    })
  })
})
