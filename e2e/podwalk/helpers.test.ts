/**
 * The pure parts of the pod walk and the demo's injection diff: the kubelet's `$(VAR)` expansion, env from the
 * downward API, and resolving a path inside a container through its mounts.
 */
import { describe, expect, it } from "vitest"
import { injectionDiff } from "../demo/InjectionDiff.ts"
import { containerEnv, expand, resolveInContainer, type WalkPod } from "./PodWalk.ts"

const pod: WalkPod = {
  metadata: { name: "shop-1", namespace: "shop", uid: "u-1", labels: { "app.kubernetes.io/version": "1.2" } },
  spec: {
    nodeName: "node-a",
    containers: [
      {
        name: "app",
        env: [
          { name: "K8S_PODNAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "K8S_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
          { name: "VERSION", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app.kubernetes.io/version']" } } },
          { name: "GREETING", value: "hi $(K8S_PODNAME)" }
        ],
        volumeMounts: [
          { name: "config", mountPath: "/var/lib/dynatrace", subPath: "app" },
          { name: "config", mountPath: "/etc/ld.so.preload", subPath: "oneagent/ld.so.preload" },
          { name: "bin", mountPath: "/opt/dynatrace/oneagent-paas" }
        ]
      }
    ]
  }
}

describe("pod walk helpers", () => {
  it("expands $(VAR) like the kubelet: known names, $$ escapes, unknown references kept", () => {
    expect(expand("--attribute=k8s.pod.name=$(K8S_PODNAME)", { K8S_PODNAME: "p" })).toBe("--attribute=k8s.pod.name=p")
    expect(expand("$$(K8S_PODNAME) $(MISSING)", { K8S_PODNAME: "p" })).toBe("$(K8S_PODNAME) $(MISSING)")
  })

  it("computes env from values and field references, in order", () => {
    const container = pod.spec.containers[0]
    if (container === undefined) throw new Error("no container")
    expect(containerEnv(pod, container, "node-a")).toEqual({
      K8S_PODNAME: "shop-1",
      K8S_NODE_NAME: "node-a",
      VERSION: "1.2",
      GREETING: "hi shop-1"
    })
  })

  it("resolves paths through the most specific mount, with subPaths", () => {
    const container = pod.spec.containers[0]
    if (container === undefined) throw new Error("no container")
    const volumes = { config: "/host/config", bin: "/host/bin" }
    expect(resolveInContainer(container, volumes, "/etc/ld.so.preload")).toBe("/host/config/oneagent/ld.so.preload")
    expect(resolveInContainer(container, volumes, "/var/lib/dynatrace/oneagent/x.conf")).toBe(
      "/host/config/app/oneagent/x.conf"
    )
    expect(resolveInContainer(container, volumes, "/opt/dynatrace/oneagent-paas/agent/lib64/a.so")).toBe(
      "/host/bin/agent/lib64/a.so"
    )
    expect(resolveInContainer(container, volumes, "/opt/dynatrace/oneagent-paasX/a.so")).toBeUndefined()
    expect(resolveInContainer(container, volumes, "/usr/bin/env")).toBeUndefined()
  })

  it("the injection diff lists only what was added (not the service-account token volume)", () => {
    const template = { spec: { containers: [{ name: "app", env: [{ name: "A", value: "1" }] }] } }
    const mutated = {
      metadata: { annotations: { "oneagent.dynatrace.com/injected": "true" } },
      spec: {
        initContainers: [{ name: "dynatrace-operator", image: "op:1", args: ["bootstrap", "--target=/mnt/bin"] }],
        containers: [
          {
            name: "app",
            env: [
              { name: "A", value: "1" },
              { name: "LD_PRELOAD", value: "/opt/x.so" }
            ],
            volumeMounts: [
              { name: "kube-api-access-abc", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
              { name: "oneagent-bin", mountPath: "/opt/dynatrace/oneagent-paas", readOnly: true }
            ]
          }
        ],
        volumes: [{ name: "kube-api-access-abc" }, { name: "dynatrace-config", emptyDir: {} }]
      }
    }
    expect(injectionDiff(template, mutated)).toEqual([
      "# annotations",
      "+ oneagent.dynatrace.com/injected: true",
      "# init container dynatrace-operator (op:1)",
      "+ bootstrap",
      "+ --target=/mnt/bin",
      "# volumes",
      "+ dynatrace-config: emptyDir {}",
      "# container app",
      "+ env LD_PRELOAD=/opt/x.so",
      "+ mount oneagent-bin → /opt/dynatrace/oneagent-paas (ro)"
    ])
  })
})
