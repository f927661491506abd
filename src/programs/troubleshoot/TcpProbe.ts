/**
 * Whether a TCP connection to `host:port` can be opened from where troubleshoot runs (the proxy check). The socket
 * is closed as soon as it connects; a refused, unresolvable or silent endpoint is a `Failed` lookup with the
 * reason, never an error.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import * as net from "node:net"
import * as Check from "./Check.ts"

/** @category probes @since 0.1.0 */
export const connect = (
  host: string,
  port: number,
  timeout: Duration.Input = "5 seconds"
): Effect.Effect<Check.Lookup<true>> =>
  Effect.callback<Check.Lookup<true>>((resume) => {
    const socket = net.connect({ host, port })
    const done = (result: Check.Lookup<true>) => {
      socket.destroy()
      resume(Effect.succeed(result))
    }
    socket.setTimeout(Duration.toMillis(Duration.fromInputUnsafe(timeout)))
    socket.once("connect", () => done(Check.found(true)))
    socket.once("timeout", () =>
      done(Check.failed(`no connection within ${Duration.format(Duration.fromInputUnsafe(timeout))}`))
    )
    socket.once("error", (error: NodeJS.ErrnoException) => done(Check.failed(error.code ?? error.message)))
    return Effect.sync(() => socket.destroy())
  })
