import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit } from "effect"
import { spawnSync } from "node:child_process"
import { probe, StartupProbeError } from "./StartupProbeCommand.ts"

// RFC 6761: `.invalid` never resolves; with no reachable DNS server the lookup fails (or times out) all the same.
const unresolvable = "startup-probe-test.invalid"

const runProbe = (...args: Array<string>) =>
  spawnSync(process.execPath, ["src/main.ts", "startup-probe", ...args], { encoding: "utf8", timeout: 60_000 })

describe("probe", () => {
  it.effect("succeeds with the addresses of a name that resolves (localhost)", () =>
    Effect.gen(function* () {
      const addresses = yield* probe("localhost", Duration.seconds(5))
      expect(addresses.length).toBeGreaterThan(0)
      expect(addresses.some((a) => a === "127.0.0.1" || a === "::1")).toBe(true)
    })
  )

  it.live("fails with a typed error naming the host when the name does not resolve", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(probe(unresolvable, Duration.seconds(10)))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      const failure = error?._tag === "Fail" ? error.error : undefined
      expect(failure).toBeInstanceOf(StartupProbeError)
      expect(["NotResolved", "TimedOut"]).toContain((failure as StartupProbeError).reason)
      expect((failure as StartupProbeError).message).toContain(unresolvable)
    })
  )

  it.live("gives up after the timeout", () =>
    Effect.gen(function* () {
      // A resolver that never answers, like a DNS server that drops the query.
      const exit = yield* Effect.exit(
        probe("kubernetes.default.svc", Duration.millis(200), () => new Promise(() => {}))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("took longer than 200ms")
    })
  )
})

describe("dynatrace-operator startup-probe (process)", () => {
  it("exits 0 for a name that resolves, 1 with a one-line reason for one that does not or for a bad --timeout", () => {
    const ok = runProbe("--host", "localhost", "--timeout", "5")
    expect(ok.status, ok.stdout + ok.stderr).toBe(0)
    expect(ok.stdout).toBe("")

    const bad = runProbe("--host", unresolvable, "--timeout", "10")
    expect(bad.status).toBe(1)
    const lines = bad.stdout.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain("DNS service not ready")
    expect(lines[0]).toContain(unresolvable)

    const zero = runProbe("--timeout", "0")
    expect(zero.status).toBe(1)
    expect(zero.stdout).toContain("--timeout must be a positive number of seconds")
  })
})
