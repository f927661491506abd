import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { parse } from "yaml"
import * as EcYaml from "./EcYaml.ts"

const base: EcYaml.EcYamlInput = {
  name: "test-name-edgeconnect",
  apiEndpointHost: "abc12345.apps.dynatrace.com",
  oauth: {
    endpoint: "https://sso.dynatrace.com/sso/oauth2/token",
    clientId: "created-client-id",
    clientSecret: Redacted.make("created-client-secret"),
    resource: "urn:dtenvironment:test12345"
  },
  customCa: false
}

describe("EcYaml", () => {
  it("a basic file: name, host, OAuth client, the service account CA", () => {
    assert.strictEqual(
      EcYaml.render(base),
      `name: test-name-edgeconnect
api_endpoint_host: abc12345.apps.dynatrace.com
oauth:
    endpoint: https://sso.dynatrace.com/sso/oauth2/token
    client_id: created-client-id
    client_secret: created-client-secret
    resource: urn:dtenvironment:test12345
root_certificate_paths:
    - /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
`
    )
  })

  it("a full file: host restrictions, custom CA first, proxy with credentials, in the original's key order", () => {
    const text = EcYaml.render({
      ...base,
      restrictHostsTo: ["internal.example.org", "*.dev.example.org"],
      customCa: true,
      proxy: {
        server: "proxy.com",
        port: 443,
        exceptions: "*.internal.com",
        auth: { user: "user", password: Redacted.make("pass") }
      }
    })
    assert.strictEqual(
      text,
      `name: test-name-edgeconnect
api_endpoint_host: abc12345.apps.dynatrace.com
oauth:
    endpoint: https://sso.dynatrace.com/sso/oauth2/token
    client_id: created-client-id
    client_secret: created-client-secret
    resource: urn:dtenvironment:test12345
restrict_hosts_to:
    - internal.example.org
    - '*.dev.example.org'
root_certificate_paths:
    - /etc/edge_connect_certs/certificate.pem
    - /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
proxy:
    auth:
        user: user
        password: pass
    server: proxy.com
    exceptions: '*.internal.com'
    port: 443
`
    )
  })

  it("with Kubernetes automation: the token entry, which reads back", () => {
    const token = Redacted.make("dt0e01.AAAA.BBBB")
    const text = EcYaml.render({ ...base, kubernetesToken: token })
    assert.deepStrictEqual(parse(text).secrets, [
      {
        name: "K8S_SERVICE_ACCOUNT_TOKEN",
        token: "dt0e01.AAAA.BBBB",
        from_file: "/var/run/secrets/kubernetes.io/serviceaccount/token",
        restrict_hosts_to: ["kubernetes.default.svc.cluster.local"]
      }
    ])
    assert.strictEqual(Redacted.value(EcYaml.tokenOf(text)!), "dt0e01.AAAA.BBBB")
  })

  it("tokenOf: nothing from files without one, or from garbage", () => {
    for (const text of [EcYaml.render(base), "", ": : :", "secrets: 3", "secrets: [{}]", "[1]"]) {
      assert.isUndefined(EcYaml.tokenOf(text), text)
    }
  })

  it("values that look like YAML syntax stay strings", () => {
    const text = EcYaml.render({ ...base, name: "yes", restrictHostsTo: ["123", "null", "a: b"] })
    const doc = parse(text)
    assert.strictEqual(doc.name, "yes")
    assert.deepStrictEqual(doc.restrict_hosts_to, ["123", "null", "a: b"])
  })
})
