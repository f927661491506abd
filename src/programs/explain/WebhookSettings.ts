/**
 * The settings the installed webhook decides with, so that `explain` previews what the webhook would really do:
 *
 * 1. inside the webhook pod (`kubectl exec deploy/dynatrace-webhook -- dynatrace-operator explain ...`) they are the
 *    process environment, recognised by `DT_OPERATOR_IMAGE`;
 * 2. elsewhere (a laptop with a kubeconfig) they are read from the `dynatrace-webhook` Deployment's container
 *    env in the operator namespace (`valueFrom` entries are the pod's own fields: `POD_NAMESPACE` is that
 *    namespace).
 *
 * Both go through the webhook's own configuration parser, defaults and checks (`WebhookConfig.fromRaw`).
 *
 * @since 0.1.0
 */
import { Effect, Option, Schema } from "effect"
import * as KubeApiError from "../../services/KubeApiError.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import type { Settings } from "../webhook/pod/InjectionPolicy.ts"
import * as WebhookConfig from "../webhook/WebhookConfig.ts"
import { detectOpenShift } from "../webhook/WebhookMain.ts"

/** The settings cannot be found or do not parse. @category errors @since 0.1.0 */
export class SettingsError extends Schema.TaggedError<SettingsError>()("SettingsError", {
  message: Schema.String
}) {}

/** The settings and where they came from. @category models @since 0.1.0 */
export interface Found {
  readonly settings: Settings
  /** for the report: `the environment` or `Deployment <ns>/dynatrace-webhook` */
  readonly source: string
}

/** The webhook Deployment's name (spec §8). @category constants @since 0.1.0 */
export const deploymentName = "dynatrace-webhook"

// The certificate flags do not matter to injection; the webhook-server command's defaults satisfy the parser.
const certificateFlags: WebhookConfig.Flags = { certsDir: "/tmp/webhook/certs", cert: "tls.crt", certKey: "tls.key" }

interface EnvVar {
  readonly name?: unknown
  readonly value?: unknown
}

interface DeploymentObject {
  readonly spec?: {
    readonly template?: {
      readonly spec?: {
        readonly containers?: ReadonlyArray<{
          readonly name?: string
          readonly image?: string
          readonly env?: ReadonlyArray<EnvVar>
        }>
      }
    }
  }
}

/** The webhook container's env as the webhook would read it. @category parsing @since 0.1.0 */
export const envOfDeployment = (deployment: DeploymentObject, namespace: string): WebhookConfig.RawEnv => {
  const containers = deployment.spec?.template?.spec?.containers ?? []
  const container = containers.find((c) => c.name === "webhook") ?? containers[0]
  const env: Record<string, string> = {}
  for (const entry of container?.env ?? []) {
    if (typeof entry.name === "string" && typeof entry.value === "string") env[entry.name] = entry.value
  }
  return {
    ...env,
    POD_NAMESPACE: namespace,
    DT_OPERATOR_IMAGE: env["DT_OPERATOR_IMAGE"] ?? container?.image
  }
}

const parse = (env: WebhookConfig.RawEnv, version: string, source: string) =>
  WebhookConfig.fromRaw(certificateFlags, env, { version }).pipe(
    Effect.mapError((e) => new SettingsError({ message: `the webhook settings from ${source}: ${e.message}` }))
  )

/**
 * The settings: from the environment inside the webhook pod, else from the webhook Deployment in
 * `operatorNamespace`.
 * @category loading
 * @since 0.1.0
 */
export const load = Effect.fn("WebhookSettings.load")(function* (operatorNamespace: string, version: string) {
  const processEnv = yield* WebhookConfig.rawEnv.pipe(
    Effect.mapError((e) => new SettingsError({ message: `cannot read the environment: ${e.message}` }))
  )
  const openShift = yield* detectOpenShift
  if ((processEnv.DT_OPERATOR_IMAGE ?? "").trim() !== "") {
    const config = yield* parse({ ...processEnv, POD_NAMESPACE: operatorNamespace }, version, "the environment")
    return { settings: WebhookConfig.injectionSettings(config, openShift), source: "the environment" } satisfies Found
  }
  const client = yield* KubeClient
  const source = `Deployment ${operatorNamespace}/${deploymentName}`
  const deployment = yield* client
    .get<DeploymentObject & KubeObject>(Resources.Deployment, deploymentName, {
      namespace: operatorNamespace
    })
    .pipe(
      Effect.map(Option.some),
      Effect.catchIf(KubeApiError.isNotFound, () => Effect.succeed(Option.none())),
      Effect.mapError((e) => new SettingsError({ message: `cannot read ${source}: ${e.message}` }))
    )
  if (Option.isNone(deployment)) {
    return yield* new SettingsError({
      message: `no ${source} and no DT_OPERATOR_IMAGE in the environment: is the operator installed in namespace ${operatorNamespace} (--operator-namespace)?`
    })
  }
  const config = yield* parse(envOfDeployment(deployment.value, operatorNamespace), version, source)
  return { settings: WebhookConfig.injectionSettings(config, openShift), source } satisfies Found
})
