/**
 * Logging for every program: JSON lines on stdout (one object per line, as the original's zap encoder writes them).
 *
 * The minimum level comes from `LOG_LEVEL`: trace, debug, info, warn (or warning), error, fatal, all, none, in any
 * case — the chart writes `debug` as the original does. Default info; an unknown value keeps info and says so in
 * one warning line, instead of being ignored silently.
 * Secrets never reach a log line: tokens are carried as `Redacted` values, which format as `<redacted>`.
 */
import { Config, Effect, Layer, Logger, type LogLevel, References } from "effect"

const levels: Readonly<Record<string, LogLevel.LogLevel>> = {
  all: "All",
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  warning: "Warn",
  error: "Error",
  fatal: "Fatal",
  none: "None"
}

/** The level a `LOG_LEVEL` value names (case-insensitive), or `undefined` when it names none. */
export const parseLogLevel = (value: string): LogLevel.LogLevel | undefined => levels[value.trim().toLowerCase()]

/** JSON lines on stdout with the level from `LOG_LEVEL`. */
export const layer: Layer.Layer<never> = Layer.unwrap(
  Effect.gen(function* () {
    const raw = yield* Config.String("LOG_LEVEL").pipe(
      Config.withDefault("info"),
      Effect.orElseSucceed(() => "info")
    )
    const level = parseLogLevel(raw)
    const logger = Layer.mergeAll(
      Logger.layer([Logger.consoleJson]),
      Layer.succeed(References.MinimumLogLevel, level ?? "Info")
    )
    if (level !== undefined) return logger
    const warn = Effect.logWarning("LOG_LEVEL names no log level; logging at info.").pipe(
      Effect.annotateLogs({ value: raw, accepted: Object.keys(levels).join(",") })
    )
    return Layer.effectDiscard(warn).pipe(Layer.provideMerge(logger))
  })
)
