import { describe, expect, it } from "@effect/vitest"
import * as Check from "./Check.ts"
import * as DynaKubeChecks from "./DynaKubeChecks.ts"
import type { DynaKubeFacts } from "./Facts.ts"
import {
  allApiScopes,
  cloudNativeSpec,
  dynakubeFacts,
  pullSecretFacts,
  tokenSecretFacts,
  withProxy,
  withPullSecret,
  withScopes,
  withSpec,
  withStatus,
  withTenant,
  withTokens
} from "./TestFacts.ts"

const verdict = (facts: DynaKubeFacts, id: string) => {
  const found = DynaKubeChecks.all(facts).find((v) => v.id === id)
  if (found === undefined) throw new Error(`no verdict ${id}`)
  return found
}

const configured = (
  resolved: Extract<DynaKubeFacts["proxy"], { _tag: "Configured" }>["resolved"],
  source: "value" | "secret" = "secret"
) => withProxy({ _tag: "Configured", source, secretName: source === "secret" ? "proxy-secret" : undefined, resolved })

const apiUrl = (url: string) => verdict(dynakubeFacts(withSpec({ ...cloudNativeSpec, apiUrl: url })), "api-url")

describe("DynaKubeChecks", () => {
  it("a healthy DynaKube passes every check, in order", () => {
    expect(DynaKubeChecks.all(dynakubeFacts()).map((v) => [v.id, v.status])).toEqual([
      ["dynakube", "pass"],
      ["api-url", "pass"],
      ["token-secret", "pass"],
      ["token-scopes", "pass"],
      ["latest-agent-version", "pass"],
      ["pull-secret", "pass"],
      ["proxy", "pass"],
      ["dynakube-status", "pass"],
      ["oneagent", "pass"],
      ["activegate", "pass"]
    ])
  })

  it("a DynaKube that does not decode gets only that failure", () => {
    const facts = dynakubeFacts((f) => ({
      ...f,
      decoded: { _tag: "Invalid", message: "spec.apiUrl: Expected string" }
    }))
    expect(DynaKubeChecks.all(facts)).toEqual([
      {
        id: "dynakube",
        status: "fail",
        message: "DynaKube dynatrace/dynakube does not match the v1beta6 schema: spec.apiUrl: Expected string"
      }
    ])
  })

  describe("api-url", () => {
    it("accepts 2nd-gen, Managed and 3rd-gen URLs", () => {
      expect(apiUrl("https://abc12345.live.dynatrace.com/api").status).toBe("pass")
      expect(apiUrl("https://managed.example.com/e/env-id/api").status).toBe("pass")
      const third = apiUrl("https://abc12345.apps.dynatrace.com")
      expect(third).toMatchObject({
        status: "pass",
        message: expect.stringContaining("https://abc12345.live.dynatrace.com/api")
      })
    })

    it("refuses the example, a missing /api, a non-URL and a non-http scheme", () => {
      expect(apiUrl("https://ENVIRONMENTID.live.dynatrace.com/api")).toMatchObject({
        status: "fail",
        message: expect.stringContaining("example")
      })
      expect(apiUrl("https://abc12345.live.dynatrace.com")).toMatchObject({
        status: "fail",
        message: expect.stringContaining("does not end in /api")
      })
      expect(apiUrl("not a url").status).toBe("fail")
      expect(apiUrl("ftp://abc12345.live.dynatrace.com/api")).toMatchObject({
        status: "fail",
        message: expect.stringContaining("http or https")
      })
    })
  })

  describe("token-secret", () => {
    it("fails when the Secret is missing, unreadable or has no usable apiToken", () => {
      expect(verdict(dynakubeFacts(withTokens(Check.notFound)), "token-secret")).toMatchObject({
        status: "fail",
        message: "Token secret dynatrace/dynakube does not exist."
      })
      expect(verdict(dynakubeFacts(withTokens(Check.failed("Forbidden: secrets"))), "token-secret").message).toContain(
        "Forbidden"
      )
      const noApiToken = dynakubeFacts(
        withTokens(Check.found(tokenSecretFacts({ keys: ["paasToken"], problem: "has no apiToken" })))
      )
      expect(verdict(noApiToken, "token-secret")).toMatchObject({
        status: "fail",
        message: "Token secret dynatrace/dynakube: has no apiToken."
      })
      // Everything that needs the tokens waits for them.
      expect(verdict(noApiToken, "token-scopes").status).toBe("skip")
      expect(verdict(noApiToken, "latest-agent-version").status).toBe("skip")
    })

    it("names the keys and a platform token, never values", () => {
      const v = verdict(
        dynakubeFacts(withTokens(Check.found(tokenSecretFacts({ platformToken: true })))),
        "token-secret"
      )
      expect(v.message).toBe(
        "Token secret dynatrace/dynakube holds apiToken, dataIngestToken (apiToken is a platform token)."
      )
    })
  })

  describe("token-scopes", () => {
    it("names every missing required scope with the feature that needs it", () => {
      const facts = dynakubeFacts(
        withScopes({ apiToken: Check.found(["DataExport", "settings.read", "settings.write"]) })
      )
      const v = verdict(facts, "token-scopes")
      expect(v.status).toBe("fail")
      expect(v.message).toBe(
        "Missing token scopes: apiToken lacks activeGateTokenManagement.create (needed for activegate), InstallerDownload (needed for installer download)."
      )
    })

    it("DataExport is required only with host availability detection", () => {
      const withoutDataExport = withScopes({ apiToken: Check.found(allApiScopes.filter((s) => s !== "DataExport")) })
      expect(verdict(dynakubeFacts(withoutDataExport), "token-scopes").message).toContain(
        "DataExport (needed for host availability detection)"
      )
      const off = dynakubeFacts(withoutDataExport, (f) => ({ ...f, hostAvailabilityDetection: false }))
      expect(verdict(off, "token-scopes").status).toBe("pass")
    })

    it("checks the paasToken and the dataIngestToken against their own requirements", () => {
      const facts = dynakubeFacts(
        withSpec({ ...cloudNativeSpec, activeGate: { capabilities: ["metrics-ingest"] } }),
        withTokens(Check.found(tokenSecretFacts({ hasPaasToken: true }))),
        withScopes({
          apiToken: Check.found(allApiScopes),
          paasToken: Check.found([]),
          dataIngestToken: Check.found(["logs.ingest"])
        })
      )
      expect(verdict(facts, "token-scopes").message).toBe(
        "Missing token scopes: paasToken lacks InstallerDownload (needed for installer download); dataIngestToken lacks metrics.ingest (needed for metrics ingest)."
      )
    })

    it("missing optional scopes are a warning", () => {
      const facts = dynakubeFacts(
        withScopes({ apiToken: Check.found(["DataExport", "InstallerDownload", "activeGateTokenManagement.create"]) })
      )
      const v = verdict(facts, "token-scopes")
      expect(v.status).toBe("warn")
      expect(v.message).toContain("settings.read, settings.write")
    })

    it("a failed lookup fails, a platform token passes without lookup, no tenant contact skips", () => {
      const failedLookup = dynakubeFacts(
        withScopes({ apiToken: Check.failed("POST /v2/apiTokens/lookup: Unauthorized: Token Authentication failed") })
      )
      expect(verdict(failedLookup, "token-scopes")).toMatchObject({
        status: "fail",
        message: expect.stringContaining("Unauthorized")
      })
      const platform = dynakubeFacts(withTokens(Check.found(tokenSecretFacts({ platformToken: true }))), withScopes({}))
      expect(verdict(platform, "token-scopes").status).toBe("pass")
      const notContacted = dynakubeFacts(
        withTenant({ notContacted: "no tenant client: apiUrl bad", scopes: {}, latestAgentVersion: undefined })
      )
      expect(verdict(notContacted, "token-scopes")).toMatchObject({
        status: "skip",
        message: "Skipped: no tenant client: apiUrl bad"
      })
      expect(verdict(notContacted, "latest-agent-version").status).toBe("skip")
    })
  })

  it("latest-agent-version reports the version or the failure", () => {
    expect(verdict(dynakubeFacts(), "latest-agent-version").message).toBe(
      "The tenant offers OneAgent version 1.311.54.20250317-111439."
    )
    const failing = dynakubeFacts(
      withTenant({
        latestAgentVersion: { installer: "paas", result: Check.failed("GET …/metainfo: Transport: refused") }
      })
    )
    expect(verdict(failing, "latest-agent-version")).toMatchObject({
      status: "fail",
      message: "The latest code-module version could not be fetched: GET …/metainfo: Transport: refused"
    })
  })

  describe("pull-secret", () => {
    it("is needed only for tenant-registry images of host agents, ActiveGate or kubemon", () => {
      const appOnly = dynakubeFacts(
        withSpec({ apiUrl: cloudNativeSpec.apiUrl, oneAgent: { applicationMonitoring: {} } }),
        withPullSecret(Check.notFound)
      )
      expect(verdict(appOnly, "pull-secret").status).toBe("skip")
      const publicRegistry = dynakubeFacts(
        withSpec(cloudNativeSpec, { "feature.dynatrace.com/use-public-registry": "true" }),
        withPullSecret(Check.notFound)
      )
      expect(verdict(publicRegistry, "pull-secret").status).toBe("skip")
      const platform = dynakubeFacts(
        withTokens(Check.found(tokenSecretFacts({ platformToken: true }))),
        withPullSecret(Check.notFound)
      )
      expect(verdict(platform, "pull-secret").status).toBe("skip")
    })

    it("fails when missing or not a docker config for the tenant registry", () => {
      const missing = verdict(dynakubeFacts(withPullSecret(Check.notFound)), "pull-secret")
      expect(missing).toMatchObject({
        status: "fail",
        message: expect.stringContaining("dynatrace/dynakube-pull-secret does not exist")
      })
      const cases: ReadonlyArray<[Partial<ReturnType<typeof pullSecretFacts>>, string]> = [
        [{ type: "Opaque" }, "has type Opaque, not kubernetes.io/dockerconfigjson"],
        [{ hasDockerConfigJson: false }, "has no .dockerconfigjson key"],
        [{ parseProblem: "is not a JSON docker config with auths" }, "is not a JSON docker config"],
        [
          { registries: ["other.example.com"] },
          "has no credentials for the tenant registry abc12345.live.dynatrace.com (it has other.example.com)"
        ],
        [{ registriesWithoutCredentials: ["abc12345.live.dynatrace.com"] }, "has entries without credentials"]
      ]
      for (const [more, message] of cases) {
        const v = verdict(dynakubeFacts(withPullSecret(Check.found(pullSecretFacts(more)))), "pull-secret")
        expect(v.status).toBe("fail")
        expect(v.message).toContain(message)
      }
    })

    it("checks a custom pull secret when one is set", () => {
      const facts = dynakubeFacts((f) => ({ ...f, customPullSecret: { name: "mine", lookup: Check.notFound } }))
      expect(verdict(facts, "custom-pull-secret")).toMatchObject({
        status: "fail",
        message: "Custom pull secret dynatrace/mine does not exist."
      })
      const ok = dynakubeFacts((f) => ({
        ...f,
        customPullSecret: { name: "mine", lookup: Check.found(pullSecretFacts({ registries: ["r.example.com"] })) }
      }))
      expect(verdict(ok, "custom-pull-secret").status).toBe("pass")
      expect(DynaKubeChecks.all(dynakubeFacts()).some((v) => v.id === "custom-pull-secret")).toBe(false)
    })
  })

  describe("proxy", () => {
    it("passes without proxy and with a reachable one", () => {
      expect(verdict(dynakubeFacts(), "proxy").message).toBe("No proxy is configured.")
      const ok = configured(
        Check.found({ syntaxProblem: undefined, endpoint: "proxy.local:3128", reachable: Check.found(true) })
      )
      expect(verdict(dynakubeFacts(ok), "proxy")).toMatchObject({
        status: "pass",
        message: "The proxy proxy.local:3128 (the proxy in Secret dynatrace/proxy-secret) accepts connections."
      })
    })

    it("fails for a missing secret, a missing key, a bad URL and an unreachable proxy", () => {
      expect(verdict(dynakubeFacts(configured(Check.notFound)), "proxy").message).toBe(
        "Proxy secret dynatrace/proxy-secret does not exist."
      )
      expect(
        verdict(dynakubeFacts(configured(Check.failed("Secret dynatrace/proxy-secret has no key proxy"))), "proxy")
          .message
      ).toContain("has no key proxy")
      const bad = configured(
        Check.found({
          syntaxProblem: "The DynaKube's proxy URL is not valid.",
          endpoint: undefined,
          reachable: undefined
        }),
        "value"
      )
      expect(verdict(dynakubeFacts(bad), "proxy")).toMatchObject({
        status: "fail",
        message: expect.stringContaining("spec.proxy.value")
      })
      const down = configured(
        Check.found({ syntaxProblem: undefined, endpoint: "127.0.0.1:1", reachable: Check.failed("ECONNREFUSED") })
      )
      expect(verdict(dynakubeFacts(down), "proxy")).toMatchObject({
        status: "fail",
        message: expect.stringContaining("ECONNREFUSED")
      })
    })
  })

  it("dynakube-status: Error lists the false conditions, Deploying and no status warn", () => {
    const error = dynakubeFacts(
      withStatus({
        phase: "Error",
        conditions: [
          { type: "Tokens", status: "False", reason: "TokenError", message: "Missing required token scopes" },
          { type: "PullSecret", status: "True", reason: "SecretCreated", message: "ok" }
        ]
      })
    )
    expect(verdict(error, "dynakube-status")).toMatchObject({
      status: "fail",
      message: "Phase Error (Tokens: Missing required token scopes)."
    })
    expect(verdict(dynakubeFacts(withStatus({ phase: "Deploying" })), "dynakube-status").status).toBe("warn")
    expect(verdict(dynakubeFacts(withStatus(undefined)), "dynakube-status").message).toBe(
      "The operator has not written a status yet."
    )
  })

  it("oneagent and activegate: missing fails, not ready warns, disabled skips", () => {
    const missing = dynakubeFacts((f) => ({
      ...f,
      oneAgentDaemonSet: Check.notFound,
      activeGateStatefulSet: Check.notFound
    }))
    expect(verdict(missing, "oneagent")).toMatchObject({
      status: "fail",
      message: expect.stringContaining("dynatrace/dynakube-oneagent")
    })
    expect(verdict(missing, "activegate")).toMatchObject({
      status: "fail",
      message: expect.stringContaining("dynatrace/dynakube-activegate")
    })
    const partial = dynakubeFacts((f) => ({ ...f, oneAgentDaemonSet: Check.found({ desired: 3, ready: 1 }) }))
    expect(verdict(partial, "oneagent")).toMatchObject({ status: "warn", message: expect.stringContaining("1/3") })
    const appOnly = dynakubeFacts(
      withSpec({ apiUrl: cloudNativeSpec.apiUrl, oneAgent: { applicationMonitoring: {} } }),
      (f) => ({
        ...f,
        oneAgentDaemonSet: undefined,
        activeGateStatefulSet: undefined
      })
    )
    expect(verdict(appOnly, "oneagent")).toMatchObject({
      status: "skip",
      message: "No host agents (mode applicationMonitoring)."
    })
    expect(verdict(appOnly, "activegate").status).toBe("skip")
  })
})
