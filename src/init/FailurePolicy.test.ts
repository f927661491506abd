import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Logger } from "effect"
import { AgentFilesMissing } from "./AgentFiles.ts"
import * as FailurePolicy from "./FailurePolicy.ts"

const capture = () => {
  const lines: Array<Record<string, unknown>> = []
  const layer = Logger.layer([Logger.map(Logger.formatJson, (line) => void lines.push(JSON.parse(line)))])
  return { lines, layer }
}
const missing = new AgentFilesMissing({
  path: "/mnt/bin/agent/lib64/liboneagentproc.so",
  message: "The code module is not on the volume."
})

describe("FailurePolicy", () => {
  it("follows --suppress-error", () => {
    expect(FailurePolicy.fromSuppressError(true)).toBe("silent")
    expect(FailurePolicy.fromSuppressError(false)).toBe("fail")
  })

  it.effect("silent: a failure becomes one log line with the reason, and success", () => {
    const { lines, layer } = capture()
    return Effect.gen(function* () {
      const outcome = yield* Effect.fail(missing).pipe(FailurePolicy.apply("silent"))
      expect(outcome).toEqual({ _tag: "Suppressed", reason: "The code module is not on the volume." })
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({
        level: "ERROR",
        message: FailurePolicy.suppressedMessage,
        annotations: { reason: "The code module is not on the volume." }
      })
    }).pipe(Effect.provide(layer))
  })

  it.effect("silent: a defect is suppressed too (the pod must still start)", () => {
    const { lines, layer } = capture()
    return Effect.gen(function* () {
      const outcome = yield* Effect.die(new Error("bug")).pipe(FailurePolicy.apply("silent"))
      expect(outcome).toEqual({ _tag: "Suppressed", reason: "bug" })
      expect(lines).toHaveLength(1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("fail: the failure propagates unchanged and nothing is logged here", () => {
    const { lines, layer } = capture()
    return Effect.gen(function* () {
      const exit = yield* Effect.fail(missing).pipe(FailurePolicy.apply("fail"), Effect.exit)
      expect(exit).toEqual(Exit.fail(missing))
      expect(lines).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("success is Completed under both policies", () =>
    Effect.gen(function* () {
      expect(yield* Effect.succeed(1).pipe(FailurePolicy.apply("silent"))).toEqual({ _tag: "Completed", value: 1 })
      expect(yield* Effect.succeed(1).pipe(FailurePolicy.apply("fail"))).toEqual({ _tag: "Completed", value: 1 })
    })
  )

  it.effect("an interruption stays an interruption under silent", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.interrupt.pipe(FailurePolicy.apply("silent"), Effect.exit)
      expect(Exit.hasInterrupts(exit)).toBe(true)
    })
  )
})
