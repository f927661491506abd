/**
 * What troubleshoot gathers before it judges anything: plain data read from the cluster and the tenant
 * (`Gather.ts`), which the pure checks (`ClusterChecks.ts`, `DynaKubeChecks.ts`, `WebhookChecks.ts`) turn into
 * results. Facts never hold a token value: the token secret is summarised (which keys, is it a platform token), the
 * pull secret is summarised (its registries, not its passwords), the proxy is reduced to `host:port`. The webhook
 * certificate Secret is the one exception (the checks must parse it); it is never printed.
 *
 * @since 0.1.0
 */
import type { TokenSlot } from "../../services/dynatrace/Auth.ts"
import type { CertData } from "../../services/certs/CertSecret.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import type { DynaKube } from "../../schemas/DynaKubeV1beta6.ts"
import type { Lookup } from "./Check.ts"

// ---------------------------------------------------------------------------------------------------------------------
// Cluster

/** What a CustomResourceDefinition says about itself. @category models @since 0.1.0 */
export interface CrdFacts {
  readonly name: string
  readonly established: boolean
  readonly servedVersions: ReadonlyArray<string>
  readonly storageVersion: string | undefined
  /** `app.kubernetes.io/version` label, when the chart set one. */
  readonly versionLabel: string | undefined
  readonly conversionStrategy: string | undefined
  /** Service the conversion webhook points at (`namespace/name`), if any. */
  readonly conversionService: string | undefined
  readonly conversionCaBundle: string | undefined
}

/** The operator Deployment. @category models @since 0.1.0 */
export interface DeploymentFacts {
  readonly replicas: number
  readonly available: number
  /** `app.kubernetes.io/version` label. */
  readonly versionLabel: string | undefined
  /** Image of the first container. */
  readonly image: string | undefined
}

/** @category models @since 0.1.0 */
export interface ClusterFacts {
  /** The operator namespace being checked. */
  readonly namespace: string
  readonly namespaceExists: Lookup<true>
  /** Version of this binary. */
  readonly operatorVersion: string
  readonly operatorDeployment: Lookup<DeploymentFacts>
  readonly dynakubeCrd: Lookup<CrdFacts>
  readonly edgeConnectCrd: Lookup<CrdFacts>
  /** Names of the DynaKubes in the namespace. */
  readonly dynakubes: Lookup<ReadonlyArray<string>>
  /** `--dynakube`, when given. */
  readonly requestedDynaKube: string | undefined
}

// ---------------------------------------------------------------------------------------------------------------------
// One DynaKube

/** The token Secret, summarised. @category models @since 0.1.0 */
export interface TokenSecretFacts {
  readonly keys: ReadonlyArray<string>
  /** Why the tokens cannot be used (no apiToken, whitespace), naming keys but never values. */
  readonly problem: string | undefined
  readonly platformToken: boolean
  readonly hasPaasToken: boolean
  readonly hasDataIngestToken: boolean
}

/** A `kubernetes.io/dockerconfigjson` Secret, summarised. @category models @since 0.1.0 */
export interface PullSecretFacts {
  readonly type: string | undefined
  readonly hasDockerConfigJson: boolean
  /** Why `.dockerconfigjson` is not a usable docker config (not base64 JSON, no `auths`). */
  readonly parseProblem: string | undefined
  /** Registries under `auths`. */
  readonly registries: ReadonlyArray<string>
  /** Registries whose entry has neither `auth` nor `username`+`password`. */
  readonly registriesWithoutCredentials: ReadonlyArray<string>
}

/** The proxy, reduced to what can be shown. @category models @since 0.1.0 */
export type ProxyFacts =
  | { readonly _tag: "None" }
  | {
      readonly _tag: "Configured"
      /** `spec.proxy.value`, or the Secret named by `spec.proxy.valueFrom`. */
      readonly source: "value" | "secret"
      readonly secretName: string | undefined
      /** The resolved URL's problem and endpoint; NotFound/Failed when the Secret or its key is missing. */
      readonly resolved: Lookup<{
        readonly syntaxProblem: string | undefined
        /** `host:port` (no credentials). */
        readonly endpoint: string | undefined
        /** A TCP connection to `endpoint` from where troubleshoot runs. */
        readonly reachable: Lookup<true> | undefined
      }>
    }

/** A DaemonSet's or StatefulSet's rollout. @category models @since 0.1.0 */
export interface WorkloadFacts {
  readonly desired: number
  readonly ready: number
}

/** What the tenant said (when a client could be built). @category models @since 0.1.0 */
export interface TenantFacts {
  /** Why no tenant call was made (bad apiUrl, unusable tokens, platform token for scopes, …). */
  readonly notContacted: string | undefined
  /** Scopes per token slot (absent slot = no such token, or not looked up). */
  readonly scopes: Readonly<Partial<Record<TokenSlot, Lookup<ReadonlyArray<string>>>>>
  /** Latest version of the installer the DynaKube needs. */
  readonly latestAgentVersion: { readonly installer: "default" | "paas"; readonly result: Lookup<string> } | undefined
}

/** @category models @since 0.1.0 */
export interface DynaKubeFacts {
  readonly namespace: string
  readonly name: string
  /** The object as read (annotations, status). */
  readonly raw: KubeObject
  /** The object decoded with the v1beta6 schema, or why it does not decode. */
  readonly decoded:
    | { readonly _tag: "Valid"; readonly dynakube: DynaKube }
    | { readonly _tag: "Invalid"; readonly message: string }
  /** Operator settings that change which scopes are required. */
  readonly hostAvailabilityDetection: boolean
  readonly kubemonOperand: boolean
  readonly tokenSecretName: string
  readonly tokenSecret: Lookup<TokenSecretFacts>
  readonly tenant: TenantFacts
  /** `<dk>-pull-secret`. */
  readonly pullSecret: Lookup<PullSecretFacts>
  /** `spec.customPullSecret`, when set. */
  readonly customPullSecret: { readonly name: string; readonly lookup: Lookup<PullSecretFacts> } | undefined
  readonly proxy: ProxyFacts
  /** `<dk>-oneagent`, gathered when host agents are enabled. */
  readonly oneAgentDaemonSet: Lookup<WorkloadFacts> | undefined
  /** `<dk>-activegate`, gathered when an ActiveGate is enabled. */
  readonly activeGateStatefulSet: Lookup<WorkloadFacts> | undefined
}

// ---------------------------------------------------------------------------------------------------------------------
// Webhook

/** One entry of a webhook configuration. @category models @since 0.1.0 */
export interface WebhookEntryFacts {
  readonly name: string
  readonly caBundle: string | undefined
  /** `namespace/name` of the Service it calls, if it calls a Service. */
  readonly service: string | undefined
  readonly url: string | undefined
}

/** @category models @since 0.1.0 */
export interface WebhookFacts {
  readonly namespace: string
  readonly deployment: Lookup<DeploymentFacts>
  readonly service: Lookup<true>
  /** Ready / all endpoints of the Service (from its EndpointSlices). */
  readonly endpoints: Lookup<{ readonly ready: number; readonly total: number }>
  readonly mutating: Lookup<ReadonlyArray<WebhookEntryFacts>>
  readonly validating: Lookup<ReadonlyArray<WebhookEntryFacts>>
  readonly dynakubeCrd: Lookup<CrdFacts>
  /** The `dynatrace-webhook-certs` Secret's certificates (PEM). Never printed. */
  readonly certSecret: Lookup<CertData>
  /** Epoch milliseconds, from the Clock. */
  readonly now: number
}
