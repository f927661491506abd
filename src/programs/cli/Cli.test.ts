import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit, Logger } from "effect"
import { spawnSync } from "node:child_process"
import * as Failure from "./Failure.ts"

const runCli = (...args: Array<string>) =>
  spawnSync(process.execPath, ["src/main.ts", ...args], { encoding: "utf8", timeout: 30_000 })

class KubeconfigUnreadable extends Data.TaggedError("KubeconfigUnreadable")<{ readonly message: string }> {}

describe("dynatrace-operator CLI", () => {
  // Each spawns a Node process that loads every subcommand: seconds on a loaded two-core machine.
  it("--help describes the binary and exits 0", { timeout: 60_000 }, () => {
    const result = runCli("--help")
    expect(result.status).toBe(0)
    expect(result.stdout).toContain("dynatrace-operator <subcommand>")
    expect(result.stdout).toContain("SUBCOMMANDS")
  })

  it("an unknown subcommand is refused with a clear message and a non-zero exit", { timeout: 60_000 }, () => {
    const result = runCli("no-such-component")
    expect(result.status).not.toBe(0)
    expect(result.stdout + result.stderr).toContain('Unknown subcommand "no-such-component"')
    expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })
})

describe("Failure", () => {
  it("describes a typed failure by its message only", () => {
    const cause = Cause.fail(new KubeconfigUnreadable({ message: "kubeconfig /x is not readable" }))
    expect(Failure.describe(cause)).toBe("kubeconfig /x is not readable")
  })

  it("describes a defect by its message, without a stack", () => {
    expect(Failure.describe(Cause.die(new Error("boom")))).toBe("boom")
  })

  it.effect("exits 0 on interruption, 1 on failure, 0 on success", () =>
    Effect.sync(() => {
      const codes: Array<number> = []
      const record = (code: number) => void codes.push(code)
      Failure.teardown(Exit.interrupt(1), record)
      Failure.teardown(Exit.fail(new KubeconfigUnreadable({ message: "x" })), record)
      Failure.teardown(Exit.succeed(1), record)
      expect(codes).toEqual([0, 1, 0])
    })
  )

  it.effect("reportFailure logs one line with the reason and keeps the failure", () => {
    const lines: Array<string> = []
    const capture = Logger.map(Logger.formatJson, (line) => void lines.push(line))
    return Effect.gen(function* () {
      const exit = yield* Effect.exit(Failure.reportFailure(Effect.fail(new KubeconfigUnreadable({ message: "bad" }))))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(lines).toHaveLength(1)
      expect(JSON.parse(lines[0]!)).toMatchObject({ message: "Command failed.", annotations: { error: "bad" } })
    }).pipe(Effect.provide(Logger.layer([capture])))
  })
})
