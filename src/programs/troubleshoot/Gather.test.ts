import { describe, expect, it } from "@effect/vitest"
import * as Gather from "./Gather.ts"

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

describe("Gather summaries", () => {
  it("a pull Secret is reduced to its registries, never its credentials", () => {
    const secret = {
      type: "kubernetes.io/dockerconfigjson",
      data: {
        ".dockerconfigjson": b64(
          JSON.stringify({
            auths: {
              "abc.live.dynatrace.com": {
                username: "uuid",
                password: "dt0c01.SECRET",
                auth: b64("uuid:dt0c01.SECRET")
              },
              "empty.example.com": {}
            }
          })
        )
      }
    }
    const facts = Gather.pullSecretFacts(secret)
    expect(facts).toEqual({
      type: "kubernetes.io/dockerconfigjson",
      hasDockerConfigJson: true,
      parseProblem: undefined,
      registries: ["abc.live.dynatrace.com", "empty.example.com"],
      registriesWithoutCredentials: ["empty.example.com"]
    })
    expect(JSON.stringify(facts)).not.toContain("SECRET")
  })

  it("a pull Secret without key or with broken JSON says so", () => {
    expect(Gather.pullSecretFacts({ type: "Opaque", data: {} })).toMatchObject({
      hasDockerConfigJson: false,
      registries: []
    })
    expect(
      Gather.pullSecretFacts({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": b64("{nope") } })
    ).toMatchObject({
      hasDockerConfigJson: true,
      parseProblem: "is not a JSON docker config with auths"
    })
    expect(
      Gather.pullSecretFacts({
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": b64('{"registries":{}}') }
      }).parseProblem
    ).toBeDefined()
  })

  it("a CRD's versions, establishment, label and conversion", () => {
    const facts = Gather.crdFacts({
      metadata: { name: "dynakubes.dynatrace.com", labels: { "app.kubernetes.io/version": "1.2.3" } },
      spec: {
        versions: [
          { name: "v1beta5", served: true, storage: false },
          { name: "v1beta6", served: true, storage: true },
          { name: "v1beta4", served: false, storage: false }
        ],
        conversion: {
          strategy: "Webhook",
          webhook: {
            clientConfig: { caBundle: "Y2E=", service: { namespace: "dynatrace", name: "dynatrace-webhook" } }
          }
        }
      },
      status: { conditions: [{ type: "Established", status: "True" }] }
    })
    expect(facts).toEqual({
      name: "dynakubes.dynatrace.com",
      established: true,
      servedVersions: ["v1beta5", "v1beta6"],
      storageVersion: "v1beta6",
      versionLabel: "1.2.3",
      conversionStrategy: "Webhook",
      conversionService: "dynatrace/dynatrace-webhook",
      conversionCaBundle: "Y2E="
    })
  })

  it("webhook entries name their Service or URL", () => {
    expect(
      Gather.webhookEntries({
        webhooks: [
          { name: "a", clientConfig: { caBundle: "x", service: { namespace: "ns", name: "svc" } } },
          { name: "b", clientConfig: { url: "https://127.0.0.1:8443/inject" } }
        ]
      })
    ).toEqual([
      { name: "a", caBundle: "x", service: "ns/svc", url: undefined },
      { name: "b", caBundle: undefined, service: undefined, url: "https://127.0.0.1:8443/inject" }
    ])
  })

  it("a Deployment's replicas default to 1", () => {
    expect(Gather.deploymentFacts({ spec: {}, status: {} })).toEqual({
      replicas: 1,
      available: 0,
      versionLabel: undefined,
      image: undefined
    })
  })
})
