/**
 * Builders for validation tests: DynaKube and EdgeConnect objects from a valid base plus modifier functions
 * (`dynakube(spec({ activeGate: { capabilities: ["routing"] } }), annotate({...}))`), rule contexts with fixed
 * cluster reads, and a runner that returns a rule's messages.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as DynaKubeV1beta6 from "../../../schemas/DynaKubeV1beta6.ts"
import * as EdgeConnectV1alpha2 from "../../../schemas/EdgeConnectV1alpha2.ts"
import type { ClusterReads, DynaKubeContext, DynaKubeUpdateContext, NamespaceInfo } from "./dynakube/Context.ts"
import { ClusterReadError } from "./dynakube/Context.ts"
import type { EdgeConnectContext } from "./edgeconnect/EdgeConnectRules.ts"
import type { Finding, Validator } from "./Finding.ts"
import * as Modules from "./Modules.ts"

/** A JSON object under construction. @category models @since 0.1.0 */
export type Json = Record<string, any>
/** @category models @since 0.1.0 */
export type Mod = (object: Json) => Json

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** Deep merge of plain objects; arrays and scalars of `patch` replace, `undefined` deletes. @category builders @since 0.1.0 */
export const merge = (base: Json, patch: Json): Json => {
  const out: Json = { ...base }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete out[key]
    else out[key] = isRecord(value) && isRecord(out[key]) ? merge(out[key], value) : value
  }
  return out
}

/** Merges into `spec`. @category builders @since 0.1.0 */
export const spec =
  (patch: Json): Mod =>
  (o) =>
    merge(o, { spec: patch })

/** Adds annotations. @category builders @since 0.1.0 */
export const annotate =
  (annotations: Record<string, string>): Mod =>
  (o) =>
    merge(o, { metadata: { annotations } })

/** Sets the name. @category builders @since 0.1.0 */
export const named =
  (name: string): Mod =>
  (o) =>
    merge(o, { metadata: { name } })

/** A valid cloudNativeFullStack-free DynaKube `dk` in namespace `dynatrace`. @category builders @since 0.1.0 */
export const dynakube = (...mods: ReadonlyArray<Mod>): Json =>
  mods.reduce((o, mod) => mod(o), {
    apiVersion: DynaKubeV1beta6.apiVersion,
    kind: "DynaKube",
    metadata: { name: "dk", namespace: "dynatrace" },
    spec: { apiUrl: "https://abc12345.live.dynatrace.com/api" }
  } as Json)

/** A valid EdgeConnect `ec` in namespace `dynatrace`. @category builders @since 0.1.0 */
export const edgeconnect = (...mods: ReadonlyArray<Mod>): Json =>
  mods.reduce((o, mod) => mod(o), {
    apiVersion: EdgeConnectV1alpha2.apiVersion,
    kind: "EdgeConnect",
    metadata: { name: "ec", namespace: "dynatrace" },
    spec: {
      apiServer: "abc12345.apps.dynatrace.com",
      oauth: {
        clientSecret: "ec-client",
        endpoint: "https://sso.dynatrace.com/sso/oauth2/token",
        resource: "urn:dtenvironment:abc12345"
      }
    }
  } as Json)

/** Fixed cluster state for a context. @category models @since 0.1.0 */
export interface ClusterState {
  /** Other DynaKubes of the namespace (raw v1beta6 JSON). */
  readonly dynaKubes?: ReadonlyArray<Json>
  readonly namespaces?: ReadonlyArray<NamespaceInfo>
  /** Secret name → data (text). */
  readonly secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>
  readonly istioInstalled?: boolean
  readonly kubernetesMinorVersion?: number
  /** Every read fails. */
  readonly failing?: boolean
}

const decodeDynaKube = Schema.decodeUnknownSync(DynaKubeV1beta6.DynaKube)

/** Cluster reads answering from `state`. @category builders @since 0.1.0 */
export const clusterReads = (state: ClusterState = {}): ClusterReads => {
  const read = <A>(a: A): Effect.Effect<A, ClusterReadError> =>
    state.failing === true ? Effect.fail(new ClusterReadError({ message: "read failed" })) : Effect.succeed(a)
  return {
    dynaKubes: Effect.suspend(() => read((state.dynaKubes ?? []).map((o) => decodeDynaKube(o)))),
    namespaces: read(state.namespaces ?? []),
    secret: (name) => {
      const data = state.secrets?.[name]
      return state.failing === true || data === undefined
        ? Effect.fail(new ClusterReadError({ message: `secrets "${name}" not found` }))
        : Effect.succeed(data)
    },
    istioInstalled: read(state.istioInstalled ?? true),
    kubernetesMinorVersion: read(state.kubernetesMinorVersion ?? 35)
  }
}

/** Options of a context. @category models @since 0.1.0 */
export interface ContextOptions {
  readonly platformToken?: boolean
  readonly modules?: Partial<Modules.Modules>
  readonly kubemonOperand?: boolean
  readonly cluster?: ClusterState
}

/** A rule context for a DynaKube object. @category builders @since 0.1.0 */
export const context = (object: Json, options: ContextOptions = {}): DynaKubeContext => {
  const dk = decodeDynaKube(object)
  return {
    dk,
    spec: dk.spec,
    name: dk.metadata?.name ?? "",
    namespace: dk.metadata?.namespace ?? "",
    annotations: dk.metadata?.annotations ?? {},
    platformToken: options.platformToken ?? false,
    modules: { ...Modules.all, ...options.modules },
    kubemonOperand: options.kubemonOperand ?? false,
    cluster: clusterReads(options.cluster)
  }
}

/** An update context: `old` is the stored object. @category builders @since 0.1.0 */
export const updateContext = (old: Json, object: Json, options: ContextOptions = {}): DynaKubeUpdateContext => ({
  ...context(object, options),
  oldSpec: decodeDynaKube(old).spec
})

/** A rule context for an EdgeConnect object. @category builders @since 0.1.0 */
export const edgeConnectContext = (
  object: Json,
  options: { readonly modules?: Partial<Modules.Modules> } = {}
): EdgeConnectContext => {
  const ec = Schema.decodeUnknownSync(EdgeConnectV1alpha2.EdgeConnect)(object)
  return { ec, spec: ec.spec, name: ec.metadata?.name ?? "", modules: { ...Modules.all, ...options.modules } }
}

/** Runs one rule and returns its findings. @category running @since 0.1.0 */
export const findings = <C>(rule: Validator<C>, ctx: C): ReadonlyArray<Finding> => Effect.runSync(rule(ctx))

/** Runs one rule and returns its messages. @category running @since 0.1.0 */
export const messagesOf = <C>(rule: Validator<C>, ctx: C): ReadonlyArray<string> =>
  findings(rule, ctx).map((f) => f.message)
