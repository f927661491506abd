import { describe, expect, it } from "@effect/vitest"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Redaction from "./Redaction.ts"

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")
const token = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.0123456789abcdef"

describe("Redaction", () => {
  it("a Secret keeps its keys; every value, stringData and last-applied-configuration are redacted", () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "dk",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": `{"data":{"apiToken":"${b64(token)}"}}`,
          team: "a"
        },
        managedFields: [{ manager: "kubectl" }]
      },
      type: "Opaque",
      data: { apiToken: b64(token), paasToken: b64("x") },
      stringData: { extra: "plain" }
    } as KubeObject
    const redacted = Redaction.redactObject(secret) as KubeObject & { data: unknown; stringData: unknown }
    expect(redacted.data).toEqual({ apiToken: "<redacted>", paasToken: "<redacted>" })
    expect(redacted.stringData).toEqual({ extra: "<redacted>" })
    expect(redacted.metadata?.annotations).toEqual({
      "kubectl.kubernetes.io/last-applied-configuration": "<redacted>",
      team: "a"
    })
    expect(redacted.metadata?.managedFields).toBeUndefined()
    expect(JSON.stringify(redacted)).not.toContain(b64(token))
    // The input is not changed.
    expect((secret as unknown as { data: { apiToken: string } }).data.apiToken).toBe(b64(token))
  })

  it("other kinds keep their data; a DynaKube's proxy loses its credentials only", () => {
    const cm = { kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } } as KubeObject
    expect(Redaction.redactObject(cm)).toEqual(cm)
    const dk = {
      kind: "DynaKube",
      metadata: { name: "dk" },
      spec: { proxy: { value: "http://user:pa55@proxy:3128" } }
    } as KubeObject
    expect((Redaction.redactObject(dk) as unknown as { spec: { proxy: { value: string } } }).spec.proxy.value).toBe(
      "http://<redacted>@proxy:3128"
    )
    expect(Redaction.redactUrlCredentials("proxy:3128")).toBe("proxy:3128")
    expect(Redaction.redactUrlCredentials("u:p@proxy:3128")).toBe("<redacted>@proxy:3128")
  })

  it("learns a Secret's values and the string leaves of JSON values (docker config passwords)", () => {
    const docker = JSON.stringify({
      auths: { "r.example.com": { username: "uuid-123456", password: token, auth: b64(`uuid-123456:${token}`) } }
    })
    const values = Redaction.secretValues({ kind: "Secret", data: { ".dockerconfigjson": b64(docker) } } as KubeObject)
    expect(values).toContain(docker)
    expect(values).toContain(token)
    expect(values).toContain(b64(`uuid-123456:${token}`))
  })

  it("the scrubber replaces values, their base64 and URL-encoded forms; short values are left alone", () => {
    const scrubber = Redaction.makeScrubber([token, "short", "pass word+/x"])
    const text = [
      `token=${token}`,
      `b64=${b64(token)}`,
      `unpadded=${b64(token).replace(/=+$/, "")}`,
      `url=${encodeURIComponent("pass word+/x")}`,
      "short stays"
    ].join("\n")
    const scrubbed = scrubber.scrub(text)
    expect(scrubbed).toBe(
      ["token=<redacted>", "b64=<redacted>", "unpadded=<redacted>", "url=<redacted>", "short stays"].join("\n")
    )
    expect(Redaction.makeScrubber([]).scrub(text)).toBe(text)
  })

  it("a value that contains another is replaced whole (longest first)", () => {
    const scrubber = Redaction.makeScrubber(["abcdefgh", "abcdefgh-and-more"])
    expect(scrubber.scrub("x abcdefgh-and-more y abcdefgh")).toBe("x <redacted> y <redacted>")
  })
})
