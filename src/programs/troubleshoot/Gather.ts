/**
 * Gathering: reads what the checks need from the cluster (through `KubeClient`) and the tenant (through
 * `DynatraceApi`, built the way the operator builds it: tokens, proxy, trustedCAs, skipCertCheck, network zone),
 * and turns every answer into facts (`Facts.ts`). Nothing here judges; nothing here fails: a read that fails
 * becomes a `Failed` lookup carrying the reason, so one broken thing never hides the others.
 *
 * Token values are used for the tenant calls only and never enter the facts.
 *
 * @since 0.1.0
 */
import { Clock, type Duration, Effect, Option, Redacted, Result, Schema, type Scope } from "effect"
import type { FileSystem } from "effect"
import type { DynatraceApiConfig } from "../../services/DynatraceApi.ts"
import * as DynatraceApi from "../../services/DynatraceApi.ts"
import type { TokenSlot } from "../../services/dynatrace/Auth.ts"
import type { ResponseCache } from "../../services/dynatrace/ResponseCache.ts"
import * as CertSecret from "../../services/certs/CertSecret.ts"
import type { KubeApiError } from "../../services/KubeApiError.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import { resource } from "../../services/kube/Resource.ts"
import * as Resources from "../../services/kube/Resources.ts"
import { DynaKube } from "../../schemas/DynaKubeV1beta6.ts"
import * as FeatureFlags from "../operator/dynakube/FeatureFlags.ts"
import * as Features from "../operator/dynakube/Features.ts"
import * as Names from "../operator/dynakube/Names.ts"
import * as Tokens from "../operator/dynakube/Tokens.ts"
import * as ProxyRules from "../webhook/validation/dynakube/ProxyRules.ts"
import * as Check from "./Check.ts"
import type {
  ClusterFacts,
  CrdFacts,
  DeploymentFacts,
  DynaKubeFacts,
  ProxyFacts,
  PullSecretFacts,
  TenantFacts,
  TokenSecretFacts,
  WebhookEntryFacts,
  WebhookFacts,
  WorkloadFacts
} from "./Facts.ts"
import * as TcpProbe from "./TcpProbe.ts"

/** discovery.k8s.io EndpointSlices (what the apiserver dials for a Service). @category resources @since 0.1.0 */
export const EndpointSlice = resource({
  group: "discovery.k8s.io",
  version: "v1",
  plural: "endpointslices",
  kind: "EndpointSlice",
  namespaced: true
})

/** @category models @since 0.1.0 */
export interface GatherOptions {
  readonly namespace: string
  readonly dynakube?: string | undefined
  /** Version of this binary. */
  readonly operatorVersion: string
  /** The operator's `DT_HOST_AVAILABILITY_DETECTION` (adds the DataExport requirement). */
  readonly hostAvailabilityDetection: boolean
  /** The operator's `EXPERIMENTAL_ENABLE_KUBEMON_OPERAND`. */
  readonly kubemonOperand: boolean
  /** Per tenant call (default 15 s). */
  readonly tenantTimeout?: Duration.Input | undefined
  /** Of the proxy connection probe (default 5 s). */
  readonly proxyTimeout?: Duration.Input | undefined
}

/** A read as a lookup: 404 = NotFound, any other failure = Failed with its message. */
const lookup = <A>(read: Effect.Effect<A, KubeApiError>): Effect.Effect<Check.Lookup<A>> =>
  read.pipe(
    Effect.map(Check.found),
    Effect.catch((e) =>
      Effect.succeed(
        e.reason._tag === "NotFound" ? Check.notFound : Check.failed(`${e.reason._tag}: ${e.reason.message}`)
      )
    )
  )

// ---------------------------------------------------------------------------------------------------------------------
// Object shapes we read

interface Crd extends KubeObject {
  readonly spec?: {
    readonly versions?: ReadonlyArray<{ readonly name: string; readonly served?: boolean; readonly storage?: boolean }>
    readonly conversion?: {
      readonly strategy?: string
      readonly webhook?: {
        readonly clientConfig?: {
          readonly caBundle?: string
          readonly service?: { readonly namespace?: string; readonly name?: string }
        }
      }
    }
  }
  readonly status?: { readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string }> }
}

interface Deployment extends KubeObject {
  readonly spec?: {
    readonly replicas?: number
    readonly template?: { readonly spec?: { readonly containers?: ReadonlyArray<{ readonly image?: string }> } }
  }
  readonly status?: { readonly availableReplicas?: number }
}

interface DaemonSet extends KubeObject {
  readonly status?: { readonly desiredNumberScheduled?: number; readonly numberReady?: number }
}

interface StatefulSet extends KubeObject {
  readonly spec?: { readonly replicas?: number }
  readonly status?: { readonly readyReplicas?: number }
}

interface Secret extends KubeObject {
  readonly type?: string
  readonly data?: Readonly<Record<string, string>>
}

interface ConfigMap extends KubeObject {
  readonly data?: Readonly<Record<string, string>>
}

interface WebhookConfiguration extends KubeObject {
  readonly webhooks?: ReadonlyArray<{
    readonly name?: string
    readonly clientConfig?: {
      readonly caBundle?: string
      readonly url?: string
      readonly service?: { readonly namespace?: string; readonly name?: string }
    }
  }>
}

interface EndpointSliceObject extends KubeObject {
  readonly endpoints?: ReadonlyArray<{ readonly conditions?: { readonly ready?: boolean | null } }> | null
}

const versionLabel = (obj: KubeObject) => obj.metadata?.labels?.[Names.labelKeys.version]

/** @category summarising @since 0.1.0 */
export const crdFacts = (crd: Crd): CrdFacts => {
  const versions = crd.spec?.versions ?? []
  const service = crd.spec?.conversion?.webhook?.clientConfig?.service
  return {
    name: crd.metadata?.name ?? "",
    established: (crd.status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True"),
    servedVersions: versions.filter((v) => v.served === true).map((v) => v.name),
    storageVersion: versions.find((v) => v.storage === true)?.name,
    versionLabel: versionLabel(crd),
    conversionStrategy: crd.spec?.conversion?.strategy,
    conversionService: service === undefined ? undefined : `${service.namespace ?? ""}/${service.name ?? ""}`,
    conversionCaBundle: crd.spec?.conversion?.webhook?.clientConfig?.caBundle
  }
}

/** @category summarising @since 0.1.0 */
export const deploymentFacts = (d: Deployment): DeploymentFacts => ({
  replicas: d.spec?.replicas ?? 1,
  available: d.status?.availableReplicas ?? 0,
  versionLabel: versionLabel(d),
  image: d.spec?.template?.spec?.containers?.[0]?.image
})

const DockerConfig = Schema.fromJsonString(
  Schema.Struct({
    auths: Schema.Record(
      Schema.String,
      Schema.Struct({
        auth: Schema.optional(Schema.String),
        username: Schema.optional(Schema.String),
        password: Schema.optional(Schema.String)
      })
    )
  })
)
const decodeDockerConfig = Schema.decodeUnknownOption(DockerConfig)

const hasCredentials = (e: {
  readonly auth?: string | undefined
  readonly username?: string | undefined
  readonly password?: string | undefined
}) =>
  (e.auth !== undefined && e.auth !== "") || (e.username !== undefined && e.password !== undefined && e.password !== "")

/** A pull Secret reduced to its registries (no credentials). @category summarising @since 0.1.0 */
export const pullSecretFacts = (secret: Secret): PullSecretFacts => {
  const raw = secret.data?.[".dockerconfigjson"]
  const base = { type: secret.type, hasDockerConfigJson: raw !== undefined && raw !== "" }
  if (raw === undefined || raw === "") {
    return { ...base, parseProblem: undefined, registries: [], registriesWithoutCredentials: [] }
  }
  const config = decodeDockerConfig(Buffer.from(raw, "base64").toString("utf8"))
  if (Option.isNone(config)) {
    return {
      ...base,
      parseProblem: "is not a JSON docker config with auths",
      registries: [],
      registriesWithoutCredentials: []
    }
  }
  const auths = Object.entries(config.value.auths)
  return {
    ...base,
    parseProblem: undefined,
    registries: auths.map(([registry]) => registry),
    registriesWithoutCredentials: auths.filter(([, entry]) => !hasCredentials(entry)).map(([registry]) => registry)
  }
}

/** @category summarising @since 0.1.0 */
export const webhookEntries = (configuration: WebhookConfiguration): ReadonlyArray<WebhookEntryFacts> =>
  (configuration.webhooks ?? []).map((w) => ({
    name: w.name ?? "",
    caBundle: w.clientConfig?.caBundle,
    service:
      w.clientConfig?.service === undefined
        ? undefined
        : `${w.clientConfig.service.namespace ?? ""}/${w.clientConfig.service.name ?? ""}`,
    url: w.clientConfig?.url
  }))

// ---------------------------------------------------------------------------------------------------------------------
// Cluster

/** @category gathering @since 0.1.0 */
export const cluster = Effect.fn("Troubleshoot.gatherCluster")(function* (options: GatherOptions) {
  const kube = yield* KubeClient
  const ns = options.namespace
  const [namespaceExists, operatorDeployment, dynakubeCrd, edgeConnectCrd, dynakubes] = yield* Effect.all(
    [
      lookup(kube.get(Resources.Namespace, ns).pipe(Effect.as(true as const))),
      lookup(
        kube
          .get<Deployment>(Resources.Deployment, "dynatrace-operator", { namespace: ns })
          .pipe(Effect.map(deploymentFacts))
      ),
      lookup(kube.get<Crd>(Resources.CustomResourceDefinition, "dynakubes.dynatrace.com").pipe(Effect.map(crdFacts))),
      lookup(
        kube.get<Crd>(Resources.CustomResourceDefinition, "edgeconnects.dynatrace.com").pipe(Effect.map(crdFacts))
      ),
      lookup(
        kube
          .listAll(Resources.DynaKube, { namespace: ns })
          .pipe(Effect.map((list) => list.items.map((dk) => dk.metadata?.name ?? "").filter((n) => n !== "")))
      )
    ],
    { concurrency: "unbounded" }
  )
  const facts: ClusterFacts = {
    namespace: ns,
    namespaceExists,
    operatorVersion: options.operatorVersion,
    operatorDeployment,
    dynakubeCrd,
    edgeConnectCrd,
    dynakubes,
    requestedDynaKube: options.dynakube
  }
  return facts
})

// ---------------------------------------------------------------------------------------------------------------------
// One DynaKube

const decodeDynaKube = Schema.decodeUnknownResult(DynaKube)

/** The proxy URL from `spec.proxy`, as the operator resolves it. */
const resolveProxy = (
  dk: DynaKube,
  namespace: string
): Effect.Effect<{ readonly facts: ProxyFacts; readonly url: string | undefined }, never, KubeClient> =>
  Effect.gen(function* () {
    const proxy = dk.spec.proxy
    const value = proxy?.value ?? ""
    const from = proxy?.valueFrom ?? ""
    if (value === "" && from === "") return { facts: { _tag: "None" }, url: undefined }
    const kube = yield* KubeClient
    const url: Check.Lookup<string> =
      value !== ""
        ? Check.found(value)
        : yield* lookup(kube.get<Secret>(Resources.Secret, from, { namespace })).pipe(
            Effect.map((secret) => {
              if (secret._tag !== "Found") return secret
              const text = Tokens.secretData(secret.value)[ProxyRules.secretKey]?.trim()
              return text === undefined || text === ""
                ? Check.failed(`Secret ${namespace}/${from} has no key ${ProxyRules.secretKey}`)
                : Check.found(text)
            })
          )
    const base = {
      _tag: "Configured",
      source: value !== "" ? "value" : "secret",
      secretName: value !== "" ? undefined : from
    } as const
    if (url._tag !== "Found") return { facts: { ...base, resolved: url }, url: undefined }
    const syntaxProblem = ProxyRules.checkProxyUrl(url.value)
    const endpoint = syntaxProblem === undefined ? endpointOf(url.value) : undefined
    return {
      facts: { ...base, resolved: Check.found({ syntaxProblem, endpoint: endpoint?.text, reachable: undefined }) },
      url: syntaxProblem === undefined ? url.value : undefined
    }
  })

/** `host:port` of a proxy URL (a URL without scheme is `http://`, as the operator reads it). */
const endpointOf = (
  url: string
): { readonly host: string; readonly port: number; readonly text: string } | undefined => {
  const full = url.includes("://") ? url : `http://${url}`
  if (!URL.canParse(full)) return undefined
  const parsed = new URL(full)
  const port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80
  const host = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname
  return { host, port, text: `${parsed.hostname}:${port}` }
}

const rollout = <T extends KubeObject>(
  read: Effect.Effect<T, KubeApiError>,
  f: (obj: T) => WorkloadFacts
): Effect.Effect<Check.Lookup<WorkloadFacts>> => lookup(Effect.map(read, f))

const none = (reason: string): TenantFacts => ({ notContacted: reason, scopes: {}, latestAgentVersion: undefined })

/** A tenant call as a lookup: any failure is `Failed` with the error's message (tokens are scrubbed from it). */
const asLookup = <A>(call: Effect.Effect<A, { readonly message: string }>): Effect.Effect<Check.Lookup<A>> =>
  call.pipe(
    Effect.map((a): Check.Lookup<A> => Check.found(a)),
    Effect.catch((e) => Effect.succeed(Check.failed(e.message)))
  )

/** Tenant facts, asked with a client built like the operator's. */
const tenantFacts = (input: {
  readonly dk: DynaKube
  readonly raw: KubeObject
  readonly namespace: string
  readonly tokens: Tokens.TokenValues | undefined
  readonly proxyUrl: string | undefined
  readonly proxyProblem: boolean
  readonly options: GatherOptions
}): Effect.Effect<TenantFacts, never, KubeClient | ResponseCache | FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function* () {
    const { dk, tokens } = input
    if (tokens === undefined) return none("the token secret is not usable.")
    if (input.proxyProblem) return none("the proxy could not be resolved.")
    let trustedCAs: string | undefined
    const caName = dk.spec.trustedCAs ?? ""
    if (caName !== "") {
      const kube = yield* KubeClient
      const cm = yield* lookup(kube.get<ConfigMap>(Resources.ConfigMap, caName, { namespace: input.namespace }))
      if (cm._tag !== "Found") {
        return none(
          `the trustedCAs ConfigMap ${input.namespace}/${caName} ${cm._tag === "NotFound" ? "does not exist" : "could not be read"}.`
        )
      }
      const certs = cm.value.data?.["certs"]
      trustedCAs = certs === undefined || certs === "" ? undefined : certs
    }
    const flags = FeatureFlags.read(input.raw, input.namespace)
    const config: DynatraceApiConfig = {
      apiUrl: dk.spec.apiUrl,
      apiToken: tokens.apiToken,
      paasToken: tokens.paasToken,
      dataIngestToken: tokens.dataIngestToken,
      proxy: input.proxyUrl === undefined ? undefined : Redacted.make(input.proxyUrl),
      noProxy: flags.noProxy === "" ? undefined : flags.noProxy,
      trustedCAs,
      skipCertCheck: dk.spec.skipCertCheck ?? false,
      networkZone: dk.spec.networkZone,
      timeout: input.options.tenantTimeout ?? "15 seconds",
      requestThresholdMinutes: 0,
      retry: { times: 1, base: "200 millis", maxDelay: "1 second", maxRetryAfter: "2 seconds" },
      userAgent: `dynatrace-operator/${input.options.operatorVersion} troubleshoot`
    }
    const client = yield* Effect.result(DynatraceApi.make(config))
    if (Result.isFailure(client)) return none(`no tenant client: ${client.failure.reason.message}`)
    const api = client.success
    const platform = Tokens.isPlatformToken(tokens.apiToken)
    const slots: ReadonlyArray<TokenSlot> = platform
      ? []
      : [
          "apiToken",
          ...(tokens.paasToken !== undefined ? (["paasToken"] as const) : []),
          ...(tokens.dataIngestToken !== undefined ? (["dataIngestToken"] as const) : [])
        ]
    const scopes: Partial<Record<TokenSlot, Check.Lookup<ReadonlyArray<string>>>> = {}
    for (const slot of slots) scopes[slot] = yield* asLookup(api.tokenScopes(slot))
    const features = Features.of(dk.spec, { kubemonOperand: input.options.kubemonOperand })
    const installer = !features.hostAgent && features.appInjection ? ("paas" as const) : ("default" as const)
    const latest = yield* asLookup(api.latestAgentVersion({ type: installer }))
    return { notContacted: undefined, scopes, latestAgentVersion: { installer, result: latest } }
  })

/** @category gathering @since 0.1.0 */
export const dynakube = Effect.fn("Troubleshoot.gatherDynaKube")(function* (options: GatherOptions, name: string) {
  const kube = yield* KubeClient
  const namespace = options.namespace
  const raw = yield* lookup(kube.get<KubeObject>(Resources.DynaKube, name, { namespace }))
  if (raw._tag !== "Found") return raw
  const decodedResult = decodeDynaKube(raw.value)
  const base = {
    namespace,
    name,
    raw: raw.value,
    hostAvailabilityDetection: options.hostAvailabilityDetection,
    kubemonOperand: options.kubemonOperand
  }
  if (Result.isFailure(decodedResult)) {
    const proxyValue = (raw.value as { spec?: { proxy?: { value?: unknown } } }).spec?.proxy?.value
    let message = decodedResult.failure.message
    // The proxy URL may hold a password; a schema message may quote it.
    if (typeof proxyValue === "string" && proxyValue !== "") message = message.split(proxyValue).join("<proxy>")
    const facts: DynaKubeFacts = {
      ...base,
      decoded: { _tag: "Invalid", message },
      tokenSecretName: "",
      tokenSecret: Check.notFound,
      tenant: { notContacted: "the DynaKube does not decode.", scopes: {}, latestAgentVersion: undefined },
      pullSecret: Check.notFound,
      customPullSecret: undefined,
      proxy: { _tag: "None" },
      oneAgentDaemonSet: undefined,
      activeGateStatefulSet: undefined
    }
    return Check.found(facts)
  }
  const dk = decodedResult.success
  const names = Names.names(name)
  const tokenSecretName = Tokens.secretName(dk)
  const secretLookup = yield* lookup(kube.get<Secret>(Resources.Secret, tokenSecretName, { namespace }))
  let tokens: Tokens.TokenValues | undefined
  let tokenSecret: Check.Lookup<TokenSecretFacts>
  if (secretLookup._tag === "Found") {
    const data = Tokens.secretData(secretLookup.value)
    const parsed = yield* Effect.result(Tokens.parseTokens(data, `${namespace}:${tokenSecretName}`))
    tokens = Result.isSuccess(parsed) ? parsed.success : undefined
    tokenSecret = Check.found({
      keys: Object.keys(data).toSorted(),
      problem: Result.isFailure(parsed) ? parsed.failure.message.replace(/^token secret \S+ /, "") : undefined,
      platformToken: tokens !== undefined && Tokens.isPlatformToken(tokens.apiToken),
      hasPaasToken: tokens?.paasToken !== undefined,
      hasDataIngestToken: tokens?.dataIngestToken !== undefined
    })
  } else {
    tokenSecret = secretLookup
  }
  const proxy = yield* resolveProxy(dk, namespace)
  const proxyFacts: ProxyFacts =
    proxy.facts._tag === "Configured" && proxy.facts.resolved._tag === "Found" && proxy.url !== undefined
      ? yield* Effect.gen(function* () {
          const endpoint = endpointOf(proxy.url!)
          if (endpoint === undefined || proxy.facts._tag !== "Configured" || proxy.facts.resolved._tag !== "Found") {
            return proxy.facts
          }
          const reachable = yield* TcpProbe.connect(endpoint.host, endpoint.port, options.proxyTimeout)
          return { ...proxy.facts, resolved: Check.found({ ...proxy.facts.resolved.value, reachable }) }
        })
      : proxy.facts
  const proxyProblem =
    proxyFacts._tag === "Configured" &&
    (proxyFacts.resolved._tag !== "Found" || proxyFacts.resolved.value.syntaxProblem !== undefined)
  const tenant = yield* Effect.scoped(
    tenantFacts({ dk, raw: raw.value, namespace, tokens, proxyUrl: proxy.url, proxyProblem, options })
  )
  const features = Features.of(dk.spec, { kubemonOperand: options.kubemonOperand })
  const custom = dk.spec.customPullSecret ?? ""
  const [pullSecret, customLookup, oneAgentDaemonSet, activeGateStatefulSet] = yield* Effect.all(
    [
      lookup(kube.get<Secret>(Resources.Secret, names.pullSecret, { namespace }).pipe(Effect.map(pullSecretFacts))),
      custom === ""
        ? Effect.succeed(undefined)
        : lookup(kube.get<Secret>(Resources.Secret, custom, { namespace }).pipe(Effect.map(pullSecretFacts))),
      features.hostAgent
        ? rollout(kube.get<DaemonSet>(Resources.DaemonSet, names.oneAgentDaemonSet, { namespace }), (ds) => ({
            desired: ds.status?.desiredNumberScheduled ?? 0,
            ready: ds.status?.numberReady ?? 0
          }))
        : Effect.succeed(undefined),
      features.activeGate
        ? rollout(kube.get<StatefulSet>(Resources.StatefulSet, names.activeGateStatefulSet, { namespace }), (ss) => ({
            desired: ss.spec?.replicas ?? 1,
            ready: ss.status?.readyReplicas ?? 0
          }))
        : Effect.succeed(undefined)
    ],
    { concurrency: "unbounded" }
  )
  const facts: DynaKubeFacts = {
    ...base,
    decoded: { _tag: "Valid", dynakube: dk },
    tokenSecretName,
    tokenSecret,
    tenant,
    pullSecret,
    customPullSecret: customLookup === undefined ? undefined : { name: custom, lookup: customLookup },
    proxy: proxyFacts,
    oneAgentDaemonSet,
    activeGateStatefulSet
  }
  return Check.found(facts)
})

// ---------------------------------------------------------------------------------------------------------------------
// Webhook

/** @category gathering @since 0.1.0 */
export const webhook = Effect.fn("Troubleshoot.gatherWebhook")(function* (
  options: GatherOptions,
  dynakubeCrd: Check.Lookup<CrdFacts>
) {
  const kube = yield* KubeClient
  const namespace = options.namespace
  const name = "dynatrace-webhook"
  const [deployment, service, endpoints, mutating, validating, certSecret] = yield* Effect.all(
    [
      lookup(kube.get<Deployment>(Resources.Deployment, name, { namespace }).pipe(Effect.map(deploymentFacts))),
      lookup(kube.get(Resources.Service, name, { namespace }).pipe(Effect.as(true as const))),
      lookup(
        kube.listAll<EndpointSliceObject>(EndpointSlice, {
          namespace,
          labelSelector: `kubernetes.io/service-name=${name}`
        })
      ).pipe(
        Effect.map((slices) =>
          Check.mapLookup(slices, (list) => {
            const all = list.items.flatMap((slice) => slice.endpoints ?? [])
            // A missing `ready` means ready (EndpointConditions API).
            return { ready: all.filter((e) => e.conditions?.ready !== false).length, total: all.length }
          })
        )
      ),
      lookup(
        kube.get<WebhookConfiguration>(Resources.MutatingWebhookConfiguration, name).pipe(Effect.map(webhookEntries))
      ),
      lookup(
        kube.get<WebhookConfiguration>(Resources.ValidatingWebhookConfiguration, name).pipe(Effect.map(webhookEntries))
      ),
      lookup(
        kube
          .get<Secret>(Resources.Secret, CertSecret.secretName, { namespace })
          .pipe(Effect.map((secret) => CertSecret.fromSecretData(secret.data)))
      )
    ],
    { concurrency: "unbounded" }
  )
  const facts: WebhookFacts = {
    namespace,
    deployment,
    service,
    endpoints,
    mutating,
    validating,
    dynakubeCrd,
    certSecret,
    now: yield* Clock.currentTimeMillis
  }
  return facts
})
