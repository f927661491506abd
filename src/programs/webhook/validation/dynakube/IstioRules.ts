/**
 * `spec.enableIstio` needs Istio's CRDs in the cluster. A failed lookup counts as installed, as in the original
 * (only "the resource type does not exist" means not installed).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as Finding from "../Finding.ts"
import type { DynaKubeContext } from "./Context.ts"

/** @category messages @since 0.1.0 */
export const messages = {
  notInstalled:
    "The DynaKube enables Istio, but Istio's resources (networking.istio.io) are not available in the cluster."
} as const

/** @category rules @since 0.1.0 */
export const istioNotInstalled = Finding.error("istioNotInstalled", (ctx: DynaKubeContext) =>
  ctx.spec.enableIstio === true
    ? ctx.cluster.istioInstalled.pipe(
        Effect.orElseSucceed(() => true),
        Effect.map((installed) => (installed ? undefined : messages.notInstalled))
      )
    : undefined
)
