/**
 * What a DynaKube asks for, derived once from its spec: the OneAgent mode, whether host agents, app injection, an
 * ActiveGate, extensions, … are enabled. Every phase asks these questions; answering them in one pure function keeps
 * the rules (spec §1.2) in one place.
 *
 * @since 0.1.0
 */
import type { DynaKubeSpec } from "../../../schemas/DynaKubeV1beta6.ts"

/** The four OneAgent modes (pointer presence selects the mode). */
export type OneAgentMode = "classicFullStack" | "cloudNativeFullStack" | "hostMonitoring" | "applicationMonitoring"

/** Deployment type names used in the deployment-metadata ConfigMap. */
export const deploymentType: Readonly<Record<OneAgentMode, string>> = {
  classicFullStack: "classic_fullstack",
  cloudNativeFullStack: "cloud_native_fullstack",
  hostMonitoring: "host_monitoring",
  applicationMonitoring: "application_monitoring"
}

export interface Features {
  readonly oneAgentMode: OneAgentMode | undefined
  /** classicFullStack, cloudNativeFullStack or hostMonitoring: a host agent DaemonSet. */
  readonly hostAgent: boolean
  /** cloudNativeFullStack or hostMonitoring: the host agent runs with a read-only host file system. */
  readonly readOnlyHostAgent: boolean
  /** cloudNativeFullStack or applicationMonitoring: code modules injected by the webhook. */
  readonly appInjection: boolean
  readonly activeGate: boolean
  readonly activeGateCapabilities: ReadonlyArray<string>
  readonly extensions: boolean
  readonly telemetryIngest: boolean
  readonly otlpExporter: boolean
  readonly metadataEnrichment: boolean
  readonly logMonitoring: boolean
  readonly kspm: boolean
  /** The experimental kubemon StatefulSet (needs the operator env switch). */
  readonly kubemon: boolean
  /** Custom OneAgent image or version set: no OneAgent auto-update. */
  readonly oneAgentCustomImage: string | undefined
  readonly oneAgentCustomVersion: string | undefined
  readonly codeModulesImage: string | undefined
  readonly codeModulesVersion: string | undefined
}

const present = (value: unknown): boolean => value !== undefined && value !== null

const emptyToUndefined = (s: string | undefined) => (s === undefined || s === "" ? undefined : s)

/** Reads the features of a spec; `kubemonOperand` is the operator's EXPERIMENTAL_ENABLE_KUBEMON_OPERAND. */
export const of = (spec: DynaKubeSpec, options: { readonly kubemonOperand?: boolean } = {}): Features => {
  const oa = spec.oneAgent
  // The original's order when several are set (the validation webhook prevents that).
  const mode: OneAgentMode | undefined = present(oa?.classicFullStack)
    ? "classicFullStack"
    : present(oa?.hostMonitoring)
      ? "hostMonitoring"
      : present(oa?.cloudNativeFullStack)
        ? "cloudNativeFullStack"
        : present(oa?.applicationMonitoring)
          ? "applicationMonitoring"
          : undefined
  const hostSpec = oa?.classicFullStack ?? oa?.hostMonitoring ?? oa?.cloudNativeFullStack ?? undefined
  const appSpec = oa?.cloudNativeFullStack ?? oa?.applicationMonitoring ?? undefined
  const extensions = present(spec.extensions?.prometheus) || (spec.extensions?.databases?.length ?? 0) > 0
  const capabilities = spec.activeGate?.capabilities ?? []
  const signals = spec.otlpExporterConfiguration?.signals
  return {
    oneAgentMode: mode,
    hostAgent: mode === "classicFullStack" || mode === "cloudNativeFullStack" || mode === "hostMonitoring",
    readOnlyHostAgent: mode === "cloudNativeFullStack" || mode === "hostMonitoring",
    appInjection: mode === "cloudNativeFullStack" || mode === "applicationMonitoring",
    activeGate: capabilities.length > 0 || extensions,
    activeGateCapabilities: capabilities,
    extensions,
    telemetryIngest: present(spec.telemetryIngest),
    otlpExporter: present(signals?.metrics) || present(signals?.traces) || present(signals?.logs),
    metadataEnrichment: spec.metadataEnrichment?.enabled === true,
    logMonitoring: present(spec.logMonitoring),
    kspm: present(spec.kspm),
    kubemon: options.kubemonOperand === true && present(spec.kubernetesMonitoring),
    oneAgentCustomImage: emptyToUndefined(hostSpec?.image),
    oneAgentCustomVersion: emptyToUndefined(hostSpec?.version),
    codeModulesImage: emptyToUndefined(appSpec?.codeModulesImage),
    codeModulesVersion: emptyToUndefined(oa?.applicationMonitoring?.version ?? undefined)
  }
}

/** The ActiveGate has this capability (CR value, e.g. `routing`). */
export const hasCapability = (features: Features, capability: string): boolean =>
  features.activeGateCapabilities.includes(capability)
