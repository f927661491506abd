/**
 * `npm run cluster:up`: a local control plane to poke at by hand (or to run the operator against) until Ctrl-C.
 * Builds the binaries if needed, starts everything, creates one kwok fake node and prints how to use it.
 */
import { createFakeNode, ensureBinaries, startControlPlane } from "./ControlPlane.ts"

const binDir = ensureBinaries()
const started = Date.now()
const cp = await startControlPlane()
const nodeName = "kwok-node-1"
await createFakeNode(cp, nodeName)
const seconds = ((Date.now() - started) / 1000).toFixed(1)

console.log(`
Control plane up in ${seconds} s: kube-apiserver ${cp.server}, fake node ${nodeName} (kwok).

  export KUBECONFIG=${cp.kubeconfigPath}
  export PATH=${binDir}:$PATH
  kubectl get nodes,pods -A

Logs: ${cp.dir}/logs/  (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)
More fake nodes: a Node with annotation kwok.x-k8s.io/node=fake (see createFakeNode in e2e/controlplane/ControlPlane.ts).
Ctrl-C stops everything and removes ${cp.dir}.
`)

await new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve())
  process.once("SIGTERM", () => resolve())
})
await cp.stop()
console.log("Control plane stopped.")
