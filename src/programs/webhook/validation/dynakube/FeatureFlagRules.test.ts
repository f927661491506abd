import { describe, expect, it } from "@effect/vitest"
import { annotate, context, dynakube, messagesOf } from "../ValidationFixtures.ts"
import * as F from "./FeatureFlagRules.ts"

describe("feature flag rules", () => {
  it("deprecated flags are listed in a fixed order", () => {
    const ctx = context(
      dynakube(
        annotate({
          "feature.dynatrace.com/init-container-seccomp-profile": "true",
          "feature.dynatrace.com/oneagent-ignore-proxy": "",
          "feature.dynatrace.com/automatic-injection": "false"
        })
      )
    )
    expect(messagesOf(F.deprecatedFlags, ctx)).toEqual([
      F.messages.deprecated([
        "feature.dynatrace.com/oneagent-ignore-proxy",
        "feature.dynatrace.com/init-container-seccomp-profile"
      ])
    ])
    expect(messagesOf(F.unknownFlags, ctx)).toEqual([])
  })

  it("unknown flags are listed sorted; other annotations are ignored", () => {
    const ctx = context(
      dynakube(
        annotate({
          "feature.dynatrace.com/zzz": "1",
          "feature.dynatrace.com/automatic-injektion": "false",
          "oneagent.dynatrace.com/technologies": "java",
          "example.com/anything": "x",
          "conversion.internal.dynatrace.com/auto-update": "true"
        })
      )
    )
    expect(messagesOf(F.unknownFlags, ctx)).toEqual([
      F.messages.unknown(["feature.dynatrace.com/automatic-injektion", "feature.dynatrace.com/zzz"])
    ])
  })

  it("node-image-pull without the CSI driver", () => {
    const object = dynakube(annotate({ "feature.dynatrace.com/node-image-pull": "false" }))
    expect(messagesOf(F.nodeImagePullWithoutCsi, context(object, { modules: { csiDriver: false } }))).toEqual([
      F.messages.nodeImagePullWithoutCsi
    ])
    expect(messagesOf(F.nodeImagePullWithoutCsi, context(object))).toEqual([])
  })
})
