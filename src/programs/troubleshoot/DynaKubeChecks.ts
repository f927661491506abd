/**
 * Checks of one DynaKube (spec §7 `troubleshoot`, §2.2.2, §2.2.3, §6): the object decodes, its API URL is well
 * formed, its token Secret holds a usable `apiToken`, every token has the scopes the enabled features require
 * (the operator's own scope table, `Tokens.requirements`), the tenant answers the latest-version call, the pull
 * secret exists and is a valid docker config for the tenant registry (when the DynaKube needs one), the proxy is
 * well formed and reachable, the DynaKube's status, and the OneAgent DaemonSet / ActiveGate StatefulSet rollouts.
 *
 * Each check is a pure function of `DynaKubeFacts`; a check whose input is broken elsewhere is skipped, naming
 * what it waits for.
 *
 * @since 0.1.0
 */
import type { TokenSlot } from "../../services/dynatrace/Auth.ts"
import { isApiUrl, parseApiUrl } from "../../services/dynatrace/ApiUrl.ts"
import type { DynaKube } from "../../schemas/DynaKubeV1beta6.ts"
import * as FeatureFlags from "../operator/dynakube/FeatureFlags.ts"
import * as Features from "../operator/dynakube/Features.ts"
import * as Names from "../operator/dynakube/Names.ts"
import * as Tokens from "../operator/dynakube/Tokens.ts"
import * as ApiUrlRules from "../webhook/validation/dynakube/ApiUrlRules.ts"
import * as GoUrl from "../webhook/validation/support/GoUrl.ts"
import * as Check from "./Check.ts"
import type { DynaKubeFacts, PullSecretFacts, TokenSecretFacts } from "./Facts.ts"

/** The type of an image pull Secret. @category constants @since 0.1.0 */
export const dockerConfigJsonType = "kubernetes.io/dockerconfigjson"

const ref = (facts: DynaKubeFacts, name: string) => `${facts.namespace}/${name}`

/** @category checks @since 0.1.0 */
export const decodes = (facts: DynaKubeFacts): Check.Verdict =>
  facts.decoded._tag === "Valid"
    ? Check.pass("dynakube", `DynaKube ${ref(facts, facts.name)} is a valid v1beta6 object.`)
    : Check.fail(
        "dynakube",
        `DynaKube ${ref(facts, facts.name)} does not match the v1beta6 schema: ${facts.decoded.message}`
      )

/** The API URL's syntax: set, not the example, parses, http(s), ends in `/api` (3rd-gen URLs are mapped). @category checks @since 0.1.0 */
export const apiUrl = (dk: DynaKube): Check.Verdict => {
  const id = "api-url"
  const url = dk.spec.apiUrl
  if (url === "" || url === ApiUrlRules.exampleApiUrl) return Check.fail(id, ApiUrlRules.messages.noApiUrl)
  const parsed = GoUrl.parse(url)
  const mapped = parseApiUrl(url)
  if (parsed === undefined || !isApiUrl(mapped)) {
    return Check.fail(id, `${ApiUrlRules.messages.invalidApiUrl} (${isApiUrl(mapped) ? url : mapped.problem})`)
  }
  if (ApiUrlRules.isThirdGenHost(GoUrl.hostname(parsed))) {
    return Check.pass(id, `API URL ${url} is a 3rd-generation URL; the operator calls ${mapped.base}.`)
  }
  if (!url.endsWith("/api"))
    return Check.fail(id, `${ApiUrlRules.messages.invalidApiUrl} (${url} does not end in /api)`)
  return Check.pass(id, `API URL ${url} is well formed.`)
}

const usableTokens = (facts: DynaKubeFacts): TokenSecretFacts | undefined => {
  const secret = Check.valueOf(facts.tokenSecret)
  return secret !== undefined && secret.problem === undefined ? secret : undefined
}

/** @category checks @since 0.1.0 */
export const tokenSecret = (facts: DynaKubeFacts): Check.Verdict => {
  const id = "token-secret"
  const where = `Token secret ${ref(facts, facts.tokenSecretName)}`
  const lookup = facts.tokenSecret
  if (lookup._tag === "NotFound") return Check.fail(id, `${where} does not exist.`)
  if (lookup._tag === "Failed") return Check.fail(id, `${where} could not be read: ${lookup.reason}`)
  if (lookup.value.problem !== undefined) return Check.fail(id, `${where}: ${lookup.value.problem}.`)
  const kind = lookup.value.platformToken ? " (apiToken is a platform token)" : ""
  return Check.pass(id, `${where} holds ${lookup.value.keys.join(", ")}${kind}.`)
}

/** The scope requirements of the DynaKube's enabled features (the operator's table). */
const requirementsOf = (facts: DynaKubeFacts, dk: DynaKube, tokens: TokenSecretFacts) =>
  Tokens.requirements({
    features: Features.of(dk.spec, { kubemonOperand: facts.kubemonOperand }),
    flags: FeatureFlags.read(facts.raw, facts.namespace),
    spec: dk.spec,
    config: { hostAvailabilityDetection: facts.hostAvailabilityDetection },
    hasPaasToken: tokens.hasPaasToken,
    hasDataIngestToken: tokens.hasDataIngestToken
  })

const featuresNeeding = (reqs: ReadonlyArray<Tokens.Requirement>, slot: TokenSlot, scope: string) => [
  ...new Set(reqs.filter((r) => r.slot === slot && r.scope === scope).map((r) => r.feature))
]

/** Token scopes against what the enabled features require. @category checks @since 0.1.0 */
export const tokenScopes = (facts: DynaKubeFacts, dk: DynaKube): Check.Verdict => {
  const id = "token-scopes"
  const tokens = usableTokens(facts)
  if (tokens === undefined) return Check.skip(id, "Skipped: the token secret is not usable.")
  if (tokens.platformToken) return Check.pass(id, "The apiToken is a platform token; its scopes are not looked up.")
  if (facts.tenant.notContacted !== undefined) return Check.skip(id, `Skipped: ${facts.tenant.notContacted}`)
  const granted: Partial<Record<TokenSlot, ReadonlyArray<string>>> = {}
  const lookupFailures: Array<string> = []
  for (const [slot, lookup] of Object.entries(facts.tenant.scopes) as Array<
    [TokenSlot, Check.Lookup<ReadonlyArray<string>>]
  >) {
    if (lookup._tag === "Found") granted[slot] = lookup.value
    else lookupFailures.push(`${slot}: ${lookup._tag === "Failed" ? lookup.reason : "unknown to the tenant"}`)
  }
  if (lookupFailures.length > 0) {
    return Check.fail(id, `The tenant did not answer the token scope lookup (${lookupFailures.join("; ")}).`)
  }
  const reqs = requirementsOf(facts, dk, tokens)
  const result = Tokens.evaluate(reqs, granted)
  if (result.missingRequired.length > 0) {
    const parts = result.missingRequired.map(
      (m) =>
        `${m.slot} lacks ${m.scopes
          .map((scope) => `${scope} (needed for ${featuresNeeding(reqs, m.slot, scope).join(", ")})`)
          .join(", ")}`
    )
    return Check.fail(id, `Missing token scopes: ${parts.join("; ")}.`)
  }
  if (result.missingOptional.length > 0) {
    return Check.warn(
      id,
      `The apiToken lacks the optional scopes ${result.missingOptional.join(", ")}; features that use them are degraded.`
    )
  }
  const checked = Object.keys(granted).join(", ")
  return Check.pass(id, `The tokens (${checked}) have every scope the enabled features need.`)
}

/** @category checks @since 0.1.0 */
export const latestAgentVersion = (facts: DynaKubeFacts): Check.Verdict => {
  const id = "latest-agent-version"
  const latest = facts.tenant.latestAgentVersion
  if (usableTokens(facts) === undefined) return Check.skip(id, "Skipped: the token secret is not usable.")
  if (latest === undefined) return Check.skip(id, `Skipped: ${facts.tenant.notContacted ?? "the tenant was not asked"}`)
  const what = latest.installer === "paas" ? "code-module" : "OneAgent"
  switch (latest.result._tag) {
    case "Found":
      return Check.pass(id, `The tenant offers ${what} version ${latest.result.value}.`)
    case "NotFound":
      return Check.fail(id, `The tenant has no latest ${what} version.`)
    case "Failed":
      return Check.fail(id, `The latest ${what} version could not be fetched: ${latest.result.reason}`)
  }
}

/** Whether the operator makes `<dk>-pull-secret` (images from the tenant registry and a workload pulling them). @category predicates @since 0.1.0 */
export const needsPullSecret = (facts: DynaKubeFacts, dk: DynaKube): boolean => {
  const features = Features.of(dk.spec, { kubemonOperand: facts.kubemonOperand })
  const flags = FeatureFlags.read(facts.raw, facts.namespace)
  const platform = Check.valueOf(facts.tokenSecret)?.platformToken === true
  return !platform && !flags.usePublicRegistry && (features.hostAgent || features.activeGate || features.kubemon)
}

/** Problems of a pull Secret; `registry` is the host it must cover, when known. */
export const pullSecretProblem = (secret: PullSecretFacts, registry: string | undefined): string | undefined => {
  if (secret.type !== dockerConfigJsonType) return `has type ${secret.type ?? "Opaque"}, not ${dockerConfigJsonType}`
  if (!secret.hasDockerConfigJson) return "has no .dockerconfigjson key"
  if (secret.parseProblem !== undefined) return `has a .dockerconfigjson that ${secret.parseProblem}`
  if (registry !== undefined && !secret.registries.includes(registry)) {
    return `has no credentials for the tenant registry ${registry} (it has ${secret.registries.join(", ") || "none"})`
  }
  if (secret.registriesWithoutCredentials.length > 0) {
    return `has entries without credentials: ${secret.registriesWithoutCredentials.join(", ")}`
  }
  return undefined
}

/** `<dk>-pull-secret`: present and a docker config for the tenant registry, when the DynaKube needs it. @category checks @since 0.1.0 */
export const pullSecret = (facts: DynaKubeFacts, dk: DynaKube): Check.Verdict => {
  const id = "pull-secret"
  const name = Names.names(facts.name).pullSecret
  const where = `Pull secret ${ref(facts, name)}`
  if (!needsPullSecret(facts, dk)) {
    return Check.skip(id, "Not needed: no component pulls images from the tenant registry.")
  }
  const lookup = facts.pullSecret
  if (lookup._tag === "NotFound") {
    return Check.fail(
      id,
      `${where} does not exist; the operator creates it once it reached the tenant (see the DynaKube's conditions).`
    )
  }
  if (lookup._tag === "Failed") return Check.fail(id, `${where} could not be read: ${lookup.reason}`)
  const mapped = parseApiUrl(dk.spec.apiUrl)
  const registry = isApiUrl(mapped) ? mapped.rawHost : undefined
  const problem = pullSecretProblem(lookup.value, registry)
  if (problem !== undefined) return Check.fail(id, `${where} ${problem}.`)
  return Check.pass(id, `${where} is a docker config for ${registry ?? "the tenant registry"}.`)
}

/** `spec.customPullSecret`, when set: present and a docker config. @category checks @since 0.1.0 */
export const customPullSecret = (facts: DynaKubeFacts): ReadonlyArray<Check.Verdict> => {
  const custom = facts.customPullSecret
  if (custom === undefined) return []
  const id = "custom-pull-secret"
  const where = `Custom pull secret ${ref(facts, custom.name)}`
  const lookup = custom.lookup
  if (lookup._tag === "NotFound") return [Check.fail(id, `${where} does not exist.`)]
  if (lookup._tag === "Failed") return [Check.fail(id, `${where} could not be read: ${lookup.reason}`)]
  const problem = pullSecretProblem(lookup.value, undefined)
  return [
    problem === undefined ? Check.pass(id, `${where} is a docker config.`) : Check.fail(id, `${where} ${problem}.`)
  ]
}

/** @category checks @since 0.1.0 */
export const proxy = (facts: DynaKubeFacts): Check.Verdict => {
  const id = "proxy"
  const p = facts.proxy
  if (p._tag === "None") return Check.pass(id, "No proxy is configured.")
  const from = p.source === "secret" ? `the proxy in Secret ${ref(facts, p.secretName ?? "")}` : "spec.proxy.value"
  const resolved = p.resolved
  if (resolved._tag === "NotFound")
    return Check.fail(id, `Proxy secret ${ref(facts, p.secretName ?? "")} does not exist.`)
  if (resolved._tag === "Failed") return Check.fail(id, `The proxy could not be read: ${resolved.reason}`)
  const r = resolved.value
  if (r.syntaxProblem !== undefined) return Check.fail(id, `${r.syntaxProblem} (${from})`)
  if (r.reachable === undefined || r.endpoint === undefined) return Check.pass(id, `A proxy is configured (${from}).`)
  if (r.reachable._tag !== "Found") {
    const reason = r.reachable._tag === "Failed" ? r.reachable.reason : "no answer"
    return Check.fail(id, `The proxy ${r.endpoint} (${from}) is not reachable from here: ${reason}`)
  }
  return Check.pass(id, `The proxy ${r.endpoint} (${from}) accepts connections.`)
}

interface StatusCondition {
  readonly type?: string
  readonly status?: string
  readonly reason?: string
  readonly message?: string
}

/** The phase and failing conditions the operator wrote. @category checks @since 0.1.0 */
export const status = (facts: DynaKubeFacts): Check.Verdict => {
  const id = "dynakube-status"
  const st = (facts.raw as { readonly status?: { phase?: string; conditions?: ReadonlyArray<StatusCondition> } }).status
  const phase = st?.phase
  const falseConditions = (st?.conditions ?? []).filter((c) => c.status === "False")
  const detail = falseConditions.map((c) => `${c.type}: ${c.message ?? c.reason ?? "False"}`).join("; ")
  if (phase === undefined) return Check.warn(id, "The operator has not written a status yet.")
  if (phase === "Error") return Check.fail(id, `Phase Error${detail === "" ? "" : ` (${detail})`}.`)
  if (phase === "Running" && falseConditions.length === 0) return Check.pass(id, "Phase Running.")
  return Check.warn(id, `Phase ${phase}${detail === "" ? "" : ` (${detail})`}.`)
}

const rollout = (id: string, what: string, lookup: Check.Lookup<{ desired: number; ready: number }>): Check.Verdict => {
  if (lookup._tag === "NotFound") return Check.fail(id, `${what} does not exist; see the DynaKube's conditions.`)
  if (lookup._tag === "Failed") return Check.fail(id, `${what} could not be read: ${lookup.reason}`)
  const { desired, ready } = lookup.value
  if (desired === 0) return Check.warn(id, `${what} has no pods to run (no matching node?).`)
  if (ready < desired) return Check.warn(id, `${what} has ${ready}/${desired} pods ready.`)
  return Check.pass(id, `${what} has ${ready}/${desired} pods ready.`)
}

/** @category checks @since 0.1.0 */
export const oneAgent = (facts: DynaKubeFacts, dk: DynaKube): Check.Verdict => {
  const id = "oneagent"
  const features = Features.of(dk.spec)
  if (facts.oneAgentDaemonSet === undefined || !features.hostAgent) {
    return Check.skip(id, `No host agents (mode ${features.oneAgentMode ?? "none"}).`)
  }
  return rollout(id, `DaemonSet ${ref(facts, Names.names(facts.name).oneAgentDaemonSet)}`, facts.oneAgentDaemonSet)
}

/** @category checks @since 0.1.0 */
export const activeGate = (facts: DynaKubeFacts, dk: DynaKube): Check.Verdict => {
  const id = "activegate"
  const features = Features.of(dk.spec)
  if (facts.activeGateStatefulSet === undefined || !features.activeGate) return Check.skip(id, "No ActiveGate.")
  return rollout(
    id,
    `StatefulSet ${ref(facts, Names.names(facts.name).activeGateStatefulSet)}`,
    facts.activeGateStatefulSet
  )
}

/**
 * Every check of one DynaKube, in order. A DynaKube that does not decode gets only that verdict.
 * @category checks
 * @since 0.1.0
 */
export const all = (facts: DynaKubeFacts): ReadonlyArray<Check.Verdict> => {
  if (facts.decoded._tag === "Invalid") return [decodes(facts)]
  const dk = facts.decoded.dynakube
  return [
    decodes(facts),
    apiUrl(dk),
    tokenSecret(facts),
    tokenScopes(facts, dk),
    latestAgentVersion(facts),
    pullSecret(facts, dk),
    ...customPullSecret(facts),
    proxy(facts),
    status(facts),
    oneAgent(facts, dk),
    activeGate(facts, dk)
  ]
}
