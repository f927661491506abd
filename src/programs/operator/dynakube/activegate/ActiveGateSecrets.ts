/**
 * The ActiveGate's configuration objects other than the TLS certificate (spec §2.2.3, §2.2.5):
 *
 * - `<dk>-activegate-authtoken-secret` (key `auth-token`): the token from `POST /v2/activeGateTokens`, replaced
 *   when older than 29 days; the condition message shows only the token's public prefix.
 * - `<dk>-activegate-custom-properties` (`<dk>-kubernetes-monitoring-custom-properties` with the
 *   `kubernetes-monitoring` capability), key `customProperties`: the user's custom properties, with the `no-proxy`
 *   flag written as `proxy-non-proxy-hosts` under `[http.client.internal]` when a proxy is set.
 * - `<dk>-activegate-deployment-properties` (key `deployment.properties`): the global resource attributes.
 * - the pod annotation `activegate-configuration-hash`: FNV-1 of custom properties + auth token + deployment
 *   properties, so a change of any of them restarts the ActiveGate.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { fnv1Hash32, sortedKeys } from "../oneagent/GoCompat.ts"
import type { WorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import {
  coreLabels,
  nameOf,
  needsCustomNoProxy,
  nonEmptyString,
  type OperatorContext,
  ownedMeta,
  prune
} from "../oneagent/WorkloadParts.ts"
import type { ConfigMap, Secret } from "../oneagent/WorkloadTypes.ts"
import { activeGateComponent } from "./ActiveGateService.ts"
import { activeGateNames, hasCapability } from "./Capabilities.ts"

/** Key of the auth token in its Secret. @category constants @since 0.1.0 */
export const authTokenKey = "auth-token"
/** Key of the custom properties, in the user's Secret and in ours. @category constants @since 0.1.0 */
export const customPropertiesKey = "customProperties"
/** Key of the deployment properties ConfigMap. @category constants @since 0.1.0 */
export const deploymentPropertiesKey = "deployment.properties"

const day = 24 * 60 * 60 * 1000

/** Tokens are valid 60 days; they are replaced after 30 days minus a day of buffer. @category constants @since 0.1.0 */
export const authTokenRotationMillis = 30 * day - day

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64")

// ---------------------------------------------------------------------------------------------------------------
// Auth token

/**
 * Inputs of {@link buildAuthTokenSecret}.
 * @category models
 * @since 0.1.0
 */
export interface AuthTokenSecretInput {
  readonly dynakube: DynaKube
  readonly operator: Pick<OperatorContext, "operatorVersion">
  /** The `token` of the `POST /v2/activeGateTokens` answer. */
  readonly token: Redacted.Redacted<string>
}

/**
 * The Secret `<dk>-activegate-authtoken-secret`.
 * @category constructors
 * @since 0.1.0
 */
export const buildAuthTokenSecret = (input: AuthTokenSecretInput): Secret => {
  const name = nameOf(input.dynakube)
  return prune<Secret>({
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(
      input.dynakube,
      activeGateNames(name).authTokenSecret,
      coreLabels(name, activeGateComponent, input.operator.operatorVersion)
    ),
    type: "Opaque",
    data: { [authTokenKey]: base64(Redacted.value(input.token)) }
  })
}

/**
 * Whether an auth token Secret created at `createdMillis` must be replaced at `nowMillis` (older than 29 days).
 * @category predicates
 * @since 0.1.0
 */
export const authTokenRotationDue = (createdMillis: number, nowMillis: number): boolean =>
  createdMillis + authTokenRotationMillis < nowMillis

/**
 * The `ActiveGateAuthTokenSecret` condition message: `secret created N day(s) ago, token:<first two parts>`. Only
 * the public prefix of the token (`dt0g02.ABC…`) appears, never its secret part.
 * @category conditions
 * @since 0.1.0
 */
export const authTokenConditionMessage = (
  createdMillis: number,
  nowMillis: number,
  token: Redacted.Redacted<string>
): string => {
  const days = Math.trunc((nowMillis - createdMillis) / day)
  const publicPart = Redacted.value(token).split(".").slice(0, 2).join(".")
  return `secret created ${days} day(s) ago, token:${publicPart}`
}

// ---------------------------------------------------------------------------------------------------------------
// Custom properties

/**
 * Where the user's custom properties come from: inline, or key `customProperties` of a Secret in the DynaKube's
 * namespace; `undefined` when none are configured.
 * @category customProperties
 * @since 0.1.0
 */
export const customPropertiesSource = (
  dk: DynaKube
): { readonly value: string } | { readonly secretName: string } | undefined => {
  const source = dk.spec.activeGate?.customProperties
  const value = nonEmptyString(source?.value)
  if (value !== undefined) return { value }
  const secretName = nonEmptyString(source?.valueFrom)
  return secretName === undefined ? undefined : { secretName }
}

/**
 * The name of our custom properties Secret.
 * @category customProperties
 * @since 0.1.0
 */
export const customPropertiesSecretName = (dk: DynaKube): string =>
  `${nameOf(dk)}-${hasCapability(dk, "kubernetes-monitoring") ? "kubernetes-monitoring" : "activegate"}-custom-properties`

/**
 * The ActiveGate gets a custom properties Secret: user properties are configured or the `no-proxy` flag applies.
 * @category customProperties
 * @since 0.1.0
 */
export const needsCustomPropertiesSecret = (dk: DynaKube, flags: WorkloadFlags): boolean =>
  customPropertiesSource(dk) !== undefined || needsCustomNoProxy(dk, flags)

const clientInternalSection = "[http.client.internal]"

/**
 * The content of our custom properties Secret from the user's text (`""` when none): with the `no-proxy` flag in
 * effect, the first line containing `[http.client.internal]` becomes that section with
 * `proxy-non-proxy-hosts=<hosts separated by |>`, or the section is appended.
 * @category customProperties
 * @since 0.1.0
 */
export const customPropertiesContent = (dk: DynaKube, flags: WorkloadFlags, userText: string): string => {
  const lines = userText.split("\n")
  if (needsCustomNoProxy(dk, flags)) {
    const settings = `${clientInternalSection}\nproxy-non-proxy-hosts=${flags.noProxy.replaceAll(",", "|")}`
    const index = lines.findIndex((line) => line.includes(clientInternalSection))
    if (index < 0) lines.push(settings)
    else lines[index] = settings
  }
  return lines.join("\n")
}

/**
 * Inputs of {@link buildCustomPropertiesSecret}.
 * @category models
 * @since 0.1.0
 */
export interface CustomPropertiesSecretInput {
  readonly dynakube: DynaKube
  readonly operator: Pick<OperatorContext, "operatorVersion">
  readonly flags: WorkloadFlags
  /**
   * The user's custom properties: the inline value, or key `customProperties` of the Secret named by
   * {@link customPropertiesSource}, read by the caller; `""` when none are configured.
   */
  readonly userText: string
}

/**
 * Our custom properties Secret; `undefined` when its content would be empty (nothing to write).
 * @category constructors
 * @since 0.1.0
 */
export const buildCustomPropertiesSecret = (input: CustomPropertiesSecretInput): Secret | undefined => {
  const dk = input.dynakube
  const content = customPropertiesContent(dk, input.flags, input.userText)
  if (content === "") return undefined
  return prune<Secret>({
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(
      dk,
      customPropertiesSecretName(dk),
      coreLabels(nameOf(dk), activeGateComponent, input.operator.operatorVersion)
    ),
    type: "Opaque",
    data: { [customPropertiesKey]: base64(content) }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Deployment properties and the configuration hash

/**
 * `deployment.properties`: `[resource_attributes]` and one `key = value` line per attribute in key order; `""`
 * without attributes.
 * @category deploymentProperties
 * @since 0.1.0
 */
export const deploymentPropertiesContent = (attributes: Readonly<Record<string, string>> | undefined): string => {
  const keys = sortedKeys(attributes)
  if (keys.length === 0) return ""
  return `[resource_attributes]\n${keys.map((k) => `${k} = ${attributes?.[k] ?? ""}\n`).join("")}`
}

/**
 * The ConfigMap `<dk>-activegate-deployment-properties` (written whenever the ActiveGate is enabled).
 * @category constructors
 * @since 0.1.0
 */
export const buildDeploymentPropertiesConfigMap = (input: {
  readonly dynakube: DynaKube
  readonly operator: Pick<OperatorContext, "operatorVersion">
}): ConfigMap => {
  const dk = input.dynakube
  const name = nameOf(dk)
  return prune<ConfigMap>({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: ownedMeta(
      dk,
      activeGateNames(name).deploymentProperties,
      coreLabels(name, activeGateComponent, input.operator.operatorVersion)
    ),
    data: { [deploymentPropertiesKey]: deploymentPropertiesContent(dk.spec.resourceAttributes) }
  })
}

/**
 * The `activegate-configuration-hash` pod annotation: FNV-1 of the user's custom properties text (`""` when none),
 * the auth token (`""` when the ActiveGate is disabled) and the deployment properties.
 * @category hashing
 * @since 0.1.0
 */
export const activeGateConfigurationHash = (input: {
  readonly customProperties: string
  readonly authToken: Redacted.Redacted<string> | undefined
  readonly resourceAttributes: Readonly<Record<string, string>> | undefined
}): string =>
  fnv1Hash32(
    input.customProperties +
      (input.authToken === undefined ? "" : Redacted.value(input.authToken)) +
      deploymentPropertiesContent(input.resourceAttributes)
  )
