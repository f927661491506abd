/**
 * The nodes controller's view of a DynaKube and its tenant (spec §2.5, §6.2 #13–#14): which nodes it ran OneAgents
 * on, whether its token is a platform token (then host availability detection is skipped), and how to reach its
 * tenant to report a node marked for termination.
 *
 * The client for a report is built for that one report with the response cache off (threshold 0, as the original
 * builds "a DT client with cache disabled"): host entities must be current. Reports are rare (a node going away),
 * so nothing is kept between them. Token values stay `Redacted`; error messages name secrets, never their values.
 *
 * @since 0.1.0
 */
import { NodeFileSystem } from "@effect/platform-node"
import { type Duration, Effect, Layer, Redacted, Schema } from "effect"
import * as DynatraceApi from "../../../services/DynatraceApi.ts"
import * as Events from "../../../services/dynatrace/Events.ts"
import * as HostEntities from "../../../services/dynatrace/HostEntities.ts"
import { ResponseCache } from "../../../services/dynatrace/ResponseCache.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../services/kube/Resource.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import type { Owner } from "./NodeDecisions.ts"

/** Why a DynaKube's tenant cannot be reached (no secret values in the message). @category errors */
export class NodeTenantError extends Schema.TaggedError<NodeTenantError>()("NodeTenantError", {
  dynakube: Schema.String,
  message: Schema.String
}) {}

/** The DynaKube fields the nodes controller reads (plain JSON from the informer). @category models */
export interface DynaKubeView extends KubeObject {
  readonly spec?:
    | {
        readonly apiUrl?: string | undefined
        readonly tokens?: string | undefined
        readonly networkZone?: string | undefined
        readonly skipCertCheck?: boolean | undefined
        readonly trustedCAs?: string | undefined
        readonly proxy?: { readonly value?: string | null | undefined; readonly valueFrom?: string | null | undefined }
      }
    | undefined
  readonly status?:
    | {
        readonly oneAgent?:
          | { readonly instances?: Readonly<Record<string, { readonly ipAddress?: string | undefined }>> | undefined }
          | undefined
      }
    | undefined
}

/** Prefix of platform tokens. @category constants */
export const platformTokenPrefix = "dt0s16"

/** Feature flag with hosts that bypass the proxy. @category constants */
export const noProxyAnnotation = "feature.dynatrace.com/no-proxy"

/** Node names in the DynaKube's `status.oneAgent.instances` (an informer indexer). @category indexers */
export const instanceNodes = (dk: DynaKubeView): ReadonlyArray<string> =>
  Object.keys(dk.status?.oneAgent?.instances ?? {})

/** The owner record of `node` in the DynaKube, if it lists the node. @category constructors */
export const ownerIn = (dk: DynaKubeView, node: string): Owner | undefined => {
  const instance = dk.status?.oneAgent?.instances?.[node]
  return instance === undefined ? undefined : { dynakube: dk.metadata?.name ?? "", ip: instance.ipAddress ?? "" }
}

interface Secret extends KubeObject {
  readonly data?: Readonly<Record<string, string>> | undefined
}
interface ConfigMap extends KubeObject {
  readonly data?: Readonly<Record<string, string>> | undefined
}

const decoded = (secret: Secret, key: string): string | undefined => {
  const value = secret.data?.[key]
  if (value === undefined || value === "") return undefined
  const text = Buffer.from(value, "base64").toString("utf8")
  return text === "" ? undefined : text
}

const readOrFail = <T extends KubeObject>(resource: Resource, dk: DynaKubeView, name: string, what: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const namespace = dk.metadata?.namespace ?? ""
    return yield* kube.get<T>(resource, name, { namespace }).pipe(
      Effect.catchReason("KubeApiError", "NotFound", () =>
        Effect.fail(
          new NodeTenantError({
            dynakube: dk.metadata?.name ?? "",
            message: `${what} ${namespace}/${name} not found`
          })
        )
      )
    )
  })

/** The token secret's name. @category constructors */
export const tokenSecretName = (dk: DynaKubeView): string =>
  dk.spec?.tokens !== undefined && dk.spec.tokens !== "" ? dk.spec.tokens : (dk.metadata?.name ?? "")

/** The token secret. @category reads */
export const tokenSecret = (dk: DynaKubeView) =>
  readOrFail<Secret>(Resources.Secret, dk, tokenSecretName(dk), "token secret")

/** Whether the token secret's apiToken is a platform token. @category predicates */
export const isPlatform = (secret: Secret): boolean =>
  decoded(secret, "apiToken")?.startsWith(platformTokenPrefix) === true

/**
 * The client configuration of the DynaKube's tenant, with the response cache off.
 * @category constructors
 */
export const tenantConfig = Effect.fn("NodeTenant.tenantConfig")(function* (
  dk: DynaKubeView,
  options: { readonly timeout: Duration.Input; readonly userAgent: string }
) {
  const name = dk.metadata?.name ?? ""
  const fail = (message: string) => new NodeTenantError({ dynakube: name, message })
  const tokens = yield* tokenSecret(dk)
  const apiToken = decoded(tokens, "apiToken")
  if (apiToken === undefined) return yield* fail(`token secret ${tokenSecretName(dk)} has no apiToken`)
  const paasToken = decoded(tokens, "paasToken")

  let proxy: string | undefined
  const proxySpec = dk.spec?.proxy
  if (proxySpec?.value !== undefined && proxySpec.value !== null && proxySpec.value !== "") proxy = proxySpec.value
  else if (proxySpec?.valueFrom !== undefined && proxySpec.valueFrom !== null && proxySpec.valueFrom !== "") {
    const secret = yield* readOrFail<Secret>(Resources.Secret, dk, proxySpec.valueFrom, "proxy secret")
    proxy = decoded(secret, "proxy")
    if (proxy === undefined) return yield* fail(`proxy secret ${proxySpec.valueFrom} has no key proxy`)
  }

  let trustedCAs: string | undefined
  if (dk.spec?.trustedCAs !== undefined && dk.spec.trustedCAs !== "") {
    const configMap = yield* readOrFail<ConfigMap>(Resources.ConfigMap, dk, dk.spec.trustedCAs, "trustedCAs ConfigMap")
    trustedCAs = configMap.data?.["certs"]
  }
  const noProxy = dk.metadata?.annotations?.[noProxyAnnotation]
  return {
    apiUrl: dk.spec?.apiUrl ?? "",
    apiToken: Redacted.make(apiToken),
    paasToken: paasToken === undefined ? undefined : Redacted.make(paasToken),
    proxy: proxy === undefined ? undefined : Redacted.make(proxy),
    noProxy: noProxy === undefined || noProxy === "" ? undefined : noProxy,
    trustedCAs,
    skipCertCheck: dk.spec?.skipCertCheck ?? false,
    networkZone: dk.spec?.networkZone,
    timeout: options.timeout,
    requestThresholdMinutes: 0,
    userAgent: options.userAgent
  } satisfies DynatraceApi.DynatraceApiConfig
})

/** What a report did. @category models */
export type ReportOutcome =
  | { readonly _tag: "Sent"; readonly entityId: string }
  | { readonly _tag: "NoHostEntity" }
  | { readonly _tag: "EndpointNotAvailable" }

/**
 * Reports the host with `ip` as marked for termination at `atMillis`: host entities → entity id in the DynaKube's
 * network zone → `POST /v1/events`. A host the tenant does not know, or a tenant without these endpoints (404), is
 * skipped silently, as the original does.
 * @category reports
 */
export const reportMarkedForTermination = Effect.fn("NodeTenant.reportMarkedForTermination")(function* (
  dk: DynaKubeView,
  ip: string,
  atMillis: number,
  options: { readonly timeout: Duration.Input; readonly userAgent: string }
) {
  const config = yield* tenantConfig(dk, options)
  const cache = yield* ResponseCache.make()
  const outcome = yield* Effect.gen(function* () {
    const api = yield* DynatraceApi.make(config)
    const hosts = yield* api.hostEntities
    const entityId = HostEntities.entityIdForIp(hosts, ip, dk.spec?.networkZone)
    if (entityId === undefined) return { _tag: "NoHostEntity" } as ReportOutcome
    yield* api.sendEvent(Events.markedForTermination([entityId], atMillis))
    return { _tag: "Sent", entityId } as ReportOutcome
  }).pipe(
    Effect.catchReason("DynatraceApiError", "NotFound", () =>
      Effect.succeed({ _tag: "EndpointNotAvailable" } as ReportOutcome)
    ),
    Effect.scoped,
    Effect.provideService(ResponseCache, cache),
    Effect.provide(Layer.fresh(NodeFileSystem.layer))
  )
  return outcome
})
