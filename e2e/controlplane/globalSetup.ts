/**
 * vitest global setup of the "integration" project: one real control plane per run (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kwok), shared by every integration test file and always stopped in
 * teardown (and, should vitest die, by ControlPlane.ts's exit handlers and watchdog).
 *
 * Tests reach it through `process.env.KUBECONFIG` (what @kubernetes/client-node's `loadFromDefault()` reads)
 * or `inject("kubeconfig")` (the same path). Tests that need a private plane (restarts, compaction) call
 * `startControlPlane` themselves.
 */
import type { TestProject } from "vitest/node"
import { ensureBinaries, startControlPlane } from "./ControlPlane.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of the shared control plane's admin kubeconfig (system:masters). */
    readonly kubeconfig: string
    /** `https://127.0.0.1:<port>` of its kube-apiserver. */
    readonly kubeServer: string
    /** Directory with kubectl, kube-apiserver, etcd, kwok, csi-sanity. */
    readonly testenvBinDir: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A no-op of a few milliseconds when the binaries are built; a cold build prints its progress to stderr.
  const binDir = ensureBinaries()
  const started = Date.now()
  const cp = await startControlPlane()
  process.stderr.write(`[controlplane] shared control plane up in ${Date.now() - started} ms at ${cp.server}\n`)
  project.provide("kubeconfig", cp.kubeconfigPath)
  project.provide("kubeServer", cp.server)
  project.provide("testenvBinDir", binDir)
  // Workers are started after global setup and inherit the environment.
  process.env["KUBECONFIG"] = cp.kubeconfigPath
  process.env["KUBE_TEST_SERVER"] = cp.server
  process.env["TESTENV_BIN_DIR"] = binDir
  return async () => {
    await cp.stop()
  }
}
