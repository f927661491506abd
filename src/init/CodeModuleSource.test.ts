import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Redacted } from "effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { makeTestCertificates, type TestCertificates } from "../../e2e/tenant-simulator/TestCertificates.ts"
import { startTenantSimulator, type TenantSimulator } from "../../e2e/tenant-simulator/TenantSimulator.ts"
import * as CodeModuleSource from "./CodeModuleSource.ts"

const VERSION = "1.311.54.20250317-111439"
const source = CodeModuleSource.make()

let tenant: TenantSimulator
let work: string
beforeAll(async () => {
  tenant = await startTenantSimulator()
  work = fs.mkdtempSync(path.join(os.tmpdir(), "code-module-source-"))
})
afterAll(async () => {
  await tenant.close()
  fs.rmSync(work, { recursive: true, force: true })
})

const connection = (overrides: Partial<CodeModuleSource.TenantConnection> = {}): CodeModuleSource.TenantConnection => ({
  url: tenant.url,
  apiToken: Redacted.make(tenant.apiToken),
  timeout: Duration.seconds(30),
  ...overrides
})
const request = { version: VERSION, flavor: "multidistro", technologies: [] }
const destination = () => path.join(work, `download-${crypto.randomBytes(4).toString("hex")}.zip`)
const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")

describe("CodeModuleSource (against the tenant simulator)", () => {
  it.effect("streams the zip to disk and reports its size and SHA-256", () =>
    Effect.gen(function* () {
      tenant.resetHits()
      const file = destination()
      const summary = yield* source.download(connection(), request, file)
      const expected = yield* Effect.promise(() => tenant.codeModuleDigest(VERSION, ["all"]))
      expect(summary).toEqual({ bytes: expected.size, sha256: expected.sha256 })
      expect(sha256(file)).toBe(expected.sha256)

      const [sent] = tenant.requests("agentDownload")
      expect(sent!.path).toBe(`/api/v1/deployment/installer/agent/unix/paas/version/${VERSION}`)
      expect(sent!.query).toEqual([
        ["flavor", "multidistro"],
        ["arch", "x86"],
        ["bitness", "64"],
        ["skipMetadata", "false"],
        ["include", "all"]
      ])
      expect(sent!.headers.authorization).toBe(`Api-Token ${tenant.apiToken}`)
      expect(sent!.headers.accept).toBe("application/octet-stream")
    })
  )

  it.effect("asks for each technology", () =>
    Effect.gen(function* () {
      tenant.resetHits()
      yield* source.download(connection(), { ...request, technologies: ["java", "nodejs"] }, destination())
      expect(tenant.requests("agentDownload")[0]!.query.filter(([k]) => k === "include")).toEqual([
        ["include", "java"],
        ["include", "nodejs"]
      ])
    })
  )

  it.effect("a rejected token is Unauthorized, and the error does not carry the token", () =>
    Effect.gen(function* () {
      const error = yield* source
        .download(connection({ apiToken: Redacted.make("dt0c01.WRONG") }), request, destination())
        .pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "CodeModuleDownloadError", reason: "Unauthorized", status: 401 })
      expect(error.message).toContain("Token Authentication failed")
      expect(JSON.stringify(error)).not.toContain("WRONG")
    })
  )

  it.effect("an unknown version is NotFound with the tenant's message; the offered versions can be listed", () =>
    Effect.gen(function* () {
      const error = yield* source
        .download(connection(), { ...request, version: "9.9.9.20990101-000000" }, destination())
        .pipe(Effect.flip)
      expect(error).toMatchObject({ reason: "NotFound", status: 404 })
      expect(error.message).toContain("Requested agent version 9.9.9.20990101-000000 not found")
      expect(yield* source.availableVersions(connection(), "multidistro")).toEqual(
        tenant.tenant.config.availableVersions
      )
    })
  )

  it.effect("a body cut short is Truncated (or a transport error), never a success", () =>
    Effect.gen(function* () {
      tenant.inject("agentDownload", { kind: "truncate" }, 1)
      const error = yield* source.download(connection(), request, destination()).pipe(Effect.flip)
      expect(["Truncated", "Transport", "Io"]).toContain(error.reason)
    })
  )

  it.effect("a server error is HttpStatus with its status", () =>
    Effect.gen(function* () {
      tenant.inject("agentDownload", { kind: "status", status: 503, message: "busy" }, 1)
      const error = yield* source.download(connection(), request, destination()).pipe(Effect.flip)
      expect(error).toMatchObject({ reason: "HttpStatus", status: 503 })
    })
  )

  it.live("a tenant slower than the deadline is a Timeout", () =>
    Effect.gen(function* () {
      tenant.inject("agentDownload", { kind: "latency", millis: 3000 }, 1)
      const error = yield* source
        .download(connection({ timeout: Duration.millis(300) }), request, destination())
        .pipe(Effect.flip)
      expect(error.reason).toBe("Timeout")
    })
  )

  it.effect("goes through the proxy of dtclient.config, except for noProxy hosts", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      // A minimal forward proxy for plain-HTTP targets: requests arrive in absolute form.
      const proxy = http.createServer((req, res) => {
        seen.push(req.url ?? "")
        const upstream = http.request(req.url!, { method: req.method, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        })
        req.pipe(upstream)
      })
      yield* Effect.promise(() => new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve)))
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      yield* Effect.addFinalizer(() =>
        Effect.promise(() => new Promise<void>((resolve) => proxy.close(() => resolve())))
      )

      yield* source.download(connection({ proxy: proxyUrl }), request, destination())
      expect(seen).toHaveLength(1)
      expect(seen[0]).toContain(`/version/${VERSION}?`)
      yield* source.download(connection({ proxy: proxyUrl, noProxy: "127.0.0.1" }), request, destination())
      expect(seen).toHaveLength(1)
    })
  )
})

describe("CodeModuleSource over HTTPS", () => {
  let secure: TenantSimulator
  let certs: TestCertificates
  beforeAll(async () => {
    certs = await makeTestCertificates()
    secure = await startTenantSimulator({ tls: { cert: certs.certPem, key: certs.keyPem } })
  })
  afterAll(() => secure.close())

  const over = (overrides: Partial<CodeModuleSource.TenantConnection>) => ({
    url: secure.url,
    apiToken: Redacted.make(secure.apiToken),
    timeout: Duration.seconds(30),
    ...overrides
  })

  it.effect("trusts the tenant's CA from trusted.pem, refuses it otherwise, and skipCertCheck skips the check", () =>
    Effect.gen(function* () {
      const untrusted = yield* source.download(over({}), request, destination()).pipe(Effect.flip)
      expect(untrusted.reason).toBe("Transport")
      const trusted = yield* source.download(over({ trustedCas: certs.caPem }), request, destination())
      expect(trusted.bytes).toBeGreaterThan(0)
      const skipped = yield* source.download(over({ skipCertCheck: true }), request, destination())
      expect(skipped.sha256).toBe(trusted.sha256)
    })
  )
})
