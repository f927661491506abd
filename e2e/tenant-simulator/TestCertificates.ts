/**
 * A throw-away CA and a server certificate it signed (ECDSA P-256, @peculiar/x509), for serving the simulator over
 * HTTPS and for testing custom trusted CAs. Valid for one day, SANs `localhost` and `127.0.0.1` plus `hosts`.
 *
 * @since 0.1.0
 */
import "reflect-metadata"
import * as x509 from "@peculiar/x509"
import { webcrypto } from "node:crypto"

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

/** PEM texts of a CA and a server certificate with its key. */
export interface TestCertificates {
  readonly caPem: string
  readonly certPem: string
  readonly keyPem: string
}

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" }

/** Generates a CA and a server certificate for `127.0.0.1`, `localhost` and `hosts`. */
export const makeTestCertificates = async (hosts: ReadonlyArray<string> = []): Promise<TestCertificates> => {
  const notBefore = new Date(Date.now() - 60_000)
  const notAfter = new Date(Date.now() + 86_400_000)
  const caKeys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=tenant simulator test CA",
    serialNumber: "01",
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey)
    ]
  })
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair
  const names = [
    { type: "dns" as const, value: "localhost" },
    { type: "ip" as const, value: "127.0.0.1" },
    ...hosts.map((value) => (/^[\d.]+$/.test(value) ? { type: "ip" as const, value } : { type: "dns" as const, value }))
  ]
  const cert = await x509.X509CertificateGenerator.create({
    subject: "CN=localhost",
    issuer: ca.subject,
    serialNumber: "02",
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey)
    ]
  })
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY")
  return { caPem: ca.toString("pem"), certPem: cert.toString("pem"), keyPem }
}
