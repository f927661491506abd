/**
 * Test helpers for the sidecars: a real CSI server (the driver's own `CsiServer` and `IdentityService`) on a unix
 * socket in a temporary directory, started and stopped from plain async tests, and the subcommands as processes.
 * The Node service is not needed by any sidecar, so it is a mock that fails loudly if called.
 *
 * @since 0.1.0
 */
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as CsiServer from "../CsiServer.ts"
import * as IdentityService from "../IdentityService.ts"
import { NodeService } from "../NodeService.ts"

/** A running driver. @category models @since 0.1.0 */
export interface Driver {
  readonly socketPath: string
  readonly address: string
  readonly stop: () => Promise<void>
}

/**
 * Starts a CSI server on `socketPath` with `identity` (the driver's real Identity service by default).
 *
 * @category constructors
 * @since 0.1.0
 */
export const startDriver = async (
  socketPath: string,
  identity: IdentityService.IdentityService["Service"] = IdentityService.make("0.0.0-test")
): Promise<Driver> => {
  const scope = Effect.runSync(Scope.make())
  const layer = CsiServer.layer({ endpoint: socketPath, shutdownTimeout: "200 millis" }).pipe(
    Layer.provide(Layer.succeed(IdentityService.IdentityService, identity)),
    Layer.provide(Layer.mock(NodeService, {}))
  )
  const context = await Effect.runPromise(
    Layer.buildWithScope(layer, scope).pipe(Effect.provide(Layer.succeed(Scope.Scope, scope)))
  )
  const server = Context.get(context, CsiServer.CsiServer)
  return {
    socketPath: server.socketPath,
    address: server.address,
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** A temporary directory, removed by `cleanup`. @category constructors @since 0.1.0 */
export const tempDirs = () => {
  const dirs: Array<string> = []
  return {
    make: (prefix: string) => {
      // Short paths: a unix socket path must stay under ~107 bytes.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
      dirs.push(dir)
      return dir
    },
    cleanup: () => {
      for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A subcommand running as a process, with its output collected. @category models @since 0.1.0 */
export interface Process {
  readonly child: ChildProcessWithoutNullStreams
  readonly output: () => string
  readonly exited: Promise<number | null>
  /** Waits until the output contains `text`. */
  readonly waitFor: (text: string, timeoutMs?: number) => Promise<void>
  /** The JSON log lines. */
  readonly logs: () => ReadonlyArray<{
    readonly message: string
    readonly level: string
    readonly annotations?: Record<string, unknown>
  }>
}

/**
 * Runs `node src/main.ts <args>` from the repository root.
 *
 * @category constructors
 * @since 0.1.0
 */
export const run = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env): Process => {
  const child = spawn(process.execPath, ["src/main.ts", ...args], { env, stdio: ["pipe", "pipe", "pipe"] })
  child.stdin.end()
  let output = ""
  child.stdout.on("data", (chunk) => (output += chunk))
  child.stderr.on("data", (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  let done = false
  void exited.then(() => (done = true))
  return {
    child,
    output: () => output,
    exited,
    waitFor: async (text, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs
      while (!output.includes(text)) {
        if (done) throw new Error(`the process exited before printing ${JSON.stringify(text)}:\n${output}`)
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms:\n${output}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    logs: () =>
      output
        .trim()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line))
  }
}
