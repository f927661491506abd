import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, FileSystem, Layer, Option, Path, Stdio, Terminal } from "effect"
import { Command } from "effect/cli"
import { ChildProcessSpawner } from "effect/process"
import * as CsiFlags from "./CsiFlags.ts"

// What runWith needs besides the flags; none of it is used by these commands.
const cliEnvironment = Layer.mergeAll(
  FileSystem.layerNoop({}),
  Path.layer,
  Stdio.layerTest({}),
  Layer.succeed(
    Terminal.Terminal,
    Terminal.make({
      columns: Effect.succeed(80),
      rows: Effect.succeed(24),
      size: Effect.die("unused"),
      readInput: Effect.die("unused"),
      readLine: Effect.die("unused"),
      display: () => Effect.void
    })
  ),
  Layer.succeed(
    ChildProcessSpawner.ChildProcessSpawner,
    ChildProcessSpawner.make(() => Effect.die("unused"))
  )
)

const flags = {
  serverDataDir: CsiFlags.dataDir("CSI_SERVER_DATA_DIR"),
  metrics: CsiFlags.metricsBindAddress(":8090"),
  endpoint: CsiFlags.endpoint,
  csiAddress: CsiFlags.csiAddress
}

/** Parses `args` with `env` as the environment and returns what the command saw. */
const parse = <A>(config: Command.Command.Config, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function* () {
    let seen: A | undefined
    const command = Command.make("probe", config, (values) => Effect.sync(() => void (seen = values as A)))
    yield* Command.runWith(command, { version: "test" })(args)
    return seen
  }).pipe(Effect.provide(Layer.mergeAll(cliEnvironment, ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))

describe("shared CSI flags", () => {
  it.effect("defaults as the original's containers use them", () =>
    Effect.gen(function* () {
      const seen = yield* parse<Record<string, string>>(flags, [])
      assert.deepStrictEqual(seen, {
        serverDataDir: "/data",
        metrics: ":8090",
        endpoint: "unix:///tmp/csi.sock",
        csiAddress: "/csi/csi.sock"
      })
    })
  )

  it.effect("env fallbacks apply only where a command names them, and a flag beats its env", () =>
    Effect.gen(function* () {
      const env = {
        CSI_SERVER_DATA_DIR: "/srv",
        METRICS_BIND_ADDRESS: ":9999",
        CSI_ENDPOINT: "unix:///x.sock",
        KUBE_NODE_NAME: "node-a"
      }
      const fromEnv = yield* parse<Record<string, string>>({ ...flags, node: CsiFlags.nodeId("test") }, [], env)
      assert.deepStrictEqual(fromEnv, {
        serverDataDir: "/srv",
        metrics: ":9999",
        endpoint: "unix:///x.sock",
        csiAddress: "/csi/csi.sock",
        node: "node-a"
      })
      // csi-init's --data-dir has no env fallback.
      const plain = yield* parse<Record<string, string>>({ dataDir: CsiFlags.dataDir() }, [], env)
      assert.deepStrictEqual(plain, { dataDir: "/data" })
      const fromFlags = yield* parse<Record<string, string>>(
        flags,
        ["--data-dir=/flag", "--metrics-bind-address=0", "--endpoint=unix:///y.sock", "--csi-address=/s.sock"],
        env
      )
      assert.deepStrictEqual(fromFlags, {
        serverDataDir: "/flag",
        metrics: "0",
        endpoint: "unix:///y.sock",
        csiAddress: "/s.sock"
      })
    })
  )

  it.effect("compatibility flags parse and are optional", () =>
    Effect.gen(function* () {
      const config = { nodeId: CsiFlags.unused("node-id"), endpoint: CsiFlags.unused("endpoint") }
      const none = yield* parse<Record<string, Option.Option<string>>>(config, [])
      assert.deepStrictEqual(none, { nodeId: Option.none(), endpoint: Option.none() })
      const given = yield* parse<Record<string, Option.Option<string>>>(config, ["--node-id=n", "--endpoint=e"])
      assert.deepStrictEqual(given, { nodeId: Option.some("n"), endpoint: Option.some("e") })
    })
  )
})
