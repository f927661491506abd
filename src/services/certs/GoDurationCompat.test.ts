import { Duration, Option } from "effect"
import { describe, expect, it } from "vitest"
import * as GoDuration from "./GoDuration.ts"

const millis = (text: string) => Option.map(GoDuration.parse(text), Duration.toMillis)

describe("GoDuration as the webhook writes CSI volume attributes", () => {
  it("parses Go durations as the webhook writes them", () => {
    expect(millis("10m0s")).toEqual(Option.some(600_000))
    expect(millis("10m")).toEqual(Option.some(600_000))
    expect(millis("1h30m")).toEqual(Option.some(5_400_000))
    expect(millis("1.5h")).toEqual(Option.some(5_400_000))
    expect(millis("300ms")).toEqual(Option.some(300))
    expect(millis("2s500ms")).toEqual(Option.some(2500))
    expect(millis("1500us")).toEqual(Option.some(1.5))
    expect(millis("1500µs")).toEqual(Option.some(1.5))
    expect(millis("0")).toEqual(Option.some(0))
    expect(millis("-5m")).toEqual(Option.some(-300_000))
    expect(millis(".5s")).toEqual(Option.some(500))
  })

  it("refuses what Go refuses", () => {
    for (const bad of ["", "10", "m", "10 m", "ten minutes", "10m garbage", "1d", "+", "5", "1h-3m"]) {
      expect(GoDuration.parse(bad), bad).toEqual(Option.none())
    }
  })

  it("formats like Go", () => {
    expect(GoDuration.format(Duration.minutes(10))).toBe("10m0s")
    expect(GoDuration.format(Duration.hours(1))).toBe("1h0m0s")
    expect(GoDuration.format(Duration.millis(1500))).toBe("1.5s")
    expect(GoDuration.format(Duration.millis(300))).toBe("300ms")
    expect(GoDuration.format(Duration.zero)).toBe("0s")
    expect(GoDuration.format(Duration.seconds(3725))).toBe("1h2m5s")
  })
})
