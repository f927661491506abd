import { describe, expect, it } from "@effect/vitest"
import { context, dynakube, messagesOf, spec, type ContextOptions, type Json } from "../ValidationFixtures.ts"
import * as M from "./ModuleRules.ts"

const cn = spec({ oneAgent: { cloudNativeFullStack: {} } })
const ag = spec({ activeGate: { capabilities: ["routing"] } })
const kubemon = spec({ activeGate: { capabilities: ["kubernetes-monitoring"] } })
const ext = spec({ extensions: { prometheus: {} } })

describe("module rules", () => {
  it.each<[string, typeof M.activeGateModuleDisabled, Json, ContextOptions, ReadonlyArray<string>]>([
    ["AG on, module on", M.activeGateModuleDisabled, dynakube(ag), {}, []],
    [
      "AG on, module off",
      M.activeGateModuleDisabled,
      dynakube(ag),
      { modules: { activeGate: false } },
      [M.moduleDisabled("ActiveGate")]
    ],
    ["AG off, module off", M.activeGateModuleDisabled, dynakube(), { modules: { activeGate: false } }, []],
    [
      "extensions make the AG",
      M.activeGateModuleDisabled,
      dynakube(ext),
      { modules: { activeGate: false } },
      [M.moduleDisabled("ActiveGate")]
    ],
    [
      "kubernetes-monitoring without its module",
      M.activeGateModuleDisabled,
      dynakube(kubemon),
      { modules: { kubernetesMonitoring: false } },
      [M.moduleDisabled("KubernetesMonitoring")]
    ],
    [
      "extensions off module",
      M.extensionsModuleDisabled,
      dynakube(ext),
      { modules: { extensions: false } },
      [M.moduleDisabled("Extensions")]
    ],
    ["extensions on module", M.extensionsModuleDisabled, dynakube(ext), {}, []],
    [
      "log monitoring off module",
      M.logMonitoringModuleDisabled,
      dynakube(spec({ logMonitoring: {} })),
      { modules: { logMonitoring: false } },
      [M.moduleDisabled("LogMonitoring")]
    ],
    ["no log monitoring", M.logMonitoringModuleDisabled, dynakube(), { modules: { logMonitoring: false } }, []],
    [
      "KSPM without both modules: one joined finding",
      M.kspmModuleDisabled,
      dynakube(spec({ kspm: {} })),
      { modules: { kspm: false, kubernetesMonitoring: false } },
      [`${M.moduleDisabled("KSPM")},${M.dependencyDisabled("KubernetesMonitoring", "KSPM")}`]
    ],
    [
      "KSPM without kubernetes monitoring",
      M.kspmModuleDisabled,
      dynakube(spec({ kspm: {} })),
      { modules: { kubernetesMonitoring: false } },
      [M.dependencyDisabled("KubernetesMonitoring", "KSPM")]
    ],
    ["KSPM with modules", M.kspmModuleDisabled, dynakube(spec({ kspm: {} })), {}, []],
    [
      "host agents without OneAgent module",
      M.oneAgentModuleDisabled,
      dynakube(cn),
      { modules: { oneAgent: false } },
      [M.moduleDisabled("OneAgent")]
    ],
    [
      "applicationMonitoring needs no DaemonSet",
      M.oneAgentModuleDisabled,
      dynakube(spec({ oneAgent: { applicationMonitoring: {} } })),
      { modules: { oneAgent: false } },
      []
    ]
  ])("%s", (_name, rule, object, options, expected) => {
    expect(messagesOf(rule, context(object, options))).toEqual(expected)
  })

  it("messages say the module was left out at install time", () => {
    expect(M.moduleDisabled("KSPM")).toMatch(/KSPM was disabled when the operator was installed/)
  })
})
