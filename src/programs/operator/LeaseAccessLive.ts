/**
 * `LeaseAccess` backed by the Kubernetes API: the `coordination.k8s.io/v1` Lease `dynatrace-operator-lock` in the
 * operator namespace (spec §2.1). Updates are conditional on the resourceVersion that was read (a PUT carrying it), so
 * of two candidates racing for an expired lease exactly one wins and the other gets a Conflict.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Option } from "effect"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeApiError } from "../../services/KubeApiError.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import { LeaseAccess, LeaseAccessError, type LeaseRecord } from "./runtime/LeaderElection.ts"

/** The Lease name of the original, so a mixed fleet never has two leaders. */
export const leaseName = "dynatrace-operator-lock"

interface Lease extends KubeObject {
  readonly spec?: LeaseRecord | undefined
}

const toAccessError = (what: string) => (error: KubeApiError) =>
  new LeaseAccessError({ message: `${what} Lease ${leaseName}: ${error.reason._tag}: ${error.message}` })

/** Only the fields leader election owns; absent ones are omitted (the apiserver rejects nulls in MicroTime). */
const specOf = (record: LeaseRecord): LeaseRecord =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== "")) as LeaseRecord

/** A LeaseAccess on `namespace/name`. */
export const make = (namespace: string, name: string = leaseName) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    return LeaseAccess.of({
      get: kube.get<Lease>(Resources.Lease, name, { namespace }).pipe(
        Effect.map((lease) =>
          Option.some({ record: lease.spec ?? {}, resourceVersion: lease.metadata?.resourceVersion ?? "" })
        ),
        Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none())),
        Effect.mapError(toAccessError("reading"))
      ),
      create: (record) =>
        kube
          .create<Lease>(Resources.Lease, { metadata: { name, namespace }, spec: specOf(record) })
          .pipe(Effect.asVoid, Effect.mapError(toAccessError("creating"))),
      update: (record, resourceVersion) =>
        kube
          .update<Lease>(Resources.Lease, {
            metadata: { name, namespace, resourceVersion },
            // The holder is released as "" in the record; keep it as an empty string so the field exists.
            spec: { ...specOf(record), holderIdentity: record.holderIdentity ?? "" }
          })
          .pipe(Effect.asVoid, Effect.mapError(toAccessError("updating")))
    })
  })

/** The layer for the operator's lock in `namespace`. */
export const layer = (namespace: string): Layer.Layer<LeaseAccess, never, KubeClient> =>
  Layer.effect(LeaseAccess, make(namespace))
