/**
 * The certificates as Go sees them: kube-apiserver verifies the webhook's chain with Go's crypto/x509 (byte-exact
 * issuer matching, EKU, SANs, no negative serials), and a Secret written by the original (Go) operator must be
 * taken over on upgrade. `testdata/gointerop` is a small stdlib-only Go program built once for these tests.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CertDurations, Certs } from "../Certs.ts"
import * as CaBundle from "./CaBundle.ts"
import * as CertSecret from "./CertSecret.ts"
import * as Renewal from "./Renewal.ts"
import * as WebhookIdentity from "./WebhookIdentity.ts"

const goAvailable = spawnSync("go", ["version"]).status === 0
if (!goAvailable) console.warn("GoInterop.test: no `go` on PATH, skipping the Go crypto/x509 interoperability checks")

const work = mkdtempSync(join(tmpdir(), "certs-gointerop-"))
const binary = join(work, "gointerop")

beforeAll(() => {
  if (!goAvailable) return
  // Offline and with the installed toolchain only: the program uses the standard library.
  execFileSync("go", ["build", "-o", binary, "."], {
    cwd: join(import.meta.dirname, "testdata", "gointerop"),
    env: { ...process.env, GOTOOLCHAIN: "local", GOPROXY: "off", GOFLAGS: "-buildvcs=false" },
    stdio: "pipe"
  })
}, 300_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

let dirs = 0
const writeDir = (files: Record<string, string>) => {
  const dir = join(work, `case-${++dirs}`)
  mkdirSync(dir, { recursive: true })
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return dir
}

const goVerify = (certs: CertSecret.WebhookCertificates, name: string, serverCert = certs.serverCert) => {
  const dir = writeDir({
    "bundle.crt": CaBundle.pem(certs),
    "ca.key": certs.caKey,
    "tls.crt": serverCert,
    "tls.key": certs.serverKey
  })
  const run = spawnSync(binary, ["verify", dir, name], { encoding: "utf8" })
  return `${run.stdout}${run.stderr}`.trim()
}

const identity = { namespace: "dynatrace", extraIpAddresses: ["127.0.0.1"] }
const provideCerts = Effect.provide(Certs.layerWith(CertDurations.defaults))

describe.skipIf(!goAvailable)("(needs go) certificates under Go's crypto/x509", () => {
  it.live("Go verifies our chain for every service name and 127.0.0.1, and loads our keys", () =>
    Effect.gen(function* () {
      const certs = yield* Certs
      const result = yield* certs.ensure(identity, undefined)
      for (const name of [...Result.getOrThrow(WebhookIdentity.serverNames(identity)).dnsNames, "127.0.0.1"]) {
        assert.strictEqual(goVerify(result.certificates, name), "ok", name)
      }
      assert.include(goVerify(result.certificates, "dynatrace-webhook.other.svc"), "certificate is valid for")
      const other = yield* certs.ensure(identity, undefined)
      assert.include(
        goVerify(
          { ...other.certificates, serverKey: result.certificates.serverKey },
          "127.0.0.1",
          result.certificates.serverCert
        ),
        "certificate signed by unknown authority"
      )
    }).pipe(provideCerts)
  )

  it.live("during a CA rotation Go trusts the old server certificate through the bundle's old CA", () =>
    Effect.gen(function* () {
      const certs = yield* Certs
      const before = yield* certs.ensure(identity, undefined)
      // Force a CA rotation: a CA key that does not belong to the CA certificate.
      const other = yield* certs.ensure(identity, undefined)
      const broken = { ...before.data, "ca.key": other.data["ca.key"] ?? "" }
      const rotated = yield* certs.ensure(identity, broken)
      assert.strictEqual(rotated.decision._tag, "RegenerateAll")
      const oldServer = { ...rotated.certificates, serverKey: before.certificates.serverKey }
      assert.strictEqual(goVerify(oldServer, "127.0.0.1", before.certificates.serverCert), "ok")
      assert.strictEqual(goVerify(rotated.certificates, "127.0.0.1"), "ok")
    }).pipe(provideCerts)
  )

  it.live("a Secret written by the original operator keeps its CA; only the server certificate is renewed", () =>
    Effect.gen(function* () {
      const dir = writeDir({})
      const issuedAt = Math.floor(Date.now() / 1000) - 3600
      execFileSync(binary, ["legacy", dir, "dynatrace", String(issuedAt)])
      const legacy: Record<string, string> = {}
      for (const key of ["ca.crt", "ca.key", "tls.crt", "tls.key"]) {
        legacy[key] = readFileSync(join(dir, key)).toString("base64")
      }
      const certs = yield* Certs
      // Its CA is fine; its server key (SEC1 DER under "PRIVATE KEY") is one Node's TLS cannot load.
      const decision = yield* certs.decide({ namespace: "dynatrace" }, legacy)
      assert.deepStrictEqual(decision, {
        _tag: "RenewServer",
        reason: "ServerKeyInvalid",
        message: "The server key cannot be loaded by a TLS server"
      } satisfies Renewal.RenewalDecision)

      const result = yield* certs.ensure(identity, legacy)
      assert.strictEqual(result.decision._tag, "RenewServer")
      assert.strictEqual(result.data["ca.crt"], legacy["ca.crt"])
      assert.strictEqual(result.data["ca.key"], legacy["ca.key"])
      // Signed by the Go-made CA (its subject bytes reused as issuer): Go builds the chain and verifies it.
      assert.strictEqual(goVerify(result.certificates, "dynatrace-webhook.dynatrace.svc"), "ok")
      assert.strictEqual(goVerify(result.certificates, "127.0.0.1"), "ok")
      // And the renewed data is stable.
      assert.strictEqual((yield* certs.ensure(identity, result.data)).decision._tag, "Keep")
    }).pipe(provideCerts)
  )
})
