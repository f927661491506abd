/**
 * How long the webhook certificates live and how often they are checked (spec §2.4), read once at start.
 *
 * | setting            | env var                              | default | allowed    |
 * |--------------------|--------------------------------------|---------|------------|
 * | `rootDuration`     | `DT_WEBHOOK_CERTS_ROOT_DURATION`     | 8760h   | 168h–87600h (7 d–10 y) |
 * | `serverDuration`   | `DT_WEBHOOK_CERTS_SERVER_DURATION`   | 168h    | 24h–8760h (1 d–365 d)  |
 * | `renewalThreshold` | `DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD` | 12h     | 12h–720h   |
 * | `requeueAfter`     | `DT_WEBHOOK_CERTS_REQUEUE_AFTER`     | 3h      | 5m–11h     |
 *
 * Values use Go duration syntax, as in the original (`"8760h"`, `"1h30m"`; no day unit). An unset or empty variable
 * means the default.
 *
 * Unlike the original, which logs and falls back to the default, a value that does not parse or is out of range
 * fails the start with a {@link CertDurationsError}: a typo should stop the install, not silently change lifetimes.
 * After the ranges, the values are cross-checked: root CA > server certificate > renewal threshold > requeue
 * interval. Each link has a reason: a server certificate must not outlive its CA, a certificate must live longer
 * than the window in which it is renewed, and the controller must look at least once inside that window.
 *
 * @since 0.1.0
 */
import { Config, Duration, Effect, Option, Result, Schema } from "effect"
import * as GoDuration from "./GoDuration.ts"

/** A variable's value is not a Go duration. @category reasons @since 0.1.0 */
export class InvalidSyntax extends Schema.TaggedError<InvalidSyntax>()("InvalidSyntax", {
  variable: Schema.String,
  value: Schema.String,
  message: Schema.String
}) {}

/** A variable's value parses but lies outside the allowed range. @category reasons @since 0.1.0 */
export class OutOfRange extends Schema.TaggedError<OutOfRange>()("OutOfRange", {
  variable: Schema.String,
  value: Schema.String,
  message: Schema.String
}) {}

/** Two durations are not in the required order (`longer` must be strictly longer than `shorter`). @category reasons @since 0.1.0 */
export class NotOrdered extends Schema.TaggedError<NotOrdered>()("NotOrdered", {
  longer: Schema.String,
  shorter: Schema.String,
  message: Schema.String
}) {}

/** @category models @since 0.1.0 */
export const CertDurationsErrorReason = Schema.Union([InvalidSyntax, OutOfRange, NotOrdered])

/** @category models @since 0.1.0 */
export type CertDurationsErrorReason = typeof CertDurationsErrorReason.Type

/** The certificate durations cannot work; the operator must not start. @category errors @since 0.1.0 */
export class CertDurationsError extends Schema.TaggedError<CertDurationsError>()("CertDurationsError", {
  reason: CertDurationsErrorReason
}) {
  override get message(): string {
    return `Invalid webhook certificate durations: ${this.reason.message}`
  }
}

/** The four durations of the certificates controller. @category models @since 0.1.0 */
export interface CertDurations {
  /** Validity of the operator's own CA. */
  readonly rootDuration: Duration.Duration
  /** Validity of the webhook server certificate. */
  readonly serverDuration: Duration.Duration
  /** A certificate with less than this left is renewed. */
  readonly renewalThreshold: Duration.Duration
  /** How often the controller checks the certificates when nothing changes (its poll interval). */
  readonly requeueAfter: Duration.Duration
}

/** @category models @since 0.1.0 */
export type Setting = keyof CertDurations

/** Settings from the longest to the shortest: each must be strictly longer than the next. @category constants @since 0.1.0 */
export const order: ReadonlyArray<Setting> = ["rootDuration", "serverDuration", "renewalThreshold", "requeueAfter"]

/** The env var of each setting (the original's names). @category constants @since 0.1.0 */
export const envVars: Readonly<Record<Setting, string>> = {
  rootDuration: "DT_WEBHOOK_CERTS_ROOT_DURATION",
  serverDuration: "DT_WEBHOOK_CERTS_SERVER_DURATION",
  renewalThreshold: "DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD",
  requeueAfter: "DT_WEBHOOK_CERTS_REQUEUE_AFTER"
}

/** CA 365 d, server 7 d, renew at 12 h left, check every 3 h. @category constants @since 0.1.0 */
export const defaults: CertDurations = {
  rootDuration: Duration.days(365),
  serverDuration: Duration.days(7),
  renewalThreshold: Duration.hours(12),
  requeueAfter: Duration.hours(3)
}

/**
 * Inclusive bounds of each setting. The threshold's minimum of 12 h is twice the webhook's 6 h certificate re-read,
 * so the webhook picks up a renewed certificate before the old one expires.
 * @category constants
 * @since 0.1.0
 */
export const ranges: Readonly<Record<Setting, { readonly min: Duration.Duration; readonly max: Duration.Duration }>> = {
  rootDuration: { min: Duration.days(7), max: Duration.days(3650) },
  serverDuration: { min: Duration.days(1), max: Duration.days(365) },
  renewalThreshold: { min: Duration.hours(12), max: Duration.hours(720) },
  requeueAfter: { min: Duration.minutes(5), max: Duration.hours(11) }
}

const describe = (setting: Setting, value: Duration.Duration) => `${envVars[setting]} (${GoDuration.format(value)})`

/**
 * The cross-check alone: succeeds exactly when root > server > threshold > requeue, else names the first pair out of
 * order.
 * @category validation
 * @since 0.1.0
 */
export const crossCheck = (durations: CertDurations): Result.Result<CertDurations, CertDurationsError> => {
  for (let i = 0; i + 1 < order.length; i++) {
    const longer = order[i] as Setting
    const shorter = order[i + 1] as Setting
    if (!Duration.isGreaterThan(durations[longer], durations[shorter])) {
      return Result.fail(
        new CertDurationsError({
          reason: new NotOrdered({
            longer: envVars[longer],
            shorter: envVars[shorter],
            message: `${describe(longer, durations[longer])} must be longer than ${describe(shorter, durations[shorter])}`
          })
        })
      )
    }
  }
  return Result.succeed(durations)
}

/**
 * Checks one setting against its range.
 * @category validation
 * @since 0.1.0
 */
export const checkRange = (
  setting: Setting,
  value: Duration.Duration
): Result.Result<Duration.Duration, CertDurationsError> => {
  const { min, max } = ranges[setting]
  if (Duration.isLessThan(value, min) || Duration.isGreaterThan(value, max)) {
    return Result.fail(
      new CertDurationsError({
        reason: new OutOfRange({
          variable: envVars[setting],
          value: GoDuration.format(value),
          message: `${describe(setting, value)} must be between ${GoDuration.format(min)} and ${GoDuration.format(max)}`
        })
      })
    )
  }
  return Result.succeed(value)
}

/**
 * Every range, then the cross-check.
 * @category validation
 * @since 0.1.0
 */
export const validate = (durations: CertDurations): Result.Result<CertDurations, CertDurationsError> => {
  for (const setting of order) {
    const checked = checkRange(setting, durations[setting])
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
  }
  return crossCheck(durations)
}

/** The raw env values; a missing or blank value means the default. @category models @since 0.1.0 */
export type RawCertDurations = { readonly [K in Setting]?: string | undefined }

/**
 * Parses the raw values (Go syntax), fills in defaults and validates.
 * @category constructors
 * @since 0.1.0
 */
export const fromStrings = (raw: RawCertDurations): Result.Result<CertDurations, CertDurationsError> => {
  const parsed: Partial<Record<Setting, Duration.Duration>> = {}
  for (const setting of order) {
    const text = raw[setting]?.trim() ?? ""
    if (text === "") {
      parsed[setting] = defaults[setting]
      continue
    }
    const value = GoDuration.parse(text)
    if (Option.isNone(value)) {
      return Result.fail(
        new CertDurationsError({
          reason: new InvalidSyntax({
            variable: envVars[setting],
            value: text,
            message: `${envVars[setting]} "${text}" is not a duration (use Go syntax such as "12h" or "90m")`
          })
        })
      )
    }
    parsed[setting] = value.value
  }
  return validate(parsed as CertDurations)
}

/**
 * The env values as a `Config` (each optional).
 * @category config
 * @since 0.1.0
 */
export const rawConfig: Config.Config<RawCertDurations> = Config.all({
  rootDuration: Config.String(envVars.rootDuration).pipe(Config.withDefault(undefined)),
  serverDuration: Config.String(envVars.serverDuration).pipe(Config.withDefault(undefined)),
  renewalThreshold: Config.String(envVars.renewalThreshold).pipe(Config.withDefault(undefined)),
  requeueAfter: Config.String(envVars.requeueAfter).pipe(Config.withDefault(undefined))
})

/**
 * Reads, parses and validates the durations from the current `ConfigProvider` (the environment by default).
 * @category config
 * @since 0.1.0
 */
export const load: Effect.Effect<CertDurations, CertDurationsError | Config.ConfigError> = Effect.gen(function* () {
  const raw = yield* rawConfig
  return yield* Effect.fromResult(fromStrings(raw))
})
