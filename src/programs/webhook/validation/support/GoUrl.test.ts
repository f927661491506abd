import { describe, expect, it } from "@effect/vitest"
import * as GoUrl from "./GoUrl.ts"

describe("GoUrl.parse accepts and refuses like Go's url.Parse", () => {
  it.each([
    ["https://abc.live.dynatrace.com/api", { scheme: "https", host: "abc.live.dynatrace.com", path: "/api" }],
    ["HTTPS://Host:8443/x?q=1#f", { scheme: "https", host: "Host:8443", path: "/x", rawQuery: "q=1", fragment: "f" }],
    ["http://user:p%40ss@proxy:3128", { host: "proxy:3128", user: { username: "user", password: "p@ss" } }],
    ["http://user@proxy", { user: { username: "user", password: undefined } }],
    ["proxy.example.com:8080", { scheme: "proxy.example.com", opaque: "8080", host: "" }],
    ["", { scheme: "", host: "", path: "" }],
    ["/relative/path", { path: "/relative/path" }],
    ["abc.apps.dynatrace.com", { scheme: "", host: "", path: "abc.apps.dynatrace.com" }],
    ["http://[::1]:80/", { host: "[::1]:80" }],
    ["https://host:/x", { host: "host:" }]
  ] as const)("%s", (text, expected) => {
    expect(GoUrl.parse(text)).toMatchObject(expected)
  })

  it.each([
    [":foo", "missing scheme"],
    ["1:2", "colon in first path segment"],
    ["http://host:port/", "port not numeric"],
    ["http://exa mple.com/", "space in host"],
    ["http://a{b}.com", "brace in host"],
    ["http://%41.com", "escaped ASCII in host"],
    ["http://host/%zz", "bad escape in path"],
    ["http://host/x#%", "bad escape in fragment"],
    ["http://us er@host", "space in userinfo"],
    ["http://host\n/", "control character"],
    ["http://[::1/", "missing ]"],
    ["http://[zz]/", "bad IP literal"]
  ])("%s is refused (%s)", (text) => {
    expect(GoUrl.parse(text)).toBeUndefined()
  })

  it("hostname and port strip brackets and ports", () => {
    const url = GoUrl.parse("https://[fe80::1]:8443/x")!
    expect(GoUrl.hostname(url)).toBe("fe80::1")
    expect(GoUrl.port(url)).toBe("8443")
    expect(GoUrl.hostname(GoUrl.parse("https://a.b:1")!)).toBe("a.b")
    expect(GoUrl.port(GoUrl.parse("https://a.b")!)).toBe("")
  })
})
