/**
 * What every DynaKube rule gets: the object (converted to the hub version and decoded), the facts around it that
 * the handler looked up once (platform token, installed modules, the kubemon switch) and lazy, per-request cached
 * reads of the cluster for the few rules that compare with other objects.
 *
 * Cluster reads fail with {@link ClusterReadError}; each rule decides what a failed read means, as the original
 * does (most skip the check, the proxy rule reports it).
 *
 * @since 0.1.0
 */
import { Schema, type Effect } from "effect"
import type * as V6 from "../../../../schemas/DynaKubeV1beta6.ts"
import type { Modules } from "../Modules.ts"
import type { Annotations } from "./Flags.ts"

/** A cluster read that did not work out (not found, forbidden, timed out, …). @category errors @since 0.1.0 */
export class ClusterReadError extends Schema.TaggedError<ClusterReadError>()("ClusterReadError", {
  message: Schema.String
}) {}

/** A namespace as the selector rules need it. @category models @since 0.1.0 */
export interface NamespaceInfo {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
}

/** Reads of the cluster, scoped to the DynaKube's namespace where that applies. @category models @since 0.1.0 */
export interface ClusterReads {
  /** The other DynaKubes in the namespace (at the hub version; the one under review may be among them). */
  readonly dynaKubes: Effect.Effect<ReadonlyArray<V6.DynaKube>, ClusterReadError>
  /** Every namespace of the cluster. */
  readonly namespaces: Effect.Effect<ReadonlyArray<NamespaceInfo>, ClusterReadError>
  /** A Secret's data (decoded to text) in the DynaKube's namespace. */
  readonly secret: (name: string) => Effect.Effect<Readonly<Record<string, string>>, ClusterReadError>
  /** Whether Istio's CRDs are installed. */
  readonly istioInstalled: Effect.Effect<boolean, ClusterReadError>
  /** The apiserver's minor version (e.g. 35 for v1.35.1). */
  readonly kubernetesMinorVersion: Effect.Effect<number, ClusterReadError>
}

/** @category models @since 0.1.0 */
export interface DynaKubeContext {
  readonly dk: V6.DynaKube
  readonly spec: V6.DynaKubeSpec
  /** `metadata.name` (may be empty for `generateName` creates). */
  readonly name: string
  readonly namespace: string
  readonly annotations: Annotations
  /** The token Secret's `apiToken` is a platform token (`dt0s16…`). */
  readonly platformToken: boolean
  readonly modules: Modules
  /** Operator env `EXPERIMENTAL_ENABLE_KUBEMON_OPERAND`. */
  readonly kubemonOperand: boolean
  readonly cluster: ClusterReads
}

/** An update: the stored object and the new one. @category models @since 0.1.0 */
export interface DynaKubeUpdateContext extends DynaKubeContext {
  readonly oldSpec: V6.DynaKubeSpec
}
