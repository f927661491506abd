/** Table tests of the smaller rule files: Istio, images, sanitisation, public registry, metadata enrichment. */
import { describe, expect, it } from "@effect/vitest"
import { annotate, context, dynakube, messagesOf, spec, type ContextOptions, type Json } from "../ValidationFixtures.ts"
import type { Validator } from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as Image from "./ImageRules.ts"
import * as Istio from "./IstioRules.ts"
import * as ME from "./MetadataEnrichmentRules.ts"
import * as PR from "./PublicRegistryRules.ts"
import * as S from "./SanitizationRules.ts"

type Case = [string, Validator<DynaKubeContext>, Json, ContextOptions, ReadonlyArray<string>]
const publicRegistry = annotate({ "feature.dynatrace.com/use-public-registry": "true" })

describe("smaller rules", () => {
  it.each<Case>([
    [
      "Istio installed",
      Istio.istioNotInstalled,
      dynakube(spec({ enableIstio: true })),
      { cluster: { istioInstalled: true } },
      []
    ],
    [
      "Istio missing",
      Istio.istioNotInstalled,
      dynakube(spec({ enableIstio: true })),
      { cluster: { istioInstalled: false } },
      [Istio.messages.notInstalled]
    ],
    ["Istio not enabled", Istio.istioNotInstalled, dynakube(), { cluster: { istioInstalled: false } }, []],
    [
      "Istio lookup failed counts as installed",
      Istio.istioNotInstalled,
      dynakube(spec({ enableIstio: true })),
      { cluster: { failing: true } },
      []
    ],
    [
      "valid images",
      Image.unparsableImage,
      dynakube(
        spec({ activeGate: { image: "reg.io/ag:1" }, oneAgent: { classicFullStack: { image: "reg.io/oa:1" } } })
      ),
      {},
      []
    ],
    [
      "both images bad: one joined finding",
      Image.unparsableImage,
      dynakube(spec({ activeGate: { image: "Bad Image" }, oneAgent: { hostMonitoring: { image: "x:bad tag" } } })),
      {},
      [`${Image.messages.unparsable("ActiveGate", "Bad Image")};${Image.messages.unparsable("OneAgent", "x:bad tag")}`]
    ],
    [
      "network zone with newline",
      S.invalidNetworkZone,
      dynakube(spec({ networkZone: "a\nb" })),
      {},
      [S.messages.networkZone]
    ],
    ["network zone", S.invalidNetworkZone, dynakube(spec({ networkZone: "zone-a" })), {}, []],
    [
      "host group with tab",
      S.invalidHostGroup,
      dynakube(spec({ oneAgent: { hostGroup: "a\tb" } })),
      {},
      [S.messages.hostGroup]
    ],
    [
      "no-proxy with NUL",
      S.invalidNoProxy,
      dynakube(annotate({ "feature.dynatrace.com/no-proxy": "a\u0000" })),
      {},
      [S.messages.noProxy]
    ],
    ["no-proxy", S.invalidNoProxy, dynakube(annotate({ "feature.dynatrace.com/no-proxy": "a,b" })), {}, []],
    [
      "OneAgent args with CR",
      S.invalidOneAgentArgs,
      dynakube(spec({ oneAgent: { classicFullStack: { args: ["--x=a\r"] } } })),
      {},
      [S.messages.oneAgentArgs]
    ],
    [
      "override without flag",
      PR.overrideWithoutPublicRegistry,
      dynakube(spec({ publicRegistryOverride: "mirror.io" })),
      {},
      [PR.messages.overrideWithoutFlag]
    ],
    [
      "override with flag",
      PR.overrideWithoutPublicRegistry,
      dynakube(spec({ publicRegistryOverride: "mirror.io" }), publicRegistry),
      {},
      []
    ],
    [
      "override with platform token",
      PR.overrideWithoutPublicRegistry,
      dynakube(spec({ publicRegistryOverride: "mirror.io" })),
      { platformToken: true },
      []
    ],
    [
      "classic with public registry",
      PR.classicFullStackWithPublicRegistry,
      dynakube(spec({ oneAgent: { classicFullStack: {} } }), publicRegistry),
      {},
      [PR.messages.classicFullStack]
    ],
    [
      "classic with platform token",
      PR.classicFullStackWithPublicRegistry,
      dynakube(spec({ oneAgent: { classicFullStack: {} } })),
      { platformToken: true },
      [PR.messages.classicFullStack]
    ],
    [
      "classic with custom image",
      PR.classicFullStackWithPublicRegistry,
      dynakube(spec({ oneAgent: { classicFullStack: { image: "r/oa:1" } } }), publicRegistry),
      {},
      []
    ],
    [
      "classic, tenant registry",
      PR.classicFullStackWithPublicRegistry,
      dynakube(spec({ oneAgent: { classicFullStack: {} } })),
      {},
      []
    ],
    [
      "flag with platform token",
      PR.flagIgnoredForPlatformToken,
      dynakube(annotate({ "feature.dynatrace.com/use-public-registry": "false" })),
      { platformToken: true },
      [PR.messages.flagIgnored]
    ],
    ["flag with classic token", PR.flagIgnoredForPlatformToken, dynakube(publicRegistry), {}, []],
    [
      "enrichment explicitly off while injecting",
      ME.disabledButInjecting,
      dynakube(spec({ metadataEnrichment: { enabled: false }, oneAgent: { applicationMonitoring: {} } })),
      {},
      [ME.messages.disabledButInjecting]
    ],
    [
      "enrichment unset while injecting",
      ME.disabledButInjecting,
      dynakube(spec({ oneAgent: { applicationMonitoring: {} } })),
      {},
      []
    ],
    [
      "enrichment off, no injection",
      ME.disabledButInjecting,
      dynakube(spec({ metadataEnrichment: { enabled: false } })),
      {},
      []
    ]
  ])("%s", (_name, rule, object, options, expected) => {
    expect(messagesOf(rule, context(object, options))).toEqual(expected)
  })
})
