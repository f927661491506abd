import { NodeFileSystem } from "@effect/platform-node"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted, Result } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as BootstrapInput from "./BootstrapInput.ts"
import * as InputDirectory from "./InputDirectory.ts"
import * as OneAgentConfig from "./OneAgentConfig.ts"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oneagent-config-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** A code module as the CSI volume holds it. */
const codeModule = () => {
  const target = tempDir()
  fs.mkdirSync(path.join(target, "agent/conf"), { recursive: true })
  fs.writeFileSync(
    path.join(target, "agent/conf/ruxitagentproc.conf"),
    '[general]\nlibraryPath "../lib64/liboneagentproc.so"\nstorage ../../var\n'
  )
  return target
}

const input = Result.getOrThrow(
  BootstrapInput.fromFlags({
    ...BootstrapInput.noFlags,
    installPath: Option.some("/opt/dynatrace/oneagent-paas"),
    fullstack: true,
    tenant: Option.some("abc12345"),
    attributes: [
      "k8s.pod.name=web-1",
      "k8s.pod.uid=p-uid",
      "k8s.namespace.name=shop",
      "k8s.cluster.uid=c-uid",
      "k8s.node.name=node-1"
    ],
    attributeContainers: [
      '{"k8s.container.name":"app","container_image.registry":"docker.io","container_image.repository":"library/nginx","container_image.tags":"1.25"}',
      '{"k8s.container.name":"sidecar","container_image.repository":"envoy"}'
    ]
  })
)

const allFiles: InputDirectory.InputFiles = {
  clientConfig: Option.some({
    apiToken: Redacted.make("secret"),
    proxy: undefined,
    noProxy: undefined,
    networkZone: undefined,
    hostGroup: undefined,
    skipCertCheck: false
  }),
  processModuleConfig: Option.some({
    properties: [{ section: "general", key: "tenant", value: "abc12345" }],
    revision: 1
  }),
  initialConnectRetryMs: Option.some(6000),
  declarativeCbor: Option.some(Uint8Array.from([0xa1, 0x61, 0x61, 0x01])),
  endpointProperties: Option.none(),
  trustedPem: Option.some("-----BEGIN CERTIFICATE-----\nTRUSTED\n-----END CERTIFICATE-----\n"),
  activeGatePem: Option.some("-----BEGIN CERTIFICATE-----\nAG\n-----END CERTIFICATE-----\n")
}

/** Every file below `dir` with its content and mode. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as Array<string>)
      .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
      .toSorted()
      .map((rel) => [
        rel,
        {
          mode: (fs.statSync(path.join(dir, rel)).mode & 0o777).toString(8),
          content: fs.readFileSync(path.join(dir, rel), "utf8")
        }
      ])
  )

/** The expected container.conf of the fixture pod. */
const containerConf = (name: string, image: string) =>
  [
    "[container]",
    "k8s_fullpodname web-1",
    "k8s_poduid p-uid",
    "k8s_namespace shop",
    "k8s_cluster_id c-uid",
    `k8s_containername ${name}`,
    `containerName ${name}`,
    `imageName ${image}`,
    "k8s_node_name node-1",
    "",
    "[host]",
    "tenant abc12345",
    "isCloudNativeFullStack true",
    ""
  ].join("\n")

const only = (ag: string | undefined, trusted: string | undefined) =>
  OneAgentConfig.customPem({
    ...InputDirectory.empty,
    activeGatePem: Option.fromNullishOr(ag),
    trustedPem: Option.fromNullishOr(trusted)
  })

describe("OneAgentConfig", () => {
  it.effect("writes every file of every container with the exact contents", () =>
    Effect.gen(function* () {
      const target = codeModule()
      const config = tempDir()
      yield* OneAgentConfig.writeContainers(input, allFiles, target, config)
      yield* OneAgentConfig.writePreload(input.installPath, config)

      const procConf = [
        "[general]",
        'dataStorageDir "/var/lib/dynatrace/oneagent"',
        'libraryPath "/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so"',
        'logDir "/var/lib/dynatrace/oneagent/log"',
        'storage "/var/lib/dynatrace/oneagent"',
        "tenant abc12345",
        ""
      ].join("\n")
      const custom =
        "-----BEGIN CERTIFICATE-----\nAG\n-----END CERTIFICATE-----\n\n-----BEGIN CERTIFICATE-----\nTRUSTED\n-----END CERTIFICATE-----\n"
      const perContainer = (name: string, image: string) => ({
        [`${name}/oneagent/agent/config/container.conf`]: { mode: "644", content: containerConf(name, image) },
        [`${name}/oneagent/agent/config/declarative.cbor`]: {
          mode: "644",
          content: Buffer.from([0xa1, 0x61, 0x61, 0x01]).toString("utf8")
        },
        [`${name}/oneagent/agent/config/ruxitagentproc.conf`]: { mode: "644", content: procConf },
        [`${name}/oneagent/agent/customkeys/curl_options.conf`]: { mode: "644", content: "initialConnectRetryMs 6000" },
        [`${name}/oneagent/agent/customkeys/custom.pem`]: { mode: "644", content: custom },
        [`${name}/oneagent/agent/customkeys/custom_proxy.pem`]: {
          mode: "644",
          content: "-----BEGIN CERTIFICATE-----\nTRUSTED\n-----END CERTIFICATE-----\n"
        }
      })
      expect(snapshot(config)).toEqual({
        ...perContainer("app", "docker.io/library/nginx:1.25"),
        "oneagent/ld.so.preload": {
          mode: "644",
          content: "/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so"
        },
        ...perContainer("sidecar", "envoy")
      })
      expect([...fs.readFileSync(path.join(config, "app/oneagent/agent/config/declarative.cbor"))]).toEqual([
        0xa1, 0x61, 0x61, 0x01
      ])
      expect(fs.statSync(path.join(config, "app/oneagent/agent/config")).mode & 0o777).toBe(0o755)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("writes only container.conf when the input has nothing else", () =>
    Effect.gen(function* () {
      const config = tempDir()
      yield* OneAgentConfig.writeContainers(input, InputDirectory.empty, tempDir(), config)
      expect(Object.keys(snapshot(config))).toEqual([
        "app/oneagent/agent/config/container.conf",
        "sidecar/oneagent/agent/config/container.conf"
      ])
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it("custom.pem joins the ActiveGate and trusted certificates with a newline, whichever exist", () => {
    expect(only("A", "T")).toEqual(Option.some("A\nT"))
    expect(only("A", undefined)).toEqual(Option.some("A\n"))
    expect(only(undefined, "T")).toEqual(Option.some("\nT"))
    expect(only(undefined, undefined)).toEqual(Option.none())
  })

  it.effect("without the code module's ruxitagentproc.conf the JSON cannot be applied: a clear error", () =>
    Effect.gen(function* () {
      const error = yield* OneAgentConfig.writeContainers(input, allFiles, tempDir(), tempDir()).pipe(Effect.flip)
      expect(error._tag).toBe("AgentFilesMissing")
      expect(error.message).toContain("agent/conf/ruxitagentproc.conf")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
