/**
 * Writes of the namespace → DynaKube label `dynakube.internal.dynatrace.com/instance` (spec §2.6).
 *
 * A write is a merge patch that names only that label (so concurrent edits of other labels and fields survive)
 * and carries the namespace's resourceVersion (so it applies only to the namespace the decision was made on). On a
 * conflict the namespace is read again and the decision made again, at most three times; a namespace that is gone
 * needs nothing.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeApiError } from "../../../../services/KubeApiError.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Names from "../Names.ts"
import type { Namespace } from "./NamespaceMapping.ts"

/** The merge patch that sets (or, with `undefined`, removes) the instance label. @category writes @since 0.1.0 */
export const labelPatch = (resourceVersion: string | undefined, to: string | undefined) => ({
  type: "merge" as const,
  patch: {
    metadata: {
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      labels: { [Names.instanceLabel]: to ?? null }
    }
  }
})

/** The instance label of a namespace. @category getters @since 0.1.0 */
export const instanceOf = (namespace: Namespace): string | undefined =>
  namespace.metadata?.labels?.[Names.instanceLabel]

/** What became of one namespace's label. @category models @since 0.1.0 */
export interface LabelWrite {
  /** The namespace as last seen (the snapshot, or a fresh read after a conflict); undefined when it is gone. */
  readonly namespace: Namespace | undefined
  /** The label value now. */
  readonly label: string | undefined
  readonly change: "added" | "removed" | "none"
}

/**
 * Makes the instance label of `namespace` what `decide` says (decided on the snapshot, and again on a fresh read
 * after a conflict).
 * @category writes
 * @since 0.1.0
 */
export const writeLabel = (
  namespace: Namespace,
  decide: (namespace: Namespace) => string | undefined
): Effect.Effect<LabelWrite, KubeApiError, KubeClient> =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const name = namespace.metadata?.name ?? ""
    let current = namespace
    for (let attempt = 1; ; attempt++) {
      const label = instanceOf(current)
      const wanted = decide(current)
      if (wanted === label) return { namespace: current, label, change: "none" }
      const outcome = yield* kube
        .patch(Resources.Namespace, name, labelPatch(current.metadata?.resourceVersion, wanted))
        .pipe(
          Effect.as("written" as const),
          Effect.catch((error: KubeApiError) =>
            error.reason._tag === "NotFound"
              ? Effect.succeed("gone" as const)
              : error.reason._tag === "Conflict" && attempt < 3
                ? Effect.succeed("conflict" as const)
                : Effect.fail(error)
          )
        )
      if (outcome === "written")
        return { namespace: current, label: wanted, change: wanted === undefined ? "removed" : "added" }
      if (outcome === "gone") return { namespace: undefined, label: undefined, change: "none" }
      const fresh = yield* kube.get<Namespace>(Resources.Namespace, name).pipe(
        Effect.map(Option.some),
        Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<Namespace>()))
      )
      if (Option.isNone(fresh)) return { namespace: undefined, label: undefined, change: "none" }
      current = fresh.value
    }
  })
