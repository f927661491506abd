import { describe, expect, it } from "@effect/vitest"
import { Duration, Option, Result } from "effect"
import * as BootstrapInput from "./BootstrapInput.ts"

const flags = (overrides: Partial<BootstrapInput.RawFlags>): BootstrapInput.RawFlags => ({
  ...BootstrapInput.noFlags,
  ...overrides
})
const some = Option.some

const ok = (raw: BootstrapInput.RawFlags) => {
  const result = BootstrapInput.fromFlags(raw)
  if (Result.isFailure(result)) throw new Error(`expected success, got ${result.failure.message}`)
  return result.success
}
const refused = (raw: BootstrapInput.RawFlags) => {
  const result = BootstrapInput.fromFlags(raw)
  if (Result.isSuccess(result)) throw new Error("expected a refusal")
  return result.failure
}

describe("BootstrapInput.fromFlags", () => {
  it("applies the defaults of spec §4.1", () => {
    const input = ok(BootstrapInput.noFlags)
    expect(input).toMatchObject({
      installPath: "/opt/dynatrace/oneagent",
      tenant: undefined,
      download: undefined,
      enableAttributesDtKubernetes: true,
      suppressError: false,
      extractLinks: false,
      attributes: [],
      containers: []
    })
  })

  it("takes the webhook's flags", () => {
    const input = ok(
      flags({
        inputDirectory: some("/mnt/input"),
        configDirectory: some("/mnt/config"),
        target: some("/mnt/bin"),
        installPath: some("/opt/dynatrace/oneagent-paas"),
        fullstack: true,
        tenant: some("abc12345"),
        metadataEnrichment: true,
        enableAttributesDtKubernetes: some("false"),
        suppressError: true,
        attributes: ["k8s.pod.name=web-1", "k8s.namespace.name=shop", "empty="],
        attributeContainers: ['{"k8s.container.name":"app","container_image.repository":"nginx","extra":1}']
      })
    )
    expect(input).toMatchObject({
      inputDirectory: "/mnt/input",
      configDirectory: "/mnt/config",
      target: "/mnt/bin",
      installPath: "/opt/dynatrace/oneagent-paas",
      tenant: "abc12345",
      metadataEnrichment: true,
      enableAttributesDtKubernetes: false,
      suppressError: true,
      attributes: [
        ["k8s.pod.name", "web-1"],
        ["k8s.namespace.name", "shop"],
        ["empty", ""]
      ]
    })
    expect(input.containers).toEqual([{ "k8s.container.name": "app", "container_image.repository": "nginx" }])
  })

  it("expands $(K8S_*) references the kubelet left alone, from the pod env", () => {
    const input = ok(
      flags({
        attributes: [
          "k8s.pod.name=$(K8S_PODNAME)",
          "k8s.pod.uid=$(K8S_PODUID)",
          "other=$(UNKNOWN)",
          "node=$(K8S_NODE_NAME)"
        ],
        podName: some("web-1"),
        podUid: some("uid-1")
      })
    )
    expect(input.attributes).toEqual([
      ["k8s.pod.name", "web-1"],
      ["k8s.pod.uid", "uid-1"],
      ["other", "$(UNKNOWN)"],
      ["node", "$(K8S_NODE_NAME)"]
    ])
    expect(BootstrapInput.attribute(input, "k8s.pod.name")).toBe("web-1")
  })

  it("falls back to the pod env for pod name, uid and node", () => {
    const input = ok(flags({ podName: some("p"), podUid: some("u"), nodeName: some("n") }))
    expect(["k8s.pod.name", "k8s.pod.uid", "k8s.node.name"].map((k) => BootstrapInput.attribute(input, k))).toEqual([
      "p",
      "u",
      "n"
    ])
  })

  it.each([
    ["relative", "opt/dynatrace"],
    ["root", "/"],
    ["unclean", "/opt/../etc"],
    ["trailing slash", "/opt/dynatrace/"],
    ["whitespace", "/opt/dyna trace"],
    ["comma", "/opt/a,b"],
    ["colon", "/opt/a:b"]
  ])("refuses an install path that is %s", (_, path) => {
    expect(refused(flags({ installPath: some(path) }))).toMatchObject({
      _tag: "InvalidBootstrapInput",
      reason: "InvalidInstallPath"
    })
  })

  it.each([["no-equals"], ["=value"], ["key with space=v"], ["k=line\nbreak"]])("refuses the attribute %j", (attr) => {
    expect(refused(flags({ attributes: [attr] })).reason).toBe("InvalidAttribute")
  })

  it.each([
    ["not JSON", "{nope"],
    ["no name", '{"container_image.repository":"nginx"}'],
    ["a path as name", '{"k8s.container.name":"../etc"}'],
    ["upper case", '{"k8s.container.name":"App"}'],
    ["a number as name", '{"k8s.container.name":1}']
  ])("refuses a container attribute with %s", (_, json) => {
    const error = refused(flags({ attributeContainers: [json] }))
    expect(error.reason).toBe("InvalidContainerAttribute")
    expect(error.message).toContain("--attribute-container")
  })

  it("refuses a container listed twice", () => {
    const c = '{"k8s.container.name":"app"}'
    expect(refused(flags({ attributeContainers: [c, c] })).message).toBe("Container app is listed twice.")
  })

  it("refuses --fullstack without --tenant", () => {
    expect(refused(flags({ fullstack: true })).reason).toBe("MissingTenant")
  })

  it("builds the download request from --version, --url, --flavor, --technology", () => {
    const input = ok(
      flags({
        version: some("1.311.54.20250317-111439"),
        url: some("https://abc.live.dynatrace.com/api/"),
        technology: some("java, nodejs"),
        connectionTimeout: some("2m30s")
      })
    )
    expect(input.download).toEqual({
      url: "https://abc.live.dynatrace.com/api",
      version: "1.311.54.20250317-111439",
      flavor: "multidistro",
      technologies: ["java", "nodejs"],
      timeout: Duration.seconds(150)
    })
    expect(
      ok(flags({ version: some("1"), url: some("http://x/api"), technology: some("all") })).download?.technologies
    ).toEqual([])
    expect(ok(flags({ version: some("1"), url: some("http://x/api") })).download?.timeout).toEqual(Duration.minutes(15))
  })

  it("refuses a download without or with a bad URL, and a bad timeout", () => {
    expect(refused(flags({ version: some("1") })).reason).toBe("MissingDownloadUrl")
    expect(refused(flags({ version: some("1"), url: some("ftp://x") })).reason).toBe("InvalidFlag")
    expect(
      refused(flags({ version: some("1"), url: some("http://x"), connectionTimeout: some("soon") })).message
    ).toContain("DT_CLIENT_CONNECTION_TIMEOUT")
  })

  it("parses the boolean env and flag values", () => {
    expect(ok(flags({ extractLinks: some("true") })).extractLinks).toBe(true)
    expect(refused(flags({ enableAttributesDtKubernetes: some("maybe") })).reason).toBe("InvalidFlag")
  })
})
