import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import { dynakube, operator, withActiveGate, withFlag, withProxy, withSpec } from "../oneagent/WorkloadFixtures.ts"
import {
  activeGateConfigurationHash,
  authTokenConditionMessage,
  authTokenRotationDue,
  buildAuthTokenSecret,
  buildCustomPropertiesSecret,
  buildDeploymentPropertiesConfigMap,
  customPropertiesContent,
  customPropertiesSource,
  deploymentPropertiesContent,
  needsCustomPropertiesSecret
} from "./ActiveGateSecrets.ts"

const owner = {
  apiVersion: "dynatrace.com/v1beta6",
  kind: "DynaKube",
  name: "dk",
  uid: "6f0c1e4e-1111-4222-8333-944455556666",
  controller: true,
  blockOwnerDeletion: true
}
const coreLabels = {
  "app.kubernetes.io/name": "dynatrace-operator",
  "app.kubernetes.io/created-by": "dk",
  "app.kubernetes.io/component": "activegate",
  "app.kubernetes.io/version": "1.7.0"
}
const b64 = (s: string) => Buffer.from(s).toString("base64")
const day = 86_400_000

describe("auth token secret", () => {
  const token = Redacted.make("dt0g02.ABCDEFGH.SECRETSECRETSECRET")

  it("holds the token under auth-token, owned by the DynaKube", () => {
    expect(buildAuthTokenSecret({ dynakube: dynakube(withActiveGate(["routing"])), operator, token })).toStrictEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "dk-activegate-authtoken-secret",
        namespace: "dynatrace",
        labels: coreLabels,
        ownerReferences: [owner]
      },
      type: "Opaque",
      data: { "auth-token": b64("dt0g02.ABCDEFGH.SECRETSECRETSECRET") }
    })
  })

  it("is rotated after 29 days; the condition message shows only the public prefix", () => {
    const created = Date.UTC(2026, 0, 1)
    expect(authTokenRotationDue(created, created + 29 * day)).toBe(false)
    expect(authTokenRotationDue(created, created + 29 * day + 1)).toBe(true)
    const message = authTokenConditionMessage(created, created + 3 * day + 5000, token)
    expect(message).toBe("secret created 3 day(s) ago, token:dt0g02.ABCDEFGH")
    expect(message).not.toContain("SECRET")
  })
})

describe("custom properties", () => {
  it("source: inline value first, else the Secret name, else none (null and empty count as absent)", () => {
    expect(
      customPropertiesSource(dynakube(withActiveGate(["routing"], (ag) => (ag.customProperties = { value: "a=b" }))))
    ).toStrictEqual({
      value: "a=b"
    })
    expect(
      customPropertiesSource(
        dynakube(withActiveGate(["routing"], (ag) => (ag.customProperties = { value: "", valueFrom: "cp" })))
      )
    ).toStrictEqual({ secretName: "cp" })
    expect(
      customPropertiesSource(
        dynakube(withActiveGate(["routing"], (ag) => (ag.customProperties = { value: null, valueFrom: null })))
      )
    ).toBeUndefined()
  })

  it("the no-proxy flag replaces an [http.client.internal] line or appends the section", () => {
    const dk = dynakube(
      withActiveGate(["routing"]),
      withProxy("http://p:1"),
      withFlag("no-proxy", "a.example,b.example")
    )
    const flags = readWorkloadFlags(dk)
    expect(customPropertiesContent(dk, flags, "[connectivity]\nx=1\n[http.client.internal]\nold=1")).toBe(
      "[connectivity]\nx=1\n[http.client.internal]\nproxy-non-proxy-hosts=a.example|b.example\nold=1"
    )
    expect(customPropertiesContent(dk, flags, "")).toBe(
      "\n[http.client.internal]\nproxy-non-proxy-hosts=a.example|b.example"
    )
    const noProxyOnly = dynakube(withActiveGate(["routing"]), withFlag("no-proxy", "a"))
    expect(customPropertiesContent(noProxyOnly, readWorkloadFlags(noProxyOnly), "x=1")).toBe("x=1")
    expect(needsCustomPropertiesSecret(noProxyOnly, readWorkloadFlags(noProxyOnly))).toBe(false)
    expect(needsCustomPropertiesSecret(dk, flags)).toBe(true)
  })

  it("secret name follows kubernetes-monitoring; nothing to write means no secret", () => {
    const dk = dynakube(withActiveGate(["kubernetes-monitoring"]))
    const flags = readWorkloadFlags(dk)
    expect(buildCustomPropertiesSecret({ dynakube: dk, operator, flags, userText: "a=b" })).toStrictEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "dk-kubernetes-monitoring-custom-properties",
        namespace: "dynatrace",
        labels: coreLabels,
        ownerReferences: [owner]
      },
      type: "Opaque",
      data: { customProperties: b64("a=b") }
    })
    expect(buildCustomPropertiesSecret({ dynakube: dk, operator, flags, userText: "" })).toBeUndefined()
    const routing = dynakube(withActiveGate(["routing"]))
    expect(
      buildCustomPropertiesSecret({ dynakube: routing, operator, flags: readWorkloadFlags(routing), userText: "x" })
        ?.metadata.name
    ).toBe("dk-activegate-custom-properties")
  })
})

describe("deployment properties and configuration hash", () => {
  it("deployment.properties lists the global resource attributes by key", () => {
    expect(deploymentPropertiesContent({ "z.k": "1", "a.k": "2" })).toBe("[resource_attributes]\na.k = 2\nz.k = 1\n")
    expect(deploymentPropertiesContent(undefined)).toBe("")
    const cm = buildDeploymentPropertiesConfigMap({
      dynakube: dynakube(
        withActiveGate(["routing"]),
        withSpec((s) => (s.resourceAttributes = { team: "a" }))
      ),
      operator
    })
    expect(cm).toStrictEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "dk-activegate-deployment-properties",
        namespace: "dynatrace",
        labels: coreLabels,
        ownerReferences: [owner]
      },
      data: { "deployment.properties": "[resource_attributes]\nteam = a\n" }
    })
  })

  it("configuration hash: FNV-1 of custom properties + auth token + deployment properties", () => {
    // Reference value computed independently (Python) as FNV-1 32 of "x=1" + "tok" + "[resource_attributes]\na = b\n".
    expect(
      activeGateConfigurationHash({
        customProperties: "x=1",
        authToken: Redacted.make("tok"),
        resourceAttributes: { a: "b" }
      })
    ).toBe("1971675381")
    const base = { customProperties: "", authToken: Redacted.make("t1"), resourceAttributes: undefined }
    expect(activeGateConfigurationHash(base)).not.toBe(
      activeGateConfigurationHash({ ...base, authToken: Redacted.make("t2") })
    )
    expect(activeGateConfigurationHash({ ...base, authToken: undefined })).toBe("2166136261")
  })
})
