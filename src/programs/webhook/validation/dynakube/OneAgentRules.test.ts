import { describe, expect, it } from "@effect/vitest"
import { AutoUpdateAnnotation } from "../../../../schemas/DynaKubeConversion.ts"
import {
  annotate,
  context,
  dynakube,
  messagesOf,
  named,
  spec,
  type ContextOptions,
  type Json
} from "../ValidationFixtures.ts"
import * as OA from "./OneAgentRules.ts"

const mode = (name: string, settings: Json = {}) => spec({ oneAgent: { [name]: settings } })
const cn = (settings: Json = {}) => mode("cloudNativeFullStack", settings)
const other = (name: string, ...mods: ReadonlyArray<(o: Json) => Json>) => dynakube(named(name), ...mods)

type Case = [string, typeof OA.oneAgentVersion, Json, ContextOptions, ReadonlyArray<string>]

describe("OneAgent rules", () => {
  it.each<Case>([
    ["valid version", OA.oneAgentVersion, dynakube(cn({ version: "1.300.0.20240101-000000" })), {}, []],
    [
      "any separator, as the unescaped pattern allows",
      OA.oneAgentVersion,
      dynakube(cn({ version: "1.300.0-20240101-000000" })),
      {},
      []
    ],
    ["short version", OA.oneAgentVersion, dynakube(cn({ version: "1.300.0" })), {}, [OA.messages.invalidVersion]],
    [
      "leading zero",
      OA.oneAgentVersion,
      dynakube(cn({ version: "01.300.0.20240101-000000" })),
      {},
      [OA.messages.invalidVersion]
    ],
    [
      "applicationMonitoring version",
      OA.oneAgentVersion,
      dynakube(mode("applicationMonitoring", { version: "latest" })),
      {},
      [OA.messages.invalidVersion]
    ],
    ["no version", OA.oneAgentVersion, dynakube(cn()), {}, []],
    [
      "repeated key",
      OA.duplicateOneAgentArguments,
      dynakube(cn({ args: ["--set-proxy=a", "--set-proxy=b"] })),
      {},
      [OA.messages.duplicateArgument("--set-proxy")]
    ],
    [
      "repeated host properties are fine",
      OA.duplicateOneAgentArguments,
      dynakube(
        cn({ args: ["--set-host-property=a=1", "--set-host-property=b=2", "--set-host-tag=x", "--set-host-tag=y"] })
      ),
      {},
      []
    ],
    [
      "same host tag twice",
      OA.duplicateOneAgentArguments,
      dynakube(mode("hostMonitoring", { args: ["--set-host-tag=x", "--set-host-tag=x", "--set-host-tag=x"] })),
      {},
      [OA.messages.duplicateHostTags(["x"])]
    ],
    [
      "host id source in cloudNative",
      OA.hostIdSourceArgument,
      dynakube(cn({ args: ["--set-host-id-source=auto"] })),
      {},
      [OA.messages.hostIdSourceInCloudNative]
    ],
    [
      "host id source in classic",
      OA.hostIdSourceArgument,
      dynakube(mode("classicFullStack", { args: ["--set-host-id-source=auto"] })),
      {},
      []
    ],
    ["one mode", OA.multipleOneAgentModes, dynakube(cn()), {}, []],
    [
      "two modes",
      OA.multipleOneAgentModes,
      dynakube(spec({ oneAgent: { cloudNativeFullStack: {}, applicationMonitoring: {} } })),
      {},
      [OA.messages.multipleModes]
    ],
    [
      "null mode is no mode",
      OA.multipleOneAgentModes,
      dynakube(spec({ oneAgent: { cloudNativeFullStack: {}, classicFullStack: null } })),
      {},
      []
    ],
    [
      "volume storage off in read-only mode",
      OA.volumeStorageReadOnly,
      dynakube(cn({ env: [{ name: "ONEAGENT_ENABLE_VOLUME_STORAGE", value: "false" }] })),
      {},
      [OA.messages.volumeStorageReadOnly]
    ],
    [
      "volume storage on",
      OA.volumeStorageReadOnly,
      dynakube(cn({ env: [{ name: "ONEAGENT_ENABLE_VOLUME_STORAGE", value: "true" }] })),
      {},
      []
    ],
    [
      "volume storage off in classic",
      OA.volumeStorageReadOnly,
      dynakube(mode("classicFullStack", { env: [{ name: "ONEAGENT_ENABLE_VOLUME_STORAGE", value: "false" }] })),
      {},
      []
    ],
    [
      "node image pull without image",
      OA.nodeImagePullWithoutImage,
      dynakube(cn(), annotate({ "feature.dynatrace.com/node-image-pull": "true" })),
      {},
      [OA.messages.nodeImagePullWithoutImage]
    ],
    [
      "node image pull with image",
      OA.nodeImagePullWithoutImage,
      dynakube(
        cn({ codeModulesImage: "registry/cm:1" }),
        annotate({ "feature.dynatrace.com/node-image-pull": "true" })
      ),
      {},
      []
    ],
    [
      "node image pull with platform token",
      OA.nodeImagePullWithoutImage,
      dynakube(cn(), annotate({ "feature.dynatrace.com/node-image-pull": "true" })),
      { platformToken: true },
      []
    ],
    // warnings
    [
      "installer env vars",
      OA.installerEnvVars,
      dynakube(cn({ env: [{ name: "ONEAGENT_INSTALLER_TOKEN", value: "x" }] })),
      {},
      [OA.messages.installerEnvVars]
    ],
    ["no installer env", OA.installerEnvVars, dynakube(cn({ env: [{ name: "OTHER", value: "x" }] })), {}, []],
    [
      "--set-host-group",
      OA.hostGroupParameter,
      dynakube(cn({ args: ["--set-host-group=g"] })),
      {},
      [OA.messages.hostGroupParameter]
    ],
    ["empty --set-host-group", OA.hostGroupParameter, dynakube(cn({ args: ["--set-host-group="] })), {}, []],
    [
      "max-unavailable flag with rollingUpdate",
      OA.maxUnavailableWithRollingUpdate,
      dynakube(
        cn({ rollingUpdate: { maxUnavailable: 2 } }),
        annotate({ "feature.dynatrace.com/oneagent-max-unavailable": "3" })
      ),
      {},
      [OA.messages.maxUnavailableWithRollingUpdate]
    ],
    [
      "max-unavailable flag with log monitoring rollingUpdate",
      OA.maxUnavailableWithRollingUpdate,
      dynakube(
        spec({ templates: { logMonitoring: { rollingUpdate: {} } } }),
        annotate({ "feature.dynatrace.com/oneagent-max-unavailable": "" })
      ),
      {},
      [OA.messages.maxUnavailableWithRollingUpdate]
    ],
    [
      "max-unavailable flag alone",
      OA.maxUnavailableWithRollingUpdate,
      dynakube(cn(), annotate({ "feature.dynatrace.com/oneagent-max-unavailable": "3" })),
      {},
      []
    ],
    [
      "autoUpdate stashed",
      OA.deprecatedAutoUpdate,
      dynakube(cn(), annotate({ [AutoUpdateAnnotation]: "false" })),
      {},
      [OA.messages.autoUpdate]
    ],
    [
      "autoUpdate with applicationMonitoring",
      OA.deprecatedAutoUpdate,
      dynakube(mode("applicationMonitoring"), annotate({ [AutoUpdateAnnotation]: "true" })),
      {},
      []
    ],
    [
      "autoUpdate not a bool",
      OA.deprecatedAutoUpdate,
      dynakube(cn(), annotate({ [AutoUpdateAnnotation]: "yes" })),
      {},
      []
    ],
    [
      "version in appMon",
      OA.deprecatedVersionField,
      dynakube(mode("applicationMonitoring", { version: "1.2.3.20240101-000000" })),
      {},
      [OA.messages.deprecatedVersion("codeModulesImage")]
    ],
    [
      "version in cloudNative",
      OA.deprecatedVersionField,
      dynakube(cn({ version: "1" })),
      {},
      [OA.messages.deprecatedVersion("image and/or codeModulesImage")]
    ],
    [
      "version in classic",
      OA.deprecatedVersionField,
      dynakube(mode("classicFullStack", { version: "1" })),
      {},
      [OA.messages.deprecatedVersion("image")]
    ],
    [
      "version with public registry",
      OA.deprecatedVersionField,
      dynakube(cn({ version: "1" }), annotate({ "feature.dynatrace.com/use-public-registry": "true" })),
      {},
      [OA.messages.deprecatedVersionIgnored]
    ]
  ])("%s", (_name, rule, object, options, expected) => {
    expect(messagesOf(rule, context(object, options))).toEqual(expected)
  })
})

const check = (object: Json, others: ReadonlyArray<Json>, failing = false) =>
  messagesOf(OA.conflictingNodeSelector, context(object, { cluster: { dynaKubes: others, failing } }))

describe("node selector conflicts", () => {
  it("two host agents without selectors conflict", () => {
    expect(check(dynakube(cn()), [other("b", cn()), other("a", cn())])).toEqual([
      OA.messages.nodeSelectorConflict(["a", "b"])
    ])
  })

  it("the object's own stored version is not a conflict", () => {
    expect(check(dynakube(cn()), [dynakube(cn())])).toEqual([])
  })

  it("disjoint node selectors do not conflict; overlapping ones do", () => {
    const a = dynakube(cn({ nodeSelector: { pool: "a" } }))
    expect(check(a, [other("b", cn({ nodeSelector: { pool: "b" } }))])).toEqual([])
    expect(check(a, [other("b", cn({ nodeSelector: { pool: "a", zone: "1" } }))])).toEqual([
      OA.messages.nodeSelectorConflict(["b"])
    ])
    expect(check(a, [other("b", cn({ nodeSelector: {} }))])).toEqual([OA.messages.nodeSelectorConflict(["b"])])
  })

  it("applicationMonitoring runs no agents", () => {
    expect(check(dynakube(mode("applicationMonitoring")), [other("b", cn())])).toEqual([])
    expect(check(dynakube(cn()), [other("b", mode("applicationMonitoring"))])).toEqual([])
  })

  it("standalone log monitoring conflicts with host agents of the same environment only", () => {
    const logmon = dynakube(spec({ logMonitoring: {} }))
    expect(check(logmon, [other("b", cn())])).toEqual([OA.messages.nodeSelectorConflict(["b"])])
    expect(check(logmon, [other("b", cn(), spec({ apiUrl: "https://xyz.live.dynatrace.com/api" }))])).toEqual([])
    expect(check(dynakube(cn()), [other("b", spec({ logMonitoring: {} }))])).toEqual([
      OA.messages.nodeSelectorConflict(["b"])
    ])
  })

  it("a failed list skips the check", () => {
    expect(check(dynakube(cn()), [other("b", cn())], true)).toEqual([])
  })
})
