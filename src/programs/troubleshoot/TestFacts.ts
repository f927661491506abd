/**
 * Builders of troubleshoot facts for the unit tests (not shipped code): a healthy baseline per subject, changed by
 * modifier functions (`dynakubeFacts(withTokenSecret(...), withScopes(...))`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { DynaKube } from "../../schemas/DynaKubeV1beta6.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Check from "./Check.ts"
import type {
  ClusterFacts,
  CrdFacts,
  DynaKubeFacts,
  PullSecretFacts,
  TenantFacts,
  TokenSecretFacts,
  WebhookEntryFacts,
  WebhookFacts
} from "./Facts.ts"

type Modifier<T> = (t: T) => T

const apply = <T>(base: T, modifiers: ReadonlyArray<Modifier<T>>): T => modifiers.reduce((acc, m) => m(acc), base)

/** Every scope the operator may ask of an apiToken. */
export const allApiScopes = [
  "DataExport",
  "InstallerDownload",
  "activeGateTokenManagement.create",
  "settings.read",
  "settings.write"
] as const

export const crd = (
  name: string,
  versions: ReadonlyArray<string>,
  storage: string,
  more: Partial<CrdFacts> = {}
): CrdFacts => ({
  name,
  established: true,
  servedVersions: versions,
  storageVersion: storage,
  versionLabel: undefined,
  conversionStrategy: "None",
  conversionService: undefined,
  conversionCaBundle: undefined,
  ...more
})

export const clusterFacts = (...modifiers: ReadonlyArray<Modifier<ClusterFacts>>): ClusterFacts =>
  apply<ClusterFacts>(
    {
      namespace: "dynatrace",
      namespaceExists: Check.found(true),
      operatorVersion: "0.1.0",
      operatorDeployment: Check.found({ replicas: 1, available: 1, versionLabel: "0.1.0", image: "op:0.1.0" }),
      dynakubeCrd: Check.found(crd("dynakubes.dynatrace.com", ["v1beta5", "v1beta6"], "v1beta6")),
      edgeConnectCrd: Check.found(crd("edgeconnects.dynatrace.com", ["v1alpha1", "v1alpha2"], "v1alpha2")),
      dynakubes: Check.found(["dynakube"]),
      requestedDynaKube: undefined
    },
    modifiers
  )

/** A DynaKube object (raw JSON) with this spec. */
export const dynakubeObject = (
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
  status?: unknown
): KubeObject =>
  ({
    apiVersion: "dynatrace.com/v1beta6",
    kind: "DynaKube",
    metadata: { name: "dynakube", namespace: "dynatrace", annotations },
    spec,
    ...(status === undefined ? {} : { status })
  }) as KubeObject

export const cloudNativeSpec = {
  apiUrl: "https://abc12345.live.dynatrace.com/api",
  oneAgent: { cloudNativeFullStack: {} },
  activeGate: { capabilities: ["routing", "kubernetes-monitoring"] }
}

export const tokenSecretFacts = (more: Partial<TokenSecretFacts> = {}): TokenSecretFacts => ({
  keys: ["apiToken", "dataIngestToken"],
  problem: undefined,
  platformToken: false,
  hasPaasToken: false,
  hasDataIngestToken: true,
  ...more
})

export const pullSecretFacts = (more: Partial<PullSecretFacts> = {}): PullSecretFacts => ({
  type: "kubernetes.io/dockerconfigjson",
  hasDockerConfigJson: true,
  parseProblem: undefined,
  registries: ["abc12345.live.dynatrace.com"],
  registriesWithoutCredentials: [],
  ...more
})

export const healthyTenant: TenantFacts = {
  notContacted: undefined,
  scopes: {
    apiToken: Check.found(allApiScopes),
    dataIngestToken: Check.found(["metrics.ingest", "logs.ingest", "openTelemetryTrace.ingest"])
  },
  latestAgentVersion: { installer: "default", result: Check.found("1.311.54.20250317-111439") }
}

const decode = Schema.decodeUnknownSync(DynaKube)

/** The facts of a healthy cloudNativeFullStack DynaKube with an ActiveGate. */
export const dynakubeFacts = (...modifiers: ReadonlyArray<Modifier<DynaKubeFacts>>): DynaKubeFacts => {
  const raw = dynakubeObject(cloudNativeSpec, {}, { phase: "Running", conditions: [] })
  return apply<DynaKubeFacts>(
    {
      namespace: "dynatrace",
      name: "dynakube",
      raw,
      decoded: { _tag: "Valid", dynakube: decode(raw) },
      hostAvailabilityDetection: true,
      kubemonOperand: false,
      tokenSecretName: "dynakube",
      tokenSecret: Check.found(tokenSecretFacts()),
      tenant: healthyTenant,
      pullSecret: Check.found(pullSecretFacts()),
      customPullSecret: undefined,
      proxy: { _tag: "None" },
      oneAgentDaemonSet: Check.found({ desired: 2, ready: 2 }),
      activeGateStatefulSet: Check.found({ desired: 1, ready: 1 })
    },
    modifiers
  )
}

/** Replaces the DynaKube object (spec, annotations, status); it is decoded like gathering does. */
export const withObject =
  (raw: KubeObject): Modifier<DynaKubeFacts> =>
  (f) => ({ ...f, raw, decoded: { _tag: "Valid", dynakube: decode(raw) } })

export const withSpec =
  (spec: Record<string, unknown>, annotations: Record<string, string> = {}): Modifier<DynaKubeFacts> =>
  (f) =>
    withObject(dynakubeObject(spec, annotations, (f.raw as { status?: unknown }).status))(f)

export const withStatus =
  (status: unknown): Modifier<DynaKubeFacts> =>
  (f) => ({ ...f, raw: { ...f.raw, status } as KubeObject })

export const withTenant =
  (tenant: Partial<TenantFacts>): Modifier<DynaKubeFacts> =>
  (f) => ({ ...f, tenant: { ...f.tenant, ...tenant } })

export const withScopes =
  (scopes: TenantFacts["scopes"]): Modifier<DynaKubeFacts> =>
  (f) => ({ ...f, tenant: { ...f.tenant, scopes } })

export const withTokens =
  (tokenSecret: Check.Lookup<TokenSecretFacts>): Modifier<DynaKubeFacts> =>
  (f) => ({ ...f, tokenSecret })

export const withPullSecret =
  (pullSecret: Check.Lookup<PullSecretFacts>): Modifier<DynaKubeFacts> =>
  (f) => ({ ...f, pullSecret })

export const withProxy =
  (proxy: DynaKubeFacts["proxy"]): Modifier<DynaKubeFacts> =>
  (f) => ({ ...f, proxy })

// ---------------------------------------------------------------------------------------------------------------------

export const entry = (
  name: string,
  caBundle: string | undefined,
  service = "dynatrace/dynatrace-webhook"
): WebhookEntryFacts => ({
  name,
  caBundle,
  service,
  url: undefined
})

export const webhookFacts = (...modifiers: ReadonlyArray<Modifier<WebhookFacts>>): WebhookFacts =>
  apply<WebhookFacts>(
    {
      namespace: "dynatrace",
      deployment: Check.found({ replicas: 2, available: 2, versionLabel: undefined, image: undefined }),
      service: Check.found(true),
      endpoints: Check.found({ ready: 2, total: 2 }),
      mutating: Check.found([entry("webhook.pod.dynatrace.com", "Y2E="), entry("webhook.ns.dynatrace.com", "Y2E=")]),
      validating: Check.found([entry("v1beta6.dynakube.webhook.dynatrace.com", "Y2E=")]),
      dynakubeCrd: Check.found(
        crd("dynakubes.dynatrace.com", ["v1beta5", "v1beta6"], "v1beta6", {
          conversionStrategy: "Webhook",
          conversionService: "dynatrace/dynatrace-webhook",
          conversionCaBundle: "Y2E="
        })
      ),
      certSecret: Check.notFound,
      now: Date.parse("2026-06-01T00:00:00Z")
    },
    modifiers
  )
