import { assert, describe, it } from "@effect/vitest"
import { Duration, Option } from "effect"
import * as fc from "fast-check"
import * as GoDuration from "./GoDuration.ts"

const nanos = (text: string) => Option.getOrUndefined(GoDuration.parseNanos(text))

describe("GoDuration", () => {
  it("parses what Go's time.ParseDuration parses", () => {
    const cases: ReadonlyArray<readonly [string, bigint]> = [
      ["0", 0n],
      ["5s", 5_000_000_000n],
      ["30s", 30_000_000_000n],
      ["1478s", 1_478_000_000_000n],
      ["-5s", -5_000_000_000n],
      ["+5s", 5_000_000_000n],
      ["-0", 0n],
      ["5.0s", 5_000_000_000n],
      ["5.6s", 5_600_000_000n],
      ["5.s", 5_000_000_000n],
      [".5s", 500_000_000n],
      ["1.004s", 1_004_000_000n],
      ["100.00100s", 100_001_000_000n],
      ["10ns", 10n],
      ["11us", 11_000n],
      ["12µs", 12_000n],
      ["12μs", 12_000n],
      ["13ms", 13_000_000n],
      ["14s", 14_000_000_000n],
      ["15m", 900_000_000_000n],
      ["16h", 57_600_000_000_000n],
      ["3h30m", 12_600_000_000_000n],
      ["10.5s4m", 250_500_000_000n],
      ["-2m3.4s", -123_400_000_000n],
      ["1h2m3s4ms5us6ns", 3_723_004_005_006n],
      ["39h9m14.425s", 140_954_425_000_000n],
      ["52763797000ns", 52_763_797_000n],
      ["0.3333333333333333333h", 1_199_999_999_999n],
      ["9007199254740993ns", 9_007_199_254_740_993n],
      ["9223372036854775807ns", 9_223_372_036_854_775_807n],
      ["-9223372036854775808ns", -9_223_372_036_854_775_808n],
      ["8760h", 31_536_000_000_000_000n]
    ]
    for (const [text, expected] of cases) assert.strictEqual(nanos(text), expected, text)
  })

  it("rejects what Go rejects", () => {
    for (const text of [
      "",
      "3",
      "-",
      "s",
      ".",
      "-.",
      ".s",
      "+.s",
      "1d",
      "1 h",
      "1h ",
      "1.5.5h",
      "h1",
      "1e3s",
      "9223372036854775808ns",
      "9223372036854775807ns1ns",
      "-9223372036854775809ns"
    ]) {
      assert.isTrue(Option.isNone(GoDuration.parseNanos(text)), text)
    }
  })

  it("parse trims surrounding whitespace (env values often carry a newline)", () => {
    const parsed = GoDuration.parse(" 12h\n")
    assert.isTrue(Option.isSome(parsed) && Duration.equals(parsed.value, Duration.hours(12)))
    const exact = GoDuration.parse("1500ns")
    assert.isTrue(Option.isSome(exact) && Duration.toNanosUnsafe(exact.value) === 1500n)
  })

  it("formats like Go's Duration.String", () => {
    const cases: ReadonlyArray<readonly [bigint, string]> = [
      [0n, "0s"],
      [1n, "1ns"],
      [1_100n, "1.1µs"],
      [2_200_000n, "2.2ms"],
      [3_300_000_000n, "3.3s"],
      [240_000_000_000n, "4m0s"],
      [250_500_000_000n, "4m10.5s"],
      [18_000_000_000_000n, "5h0m0s"],
      [18_001_000_000_000n, "5h0m1s"],
      [31_536_000_000_000_000n, "8760h0m0s"],
      [-123_400_000_000n, "-2m3.4s"],
      [9_223_372_036_854_775_807n, "2562047h47m16.854775807s"]
    ]
    for (const [value, expected] of cases) assert.strictEqual(GoDuration.format(Duration.nanos(value)), expected)
  })

  it("parse(format(d)) = d for any int64 nanoseconds", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }), (value) => {
        const parsed = GoDuration.parseNanos(GoDuration.format(Duration.nanos(value)))
        return Option.isSome(parsed) && parsed.value === value
      })
    )
  })
})
