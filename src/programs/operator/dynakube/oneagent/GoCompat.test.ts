import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import {
  atoi,
  compareBytes,
  fnv1Hash32,
  isIPv6Address,
  sanitizeArg,
  sortedKeys,
  truncateLabelValue
} from "./GoCompat.ts"
import {
  customImageVersion,
  hasWatchdogHealthcheck,
  isAtLeast,
  isProxyAsEnvDeprecated,
  supportsReadOnlyRootFs
} from "./AgentVersion.ts"
import { argumentMap, envMap, Priority } from "./PriorityMap.ts"
import { legacyHealthcheck, oneAgentHealthcheck, oneAgentProbes, watchdogHealthcheck } from "./Healthcheck.ts"

describe("GoCompat", () => {
  it("atoi: optional sign and digits only", () => {
    expect(atoi("3")).toBe(3)
    expect(atoi("+7")).toBe(7)
    expect(atoi("-2")).toBe(-2)
    expect(atoi("007")).toBe(7)
    for (const x of ["", "3.0", " 3", "3x", "0x10", "1e3", "99999999999999999999", undefined])
      expect(atoi(x)).toBeUndefined()
  })

  it("FNV-1 32 matches the reference vectors", () => {
    expect(fnv1Hash32("")).toBe("2166136261")
    expect(fnv1Hash32("a")).toBe("84696446") // 0x050c5d7e
    expect(fnv1Hash32("foobar")).toBe(String(0x31f0b262))
    expect(fnv1Hash32(new Uint8Array([0x61]))).toBe("84696446")
  })

  it("byte-order sorting differs from UTF-16 order beyond the BMP, like Go", () => {
    const astral = "\u{1F600}" // UTF-16 starts with 0xD83D, UTF-8 with 0xF0
    const highBmp = "\uFF21"
    expect([astral, highBmp].toSorted()).toStrictEqual([astral, highBmp])
    expect(sortedKeys({ [astral]: 1, [highBmp]: 2, a: 3 })).toStrictEqual(["a", highBmp, astral])
    expect(compareBytes("a", "b")).toBeLessThan(0)
  })

  it("isIPv6Address: IPv6 yes; IPv4, IPv4-mapped, zones and junk no", () => {
    expect(isIPv6Address("fd00::1")).toBe(true)
    expect(isIPv6Address("2001:db8::8a2e:370:7334")).toBe(true)
    expect(isIPv6Address("::1")).toBe(true)
    expect(isIPv6Address("10.0.0.1")).toBe(false)
    expect(isIPv6Address("::ffff:10.0.0.1")).toBe(false)
    expect(isIPv6Address("::ffff:a00:1")).toBe(false)
    expect(isIPv6Address("fe80::1%eth0")).toBe(false)
    expect(isIPv6Address("not-an-ip")).toBe(false)
    fc.assert(fc.property(fc.string(), (s) => typeof isIPv6Address(s) === "boolean"))
  })

  it("sanitizeArg and truncateLabelValue", () => {
    expect(sanitizeArg("a\nb\tc\rd\0e f")).toBe("abcde f")
    expect(truncateLabelValue("x".repeat(70))).toHaveLength(63)
    expect(truncateLabelValue("1.2.3")).toBe("1.2.3")
  })
})

describe("AgentVersion thresholds", () => {
  it("semantic comparison of the first three parts", () => {
    expect(isAtLeast("1.291.0.20240101-000000", "1.291")).toBe(true)
    expect(isAtLeast("1.290.99.20240101-000000", "1.291")).toBe(false)
    expect(isAtLeast("2.0.0", "1.291")).toBe(true)
    expect(isAtLeast("1.300", "1.291")).toBe(true)
    expect(isAtLeast("1.291.0-rc1", "1.291")).toBe(false)
    expect(isAtLeast("v1.291.0", "1.291")).toBe(true)
    expect(isAtLeast("01.291.0", "1.291")).toBeUndefined()
    expect(isAtLeast("latest", "1.291")).toBeUndefined()
  })

  it("read-only root FS from 1.291, unknown / custom / unreadable versions count as new", () => {
    expect(supportsReadOnlyRootFs("1.291.0.20240101-000000")).toBe(true)
    expect(supportsReadOnlyRootFs("1.289.0.20240101-000000")).toBe(false)
    for (const v of [undefined, "", customImageVersion, "garbage"]) expect(supportsReadOnlyRootFs(v)).toBe(true)
  })

  it("proxy as env deprecated from 1.273.0.0-0 (strict four-part form)", () => {
    expect(isProxyAsEnvDeprecated("1.273.0.20230101-000000")).toBe(true)
    expect(isProxyAsEnvDeprecated("1.272.9.20230101-000000")).toBe(false)
    expect(isProxyAsEnvDeprecated("1.273.0.0-0")).toBe(true)
    for (const v of [undefined, "", customImageVersion, "1.200"]) expect(isProxyAsEnvDeprecated(v)).toBe(true)
  })

  it("watchdog health check from 1.276; unreadable version gives no answer", () => {
    expect(hasWatchdogHealthcheck("1.276.0.20230101-000000")).toBe(true)
    expect(hasWatchdogHealthcheck("1.275.0.20230101-000000")).toBe(false)
    expect(hasWatchdogHealthcheck(customImageVersion)).toBe(true)
    expect(hasWatchdogHealthcheck("x.y")).toBeUndefined()
  })
})

describe("Healthcheck", () => {
  it("status health check per version, in Go's HealthConfig shape (nanoseconds)", () => {
    expect(oneAgentHealthcheck("1.300.0.20240101-000000")).toStrictEqual({
      Test: watchdogHealthcheck,
      Interval: 10_000_000_000,
      Timeout: 30_000_000_000,
      StartPeriod: 1_200_000_000_000,
      Retries: 3
    })
    expect(oneAgentHealthcheck("1.250.0.20220101-000000")?.Test).toStrictEqual(legacyHealthcheck)
    expect(oneAgentHealthcheck("nope")).toBeUndefined()
  })

  it("probes: readiness delay capped at 90 s, whole seconds, zero fields left out", () => {
    const probes = oneAgentProbes({ Test: ["x"], Interval: 2_500_000_000, StartPeriod: 30_000_000_000 }, false)
    expect(probes.readiness).toStrictEqual({
      exec: { command: ["x"] },
      initialDelaySeconds: 30,
      periodSeconds: 2,
      timeoutSeconds: undefined,
      successThreshold: 1,
      failureThreshold: undefined
    })
    expect(oneAgentProbes(undefined, false)).toStrictEqual({ readiness: undefined, liveness: undefined })
    expect(oneAgentProbes({ Test: "not a list", Retries: 1.5 }, true).liveness).toBeUndefined()
  })
})

describe("PriorityMap", () => {
  it("a higher priority replaces, equal keeps the first, repeatable keys collect distinct values by priority", () => {
    const args = argumentMap(["--tag"])
    args.set("--a", "default")
    args.setUserArgs(["--a=user", "--a=user2", "--tag=u1", "--tag=d", "--flag", "=novalue", ""], Priority.userArgs)
    args.set("--tag", "d")
    args.set("--a", "override", Priority.high)
    args.set("--tag", "low")
    expect(args.toArgs()).toStrictEqual(["--a=override", "--flag", "--tag=low", "--tag=u1", "--tag=d"])
  })

  it("an arg value keeps everything after its first '='", () => {
    const args = argumentMap([])
    args.setUserArgs(["--set-host-property=a=b=c"], 2)
    expect(args.toArgs()).toStrictEqual(["--set-host-property=a=b=c"])
  })

  it("env: sorted by name, first of equal priority wins", () => {
    const env = envMap()
    env.setAll(
      [
        { name: "B", value: "1" },
        { name: "A", value: "1" },
        { name: "B", value: "2" }
      ],
      Priority.high
    )
    env.set({ name: "A", value: "default" })
    expect(env.toEnv()).toStrictEqual([
      { name: "A", value: "1" },
      { name: "B", value: "1" }
    ])
  })
})
