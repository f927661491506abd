import { assert, describe, it } from "@effect/vitest"
import { endpointUrl } from "./ApiUrl.ts"
import * as Versions from "./AgentVersions.ts"

const url = (path: string, query: Parameters<typeof endpointUrl>[2]) => endpointUrl("https://t/api", path, query)

describe("AgentVersions", () => {
  it("builds the metainfo requests of host agents and code modules (spec §2.2.8)", () => {
    assert.strictEqual(
      url(Versions.latestMetainfoPath({ type: "default" }), Versions.latestMetainfoQuery({ type: "default" })),
      "https://t/api/v1/deployment/installer/agent/unix/default/latest/metainfo?bitness=64&flavor=default"
    )
    assert.strictEqual(
      url(Versions.latestMetainfoPath({ type: "paas" }), Versions.latestMetainfoQuery({ type: "paas" })),
      "https://t/api/v1/deployment/installer/agent/unix/paas/latest/metainfo?bitness=64&flavor=multidistro&arch=x86"
    )
    assert.strictEqual(Versions.latestGatewayMetainfoPath(), "/v1/deployment/installer/gateway/unix/latest/metainfo")
    assert.strictEqual(
      url(Versions.versionsPath({ type: "paas" }), Versions.versionsQuery({ type: "paas" })),
      "https://t/api/v1/deployment/installer/agent/versions/unix/paas?flavor=multidistro&arch=x86"
    )
  })

  it("builds the CSI provisioner's and the bootstrapper's download requests (spec §5.5, §4.2)", () => {
    const csi = { type: "paas", version: "1.311.54.20250317-111439" } as const
    assert.strictEqual(
      url(Versions.downloadPath(csi), Versions.downloadQuery(csi)),
      "https://t/api/v1/deployment/installer/agent/unix/paas/version/1.311.54.20250317-111439?flavor=multidistro&arch=x86&bitness=64&skipMetadata=true&include=all"
    )
    const bootstrapper = { ...csi, skipMetadata: false, technologies: ["java", "nodejs"] }
    assert.strictEqual(
      url(Versions.downloadPath(bootstrapper), Versions.downloadQuery(bootstrapper)),
      "https://t/api/v1/deployment/installer/agent/unix/paas/version/1.311.54.20250317-111439?flavor=multidistro&arch=x86&bitness=64&skipMetadata=false&include=java&include=nodejs"
    )
    assert.strictEqual(Versions.downloadPath({ type: "paas" }), "/v1/deployment/installer/agent/unix/paas/latest")
  })
})
