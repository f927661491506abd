/**
 * The webhook server's settings (spec §3.1, §7), read once at start and validated up front.
 *
 * | source | default | meaning |
 * |---|---|---|
 * | `--certs-dir`, `--cert`, `--cert-key` | `/tmp/webhook/certs`, `tls.crt`, `tls.key` | the serving certificate files |
 * | `WEBHOOK_PORT` | 8443 | HTTPS port of the webhooks |
 * | `METRICS_BIND_ADDRESS` | `:8383` | Prometheus `/metrics` (`0` disables) |
 * | `HEALTH_PROBE_BIND_ADDRESS` | `:10080` | `/livez`, `/readyz` (`0` disables) |
 * | `POD_NAMESPACE` | `dynatrace` | the operator namespace (DynaKubes, the certificate Secret) |
 * | `DT_OPERATOR_IMAGE` | **required** | image of the injected init container; the start fails without it |
 * | `DT_METADATA_SIZE_LIMIT` | 24576 | bytes of the `metadata.dynatrace.com` annotation |
 * | `DT_EXTRACT_CODEMODULES_IMAGE_LINKS` | false | passed on to the init container (zip download) |
 * | `modules.json` | all on | `csiDriver` decides CSI volumes vs emptyDir |
 * | `APP_VERSION` | the binary's version | `script_version` in `DT_DEPLOYMENT_METADATA` |
 * | `WEBHOOK_DEADLINE` | 3s | Go duration, 100ms–9s: internal deadline of one review (ours) |
 * | `WEBHOOK_BODY_LIMIT` | 2097152 | bytes of the largest accepted request body (ours) |
 *
 * @since 0.1.0
 */
import { Config, Duration, Effect, Option, Schema } from "effect"
import * as GoDuration from "../../services/certs/GoDuration.ts"
import { type BindAddress, parseBindAddress } from "../../services/Probes.ts"
import { parseModules } from "../operator/OperatorConfig.ts"
import type { Settings } from "./pod/InjectionPolicy.ts"
import type { CertPaths } from "./ServingCertificate.ts"

/** A setting that cannot be used. @category errors @since 0.1.0 */
export class WebhookConfigError extends Schema.TaggedError<WebhookConfigError>()("WebhookConfigError", {
  message: Schema.String
}) {}

/** The validated settings. @category models @since 0.1.0 */
export interface WebhookConfig {
  readonly port: number
  readonly certificate: CertPaths
  readonly metricsBindAddress: BindAddress | undefined
  readonly healthProbeBindAddress: BindAddress | undefined
  readonly operatorNamespace: string
  readonly operatorImage: string
  readonly operatorVersion: string
  readonly metadataSizeLimit: number
  readonly extractCodeModulesImageLinks: boolean
  readonly csiDriver: boolean
  readonly deadline: Duration.Duration
  readonly bodyLimit: number
}

/** The env vars read. @category constants @since 0.1.0 */
export const envVars = [
  "WEBHOOK_PORT",
  "METRICS_BIND_ADDRESS",
  "HEALTH_PROBE_BIND_ADDRESS",
  "POD_NAMESPACE",
  "DT_OPERATOR_IMAGE",
  "DT_METADATA_SIZE_LIMIT",
  "DT_EXTRACT_CODEMODULES_IMAGE_LINKS",
  "modules.json",
  "APP_VERSION",
  "WEBHOOK_DEADLINE",
  "WEBHOOK_BODY_LIMIT"
] as const

/** The env values as read. @category models @since 0.1.0 */
export type RawEnv = Readonly<Partial<Record<(typeof envVars)[number], string | undefined>>>

/** The command-line flags. @category models @since 0.1.0 */
export interface Flags {
  readonly certsDir: string
  readonly cert: string
  readonly certKey: string
}

const nonEmpty = (text: string | undefined): string | undefined => {
  const trimmed = text?.trim()
  return trimmed === undefined || trimmed === "" ? undefined : trimmed
}

const fail = (message: string) => Effect.fail(new WebhookConfigError({ message }))

const integer = (name: string, text: string | undefined, fallback: number, min: number, max: number) => {
  const value = nonEmpty(text)
  if (value === undefined) return Effect.succeed(fallback)
  const n = Number(value)
  return Number.isInteger(n) && n >= min && n <= max
    ? Effect.succeed(n)
    : fail(`${name} must be an integer from ${min} to ${max} (got "${value}")`)
}

const fileName = (flag: string, text: string) =>
  text === "" || text.includes("/")
    ? fail(`--${flag} must be a file name inside --certs-dir (got "${text}")`)
    : Effect.succeed(text)

const bind = (text: string | undefined, fallback: string, name: string) =>
  parseBindAddress(text ?? fallback).pipe(
    Effect.mapError((e) => new WebhookConfigError({ message: `${name}: ${e.message}` }))
  )

/** Validates flags and env. @category parsing @since 0.1.0 */
export const fromRaw = Effect.fnUntraced(function* (flags: Flags, env: RawEnv, defaults: { readonly version: string }) {
  const operatorImage = nonEmpty(env.DT_OPERATOR_IMAGE)
  if (operatorImage === undefined) {
    return yield* fail("DT_OPERATOR_IMAGE is not set: the webhook needs the image of the init container it injects")
  }
  if (nonEmpty(flags.certsDir) === undefined) return yield* fail("--certs-dir must not be empty")
  const deadlineText = nonEmpty(env.WEBHOOK_DEADLINE)
  const deadline = deadlineText === undefined ? Option.some(Duration.seconds(3)) : GoDuration.parse(deadlineText)
  if (
    Option.isNone(deadline) ||
    Duration.isLessThan(deadline.value, Duration.millis(100)) ||
    Duration.isGreaterThan(deadline.value, Duration.seconds(9))
  ) {
    return yield* fail(`WEBHOOK_DEADLINE must be a Go duration from 100ms to 9s (got "${deadlineText}")`)
  }
  const extract = nonEmpty(env.DT_EXTRACT_CODEMODULES_IMAGE_LINKS)?.toLowerCase()
  return {
    port: yield* integer("WEBHOOK_PORT", env.WEBHOOK_PORT, 8443, 0, 65535),
    certificate: {
      dir: flags.certsDir,
      cert: yield* fileName("cert", flags.cert),
      key: yield* fileName("cert-key", flags.certKey)
    },
    metricsBindAddress: yield* bind(env.METRICS_BIND_ADDRESS, ":8383", "METRICS_BIND_ADDRESS"),
    healthProbeBindAddress: yield* bind(env.HEALTH_PROBE_BIND_ADDRESS, ":10080", "HEALTH_PROBE_BIND_ADDRESS"),
    operatorNamespace: nonEmpty(env.POD_NAMESPACE) ?? "dynatrace",
    operatorImage,
    operatorVersion: nonEmpty(env.APP_VERSION) ?? defaults.version,
    metadataSizeLimit: yield* integer("DT_METADATA_SIZE_LIMIT", env.DT_METADATA_SIZE_LIMIT, 24576, 0, 1024 * 1024),
    extractCodeModulesImageLinks: extract === "true",
    csiDriver: parseModules(env["modules.json"]).csiDriver,
    deadline: deadline.value,
    bodyLimit: yield* integer("WEBHOOK_BODY_LIMIT", env.WEBHOOK_BODY_LIMIT, 2 * 1024 * 1024, 1024, 64 * 1024 * 1024)
  } satisfies WebhookConfig
})

/** What the pod mutator takes from the configuration. @category models @since 0.1.0 */
export const injectionSettings = (config: WebhookConfig, openShift: boolean): Settings => ({
  operatorNamespace: config.operatorNamespace,
  operatorImage: config.operatorImage,
  operatorVersion: config.operatorVersion,
  csiDriver: config.csiDriver,
  openShift,
  metadataSizeLimit: config.metadataSizeLimit,
  extractCodeModulesImageLinks: config.extractCodeModulesImageLinks
})

/** The raw env from the current ConfigProvider. @category parsing @since 0.1.0 */
export const rawEnv: Config.Config<RawEnv> = Config.all(
  Object.fromEntries(envVars.map((name) => [name, Config.String(name).pipe(Config.withDefault(undefined))])) as {
    readonly [K in (typeof envVars)[number]]: Config.Config<string | undefined>
  }
)

/** Reads and validates flags and the environment. @category parsing @since 0.1.0 */
export const load = (flags: Flags, defaults: { readonly version: string }) =>
  Effect.gen(function* () {
    const env = yield* rawEnv.pipe(
      Effect.mapError((e) => new WebhookConfigError({ message: `cannot read the environment: ${e.message}` }))
    )
    return yield* fromRaw(flags, env, defaults)
  })
