import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, References } from "effect"
import { spawnSync } from "node:child_process"
import * as Logging from "./Logging.ts"

describe("Logging", () => {
  it("parses LOG_LEVEL in any case, with the chart's and zap's spellings", () => {
    assert.strictEqual(Logging.parseLogLevel("debug"), "Debug")
    assert.strictEqual(Logging.parseLogLevel("DEBUG"), "Debug")
    assert.strictEqual(Logging.parseLogLevel(" Info "), "Info")
    assert.strictEqual(Logging.parseLogLevel("warning"), "Warn")
    assert.strictEqual(Logging.parseLogLevel("warn"), "Warn")
    assert.strictEqual(Logging.parseLogLevel("verbose"), undefined)
  })

  it.effect("the layer sets the minimum level from LOG_LEVEL", () =>
    Effect.gen(function* () {
      const level = yield* References.MinimumLogLevel
      assert.strictEqual(level, "Debug")
    }).pipe(
      Effect.provide(
        Logging.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { LOG_LEVEL: "debug" } }))))
      )
    )
  )

  it("an unknown LOG_LEVEL logs one warning naming the value and keeps info", { timeout: 60_000 }, () => {
    const script = `
      import { Effect, Layer } from "effect"
      import * as Logging from "./src/services/Logging.ts"
      Effect.runSync(Effect.logDebug("hidden").pipe(Effect.andThen(Effect.logInfo("shown")), Effect.provide(Logging.layer)))
    `
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, LOG_LEVEL: "verbose" }
    })
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { message: string; level: string })
    assert.deepStrictEqual(
      lines.map((l) => [l.level, l.message]),
      [
        ["WARN", "LOG_LEVEL names no log level; logging at info."],
        ["INFO", "shown"]
      ]
    )
  })
})
