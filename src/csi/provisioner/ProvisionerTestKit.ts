/**
 * Test support for the provisioner (not shipped code): its services on a throw-away data directory against an
 * in-process tenant simulator, with DynaKubes from a map instead of the informer, a log capture, and helpers to
 * look at the node directory. Used by the provisioner's tests and its benchmark; the control-plane test runs the
 * real program instead.
 *
 * @since 0.1.0
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Duration, Effect, Layer, Logger, ManagedRuntime, References } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { configFor } from "../../../e2e/tenant-simulator/ClientForSimulator.ts"
import {
  startTenantSimulator,
  type TenantSimulator,
  type TenantSimulatorOptions
} from "../../../e2e/tenant-simulator/TenantSimulator.ts"
import { ResponseCache } from "../../services/dynatrace/ResponseCache.ts"
import * as NodeFs from "../../services/NodeFs.ts"
import type * as Controller from "../../programs/operator/runtime/Controller.ts"
import * as DataDir from "../DataDir.ts"
import * as CodeModuleDownloads from "./CodeModuleDownloads.ts"
import * as CodeModuleStore from "./CodeModuleStore.ts"
import * as DynaKubeSource from "./DynaKubeSource.ts"
import * as GarbageCollector from "./GarbageCollector.ts"
import * as Provisioner from "./Provisioner.ts"
import * as ProvisionPlan from "./ProvisionPlan.ts"

/** A DynaKube in `namespace` with app injection (`applicationMonitoring`) and `status.codeModules.version`. */
export const appDynaKube = (
  name: string,
  version: string | undefined,
  options: {
    readonly namespace?: string
    readonly mode?: "applicationMonitoring" | "cloudNativeFullStack" | "hostMonitoring" | "classicFullStack"
    readonly apiUrl?: string
  } = {}
): ProvisionPlan.ProvisionerDynaKube => ({
  apiVersion: "dynatrace.com/v1beta6",
  kind: "DynaKube",
  metadata: { name, namespace: options.namespace ?? "dynatrace" },
  spec: {
    apiUrl: options.apiUrl ?? "https://abc12345.live.dynatrace.com/api",
    oneAgent: { [options.mode ?? "applicationMonitoring"]: {} }
  },
  status: version === undefined ? {} : { codeModules: { version, source: "tenant-registry" } }
})

export interface HarnessOptions {
  /** Use this data directory (e.g. a CSI server fixture's) instead of a fresh one. */
  readonly dataDir?: DataDir.DataDir
  readonly simulator?: TenantSimulatorOptions
  readonly gcPeriod?: Duration.Input
  readonly requeues?: Partial<ProvisionPlan.Requeues>
}

export interface Harness {
  readonly sim: TenantSimulator
  readonly dataDir: DataDir.DataDir
  /** DynaKubes by `namespace/name`: what the informer would hold. */
  readonly dynakubes: Map<string, ProvisionPlan.ProvisionerDynaKube>
  readonly options: Provisioner.ProvisionerOptions
  readonly runtime: ManagedRuntime.ManagedRuntime<Provisioner.Services | NodeFs.NodeFs, never>
  /** Every log line so far (JSON). */
  readonly logs: Array<string>
  readonly put: (dk: ProvisionPlan.ProvisionerDynaKube) => void
  readonly remove: (namespace: string, name: string) => void
  /** One reconcile of `namespace/name`, as the controller runs it. */
  readonly reconcile: (namespace: string, name: string) => Promise<Controller.Result>
  /** Where `latest-codemodule` of `dk` points (the directory name), or undefined. */
  readonly latestOf: (dk: string) => string | undefined
  /** Names in `codemodules/`. */
  readonly codeModules: () => ReadonlyArray<string>
  readonly close: () => Promise<void>
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`

/** Starts a simulator and the provisioner's services on a temporary (or the given) data directory. */
export const startHarness = async (options: HarnessOptions = {}): Promise<Harness> => {
  const sim = await startTenantSimulator(options.simulator ?? {})
  const ownRoot =
    options.dataDir === undefined ? fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "prov-"))) : undefined
  const dataDir = options.dataDir ?? DataDir.make(path.join(ownRoot!, "data"))
  fs.mkdirSync(dataDir.root, { recursive: true })
  const dynakubes = new Map<string, ProvisionPlan.ProvisionerDynaKube>()
  const logs: Array<string> = []
  const layer = Layer.mergeAll(
    GarbageCollector.layer({ period: Duration.fromInputUnsafe(options.gcPeriod ?? "30 minutes") }),
    CodeModuleDownloads.layerWith(() =>
      Effect.succeed(configFor(sim, { userAgent: "dynatrace-operator/test provisioner" }))
    ).pipe(Layer.provide(Layer.fresh(ResponseCache.layer)))
  ).pipe(
    Layer.provideMerge(CodeModuleStore.layer({ dataDir })),
    Layer.provideMerge(DynaKubeSource.layerFromMap(dynakubes)),
    Layer.provideMerge(NodeFs.layer),
    Layer.provide(NodeFileSystem.layer),
    // Merged, not only provided: effects run on the runtime log through it too.
    Layer.provideMerge(
      Layer.mergeAll(
        Logger.layer([Logger.map(Logger.formatJson, (line) => void logs.push(line))]),
        Layer.succeed(References.MinimumLogLevel, "All")
      )
    )
  )
  const runtime = ManagedRuntime.make(layer)
  const provisionerOptions: Provisioner.ProvisionerOptions = {
    csiDriverEnabled: true,
    requeues: { ...ProvisionPlan.defaultRequeues, ...options.requeues }
  }
  return {
    sim,
    dataDir,
    dynakubes,
    options: provisionerOptions,
    runtime,
    logs,
    put: (dk) => void dynakubes.set(keyOf(dk.metadata?.namespace ?? "", dk.metadata?.name ?? ""), dk),
    remove: (namespace, name) => void dynakubes.delete(keyOf(namespace, name)),
    reconcile: (namespace, name) =>
      runtime.runPromise(Provisioner.reconcile(keyOf(namespace, name), provisionerOptions)),
    latestOf: (dk) => {
      try {
        return path.basename(fs.readlinkSync(dataDir.latestCodeModule(dk)))
      } catch {
        return undefined
      }
    },
    codeModules: () => (fs.existsSync(dataDir.codeModules) ? fs.readdirSync(dataDir.codeModules).toSorted() : []),
    close: async () => {
      await runtime.dispose()
      await sim.close()
      if (ownRoot !== undefined) fs.rmSync(ownRoot, { recursive: true, force: true })
    }
  }
}
