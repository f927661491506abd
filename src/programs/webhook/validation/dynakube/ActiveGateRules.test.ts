import { describe, expect, it } from "@effect/vitest"
import { context, dynakube, findings, messagesOf, spec, type ContextOptions, type Json } from "../ValidationFixtures.ts"
import * as AG from "./ActiveGateRules.ts"

const ag = (activeGate: Json) => dynakube(spec({ activeGate }))

describe("ActiveGate rules", () => {
  it.each<[string, typeof AG.invalidCapability, Json, ContextOptions, ReadonlyArray<string>]>([
    [
      "known capabilities",
      AG.invalidCapability,
      ag({ capabilities: ["routing", "kubernetes-monitoring", "dynatrace-api"] }),
      {},
      []
    ],
    [
      "unknown capability",
      AG.invalidCapability,
      ag({ capabilities: ["routing", "beaming"] }),
      {},
      [AG.messages.invalidCapability("beaming")]
    ],
    [
      "display value is not a capability",
      AG.invalidCapability,
      ag({ capabilities: ["MSGrouter"] }),
      {},
      [AG.messages.invalidCapability("MSGrouter")]
    ],
    [
      "PVC and ephemeral",
      AG.pvcAndEphemeral,
      ag({ useEphemeralVolume: true, volumeClaimTemplate: {} }),
      {},
      [AG.messages.pvcAndEphemeral]
    ],
    ["PVC only", AG.pvcAndEphemeral, ag({ useEphemeralVolume: false, volumeClaimTemplate: {} }), {}, []],
    ["ephemeral only", AG.pvcAndEphemeral, ag({ useEphemeralVolume: true }), {}, []],
    [
      "reserved volume name",
      AG.conflictingVolumes,
      ag({
        volumes: [
          { name: "ok", emptyDir: {} },
          { name: "server-certs", emptyDir: {} }
        ]
      }),
      {},
      [AG.messages.reservedVolumeName("server-certs")]
    ],
    [
      "reserved mount path",
      AG.conflictingVolumes,
      ag({ volumeMounts: [{ name: "x", mountPath: "/var/lib/dynatrace/gateway/ssl" }] }),
      {},
      [AG.messages.reservedMountPath("/var/lib/dynatrace/gateway/ssl")]
    ],
    [
      "own volume and path",
      AG.conflictingVolumes,
      ag({ volumes: [{ name: "x", emptyDir: {} }], volumeMounts: [{ name: "x", mountPath: "/data" }] }),
      {},
      []
    ],
    [
      "allowed volume types",
      AG.disallowedVolumeType,
      ag({
        volumes: [
          { name: "a", secret: {} },
          { name: "b", image: { reference: "x" } }
        ]
      }),
      {},
      []
    ],
    [
      "hostPath volume",
      AG.disallowedVolumeType,
      ag({ volumes: [{ name: "h", hostPath: { path: "/" } }] }),
      {},
      [AG.messages.disallowedVolumeType("h")]
    ],
    [
      "volume without source",
      AG.disallowedVolumeType,
      ag({ volumes: [{ name: "n" }] }),
      {},
      [AG.messages.disallowedVolumeType("n")]
    ],
    [
      "memory limit set",
      AG.missingMemoryLimit,
      ag({ capabilities: ["routing"], resources: { limits: { memory: "1Gi" } } }),
      {},
      []
    ],
    [
      "no memory limit",
      AG.missingMemoryLimit,
      ag({ capabilities: ["routing"], resources: { limits: { cpu: "1" } } }),
      {},
      [AG.messages.missingMemoryLimit]
    ],
    ["no ActiveGate, no warning", AG.missingMemoryLimit, ag({}), {}, []],
    [
      "rollingUpdate on 1.35",
      AG.rollingUpdateOldKubernetes,
      ag({ rollingUpdate: {} }),
      { cluster: { kubernetesMinorVersion: 35 } },
      []
    ],
    [
      "rollingUpdate on 1.34",
      AG.rollingUpdateOldKubernetes,
      ag({ rollingUpdate: {} }),
      { cluster: { kubernetesMinorVersion: 34 } },
      [AG.messages.rollingUpdateOldKubernetes]
    ],
    [
      "version unknown: no warning",
      AG.rollingUpdateOldKubernetes,
      ag({ rollingUpdate: {} }),
      { cluster: { failing: true } },
      []
    ]
  ])("%s", (_name, rule, object, options, expected) => {
    expect(messagesOf(rule, context(object, options))).toEqual(expected)
  })

  it("capability problems deny, a missing memory limit only warns", () => {
    const ctx = context(ag({ capabilities: ["nope"] }))
    expect(findings(AG.invalidCapability, ctx).map((f) => [f._tag, f.rule])).toEqual([
      ["Error", "invalidActiveGateCapability"]
    ])
    expect(findings(AG.missingMemoryLimit, ctx).map((f) => [f._tag, f.rule])).toEqual([
      ["Warning", "activeGateMissingMemoryLimit"]
    ])
  })
})
