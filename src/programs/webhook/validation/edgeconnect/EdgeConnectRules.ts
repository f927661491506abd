/**
 * Every EdgeConnect validation rule (spec §3.10), in the original's order; all are errors. The EdgeConnect module
 * must be installed; `apiServer` is a host without scheme or userinfo ending in one of the platform domains (with
 * something before it); the name is at most 40 characters; provisioner mode needs `hostPatterns` unless
 * Kubernetes automation is on; the service account name is not empty; Kubernetes automation needs provisioner
 * mode; `oauth.endpoint` is an `https` URL on one of the Dynatrace SSO hosts.
 *
 * @since 0.1.0
 */
import type * as V2 from "../../../../schemas/EdgeConnectV1alpha2.ts"
import * as Finding from "../Finding.ts"
import type { Validator } from "../Finding.ts"
import type { Modules } from "../Modules.ts"
import { moduleDisabled } from "../dynakube/ModuleRules.ts"
import * as GoUrl from "../support/GoUrl.ts"

/** @category models @since 0.1.0 */
export interface EdgeConnectContext {
  readonly ec: V2.EdgeConnect
  readonly spec: V2.EdgeConnectSpec
  readonly name: string
  readonly modules: Modules
}

/** @category constants @since 0.1.0 */
export const maxNameLength = 40
/** @category constants @since 0.1.0 */
export const allowedApiServerSuffixes: ReadonlyArray<string> = [
  ".dev.apps.dynatracelabs.com",
  ".sprint.apps.dynatracelabs.com",
  ".apps.dynatrace.com"
]
/** @category constants @since 0.1.0 */
export const allowedSsoHosts: ReadonlyArray<string> = [
  "sso-dev.dynatracelabs.com",
  "sso.sprint.dynatracelabs.com",
  "sso.dynatrace.com"
]
/** Service account used when `serviceAccountName` is absent. @category constants @since 0.1.0 */
export const defaultServiceAccountName = "dynatrace-edgeconnect"

/** @category messages @since 0.1.0 */
export const messages = {
  moduleDisabled: moduleDisabled("EdgeConnect"),
  invalidApiServer: "The EdgeConnect's apiServer is not valid. Set spec.apiServer to the host of your environment.",
  apiServerWithScheme:
    "The EdgeConnect's apiServer must not include a protocol: set spec.apiServer to the host only, e.g. <tenantID>.apps.dynatrace.com.",
  apiServerSuffix:
    'The EdgeConnect\'s apiServer is not valid. It must be the host of your environment: "<tenantID>.apps.dynatrace.com" (production), "<tenantID>.dev.apps.dynatracelabs.com" (dev) or "<tenantID>.sprint.apps.dynatracelabs.com" (sprint).',
  nameTooLong: `The EdgeConnect's name may be at most ${maxNameLength} characters long, because the names of the objects created for it are used as label values, which Kubernetes limits to 63 characters.`,
  hostPatternsRequired: "spec.hostPatterns is required in provisioner mode.",
  invalidServiceAccountName: "The EdgeConnect's serviceAccountName must not be empty.",
  automationRequiresProvisioner:
    "Kubernetes automation needs provisioner mode: set spec.oauth.provisioner to true and give an OAuth client that may provision.",
  invalidOauthEndpoint: "The EdgeConnect's oauth.endpoint is not a valid URL.",
  oauthEndpointNotHttps: "The EdgeConnect's oauth.endpoint must use the https protocol.",
  unknownSsoHost:
    'The EdgeConnect\'s oauth.endpoint is not a Dynatrace SSO host: use "sso.dynatrace.com" (production), "sso-dev.dynatracelabs.com" (dev) or "sso.sprint.dynatracelabs.com" (sprint).'
} as const

const isProvisioner = (ctx: EdgeConnectContext): boolean => ctx.spec.oauth.provisioner === true
const isAutomation = (ctx: EdgeConnectContext): boolean => ctx.spec.kubernetesAutomation?.enabled === true

/** @category rules @since 0.1.0 */
export const moduleDisabledRule = Finding.error("edgeConnectModuleDisabled", (ctx: EdgeConnectContext) =>
  ctx.modules.edgeConnect ? undefined : messages.moduleDisabled
)

/** @category rules @since 0.1.0 */
export const apiServerScheme = Finding.error("edgeConnectApiServerScheme", (ctx: EdgeConnectContext) => {
  const url = GoUrl.parse(ctx.spec.apiServer)
  if (url === undefined) return messages.invalidApiServer
  return url.scheme !== "" ? messages.apiServerWithScheme : undefined
})

/** @category rules @since 0.1.0 */
export const apiServerSuffix = Finding.error("edgeConnectApiServerSuffix", (ctx: EdgeConnectContext) => {
  const apiServer = ctx.spec.apiServer
  const url = GoUrl.parse(`https://${apiServer}`)
  if (url === undefined || url.host !== apiServer || url.user !== undefined) return messages.apiServerSuffix
  const host = GoUrl.hostname(url)
  return allowedApiServerSuffixes.some((s) => host.endsWith(s) && host.length > s.length)
    ? undefined
    : messages.apiServerSuffix
})

/** @category rules @since 0.1.0 */
export const nameTooLong = Finding.error("edgeConnectNameTooLong", (ctx: EdgeConnectContext) =>
  ctx.name.length > maxNameLength ? messages.nameTooLong : undefined
)

/** @category rules @since 0.1.0 */
export const hostPatternsRequired = Finding.error("edgeConnectHostPatternsRequired", (ctx: EdgeConnectContext) =>
  isProvisioner(ctx) && (ctx.spec.hostPatterns ?? []).length === 0 && !isAutomation(ctx)
    ? messages.hostPatternsRequired
    : undefined
)

/** @category rules @since 0.1.0 */
export const invalidServiceAccountName = Finding.error("edgeConnectServiceAccountName", (ctx: EdgeConnectContext) =>
  (ctx.spec.serviceAccountName ?? defaultServiceAccountName) === "" ? messages.invalidServiceAccountName : undefined
)

/** @category rules @since 0.1.0 */
export const automationRequiresProvisioner = Finding.error(
  "edgeConnectAutomationRequiresProvisioner",
  (ctx: EdgeConnectContext) =>
    isAutomation(ctx) && !isProvisioner(ctx) ? messages.automationRequiresProvisioner : undefined
)

/** @category rules @since 0.1.0 */
export const invalidOauthEndpoint = Finding.error("edgeConnectOauthEndpoint", (ctx: EdgeConnectContext) =>
  GoUrl.parse(ctx.spec.oauth.endpoint) === undefined ? messages.invalidOauthEndpoint : undefined
)

/** @category rules @since 0.1.0 */
export const oauthEndpointNotHttps = Finding.error("edgeConnectOauthEndpointScheme", (ctx: EdgeConnectContext) => {
  const url = GoUrl.parse(ctx.spec.oauth.endpoint)
  return url !== undefined && url.scheme !== "https" ? messages.oauthEndpointNotHttps : undefined
})

/** @category rules @since 0.1.0 */
export const unknownSsoHost = Finding.error("edgeConnectUnknownSsoHost", (ctx: EdgeConnectContext) => {
  const url = GoUrl.parse(ctx.spec.oauth.endpoint)
  return url !== undefined && !allowedSsoHosts.includes(url.host) ? messages.unknownSsoHost : undefined
})

/** In the original's order. @category rules @since 0.1.0 */
export const errors: ReadonlyArray<Validator<EdgeConnectContext>> = [
  moduleDisabledRule,
  apiServerScheme,
  apiServerSuffix,
  nameTooLong,
  hostPatternsRequired,
  invalidServiceAccountName,
  automationRequiresProvisioner,
  invalidOauthEndpoint,
  oauthEndpointNotHttps,
  unknownSsoHost
]
