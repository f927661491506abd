/** Communication host parsing: protocols, default and explicit ports, IPv4/IPv6 vs FQDN, lists (property-tested). */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import * as CommunicationHost from "./CommunicationHost.ts"

const ok = (endpoint: string) => {
  const parsed = CommunicationHost.parse(endpoint)
  if (Result.isFailure(parsed)) throw new Error(`${endpoint}: ${parsed.failure.message}`)
  return parsed.success
}
const error = (endpoint: string) => {
  const parsed = CommunicationHost.parse(endpoint)
  if (Result.isSuccess(parsed)) throw new Error(`${endpoint} parsed as ${JSON.stringify(parsed.success)}`)
  return parsed.failure
}

// Arbitraries: DNS names, IPv4 and (compressed) IPv6 addresses, ports, protocols.
const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/)
const fqdn = fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join("."))
const ipv4 = fc.ipV4()
const ipv6 = fc.ipV6().map((ip) => new URL(`http://[${ip}]`).hostname.slice(1, -1))
const port = fc.integer({ min: 1, max: 65535 })
const protocol = fc.constantFrom("http" as const, "https" as const)
const host = fc.oneof(fqdn, ipv4, ipv6)
const urlHost = (h: string) => (h.includes(":") ? `[${h}]` : h)
const defaultPort = (p: "http" | "https") => (p === "https" ? 443 : 80)

describe("CommunicationHost.parse", () => {
  it("reads protocol, host and port; the scheme's default port when none is given", () => {
    assert.deepStrictEqual(ok("https://abc123.live.dynatrace.com/api"), {
      protocol: "https",
      host: "abc123.live.dynatrace.com",
      port: 443
    })
    assert.deepStrictEqual(ok("http://10.0.0.1/communication"), { protocol: "http", host: "10.0.0.1", port: 80 })
    assert.deepStrictEqual(ok("https://sg.example.com:9999/communication"), {
      protocol: "https",
      host: "sg.example.com",
      port: 9999
    })
    // An explicit default port is the same host as no port.
    assert.deepStrictEqual(ok("https://x.example:443"), ok("https://x.example"))
    assert.deepStrictEqual(ok("https://[2001:db8::1]:8443/x"), { protocol: "https", host: "2001:db8::1", port: 8443 })
  })

  it("rejects what is not an http(s) URL with a host and a valid port, naming the endpoint without credentials", () => {
    assert.strictEqual(error("abc.example.com/api").message, "no protocol provided")
    assert.match(error("ftp://abc.example.com").message, /unknown protocol "ftp"/)
    assert.strictEqual(error("https://x.example:70000").message, "not a valid URL")
    assert.strictEqual(error("https://x.example:abc").message, "not a valid URL")
    assert.strictEqual(error("https://x.example:0").message, "port 0")
    const secret = error("ftp://user:s3cr3t@x.example/")
    assert.notInclude(secret.endpoint, "s3cr3t")
    assert.strictEqual(secret.endpoint, "ftp://x.example/")
  })

  it("property: any protocol/host/port URL round-trips; IPs are IPs and names are not", () => {
    fc.assert(
      fc.property(
        protocol,
        host,
        fc.option(port, { nil: undefined }),
        fc.constantFrom("", "/", "/communication"),
        (p, h, n, path) => {
          const parsed = ok(`${p}://${urlHost(h)}${n === undefined ? "" : `:${n}`}${path}`)
          assert.deepStrictEqual(parsed, { protocol: p, host: h, port: n ?? defaultPort(p) })
          assert.strictEqual(CommunicationHost.isIpAddress(parsed.host), !/[a-z]/.test(h) || h.includes(":"))
        }
      )
    )
  })

  it("property: FQDNs are never IP addresses, IPv4 and IPv6 always are", () => {
    fc.assert(fc.property(fqdn, (h) => !CommunicationHost.isIpAddress(h)))
    fc.assert(fc.property(ipv4, (h) => CommunicationHost.isIpAddress(h)))
    fc.assert(fc.property(ipv6, (h) => CommunicationHost.isIpAddress(h)))
  })
})

describe("CommunicationHost.parseList", () => {
  it("splits on ';' and ',', ignores blanks, de-duplicates and sorts by protocol://host:port", () => {
    const list = Result.getOrThrow(
      CommunicationHost.parseList(
        "https://b.example:443/communication;https://a.example/communication, https://b.example/x;;http://10.0.0.1"
      )
    )
    assert.deepStrictEqual(list.map(CommunicationHost.toString), [
      "http://10.0.0.1:80",
      "https://a.example:443",
      "https://b.example:443"
    ])
    assert.deepStrictEqual(Result.getOrThrow(CommunicationHost.parseList(undefined)), [])
    assert.deepStrictEqual(Result.getOrThrow(CommunicationHost.parseList("")), [])
  })

  it("fails on the first bad endpoint", () => {
    const parsed = CommunicationHost.parseList("https://a.example;tcp://b.example")
    assert.isTrue(Result.isFailure(parsed))
    if (Result.isFailure(parsed)) assert.strictEqual(parsed.failure.endpoint, "tcp://b.example")
  })

  it("property: order and duplicates of the input do not matter; split keeps every host exactly once", () => {
    const endpoint = fc
      .tuple(protocol, host, fc.option(port, { nil: undefined }))
      .map(([p, h, n]) => `${p}://${urlHost(h)}${n === undefined ? "" : `:${n}`}/communication`)
    fc.assert(
      fc.property(fc.array(endpoint, { maxLength: 8 }), fc.constantFrom(";", ","), (endpoints, sep) => {
        const once = Result.getOrThrow(CommunicationHost.parseList(endpoints.join(sep)))
        const shuffled = Result.getOrThrow(
          CommunicationHost.parseList([...endpoints, ...endpoints].toReversed().join(";"))
        )
        assert.deepStrictEqual(shuffled, once)
        const keys = once.map(CommunicationHost.toString)
        assert.deepStrictEqual(keys, [...new Set(keys)].toSorted())
        const { ip, fqdn: names } = CommunicationHost.split(once)
        assert.strictEqual(ip.length + names.length, once.length)
        assert.isTrue(ip.every((h) => CommunicationHost.isIpAddress(h.host)))
        assert.isTrue(names.every((h) => !CommunicationHost.isIpAddress(h.host)))
      })
    )
  })
})
