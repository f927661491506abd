/**
 * The liveness probe over real HTTP against a real CSI server on a unix socket: in process (the layer) and as
 * the `livenessprobe` subcommand.
 */
import { Context, Duration, Effect, Exit, Layer, Scope } from "effect"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as IdentityService from "../IdentityService.ts"
import * as LivenessProbe from "./LivenessProbe.ts"
import * as TestKit from "./SidecarTestKit.ts"

const dirs = TestKit.tempDirs()
afterEach(dirs.cleanup)

const healthz = async (port: number) => {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`)
  return { status: response.status, body: await response.text() }
}

/** Starts the probe layer on a free port; returns its port and a stop function. */
const startProbe = async (socketPath: string, probeTimeout: Duration.Input = "2 seconds") => {
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(
    Layer.buildWithScope(
      LivenessProbe.layer({
        csiAddress: `unix://${socketPath}`,
        port: 0,
        host: "127.0.0.1",
        probeTimeout: Duration.fromInputUnsafe(probeTimeout)
      }),
      scope
    )
  )
  return {
    port: Context.get(context, LivenessProbe.LivenessProbe).port,
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

describe("LivenessProbe", () => {
  it("answers 200 while the driver is healthy and 500 with the reason once it has stopped", async () => {
    const dir = dirs.make("lp-")
    const socketPath = path.join(dir, "csi.sock")
    const driver = await TestKit.startDriver(socketPath)
    const probe = await startProbe(socketPath)
    try {
      expect(await healthz(probe.port)).toEqual({ status: 200, body: "ok" })
      await driver.stop()
      const down = await healthz(probe.port)
      expect(down.status).toBe(500)
      expect(down.body).toMatch(/^Probe on unix:\/\/.*csi\.sock failed: /)
      // A driver that comes back is healthy again (each request dials afresh).
      const again = await TestKit.startDriver(socketPath)
      try {
        expect(await healthz(probe.port)).toEqual({ status: 200, body: "ok" })
      } finally {
        await again.stop()
      }
    } finally {
      await probe.stop()
      await driver.stop()
    }
  })

  it("answers 500 when the driver says it is not ready, and when it does not answer within the probe timeout", async () => {
    const dir = dirs.make("lp-")
    const notReady = await TestKit.startDriver(path.join(dir, "a.sock"), {
      ...IdentityService.make("0.0.0-test"),
      probe: Effect.succeed({ ready: { value: false } })
    })
    const hanging = await TestKit.startDriver(path.join(dir, "b.sock"), {
      ...IdentityService.make("0.0.0-test"),
      probe: Effect.never
    })
    const probeA = await startProbe(notReady.socketPath)
    const probeB = await startProbe(hanging.socketPath, "300 millis")
    try {
      expect(await healthz(probeA.port)).toEqual({ status: 500, body: "driver is not ready" })
      const started = Date.now()
      const slow = await healthz(probeB.port)
      expect(slow.status).toBe(500)
      expect(slow.body).toMatch(/deadline/i)
      expect(Date.now() - started).toBeLessThan(30_000)
    } finally {
      await probeA.stop()
      await probeB.stop()
      await notReady.stop()
      await hanging.stop()
    }
  }, 60_000)

  it("answers 404 for other paths", async () => {
    const dir = dirs.make("lp-")
    const probe = await startProbe(path.join(dir, "csi.sock"))
    try {
      expect((await fetch(`http://127.0.0.1:${probe.port}/livez`)).status).toBe(404)
    } finally {
      await probe.stop()
    }
  })
})

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

describe("livenessprobe command", () => {
  it("serves /healthz on --health-port: 200 with a healthy driver, 500 without; exit 0 on SIGTERM", async () => {
    const dir = dirs.make("lpc-")
    const socketPath = path.join(dir, "csi.sock")
    const driver = await TestKit.startDriver(socketPath)
    const port = await freePort()
    const proc = TestKit.run([
      "livenessprobe",
      `--csi-address=${socketPath}`,
      `--health-port=${port}`,
      "--probe-timeout=9s"
    ])
    try {
      await proc.waitFor("Liveness probe listening.")
      expect(await healthz(port)).toEqual({ status: 200, body: "ok" })
      await driver.stop()
      expect((await healthz(port)).status).toBe(500)
      proc.child.kill("SIGTERM")
      expect(await proc.exited).toBe(0)
    } finally {
      proc.child.kill("SIGKILL")
      await driver.stop()
    }
  }, 90_000)

  it("refuses a probe timeout that is not a Go duration with one line and exit code 1", async () => {
    const proc = TestKit.run(["livenessprobe", "--csi-address=/csi/csi.sock", "--probe-timeout=soon"])
    expect(await proc.exited).toBe(1)
    expect(proc.logs()).toEqual([
      expect.objectContaining({
        message: "Command failed.",
        annotations: expect.objectContaining({ error: expect.stringMatching(/--probe-timeout "soon"/) })
      })
    ])
  }, 90_000)
})
