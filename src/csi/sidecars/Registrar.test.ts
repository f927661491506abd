/**
 * The registrar against a real CSI server and a client playing the kubelet, over unix sockets in a temp dir:
 * in process (the layer) and as the `csi-node-driver-registrar` subcommand.
 */
import * as grpc from "@grpc/grpc-js"
import { Cause, Context, Effect, Exit, Fiber, Layer, Scope } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as DriverClient from "./DriverClient.ts"
import * as Registrar from "./Registrar.ts"
import * as RegistrationProto from "./RegistrationProto.ts"
import { SidecarError } from "./SidecarError.ts"
import * as TestKit from "./SidecarTestKit.ts"

const dirs = TestKit.tempDirs()
afterEach(dirs.cleanup)

const kubeletEndpoint = "/var/lib/kubelet/plugins/csi.oneagent.dynatrace.com/csi.sock"

/** The kubelet's side: GetInfo and NotifyRegistrationStatus on the registration socket. */
const kubelet = (socketPath: string) => {
  const Registration = RegistrationProto.load()
  const client = new Registration(`unix://${socketPath}`, grpc.credentials.createInsecure())
  const call = <Res>(method: string, request: object) =>
    new Promise<Res>((resolve, reject) =>
      (client as unknown as Record<string, Function>)[method]!.call(
        client,
        request,
        (error: grpc.ServiceError | null, response: Res) => (error === null ? resolve(response) : reject(error))
      )
    )
  return {
    getInfo: () => call<RegistrationProto.PluginInfo>("GetInfo", {}),
    notify: (status: RegistrationProto.RegistrationStatus) => call<object>("NotifyRegistrationStatus", status),
    close: () => client.close()
  }
}

describe("Registrar", () => {
  it("answers GetInfo with the name the running driver reports and removes its socket when stopped", async () => {
    const dir = dirs.make("reg-")
    const driver = await TestKit.startDriver(path.join(dir, "csi.sock"))
    const scope = Effect.runSync(Scope.make())
    try {
      const name = await Effect.runPromise(DriverClient.getDriverName(driver.address))
      expect(name).toBe("csi.oneagent.dynatrace.com")
      const registrationDir = path.join(dir, "registration")
      const context = await Effect.runPromise(
        Layer.buildWithScope(
          Registrar.layer({
            driverName: name,
            pluginRegistrationPath: registrationDir,
            kubeletRegistrationPath: kubeletEndpoint
          }),
          scope
        )
      )
      const registrar = Context.get(context, Registrar.Registrar)
      expect(registrar.socketPath).toBe(path.join(registrationDir, "csi.oneagent.dynatrace.com-reg.sock"))
      expect(fs.statSync(registrar.socketPath).isSocket()).toBe(true)

      const client = kubelet(registrar.socketPath)
      try {
        expect(await client.getInfo()).toEqual({
          type: "CSIPlugin",
          name: "csi.oneagent.dynatrace.com",
          endpoint: kubeletEndpoint,
          supported_versions: ["1.0.0"]
        })
        // A successful registration does not end the registrar.
        const waiting = Effect.runFork(registrar.failed)
        expect(await client.notify({ plugin_registered: true, error: "" })).toEqual({})
        await new Promise((resolve) => setTimeout(resolve, 100))
        expect(waiting.pollUnsafe()).toBeUndefined()

        // A failed one does, with the kubelet's reason.
        expect(await client.notify({ plugin_registered: false, error: "version 1.0.0 not supported" })).toEqual({})
        const exit = await Effect.runPromise(Fiber.await(waiting))
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        expect(error).toBeInstanceOf(SidecarError)
        expect(error).toMatchObject({ reason: "RegistrationFailed" })
        expect((error as SidecarError).message).toContain("version 1.0.0 not supported")
      } finally {
        client.close()
      }
      await Effect.runPromise(Scope.close(scope, Exit.void))
      expect(fs.existsSync(registrar.socketPath)).toBe(false)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await driver.stop()
    }
  })

  it("replaces a stale socket but refuses to delete a file that is not a socket", async () => {
    const dir = dirs.make("reg-")
    const socketPath = Registrar.socketPathOf(dir, "csi.oneagent.dynatrace.com")
    // A socket left behind by a predecessor (still bound here, which a crashed process would not even be).
    const stale = net.createServer()
    await new Promise<void>((resolve) => stale.listen(socketPath, resolve))
    const options = {
      driverName: "csi.oneagent.dynatrace.com",
      pluginRegistrationPath: dir,
      kubeletRegistrationPath: kubeletEndpoint
    }
    try {
      const scope = Effect.runSync(Scope.make())
      await Effect.runPromise(Layer.buildWithScope(Registrar.layer(options), scope))
      const client = kubelet(socketPath)
      expect((await client.getInfo()).name).toBe("csi.oneagent.dynatrace.com")
      client.close()
      await Effect.runPromise(Scope.close(scope, Exit.void))
    } finally {
      stale.close()
    }

    fs.writeFileSync(socketPath, "not a socket")
    const exit = await Effect.runPromiseExit(Effect.scoped(Layer.build(Registrar.layer(options))))
    expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ reason: "Listen" })
    expect(fs.readFileSync(socketPath, "utf8")).toBe("not a socket")
  })

  it("refuses a relative kubelet registration path and a driver name that cannot name a file", async () => {
    const dir = dirs.make("reg-")
    const build = (options: Registrar.Options) =>
      Effect.runPromiseExit(Effect.scoped(Layer.build(Registrar.layer(options))))
    const relative = await build({ driverName: "d", pluginRegistrationPath: dir, kubeletRegistrationPath: "csi.sock" })
    expect(Exit.isFailure(relative) && Cause.squash(relative.cause)).toMatchObject({ reason: "InvalidFlag" })
    const slash = await build({ driverName: "a/b", pluginRegistrationPath: dir, kubeletRegistrationPath: "/x.sock" })
    expect(Exit.isFailure(slash) && Cause.squash(slash.cause)).toMatchObject({ reason: "InvalidFlag" })
  })
})

describe("csi-node-driver-registrar command", () => {
  const start = (dir: string) =>
    TestKit.run([
      "csi-node-driver-registrar",
      `--csi-address=${path.join(dir, "csi.sock")}`,
      `--plugin-registration-path=${path.join(dir, "registration")}`,
      `--kubelet-registration-path=${kubeletEndpoint}`
    ])
  const regSocket = (dir: string) => path.join(dir, "registration", "csi.oneagent.dynatrace.com-reg.sock")

  it("waits for the driver, registers it, and exits 1 when the kubelet reports a failed registration", async () => {
    const dir = dirs.make("regc-")
    const proc = start(dir)
    let driver: TestKit.Driver | undefined
    try {
      // The driver comes up after the registrar: the registrar keeps asking.
      await proc.waitFor("Waiting for the CSI driver.")
      driver = await TestKit.startDriver(path.join(dir, "csi.sock"))
      await proc.waitFor("Registration server listening.")
      const client = kubelet(regSocket(dir))
      try {
        expect(await client.getInfo()).toMatchObject({ name: "csi.oneagent.dynatrace.com", endpoint: kubeletEndpoint })
        await client.notify({ plugin_registered: false, error: "plugin name already registered" })
      } finally {
        client.close()
      }
      expect(await proc.exited).toBe(1)
    } finally {
      proc.child.kill("SIGKILL")
      await driver?.stop()
    }
    expect(fs.existsSync(regSocket(dir))).toBe(false)
    const failure = proc.logs().find((line) => line.message === "Command failed.")
    expect(failure?.annotations?.error).toMatch(
      /did not register csi\.oneagent\.dynatrace\.com: plugin name already registered/
    )
  }, 90_000)

  it("stops on SIGTERM with exit code 0 and removes its socket", async () => {
    const dir = dirs.make("regc-")
    const driver = await TestKit.startDriver(path.join(dir, "csi.sock"))
    const proc = start(dir)
    try {
      await proc.waitFor("Registration server listening.")
      expect(fs.statSync(regSocket(dir)).isSocket()).toBe(true)
      proc.child.kill("SIGTERM")
      expect(await proc.exited).toBe(0)
      expect(fs.existsSync(regSocket(dir))).toBe(false)
      expect(proc.logs().map((l) => l.message)).toContain("Registration server stopped.")
    } finally {
      proc.child.kill("SIGKILL")
      await driver.stop()
    }
  }, 90_000)
})
