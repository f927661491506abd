/**
 * `dynatrace-operator certgen`: the operator's init container (spec §2.4, §7). It makes sure the webhook
 * certificates exist before the operator and the webhook start, by running the certificates reconcile once:
 *
 * 1. with `--crd-check` (default true): the DynaKube CRD (and the EdgeConnect CRD when the `edgeConnect` module of
 *    `modules.json` is on) must be installed and Established;
 * 2. the reconcile of the webhook-certificates controller: Secret `dynatrace-webhook-certs` created or renewed,
 *    caBundles written into the webhook configurations and CRDs.
 *
 * Until both succeed (e.g. the webhook Deployment is not created yet) it tries again every 5 s; after `--timeout`
 * (default `5m`, Go syntax) it fails with the last reason, and the pod restarts it.
 *
 * | flag / env         | default     |
 * |--------------------|-------------|
 * | `--crd-check`      | `true`      |
 * | `--timeout`        | `5m`        |
 * | `POD_NAMESPACE`    | `dynatrace` |
 * | `DT_WEBHOOK_CERTS_*` | see docs/certificates.md |
 */
import { Config, Duration, Effect, Layer, Option, Ref, Schedule, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { Certs } from "../../services/Certs.ts"
import * as GoDuration from "../../services/certs/GoDuration.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import * as WebhookCertController from "../operator/certificates/WebhookCertController.ts"
import { parseModules } from "../operator/OperatorConfig.ts"

/** Why certgen did not finish. */
export class CertgenError extends Schema.TaggedError<CertgenError>()("CertgenError", {
  message: Schema.String
}) {}

/** What one certgen run needs. */
export interface CertgenOptions {
  readonly namespace: string
  readonly crdCheck: boolean
  /** Also require the EdgeConnect CRD (module `edgeConnect`). */
  readonly edgeConnect: boolean
  readonly timeout: Duration.Duration
  /** Between attempts (5 s). */
  readonly pollInterval?: Duration.Input | undefined
  /** Extra SANs (must match the running controller's, else the two would keep renewing). */
  readonly extraIpAddresses?: ReadonlyArray<string> | undefined
}

interface Crd extends KubeObject {
  readonly status?: { readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string }> }
}

/** Fails unless the CRD exists and is Established. */
export const checkCrd = (name: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const crd = yield* kube.get<Crd>(Resources.CustomResourceDefinition, name).pipe(
      Effect.catchReason("KubeApiError", "NotFound", () =>
        Effect.fail(new CertgenError({ message: `the CRD ${name} is not installed` }))
      ),
      Effect.mapError((e) => (e instanceof CertgenError ? e : new CertgenError({ message: e.message })))
    )
    const established = crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
    if (established !== true) return yield* new CertgenError({ message: `the CRD ${name} is not established yet` })
  })

/** One attempt: the CRD check, then the certificates reconcile. */
const attempt = (options: CertgenOptions) =>
  Effect.gen(function* () {
    if (options.crdCheck) {
      yield* checkCrd("dynakubes.dynatrace.com")
      if (options.edgeConnect) yield* checkCrd("edgeconnects.dynatrace.com")
    }
    const outcome = yield* WebhookCertController.reconcileOnce({
      namespace: options.namespace,
      extraIpAddresses: options.extraIpAddresses
    }).pipe(Effect.mapError((e) => new CertgenError({ message: e.message })))
    if (outcome._tag === "WebhookDeploymentMissing") {
      return yield* new CertgenError({
        message: `the Deployment ${options.namespace}/dynatrace-webhook does not exist yet`
      })
    }
    return outcome
  })

/** Runs the attempts until one succeeds or the timeout passes (failing with the last reason). */
export const run = Effect.fn("certgen")(function* (options: CertgenOptions) {
  const last = yield* Ref.make<string>("no attempt finished")
  const outcome = yield* attempt(options).pipe(
    Effect.tapError((error) =>
      Ref.set(last, error.message).pipe(
        Effect.andThen(
          Effect.logInfo("Webhook certificates are not ready yet; trying again.").pipe(
            Effect.annotateLogs({ reason: error.message })
          )
        )
      )
    ),
    Effect.retry(Schedule.spaced(options.pollInterval ?? "5 seconds")),
    Effect.timeoutOrElse({
      duration: options.timeout,
      orElse: () =>
        Effect.flatMap(Ref.get(last), (reason) =>
          Effect.fail(
            new CertgenError({
              message: `webhook certificates not ready after ${Duration.format(options.timeout)}: ${reason}`
            })
          )
        )
    })
  )
  yield* Effect.logInfo("Webhook certificates are ready.").pipe(Effect.annotateLogs({ outcome: outcome._tag }))
  return outcome
})

const crdCheck = Flag.Boolean("crd-check").pipe(
  Flag.withDescription("Check that the DynaKube (and EdgeConnect) CRDs are installed before generating."),
  Flag.withDefault(true)
)
const timeout = Flag.String("timeout").pipe(
  Flag.withDescription("Give up after this long (Go duration, e.g. 5m)."),
  Flag.withDefault("5m")
)

export const certgenCommand = Command.make(
  "certgen",
  { crdCheck, timeout },
  Effect.fn("certgen-command")(function* (flags) {
    const limit = GoDuration.parse(flags.timeout)
    if (Option.isNone(limit) || Duration.toMillis(limit.value) <= 0) {
      return yield* new CertgenError({ message: `--timeout "${flags.timeout}" is not a positive Go duration` })
    }
    const namespace = yield* Config.String("POD_NAMESPACE").pipe(Config.withDefault("dynatrace"))
    const modules = parseModules(yield* Config.String("modules.json").pipe(Config.withDefault(undefined)))
    yield* run({ namespace, crdCheck: flags.crdCheck, edgeConnect: modules.edgeConnect, timeout: limit.value }).pipe(
      Effect.provide(Layer.mergeAll(KubeClient.layer, Certs.layer))
    )
  })
).pipe(
  Command.withDescription(
    "Create or renew the webhook certificates (Secret dynatrace-webhook-certs) and write their CA into the webhook configurations and CRDs, then exit."
  )
)
