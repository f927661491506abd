/**
 * Every DynaKube rule has an example object that makes it fire (and only the unreachable
 * `telemetryIngestNoProtocols` has none): a guard that no rule in the lists is dead, and a catalogue of what each
 * rule is about. The detailed valid/invalid tables live in the `*Rules.test.ts` files.
 */
import { describe, expect, it } from "@effect/vitest"
import { AutoUpdateAnnotation } from "../../../../schemas/DynaKubeConversion.ts"
import {
  annotate,
  context,
  dynakube,
  findings,
  named,
  spec,
  updateContext,
  type ContextOptions,
  type Json
} from "../ValidationFixtures.ts"
import * as DynaKubeRules from "./DynaKubeRules.ts"

const ff = (name: string, value = "true") => annotate({ [`feature.dynatrace.com/${name}`]: value })
const cn = (settings: Json = {}) => spec({ oneAgent: { cloudNativeFullStack: settings } })
const attrs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]))
const noModule = (module: string): ContextOptions => ({ modules: { [module]: false } })
const other = (...mods: ReadonlyArray<(o: Json) => Json>) => dynakube(named("other"), ...mods)
const image = { repository: "r", tag: "1" }

const examples: Record<string, readonly [Json, ContextOptions?]> = {
  activeGateModuleDisabled: [dynakube(spec({ activeGate: { capabilities: ["routing"] } })), noModule("activeGate")],
  extensionsModuleDisabled: [dynakube(spec({ extensions: { prometheus: {} } })), noModule("extensions")],
  logMonitoringModuleDisabled: [dynakube(spec({ logMonitoring: {} })), noModule("logMonitoring")],
  kspmModuleDisabled: [dynakube(spec({ kspm: {} })), noModule("kspm")],
  oneAgentModuleDisabled: [dynakube(cn()), noModule("oneAgent")],
  oneAgentVersion: [dynakube(cn({ version: "1.2" }))],
  duplicateOneAgentArguments: [dynakube(cn({ args: ["--a=1", "--a=2"] }))],
  hostIdSourceArgument: [dynakube(cn({ args: ["--set-host-id-source=x"] }))],
  noApiUrl: [dynakube(spec({ apiUrl: "" }))],
  invalidApiUrl: [dynakube(spec({ apiUrl: "https://x.example.com" }))],
  invalidActiveGateCapability: [dynakube(spec({ activeGate: { capabilities: ["x"] } }))],
  activeGatePvcAndEphemeral: [dynakube(spec({ activeGate: { useEphemeralVolume: true, volumeClaimTemplate: {} } }))],
  activeGateConflictingVolumes: [dynakube(spec({ activeGate: { volumes: [{ name: "trustedcas", emptyDir: {} }] } }))],
  activeGateDisallowedVolumeType: [dynakube(spec({ activeGate: { volumes: [{ name: "n", nfs: {} }] } }))],
  invalidProxyUrl: [dynakube(spec({ proxy: { value: "http://u:a b@p" } }))],
  multipleOneAgentModes: [dynakube(spec({ oneAgent: { hostMonitoring: {}, classicFullStack: {} } }))],
  conflictingNodeSelector: [dynakube(cn()), { cluster: { dynaKubes: [other(cn())] } }],
  conflictingNamespaceSelector: [
    dynakube(cn()),
    { cluster: { dynaKubes: [other(cn())], namespaces: [{ name: "apps", labels: {} }] } }
  ],
  istioNotInstalled: [dynakube(spec({ enableIstio: true })), { cluster: { istioInstalled: false } }],
  volumeStorageReadOnly: [dynakube(cn({ env: [{ name: "ONEAGENT_ENABLE_VOLUME_STORAGE", value: "no" }] }))],
  invalidName: [dynakube(named("Upper"))],
  invalidOneAgentNamespaceSelector: [dynakube(cn({ namespaceSelector: { matchLabels: { "a b": "c" } } }))],
  invalidMetadataEnrichmentNamespaceSelector: [
    dynakube(spec({ metadataEnrichment: { namespaceSelector: { matchExpressions: [{ key: "k", operator: "In" }] } } }))
  ],
  invalidOtlpExporterNamespaceSelector: [
    dynakube(spec({ otlpExporterConfiguration: { namespaceSelector: { matchLabels: { k: "-" } } } }))
  ],
  unparsableImage: [dynakube(spec({ activeGate: { image: "NO" } }))],
  extensionControllerImageMissing: [dynakube(spec({ extensions: { prometheus: {} } }))],
  extensionControllerPvcAndEphemeral: [
    dynakube(
      spec({
        extensions: { prometheus: {} },
        templates: { extensionExecutionController: { useEphemeralVolume: true, persistentVolumeClaim: {} } }
      })
    )
  ],
  kspmTooManyReplicas: [
    dynakube(spec({ kspm: {}, activeGate: { capabilities: ["kubernetes-monitoring"], replicas: 2 } }))
  ],
  kspmImageMissing: [dynakube(spec({ kspm: {} }))],
  kspmWithoutKubernetesMonitoring: [dynakube(spec({ kspm: {} }))],
  kspmRootHostPath: [dynakube(spec({ kspm: { mappedHostPaths: ["/", "/x"] } }))],
  kspmRelativeHostPath: [dynakube(spec({ kspm: { mappedHostPaths: ["x"] } }))],
  logMonitoringImageMissing: [dynakube(spec({ logMonitoring: {} }))],
  telemetryIngestUnknownProtocols: [dynakube(spec({ telemetryIngest: { protocols: ["smtp"] } }))],
  telemetryIngestInvalidServiceName: [dynakube(spec({ telemetryIngest: { serviceName: "_x" } }))],
  telemetryIngestForbiddenServiceNameSuffix: [dynakube(spec({ telemetryIngest: { serviceName: "x-webhook" } }))],
  telemetryIngestServiceNameInUse: [
    dynakube(spec({ telemetryIngest: { serviceName: "s" } })),
    { cluster: { dynaKubes: [other(spec({ telemetryIngest: { serviceName: "s" } }))] } }
  ],
  otelCollectorImageMissing: [dynakube(spec({ telemetryIngest: {} }))],
  databaseExecutorImageMissing: [dynakube(spec({ extensions: { databases: [{ id: "a" }] } }))],
  databaseVolumeMounts: [
    dynakube(spec({ extensions: { databases: [{ id: "a", volumeMounts: [{ name: "v", mountPath: "/v" }] }] } }))
  ],
  unusedDatabaseVolumes: [
    dynakube(spec({ extensions: { databases: [{ id: "a", volumes: [{ name: "v", emptyDir: {} }] }] } }))
  ],
  invalidGlobalResourceAttributes: [dynakube(spec({ resourceAttributes: { "a b": "c" } }))],
  invalidOneAgentResourceAttributes: [dynakube(cn({ additionalResourceAttributes: { "a b": "c" } }))],
  invalidOtlpResourceAttributes: [
    dynakube(spec({ otlpExporterConfiguration: { additionalResourceAttributes: { k: "a b" } } }))
  ],
  unusableGlobalResourceAttributeKeys: [dynakube(spec({ resourceAttributes: { "--": "c" } }))],
  unusableOneAgentResourceAttributeKeys: [dynakube(cn({ additionalResourceAttributes: { "a/b": "1", a_b: "2" } }))],
  unusableOtlpResourceAttributeKeys: [
    dynakube(spec({ otlpExporterConfiguration: { additionalResourceAttributes: { [`a${"b".repeat(63)}`]: "1" } } }))
  ],
  publicRegistryOverrideWithoutFlag: [dynakube(spec({ publicRegistryOverride: "m" }))],
  invalidNetworkZone: [dynakube(spec({ networkZone: "a\tb" }))],
  invalidHostGroup: [dynakube(spec({ oneAgent: { hostGroup: "a\u0000" } }))],
  invalidNoProxy: [dynakube(ff("no-proxy", "a\nb"))],
  classicFullStackWithPublicRegistry: [dynakube(spec({ oneAgent: { classicFullStack: {} } })), { platformToken: true }],
  invalidOneAgentArgs: [dynakube(cn({ args: ["--x=\n"] }))],
  invalidLogMonitoringArgs: [dynakube(spec({ templates: { logMonitoring: { args: ["\r"] } } }))],
  nodeImagePullWithoutImage: [dynakube(cn(), ff("node-image-pull"))],
  // warnings
  activeGateMissingMemoryLimit: [dynakube(spec({ activeGate: { capabilities: ["routing"] } }))],
  installerEnvVars: [dynakube(cn({ env: [{ name: "ONEAGENT_INSTALLER_SCRIPT_URL", value: "u" }] }))],
  hostGroupParameter: [dynakube(cn({ args: ["--set-host-group=g"] }))],
  maxUnavailableWithRollingUpdate: [dynakube(cn({ rollingUpdate: {} }), ff("oneagent-max-unavailable", "2"))],
  deprecatedAutoUpdate: [dynakube(cn(), annotate({ [AutoUpdateAnnotation]: "true" }))],
  deprecatedVersionField: [dynakube(cn({ version: "1.2.3.20240101-000000" }))],
  deprecatedFeatureFlags: [dynakube(ff("activegate-updates"))],
  unknownFeatureFlags: [dynakube(ff("nope"))],
  otelCollectorTemplateIgnored: [dynakube(spec({ templates: { otelCollector: { imageRef: image } } }))],
  logMonitoringTemplateIgnored: [dynakube(cn(), spec({ logMonitoring: {}, templates: { logMonitoring: {} } }))],
  sameApiUrlWithExtensions: [
    dynakube(spec({ extensions: { prometheus: {} } })),
    { cluster: { dynaKubes: [other(spec({ extensions: { prometheus: {} } }))] } }
  ],
  kspmNoMappedHostPaths: [dynakube(spec({ kspm: {} }))],
  extensionsWithoutKubernetesMonitoring: [dynakube(spec({ extensions: { prometheus: {} } }))],
  hostPathDatabaseVolume: [
    dynakube(spec({ extensions: { databases: [{ id: "a", volumes: [{ name: "h", hostPath: {} }] }] } }))
  ],
  metadataEnrichmentDisabledButInjecting: [dynakube(cn(), spec({ metadataEnrichment: { enabled: false } }))],
  activeGateRollingUpdateOldKubernetes: [
    dynakube(spec({ activeGate: { rollingUpdate: {} } })),
    { cluster: { kubernetesMinorVersion: 30 } }
  ],
  tooManyGlobalResourceAttributes: [dynakube(spec({ resourceAttributes: attrs(11) }))],
  tooManyOneAgentResourceAttributes: [
    dynakube(spec({ resourceAttributes: attrs(10) }), cn({ additionalResourceAttributes: { z: "1" } }))
  ],
  tooManyOtlpResourceAttributes: [
    dynakube(spec({ otlpExporterConfiguration: { additionalResourceAttributes: attrs(11) } }))
  ],
  deprecatedPaasToken: [dynakube(), { cluster: { secrets: { dk: { apiToken: "a", paasToken: "p" } } } }],
  publicRegistryFlagIgnoredForPlatformToken: [dynakube(ff("use-public-registry")), { platformToken: true }],
  nodeImagePullWithoutCsi: [dynakube(ff("node-image-pull")), noModule("csiDriver")],
  renamedGlobalResourceAttributeKeys: [dynakube(spec({ resourceAttributes: { "a/b": "1" } }))],
  renamedOneAgentResourceAttributeKeys: [dynakube(cn({ additionalResourceAttributes: { "a b": "1" } }))],
  renamedOtlpResourceAttributeKeys: [
    dynakube(spec({ otlpExporterConfiguration: { additionalResourceAttributes: { "x:y": "1" } } }))
  ]
}

describe("every DynaKube rule fires on its example", () => {
  const rules = [...DynaKubeRules.errors, ...DynaKubeRules.warnings]

  it("every rule but the unreachable one has an example", () => {
    expect(rules.map((r) => r.rule).filter((id) => examples[id] === undefined)).toEqual(["telemetryIngestNoProtocols"])
  })

  for (const rule of rules) {
    const example = examples[rule.rule]
    if (example === undefined) continue
    it(rule.rule, () => {
      const [object, options] = example
      const found = findings(rule, context(object, options))
      expect(found.length).toBeGreaterThan(0)
      expect(found.every((f) => f._tag === rule.severity && f.rule === rule.rule)).toBe(true)
    })
  }

  it("mutatedApiUrl", () => {
    const [rule] = DynaKubeRules.updateErrors
    expect(
      findings(rule!, updateContext(dynakube(), dynakube(spec({ apiUrl: "https://zzz.live.dynatrace.com/api" }))))
    ).toHaveLength(1)
  })
})
