import { assert, describe, it } from "@effect/vitest"
import * as KubeConfigFile from "./KubeConfigFile.ts"

const full = `
apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: certs/ca.crt
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes.default
- name: c2
  cluster:
    server: https://10.0.0.2:6443
    certificate-authority-data: ${Buffer.from("PEM").toString("base64")}
    proxy-url: http://proxy:3128
users:
- name: u1
  user:
    token: t0k
    tokenFile: token.txt
    client-certificate: /abs/cert.pem
    client-key: key.pem
    username: admin
    password: pw
    as: someone
- name: u2
  user:
    client-certificate-data: ${Buffer.from("CERT").toString("base64")}
    client-key-data: ${Buffer.from("KEY").toString("base64")}
- name: u3
  user:
    exec: { apiVersion: client.authentication.k8s.io/v1, command: ./bin/cred }
- name: u4
  user:
    auth-provider: { name: oidc }
contexts:
- name: ctx
  context: { cluster: c1, user: u1, namespace: ns1 }
current-context: ctx
`

describe("KubeConfigFile.parse", () => {
  it("reads every supported field and resolves relative paths against the file's directory", () => {
    const kc = KubeConfigFile.parse(full, "/home/me/.kube")
    assert.deepStrictEqual(kc.clusters[0], {
      name: "c1",
      server: "https://10.0.0.1:6443",
      certificateAuthority: "/home/me/.kube/certs/ca.crt",
      certificateAuthorityData: undefined,
      insecureSkipTlsVerify: true,
      tlsServerName: "kubernetes.default",
      proxyUrl: undefined
    })
    assert.strictEqual(kc.clusters[1]?.certificateAuthorityData, Buffer.from("PEM").toString("base64"))
    assert.strictEqual(kc.clusters[1]?.proxyUrl, "http://proxy:3128")
    assert.strictEqual(kc.clusters[1]?.insecureSkipTlsVerify, false)
    assert.deepStrictEqual(kc.users[0], {
      name: "u1",
      token: "t0k",
      tokenFile: "/home/me/.kube/token.txt",
      clientCertificate: "/abs/cert.pem",
      clientCertificateData: undefined,
      clientKey: "/home/me/.kube/key.pem",
      clientKeyData: undefined,
      username: "admin",
      password: "pw",
      impersonate: "someone",
      plugin: undefined
    })
    assert.strictEqual(kc.users[1]?.clientKeyData, Buffer.from("KEY").toString("base64"))
    assert.strictEqual(kc.users[2]?.plugin, "exec")
    assert.strictEqual(kc.users[3]?.plugin, "auth-provider")
    assert.deepStrictEqual(kc.raw.users[2], {
      name: "u3",
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/home/me/.kube/bin/cred" } }
    })
    assert.deepStrictEqual(kc.contexts, [{ name: "ctx", cluster: "c1", user: "u1", namespace: "ns1" }])
    assert.strictEqual(kc.currentContext, "ctx")
  })

  it("without a directory (YAML text) paths stay as written", () => {
    const kc = KubeConfigFile.parse(full)
    assert.strictEqual(kc.clusters[0]?.certificateAuthority, "certs/ca.crt")
  })

  it("an empty document is a kubeconfig with nothing in it; a scalar is not", () => {
    assert.deepStrictEqual(KubeConfigFile.parse("hello: world").contexts, [])
    assert.throws(() => KubeConfigFile.parse("just text"), "expected a mapping at the top level")
  })

  it("names the field that is wrong, never its value", () => {
    const cases: ReadonlyArray<[string, string]> = [
      ["clusters: {}", "clusters must be a list"],
      ["users: [{ user: {} }]", "users[0] has no name"],
      ["users: [{ name: u, user: [] }]", `users[0] ("u"): user must be a mapping`],
      ["clusters: [{ name: c, cluster: { server: 5 } }]", `cluster "c": server must be a string`],
      [
        "clusters: [{ name: c, cluster: { insecure-skip-tls-verify: yes please } }]",
        `cluster "c": insecure-skip-tls-verify must be true or false`
      ],
      [
        "users: [{ name: u, user: { client-key-data: 'not base64 s3cr3t!' } }]",
        `user "u": client-key-data is not base64`
      ],
      ["current-context: [a]", "current-context must be a string"]
    ]
    for (const [text, message] of cases) {
      assert.throws(() => KubeConfigFile.parse(text), message)
      try {
        KubeConfigFile.parse(text)
      } catch (e) {
        assert.notInclude(String(e), "s3cr3t")
      }
    }
  })
})

describe("KubeConfigFile.merge", () => {
  it("the first file wins for entries of the same name and for current-context", () => {
    const a = KubeConfigFile.parse(
      "clusters: [{ name: c, cluster: { server: https://a } }]\nusers: [{ name: u, user: { token: a } }]",
      "/a"
    )
    const b = KubeConfigFile.parse(
      [
        "clusters: [{ name: c, cluster: { server: https://b } }, { name: d, cluster: { server: https://d } }]",
        "users: [{ name: u, user: { token: b } }]",
        "contexts: [{ name: x, context: { cluster: c, user: u } }]",
        "current-context: x"
      ].join("\n"),
      "/b"
    )
    const c = KubeConfigFile.parse("current-context: y")
    const merged = KubeConfigFile.merge([a, b, c])
    assert.deepStrictEqual(
      merged.clusters.map((x) => [x.name, x.server]),
      [
        ["c", "https://a"],
        ["d", "https://d"]
      ]
    )
    assert.strictEqual(merged.users[0]?.token, "a")
    assert.strictEqual(merged.raw.users.length, 1)
    assert.strictEqual(merged.currentContext, "x")
  })
})
