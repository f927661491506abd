import { describe, expect, it } from "@effect/vitest"
import type { Validator } from "../Finding.ts"
import { edgeConnectContext, edgeconnect, messagesOf, named, spec, type Json } from "../ValidationFixtures.ts"
import * as EC from "./EdgeConnectRules.ts"

const api = (apiServer: string) => spec({ apiServer })
const endpoint = (value: string) => spec({ oauth: { endpoint: value } })

type Case = [string, Validator<EC.EdgeConnectContext>, Json, ReadonlyArray<string>]

describe("EdgeConnect rules", () => {
  it("the base object passes every rule", () => {
    const ctx = edgeConnectContext(edgeconnect())
    expect(EC.errors.flatMap((rule) => messagesOf(rule, ctx))).toEqual([])
  })

  it("the module must be installed", () => {
    expect(
      messagesOf(EC.moduleDisabledRule, edgeConnectContext(edgeconnect(), { modules: { edgeConnect: false } }))
    ).toEqual([EC.messages.moduleDisabled])
  })

  it.each<Case>([
    [
      "scheme in apiServer",
      EC.apiServerScheme,
      edgeconnect(api("https://abc.apps.dynatrace.com")),
      [EC.messages.apiServerWithScheme]
    ],
    ["unparsable apiServer", EC.apiServerScheme, edgeconnect(api(":abc")), [EC.messages.invalidApiServer]],
    [
      "scheme also fails the suffix check",
      EC.apiServerSuffix,
      edgeconnect(api("https://abc.apps.dynatrace.com")),
      [EC.messages.apiServerSuffix]
    ],
    ["dev suffix", EC.apiServerSuffix, edgeconnect(api("abc.dev.apps.dynatracelabs.com")), []],
    ["sprint suffix", EC.apiServerSuffix, edgeconnect(api("abc.sprint.apps.dynatracelabs.com")), []],
    [
      "suffix without prefix",
      EC.apiServerSuffix,
      edgeconnect(api(".apps.dynatrace.com")),
      [EC.messages.apiServerSuffix]
    ],
    ["other domain", EC.apiServerSuffix, edgeconnect(api("abc.live.dynatrace.com")), [EC.messages.apiServerSuffix]],
    ["with path", EC.apiServerSuffix, edgeconnect(api("abc.apps.dynatrace.com/x")), [EC.messages.apiServerSuffix]],
    ["with userinfo", EC.apiServerSuffix, edgeconnect(api("u@abc.apps.dynatrace.com")), [EC.messages.apiServerSuffix]],
    ["with port", EC.apiServerSuffix, edgeconnect(api("abc.apps.dynatrace.com:443")), []],
    ["name of 40", EC.nameTooLong, edgeconnect(named("e".repeat(40))), []],
    ["name of 41", EC.nameTooLong, edgeconnect(named("e".repeat(41))), [EC.messages.nameTooLong]],
    [
      "provisioner without host patterns",
      EC.hostPatternsRequired,
      edgeconnect(spec({ oauth: { provisioner: true } })),
      [EC.messages.hostPatternsRequired]
    ],
    [
      "provisioner with host patterns",
      EC.hostPatternsRequired,
      edgeconnect(spec({ oauth: { provisioner: true }, hostPatterns: ["*.internal"] })),
      []
    ],
    [
      "provisioner with automation needs no host patterns",
      EC.hostPatternsRequired,
      edgeconnect(spec({ oauth: { provisioner: true }, kubernetesAutomation: { enabled: true } })),
      []
    ],
    [
      "empty service account",
      EC.invalidServiceAccountName,
      edgeconnect(spec({ serviceAccountName: "" })),
      [EC.messages.invalidServiceAccountName]
    ],
    ["absent service account means the default", EC.invalidServiceAccountName, edgeconnect(), []],
    [
      "automation without provisioner",
      EC.automationRequiresProvisioner,
      edgeconnect(spec({ kubernetesAutomation: { enabled: true } })),
      [EC.messages.automationRequiresProvisioner]
    ],
    [
      "unparsable endpoint",
      EC.invalidOauthEndpoint,
      edgeconnect(endpoint("https://sso.dynatrace.com/%zz")),
      [EC.messages.invalidOauthEndpoint]
    ],
    [
      "http endpoint",
      EC.oauthEndpointNotHttps,
      edgeconnect(endpoint("http://sso.dynatrace.com/x")),
      [EC.messages.oauthEndpointNotHttps]
    ],
    [
      "unknown SSO host",
      EC.unknownSsoHost,
      edgeconnect(endpoint("https://sso.example.com/x")),
      [EC.messages.unknownSsoHost]
    ],
    [
      "SSO host with port is not listed",
      EC.unknownSsoHost,
      edgeconnect(endpoint("https://sso.dynatrace.com:443/x")),
      [EC.messages.unknownSsoHost]
    ],
    ["dev SSO", EC.unknownSsoHost, edgeconnect(endpoint("https://sso-dev.dynatracelabs.com/x")), []]
  ])("%s", (_name, rule, object, expected) => {
    expect(messagesOf(rule, edgeConnectContext(object))).toEqual(expected)
  })
})
