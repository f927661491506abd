/**
 * The transport of a DynaKube's client: custom CAs over HTTPS, skipCertCheck, and a proxy with credentials (a tiny
 * forwarding + CONNECT proxy written here, which records what passed through it).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { createServer, request as httpRequest, type Server } from "node:http"
import { connect, type AddressInfo, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { clientFor } from "../../e2e/tenant-simulator/ClientForSimulator.ts"
import { startTenantSimulator, type TenantSimulator } from "../../e2e/tenant-simulator/TenantSimulator.ts"
import { makeTestCertificates, type TestCertificates } from "../../e2e/tenant-simulator/TestCertificates.ts"

interface Proxy {
  readonly url: string
  readonly seen: Array<{ kind: "CONNECT" | "FORWARD"; target: string; authorization: string | undefined }>
  close(): Promise<void>
}

/** A proxy that wants `user:password` and forwards plain requests and CONNECT tunnels. */
const startProxy = async (user: string, password: string): Promise<Proxy> => {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
  const seen: Proxy["seen"] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    seen.push({ kind: "FORWARD", target: req.url ?? "", authorization: req.headers["proxy-authorization"] })
    if (req.headers["proxy-authorization"] !== expected) {
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="test"' }).end()
      return
    }
    const target = new URL(req.url ?? "")
    const headers = { ...req.headers }
    delete headers["proxy-authorization"]
    delete headers["proxy-connection"]
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on("error", () => res.destroy())
    req.pipe(upstream)
  })
  server.on("connect", (req, client: Socket, head: Buffer) => {
    seen.push({ kind: "CONNECT", target: req.url ?? "", authorization: req.headers["proxy-authorization"] })
    if (req.headers["proxy-authorization"] !== expected) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n')
      return
    }
    const [host, port] = (req.url ?? "").split(":")
    const upstream = connect(Number(port), host ?? "", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on("error", () => client.destroy())
    client.on("error", () => upstream.destroy())
  })
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

let plain: TenantSimulator
let secure: TenantSimulator
let certs: TestCertificates
let proxy: Proxy
beforeAll(async () => {
  certs = await makeTestCertificates()
  plain = await startTenantSimulator()
  secure = await startTenantSimulator({ tls: { cert: certs.certPem, key: certs.keyPem } })
  proxy = await startProxy("proxy-user", "pr0xy p@ss")
})
afterAll(async () => {
  await Promise.all([plain.close(), secure.close(), proxy.close()])
})
beforeEach(() => {
  proxy.seen.length = 0
})

describe("DynatraceApi transport", () => {
  it.live("trusts a custom CA for an HTTPS tenant, in addition to the system roots", () =>
    Effect.gen(function* () {
      assert.isTrue(secure.url.startsWith("https://"))
      const api = yield* clientFor(secure, { trustedCAs: certs.caPem })
      assert.strictEqual((yield* api.oneAgentConnectionInfo).tenantUUID, secure.tenant.config.tenantUUID)
    }).pipe(Effect.scoped)
  )

  it.live("refuses an HTTPS tenant whose CA is not trusted (Transport), unless skipCertCheck", () =>
    Effect.gen(function* () {
      const untrusted = yield* clientFor(secure, { retry: { times: 0 } })
      const error = yield* Effect.flip(untrusted.latestActiveGateVersion)
      assert.strictEqual(error.reason._tag, "Transport")
      assert.match(error.reason.message, /certificate|self.signed|issuer/i)
      const otherCa = yield* Effect.promise(() => makeTestCertificates())
      const wrongCa = yield* clientFor(secure, { trustedCAs: otherCa.caPem, retry: { times: 0 } })
      assert.strictEqual((yield* Effect.flip(wrongCa.latestActiveGateVersion)).reason._tag, "Transport")
      const skipping = yield* clientFor(secure, { skipCertCheck: true })
      assert.strictEqual(yield* skipping.latestActiveGateVersion, secure.tenant.config.latestGatewayVersion)
    }).pipe(Effect.scoped)
  )

  it.live("sends plain-HTTP traffic through the proxy with its credentials", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(plain, {
        proxy: Redacted.make(`http://proxy-user:${encodeURIComponent("pr0xy p@ss")}@${proxy.url}`),
        requestThresholdMinutes: 0
      })
      yield* api.oneAgentConnectionInfo
      yield* api.hostEntities
      const expected = `Basic ${Buffer.from("proxy-user:pr0xy p@ss").toString("base64")}`
      assert.deepStrictEqual(
        proxy.seen.map((entry) => [entry.kind, new URL(entry.target).pathname, entry.authorization]),
        [
          ["FORWARD", "/api/v1/deployment/installer/agent/connectioninfo", expected],
          ["FORWARD", "/api/v1/entity/infrastructure/hosts", expected]
        ]
      )
      // The tenant got the requests (through the proxy) with the tenant token, not the proxy's.
      assert.strictEqual(plain.requests("hosts").at(-1)?.headers["proxy-authorization"], undefined)
    }).pipe(Effect.scoped)
  )

  it.live("tunnels HTTPS through the proxy with CONNECT (scheme-less proxy URL gets http://)", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(secure, {
        proxy: Redacted.make(`proxy-user:${encodeURIComponent("pr0xy p@ss")}@${proxy.url}`),
        trustedCAs: certs.caPem
      })
      const size = (yield* api.downloadAgent({ type: "paas" }, join(tmpdir(), `dt-proxy-${Date.now()}.zip`))).size
      assert.isAbove(size, 0)
      const origin = new URL(secure.origin)
      assert.deepStrictEqual(
        proxy.seen.map((entry) => [entry.kind, entry.target]),
        [["CONNECT", `${origin.hostname}:${origin.port}`]]
      )
    }).pipe(Effect.scoped)
  )

  it.live("wrong proxy credentials fail as Transport without leaking the password", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(secure, {
        proxy: Redacted.make(`http://proxy-user:WRONGSECRET@${proxy.url}`),
        trustedCAs: certs.caPem,
        retry: { times: 0 }
      })
      const error = yield* Effect.flip(api.latestActiveGateVersion)
      assert.strictEqual(error.reason._tag, "Transport")
      assert.include(error.message, "407")
      assert.notInclude(error.message, "WRONGSECRET")
      assert.notInclude(JSON.stringify(error), "WRONGSECRET")
    }).pipe(Effect.scoped)
  )

  it.live("hosts in noProxy bypass the proxy", () =>
    Effect.gen(function* () {
      const api = yield* clientFor(plain, {
        proxy: Redacted.make(`http://proxy-user:x@${proxy.url}`),
        noProxy: "example.com,127.0.0.1"
      })
      yield* api.latestActiveGateVersion
      assert.deepStrictEqual(proxy.seen, [])
    }).pipe(Effect.scoped)
  )
})
