import { describe, expect, it } from "@effect/vitest"
import { context, dynakube, messagesOf, spec, type ContextOptions } from "../ValidationFixtures.ts"
import * as P from "./ProxyRules.ts"

describe("proxy rule", () => {
  it.each<[string, unknown, ContextOptions, ReadonlyArray<string>]>([
    ["no proxy", undefined, {}, []],
    ["plain URL", { value: "http://proxy.example.com:3128" }, {}, []],
    ["host:port", { value: "proxy.example.com:3128" }, {}, []],
    ["allowed password", { value: "http://user:Pa$$w0rd!@proxy:3128" }, {}, []],
    ["password with a comma", { value: "http://user:a,b@proxy:3128" }, {}, [P.messages.invalidPassword]],
    ["password with escaped space", { value: "http://user:a%20b@proxy:3128" }, {}, [P.messages.invalidPassword]],
    ["unparsable", { value: "http://proxy:port" }, {}, [P.messages.invalidUrl]],
    ["empty value and no secret", { value: "" }, {}, []],
    [
      "from a Secret",
      { valueFrom: "proxy-secret" },
      { cluster: { secrets: { "proxy-secret": { proxy: "http://p:1" } } } },
      []
    ],
    [
      "bad URL in the Secret",
      { valueFrom: "proxy-secret" },
      { cluster: { secrets: { "proxy-secret": { proxy: "http://u:a+b@p:1" } } } },
      [P.messages.invalidPassword]
    ],
    [
      "Secret without key",
      { valueFrom: "proxy-secret" },
      { cluster: { secrets: { "proxy-secret": { other: "x" } } } },
      [P.messages.unreadableSecret("Secret proxy-secret has no key proxy")]
    ],
    [
      "missing Secret",
      { valueFrom: "nope" },
      {},
      [P.messages.unreadableSecret('Secret nope: secrets "nope" not found')]
    ]
  ])("%s", (_name, proxy, options, expected) => {
    const object = proxy === undefined ? dynakube() : dynakube(spec({ proxy }))
    expect(messagesOf(P.invalidProxyUrl, context(object, options))).toEqual(expected)
  })
})
