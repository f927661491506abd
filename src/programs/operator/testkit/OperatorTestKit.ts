/**
 * Test support for the operator's integration tests and benchmarks (not shipped code): installing the CRD,
 * building DynaKubes and token secrets, running the operator in-process (sharing its KubeClient so tests can read
 * `requestStats`) or as a child process (`node src/main.ts operator`, for kill -9 and leader-election tests), and
 * waiting for conditions.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Fiber, Layer, Metric, type Scope } from "effect"
import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { dynaKubeCrd } from "../../../schemas/Crds.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Operator from "../Operator.ts"
import * as Controller from "../runtime/Controller.ts"
import * as OperatorConfig from "../OperatorConfig.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, "../../../..")

/** A unique, DNS-safe name. */
export const uniqueName = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 60)

/** Installs (or updates) the DynaKube CRD without conversion webhook and waits until it is established. */
export const installCrd = Effect.gen(function* () {
  const kube = yield* KubeClient
  const crd = dynaKubeCrd({ conversion: "None" }) as KubeObject
  yield* kube.apply(Resources.CustomResourceDefinition, crd, { force: true, fieldManager: "operator-tests" })
  yield* waitUntil(
    "the DynaKube CRD is established",
    Effect.map(
      kube.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
        Resources.CustomResourceDefinition,
        "dynakubes.dynatrace.com"
      ),
      (c) => c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True") === true
    ),
    "60 seconds"
  )
  // The discovery of a new CRD takes a moment after Established on a loaded machine.
  yield* waitUntil(
    "DynaKubes can be listed",
    kube.list(Resources.DynaKube, { namespace: "default", limit: 1 }).pipe(
      Effect.as(true),
      Effect.orElseSucceed(() => false)
    ),
    "60 seconds"
  )
})

/** Creates a namespace (the operator namespace of one test). */
export const createNamespace = (name: string, labels: Readonly<Record<string, string>> = {}) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    yield* kube.create(Resources.Namespace, { metadata: { name, labels } })
  })

/** Deletes a namespace, not waiting. */
export const deleteNamespace = (name: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    yield* kube.delete(Resources.Namespace, name).pipe(Effect.ignore)
  })

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

/** The token secret of a DynaKube. */
export const tokenSecret = (namespace: string, name: string, tokens: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    yield* kube.apply(
      Resources.Secret,
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace },
        type: "Opaque",
        data: Object.fromEntries(Object.entries(tokens).map(([k, v]) => [k, b64(v)]))
      } as KubeObject,
      { force: true, fieldManager: "operator-tests" }
    )
  })

export interface DynaKubeJson extends KubeObject {
  readonly spec: Record<string, unknown>
  readonly status?: {
    readonly phase?: string
    readonly conditions?: ReadonlyArray<{
      readonly type: string
      readonly status: string
      readonly reason: string
      readonly message: string
      readonly lastTransitionTime: string
      readonly observedGeneration?: number
    }>
    readonly [key: string]: unknown
  }
}

/** Creates or replaces (apply) a DynaKube. */
export const applyDynaKube = (
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  annotations: Readonly<Record<string, string>> = {}
) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    return yield* kube.apply<DynaKubeJson>(
      Resources.DynaKube,
      {
        apiVersion: "dynatrace.com/v1beta6",
        kind: "DynaKube",
        metadata: { name, namespace, annotations },
        spec
      },
      { force: true, fieldManager: "operator-tests" }
    )
  })

export const getDynaKube = (namespace: string, name: string) =>
  Effect.gen(function* () {
    return yield* (yield* KubeClient).get<DynaKubeJson>(Resources.DynaKube, name, { namespace })
  })

/** The condition of `type` of a DynaKube. */
export const conditionOf = (dk: DynaKubeJson, type: string) => dk.status?.conditions?.find((c) => c.type === type)

/** Polls `check` until it yields true (errors count as false) or `timeout` passes (then dies with `what`). */
export const waitUntil = <R>(
  what: string,
  check: Effect.Effect<boolean, unknown, R>,
  timeout: Duration.Input = "60 seconds"
) =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(Duration.fromInputUnsafe(timeout))
    for (;;) {
      const ok = yield* check.pipe(Effect.orElseSucceed(() => false))
      if (ok) return
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting until ${what}`))
      yield* Effect.sleep("200 millis")
    }
  })

/** Reconciles the in-process DynaKube controller finished so far (any result). */
export const reconcileCount: Effect.Effect<number> = Effect.gen(function* () {
  let total = 0
  for (const result of ["success", "error", "requeue_after"]) {
    total += yield* Metric.value(
      Metric.withAttributes(Controller.reconcileTotal, { controller: "dynakube-controller", result })
    ).pipe(Effect.map((s) => Number(s.count)))
  }
  return total
})

/**
 * Runs `poke(i)` for i = 0 … times-1 (e.g. an annotation change of a DynaKube) and after each waits until one more
 * reconcile of the in-process controller ran.
 */
export const pokeAndAwaitReconciles = <E, R>(
  poke: (i: number) => Effect.Effect<unknown, E, R>,
  times: number,
  timeout: Duration.Input = "60 seconds"
) =>
  Effect.gen(function* () {
    const before = yield* reconcileCount
    for (let i = 0; i < times; i++) {
      yield* poke(i)
      yield* waitUntil(
        "a reconcile ran",
        Effect.map(reconcileCount, (n) => n > before + i),
        timeout
      )
    }
  })

const withoutManagedFields = (value: unknown): unknown => {
  if (value === null || typeof value !== "object" || !("metadata" in value)) return value
  const { metadata, ...rest } = value as { metadata?: Record<string, unknown> }
  const { managedFields: _m, ...meta } = metadata ?? {}
  return { metadata: meta, ...rest }
}

/** Polls until `get` succeeds with a value for which `predicate` holds; returns it. */
export const waitFor = <A, R>(
  what: string,
  get: Effect.Effect<A, unknown, R>,
  predicate: (a: A) => boolean,
  timeout: Duration.Input = "60 seconds"
) =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(Duration.fromInputUnsafe(timeout))
    let last: A | undefined
    for (;;) {
      const got = yield* Effect.result(get)
      if (got._tag === "Success") {
        last = got.success
        if (predicate(got.success)) return got.success
      }
      if (Date.now() > deadline) {
        return yield* Effect.die(
          new Error(
            `timed out waiting until ${what}; last value: ${JSON.stringify(withoutManagedFields(last))?.slice(0, 4000)}`
          )
        )
      }
      yield* Effect.sleep("200 millis")
    }
  })

/** Operator settings for a test: its own namespace, no servers, short leader-election timings. */
export const testConfig = (namespace: string, env: Partial<OperatorConfig.RawOperatorConfig> = {}) =>
  OperatorConfig.fromRaw(
    {
      ...(Object.fromEntries(OperatorConfig.envVars.map((k) => [k, undefined])) as OperatorConfig.RawOperatorConfig),
      POD_NAMESPACE: namespace,
      POD_NAME: "operator-test",
      APP_VERSION: "0.1.0",
      METRICS_BIND_ADDRESS: "0",
      HEALTH_PROBE_BIND_ADDRESS: "0",
      LEADER_ELECTION_LEASE_DURATION: "4",
      LEADER_ELECTION_RENEW_DEADLINE: "3",
      LEADER_ELECTION_RETRY_PERIOD: "1",
      ...env
    },
    { version: "0.1.0" }
  )

/**
 * Runs the operator in this process for the life of the scope, with the services the caller already has
 * (build `Operator.services(config)` once and provide it to the test, so the test sees the operator's KubeClient).
 */
export const runInProcess = (config: OperatorConfig.OperatorConfig) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkScoped(
      Effect.scoped(Operator.program(config, `${config.podName}-${uniqueName("id")}`))
    )
    return fiber
  })

/** The operator's services, for `Effect.provide` in an in-process test. */
export const servicesLayer = (config: OperatorConfig.OperatorConfig) => Operator.services(config)

export { Fiber, Layer }

/** A child-process operator. */
export interface OperatorProcess {
  readonly child: ChildProcess
  readonly logFile: string
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** The log text so far. */
  readonly logs: () => string
  readonly kill: (signal?: NodeJS.Signals) => void
}

/**
 * Starts `node src/main.ts operator` (or another entry, e.g. the production bundle `dist/main.js`) with `env` added
 * to a minimal environment; output goes to a log file.
 */
export const startOperatorProcess = (
  env: Readonly<Record<string, string>>,
  label = "operator",
  entry = "src/main.ts",
  nodeArgs: ReadonlyArray<string> = []
): OperatorProcess => {
  const logFile = path.join(os.tmpdir(), `${uniqueName(label)}.log`)
  const fd = fs.openSync(logFile, "a")
  const node = path.join(repoRoot, "node_modules/.bin/node")
  const child = spawn(
    fs.existsSync(node) ? node : process.execPath,
    [...nodeArgs, path.join(repoRoot, entry), "operator"],
    {
      cwd: repoRoot,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: os.tmpdir(), ...env },
      stdio: ["ignore", fd, fd]
    }
  )
  fs.closeSync(fd)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  )
  return {
    child,
    logFile,
    exited,
    logs: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : ""),
    kill: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    }
  }
}

/** Stops a child operator (SIGKILL after `grace`) when the scope closes. */
export const scopedOperatorProcess = (
  env: Readonly<Record<string, string>>,
  label?: string
): Effect.Effect<OperatorProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => startOperatorProcess(env, label)),
    (p) =>
      Effect.promise(async () => {
        p.kill("SIGTERM")
        const timer = setTimeout(() => p.kill("SIGKILL"), 5_000)
        await p.exited
        clearTimeout(timer)
      })
  )
