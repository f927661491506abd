import { describe, expect, it } from "@effect/vitest"
import type { Validator } from "../Finding.ts"
import { annotate, context, dynakube, messagesOf, spec, type ContextOptions, type Json } from "../ValidationFixtures.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as L from "./LogMonitoringRules.ts"

const logmon = spec({ logMonitoring: {} })
const template = (t: Json) => spec({ templates: { logMonitoring: t } })
const cn = spec({ oneAgent: { cloudNativeFullStack: {} } })

type Case = [string, Validator<DynaKubeContext>, Json, ContextOptions, ReadonlyArray<string>]

describe("log monitoring rules", () => {
  it.each<Case>([
    ["standalone without image", L.imageMissing, dynakube(logmon), {}, [L.messages.imageMissing]],
    [
      "standalone with image",
      L.imageMissing,
      dynakube(logmon, template({ imageRef: { repository: "r", tag: "1" } })),
      {},
      []
    ],
    [
      "standalone, public registry",
      L.imageMissing,
      dynakube(logmon, annotate({ "feature.dynatrace.com/use-public-registry": "1" })),
      {},
      []
    ],
    ["with host agents no image needed", L.imageMissing, dynakube(logmon, cn), {}, []],
    ["args with newline", L.invalidArgs, dynakube(template({ args: ["ok", "bad\n"] })), {}, [L.messages.invalidArgs]],
    ["args", L.invalidArgs, dynakube(template({ args: ["--a=b"] })), {}, []],
    [
      "template ignored with host agents",
      L.templateIgnored,
      dynakube(logmon, cn, template({ nodeSelector: {} })),
      {},
      [L.messages.templateIgnored]
    ],
    ["template used standalone", L.templateIgnored, dynakube(logmon, template({ nodeSelector: {} })), {}, []]
  ])("%s", (_name, rule, object, options, expected) => {
    expect(messagesOf(rule, context(object, options))).toEqual(expected)
  })
})
