import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { TestClock } from "effect/testing"
import { createPrivateKey, X509Certificate } from "node:crypto"
import { dynakube, operator, withActiveGate, withServiceIPs } from "../oneagent/WorkloadFixtures.ts"
import { activeGateDnsNames, buildActiveGateTlsSecret } from "./ActiveGateTls.ts"

const decode = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString("utf8")

describe("buildActiveGateTlsSecret", () => {
  it.effect("self-signed RSA certificate for the Service names and IPs, as tls.crt/tls.key/server.crt", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 5, 1, 12, 0, 0, 500))
      const dk = dynakube(withActiveGate(["routing"]), withServiceIPs("10.96.0.12", "fd00::12"))
      const secret = yield* buildActiveGateTlsSecret({ dynakube: dk, operator, modulusLength: 2048 })

      expect(secret.metadata).toStrictEqual({
        name: "dk-activegate-tls-secret",
        namespace: "dynatrace",
        labels: {
          "app.kubernetes.io/name": "dynatrace-operator",
          "app.kubernetes.io/created-by": "dk",
          "app.kubernetes.io/component": "activegate",
          "app.kubernetes.io/version": "1.7.0"
        },
        ownerReferences: [
          {
            apiVersion: "dynatrace.com/v1beta6",
            kind: "DynaKube",
            name: "dk",
            uid: "6f0c1e4e-1111-4222-8333-944455556666",
            controller: true,
            blockOwnerDeletion: true
          }
        ]
      })
      expect(secret.type).toBe("Opaque")
      expect(Object.keys(secret.data).toSorted()).toStrictEqual(["server.crt", "tls.crt", "tls.key"])
      expect(secret.data["server.crt"]).toBe(secret.data["tls.crt"])

      const cert = new X509Certificate(decode(secret.data["tls.crt"]))
      expect(cert.subject.split("\n")).toStrictEqual([
        "C=AT",
        "ST=UA",
        "L=Linz",
        "O=Dynatrace",
        "OU=Operator",
        "CN=dk-activegate.dynatrace"
      ])
      expect(cert.issuer).toBe(cert.subject)
      expect(cert.verify(cert.publicKey)).toBe(true)
      expect(cert.subjectAltName?.split(", ")).toStrictEqual([
        "DNS:dk-activegate.dynatrace",
        "DNS:dk-activegate.dynatrace.svc",
        "DNS:dk-activegate.dynatrace.svc.cluster.local",
        "IP Address:10.96.0.12",
        "IP Address:FD00:0:0:0:0:0:0:12"
      ])
      expect(cert.checkHost("dk-activegate.dynatrace.svc.cluster.local")).toBe(
        "dk-activegate.dynatrace.svc.cluster.local"
      )
      expect(cert.checkIP("10.96.0.12")).toBe("10.96.0.12")
      expect(cert.keyUsage).toStrictEqual(["1.3.6.1.5.5.7.3.1"]) // extended key usage: server auth
      expect(cert.publicKey.asymmetricKeyType).toBe("rsa")
      expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048)
      expect(cert.checkPrivateKey(createPrivateKey(decode(secret.data["tls.key"])))).toBe(true)
      expect(decode(secret.data["tls.key"])).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
      expect(new Date(cert.validFrom).toISOString()).toBe("2026-06-01T12:00:00.000Z")
      const years = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / (365 * 86_400_000)
      expect(years).toBe(100)
    })
  )

  it.live("defaults to RSA 4096 like the original", () =>
    Effect.gen(function* () {
      const secret = yield* buildActiveGateTlsSecret({ dynakube: dynakube(withActiveGate(["routing"])), operator })
      const cert = new X509Certificate(decode(secret.data["tls.crt"]))
      expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096)
      expect(cert.subjectAltName).not.toContain("IP Address")
    })
  )

  it.effect("a Service IP that is not an IP fails with InvalidIdentity, before any key is made", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        buildActiveGateTlsSecret({
          dynakube: dynakube(withActiveGate(["routing"]), withServiceIPs("10.0.0.1", "nope")),
          operator
        })
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(
        buildActiveGateTlsSecret({ dynakube: dynakube(withActiveGate(["routing"]), withServiceIPs("nope")), operator })
      )
      expect(error._tag).toBe("CertsError")
      expect(error.reason._tag).toBe("InvalidIdentity")
      expect(error.message).toContain("'nope'")
    })
  )

  it("DNS names cover the namespace-qualified Service", () => {
    expect(activeGateDnsNames(dynakube())).toStrictEqual([
      "dk-activegate.dynatrace",
      "dk-activegate.dynatrace.svc",
      "dk-activegate.dynatrace.svc.cluster.local"
    ])
  })
})
