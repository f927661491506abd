/**
 * Every DynaKube validation rule (spec §3.9), in the order the original runs them: errors on create and update,
 * warnings on create and update, and the rules that compare an update with the stored object. The order decides
 * the numbering of the denial message.
 *
 * @since 0.1.0
 */
import type { Validator } from "../Finding.ts"
import * as ActiveGate from "./ActiveGateRules.ts"
import * as ApiUrl from "./ApiUrlRules.ts"
import type { DynaKubeContext, DynaKubeUpdateContext } from "./Context.ts"
import * as Extensions from "./ExtensionRules.ts"
import * as FeatureFlags from "./FeatureFlagRules.ts"
import * as Image from "./ImageRules.ts"
import * as Istio from "./IstioRules.ts"
import * as Kspm from "./KspmRules.ts"
import * as LogMonitoring from "./LogMonitoringRules.ts"
import * as MetadataEnrichment from "./MetadataEnrichmentRules.ts"
import * as ModuleRules from "./ModuleRules.ts"
import * as Name from "./NameRules.ts"
import * as NamespaceSelector from "./NamespaceSelectorRules.ts"
import * as OneAgent from "./OneAgentRules.ts"
import * as Proxy from "./ProxyRules.ts"
import * as PublicRegistry from "./PublicRegistryRules.ts"
import * as ResourceAttributes from "./ResourceAttributeRules.ts"
import * as Sanitization from "./SanitizationRules.ts"
import * as TelemetryIngest from "./TelemetryIngestRules.ts"
import * as Tokens from "./TokenRules.ts"

/** Rules whose findings deny the request. @category rules @since 0.1.0 */
export const errors: ReadonlyArray<Validator<DynaKubeContext>> = [
  ModuleRules.activeGateModuleDisabled,
  ModuleRules.extensionsModuleDisabled,
  ModuleRules.logMonitoringModuleDisabled,
  ModuleRules.kspmModuleDisabled,
  ModuleRules.oneAgentModuleDisabled,
  OneAgent.oneAgentVersion,
  OneAgent.duplicateOneAgentArguments,
  OneAgent.hostIdSourceArgument,
  ApiUrl.noApiUrl,
  ApiUrl.invalidApiUrl,
  ActiveGate.invalidCapability,
  ActiveGate.pvcAndEphemeral,
  ActiveGate.conflictingVolumes,
  ActiveGate.disallowedVolumeType,
  Proxy.invalidProxyUrl,
  OneAgent.multipleOneAgentModes,
  OneAgent.conflictingNodeSelector,
  NamespaceSelector.conflictingNamespaceSelector,
  Istio.istioNotInstalled,
  OneAgent.volumeStorageReadOnly,
  Name.invalidName,
  NamespaceSelector.invalidOneAgentSelector,
  NamespaceSelector.invalidMetadataEnrichmentSelector,
  NamespaceSelector.invalidOtlpSelector,
  Image.unparsableImage,
  Extensions.eecImageMissing,
  Extensions.eecPvcAndEphemeral,
  Kspm.tooManyReplicas,
  Kspm.imageMissing,
  Kspm.withoutRegistration,
  Kspm.rootWithOtherPaths,
  Kspm.relativePath,
  LogMonitoring.imageMissing,
  TelemetryIngest.noProtocols,
  TelemetryIngest.unknownProtocols,
  TelemetryIngest.invalidServiceName,
  TelemetryIngest.forbiddenServiceNameSuffix,
  TelemetryIngest.serviceNameInUse,
  Extensions.otelCollectorImageMissing,
  Extensions.databaseImageMissing,
  Extensions.databaseVolumeMounts,
  Extensions.unusedDatabaseVolumes,
  ResourceAttributes.invalidGlobal,
  ResourceAttributes.invalidOneAgent,
  ResourceAttributes.invalidOtlp,
  ResourceAttributes.unusableGlobalKeys,
  ResourceAttributes.unusableOneAgentKeys,
  ResourceAttributes.unusableOtlpKeys,
  PublicRegistry.overrideWithoutPublicRegistry,
  Sanitization.invalidNetworkZone,
  Sanitization.invalidHostGroup,
  Sanitization.invalidNoProxy,
  PublicRegistry.classicFullStackWithPublicRegistry,
  Sanitization.invalidOneAgentArgs,
  LogMonitoring.invalidArgs,
  OneAgent.nodeImagePullWithoutImage
]

/** Rules whose findings become admission warnings. @category rules @since 0.1.0 */
export const warnings: ReadonlyArray<Validator<DynaKubeContext>> = [
  ActiveGate.missingMemoryLimit,
  OneAgent.installerEnvVars,
  OneAgent.hostGroupParameter,
  OneAgent.maxUnavailableWithRollingUpdate,
  OneAgent.deprecatedAutoUpdate,
  OneAgent.deprecatedVersionField,
  FeatureFlags.deprecatedFlags,
  FeatureFlags.unknownFlags,
  Extensions.otelCollectorTemplateIgnored,
  LogMonitoring.templateIgnored,
  Extensions.sameApiUrlWithExtensions,
  Kspm.noHostPaths,
  Extensions.extensionsWithoutKubernetesMonitoring,
  Extensions.hostPathDatabaseVolume,
  MetadataEnrichment.disabledButInjecting,
  ActiveGate.rollingUpdateOldKubernetes,
  ResourceAttributes.tooManyGlobal,
  ResourceAttributes.tooManyOneAgent,
  ResourceAttributes.tooManyOtlp,
  Tokens.deprecatedPaasToken,
  PublicRegistry.flagIgnoredForPlatformToken,
  FeatureFlags.nodeImagePullWithoutCsi,
  ResourceAttributes.renamedGlobalKeys,
  ResourceAttributes.renamedOneAgentKeys,
  ResourceAttributes.renamedOtlpKeys
]

/** Rules that compare an update with the stored object (errors). @category rules @since 0.1.0 */
export const updateErrors: ReadonlyArray<Validator<DynaKubeUpdateContext>> = [ApiUrl.mutatedApiUrl]
