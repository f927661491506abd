/**
 * The project's subcommands as child processes (`node src/main.ts <subcommand>`), the way the pod walk and the demo
 * run them: stdout and stderr (JSON log lines) go to `<logDir>/<name>.log`, each child is its own process group so
 * `stop()` reaches anything it spawned, and `stop()` is SIGTERM, then SIGKILL after a grace period.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"

/** Repository root. */
export const repoRoot = path.resolve(import.meta.dirname, "../..")
/** The Node 24 binary running this program (the machine's default node cannot load the stack). */
export const nodeBinary = process.execPath
/** The CLI entry point. */
export const mainTs = path.join(repoRoot, "src/main.ts")

/** A running subcommand. */
export interface Component {
  readonly name: string
  readonly child: ChildProcess
  readonly logFile: string
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>
  /** Whether it is still running. */
  readonly running: () => boolean
  /** SIGTERM to the process group, SIGKILL after `graceMs` (default 5 s); resolves when it has exited. */
  readonly stop: (graceMs?: number) => Promise<void>
}

/** Every component started and not yet stopped, so one call can stop them all (signal handlers, `finally`). */
const live = new Set<Component>()
const everStarted: Array<Component> = []

/** Every component started by this process, running or not (for failure reports). */
export const startedComponents = (): ReadonlyArray<Component> => everStarted

/**
 * Starts `node src/main.ts <args>` with `env` added to this process's environment.
 */
export const startComponent = (
  name: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Readonly<Record<string, string>>; readonly logDir: string }
): Component => {
  const logFile = path.join(options.logDir, `${name}.log`)
  const out = fs.openSync(logFile, "a")
  const child = spawn(nodeBinary, [mainTs, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", out, out],
    detached: true
  })
  fs.closeSync(out)
  let exitValue: number | string | undefined
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      exitValue = code ?? signal ?? "unknown"
      resolve(exitValue)
    })
    child.once("error", (error) => {
      exitValue = `spawn error: ${error.message}`
      resolve(exitValue)
    })
  })
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return
    try {
      process.kill(-child.pid, signal)
    } catch {
      // already gone
    }
  }
  const component: Component = {
    name,
    child,
    logFile,
    exited,
    running: () => exitValue === undefined,
    stop: async (graceMs = 5000) => {
      live.delete(component)
      if (exitValue !== undefined) return
      signalGroup("SIGTERM")
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs)
      await exited
      clearTimeout(timer)
      // Anything the child left in its group.
      signalGroup("SIGKILL")
    }
  }
  live.add(component)
  everStarted.push(component)
  return component
}

/** What a one-shot subcommand printed, and how it ended. */
export interface CommandResult {
  /** the exit code, the signal's name, or `spawn error: …` */
  readonly code: number | string
  readonly stdout: string
  readonly stderr: string
  /** stdout and stderr as they arrived */
  readonly output: string
}

/**
 * Runs `node src/main.ts <args>` to completion (the bootstrap of the pod walk, `explain` in the demo), collecting
 * its output. `env` is the whole environment: a pod's container gets only what its spec gives it.
 */
export const runCommand = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>
): Promise<CommandResult> =>
  new Promise((resolve) => {
    const child = spawn(nodeBinary, [mainTs, ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] })
    let [stdout, stderr, output] = ["", "", ""]
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      output += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      output += chunk.toString()
    })
    child.once("error", (error) => resolve({ code: `spawn error: ${error.message}`, stdout, stderr, output }))
    child.once("close", (code, signal) => resolve({ code: code ?? signal ?? "unknown", stdout, stderr, output }))
  })

/** Stops every component still running (in reverse start order). */
export const stopAll = async (): Promise<void> => {
  for (const component of [...live].toReversed()) await component.stop()
}

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/**
 * Retries `check` until it returns a value other than `undefined` (errors count as "not yet"), or fails after
 * `timeoutMs` with `what` and the last error. A component that exits meanwhile fails it at once.
 */
export const waitFor = async <A>(
  what: string,
  check: () => Promise<A | undefined>,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number; readonly component?: Component } = {}
): Promise<A> => {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  let last: unknown
  for (;;) {
    if (options.component !== undefined && !options.component.running()) {
      throw new Error(
        `${options.component.name} exited (${await options.component.exited}) while waiting for ${what}; see ${options.component.logFile}`
      )
    }
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : ""
      throw new Error(`timed out waiting for ${what}${reason}`)
    }
    await sleep(options.intervalMs ?? 250)
  }
}

/** Last `n` lines of a log file (for error messages). */
export const tail = (file: string, n = 10): string => {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-n).join("\n")
  } catch {
    return ""
  }
}
