#!/usr/bin/env node
/**
 * Entry point of the single `dynatrace-operator` binary. Every subcommand is an Effect program; this file only
 * provides the platform (Node services, JSON logs) and runs the CLI. SIGTERM/SIGINT interrupt the program, which
 * runs every finalizer (servers close, watches stop, leases are released) before the process exits with 0.
 * A failure is reported as one JSON log line (see Failure.ts) and exits with 1.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as Cli from "./programs/cli/Cli.ts"
import * as Failure from "./programs/cli/Failure.ts"
import * as Logging from "./services/Logging.ts"

Cli.run(process.argv.slice(2)).pipe(
  Failure.reportFailure,
  Effect.provide(Layer.mergeAll(NodeServices.layer, Logging.layer)),
  NodeRuntime.runMain({ disableErrorReporting: true, teardown: Failure.teardown })
)
