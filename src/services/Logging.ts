/**
 * Logging: one JSON object per line on stdout, the format every component of the operator uses, so that
 * `kubectl logs` output can be filtered with jq and collected as-is.
 *
 * The minimum level comes from `LOG_LEVEL` (Trace, Debug, Info, Warn, Error; default Info).
 * Secrets never reach a log line: tokens are carried as `Redacted` values, which format as `<redacted>`.
 */
import { Config, Effect, Layer, Logger, References } from "effect"

/** The log level names `LOG_LEVEL` accepts. */
export const LogLevelConfig = Config.Literals(
  ["All", "Trace", "Debug", "Info", "Warn", "Error", "Fatal", "None"],
  "LOG_LEVEL"
).pipe(Config.withDefault("Info"))

/** JSON lines on stdout with the level from `LOG_LEVEL`. */
export const layer: Layer.Layer<never> = Layer.unwrap(
  Effect.gen(function* () {
    const level = yield* LogLevelConfig.pipe(Effect.orElseSucceed(() => "Info" as const))
    return Layer.mergeAll(Logger.layer([Logger.consoleJson]), Layer.succeed(References.MinimumLogLevel, level))
  })
)
