/**
 * What happens when a DynaKube is gone (spec §2.2.1 step 1, §2.6): objects it owned in its namespace are removed
 * by the garbage collector (owner references), but the namespaces it monitored are not its children. Every
 * namespace labelled `dynakube.internal.dynatrace.com/instance=<dk>` loses the label and its replicated secrets
 * (`dynatrace-bootstrapper-config`, `…-certs`, `dynatrace-otlp-exporter-config`, `…-certs`).
 *
 * Idempotent: a namespace without the label or a secret that is already gone costs one read, no write.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { KubeClient } from "../../../services/KubeClient.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as Names from "./Names.ts"

/** Unmaps every namespace still labelled for the DynaKube `name`; returns how many were unmapped. */
export const unmapNamespaces = (name: string) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const kube = yield* KubeClient
    const namespaces = (yield* caches.namespaces.list()).filter(
      (ns) => ns.metadata?.labels?.[Names.instanceLabel] === name
    )
    yield* Effect.forEach(
      namespaces,
      (ns) =>
        Effect.gen(function* () {
          const namespace = ns.metadata?.name ?? ""
          yield* Effect.forEach(
            Names.replicatedSecrets,
            (secret) =>
              kube
                .delete(Resources.Secret, secret, { namespace })
                .pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void)),
            { discard: true }
          )
          // A JSON patch with a test: only remove the label if it still names this DynaKube.
          yield* kube
            .patch(Resources.Namespace, namespace, {
              type: "json",
              patch: [
                { op: "test", path: `/metadata/labels/${escape(Names.instanceLabel)}`, value: name },
                { op: "remove", path: `/metadata/labels/${escape(Names.instanceLabel)}` }
              ]
            })
            .pipe(
              Effect.catchReason("KubeApiError", "NotFound", () => Effect.void),
              Effect.catchReason("KubeApiError", "Invalid", () => Effect.void)
            )
        }),
      { concurrency: 8, discard: true }
    )
    return namespaces.length
  })

/** JSON pointer escaping (RFC 6901). */
const escape = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1")
