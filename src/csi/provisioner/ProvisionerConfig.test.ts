import { Duration, Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as ProvisionerConfig from "./ProvisionerConfig.ts"

const raw = (overrides: Partial<ProvisionerConfig.RawConfig> = {}): ProvisionerConfig.RawConfig => ({
  dataDir: "/data",
  namespace: "dynatrace",
  healthProbeBindAddress: ":10090",
  metricsBindAddress: ":8090",
  version: "1.2.3",
  ...overrides
})

const parse = (overrides: Partial<ProvisionerConfig.RawConfig> = {}) =>
  Effect.runSync(Effect.result(ProvisionerConfig.fromRaw(raw(overrides))))

const message = (overrides: Partial<ProvisionerConfig.RawConfig>) => {
  const result = parse(overrides)
  return result._tag === "Failure" ? result.failure.message : "accepted"
}

describe("ProvisionerConfig.fromRaw", () => {
  it("has the spec's defaults (ports 10090/8090, GC every 30 min, 15 min downloads, CSI on)", () => {
    const result = parse()
    expect(result._tag).toBe("Success")
    if (result._tag !== "Success") return
    const config = result.success
    expect(config.dataDir.root).toBe("/data")
    expect(config.healthProbeBindAddress).toEqual({ host: "0.0.0.0", port: 10090 })
    expect(config.metricsBindAddress).toEqual({ host: "0.0.0.0", port: 8090 })
    expect(Duration.toMinutes(config.cleanupPeriod)).toBe(30)
    expect(Duration.toMinutes(config.downloadTimeout)).toBe(15)
    expect(config.csiDriverEnabled).toBe(true)
    expect(config.extractSymlinks).toBe(false)
    expect(config.userAgent).toBe("dynatrace-operator/1.2.3 provisioner")
    expect(Duration.toMinutes(config.requeues.installed)).toBe(5)
    expect(Duration.toMinutes(config.requeues.idle)).toBe(30)
    expect(Duration.toMinutes(config.requeues.short)).toBe(1)
  })

  it("reads CLEANUP_PERIOD, the download deadline, image links and migration mode", () => {
    const result = parse({
      cleanupPeriod: "5m30s",
      connectionTimeout: "2m",
      extractCodeModulesImageLinks: "TRUE",
      modulesJson: '{"csiDriver": false}',
      healthProbeBindAddress: "0",
      metricsBindAddress: "127.0.0.1:9999"
    })
    expect(result._tag).toBe("Success")
    if (result._tag !== "Success") return
    expect(Duration.toSeconds(result.success.cleanupPeriod)).toBe(330)
    expect(Duration.toMinutes(result.success.downloadTimeout)).toBe(2)
    expect(result.success.extractSymlinks).toBe(true)
    expect(result.success.csiDriverEnabled).toBe(false)
    expect(result.success.healthProbeBindAddress).toBeUndefined()
    expect(result.success.metricsBindAddress).toEqual({ host: "127.0.0.1", port: 9999 })
  })

  it("refuses what cannot work, naming the setting", () => {
    expect(message({ cleanupPeriod: "soon" })).toMatch(/CLEANUP_PERIOD/)
    expect(message({ cleanupPeriod: "0s" })).toMatch(/CLEANUP_PERIOD/)
    expect(message({ dataDir: "relative/data" })).toMatch(/absolute/)
    expect(message({ dataDir: "/data,upperdir=/x" })).toMatch(/overlayfs/)
    expect(message({ namespace: " " })).toMatch(/namespace/)
    expect(message({ metricsBindAddress: "nope" })).toMatch(/--metrics-bind-address/)
  })

  it("falls back to 15 min for an out-of-range download deadline (as the original)", () => {
    const result = parse({ connectionTimeout: "2h" })
    expect(result._tag === "Success" && Duration.toMinutes(result.success.downloadTimeout)).toBe(15)
  })
})
