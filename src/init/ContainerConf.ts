/**
 * `container.conf`, per container at `<config>/<container>/oneagent/agent/config/container.conf` (spec §4.2
 * step 2): tells the code module which pod and container it runs in.
 *
 * ```
 * [container]
 * k8s_fullpodname <pod name>
 * k8s_poduid <pod uid>
 * k8s_namespace <namespace>
 * k8s_cluster_id <kube-system namespace uid>
 * k8s_containername <container>
 * containerName <container>
 * imageName <registry/repository:tag@digest>
 * k8s_node_name <node>            (cloudNativeFullStack only)
 *
 * [host]                          (cloudNativeFullStack only)
 * tenant <tenant uuid>
 * isCloudNativeFullStack true
 * ```
 *
 * Lines are `key value`; keys with an empty value are left out; control characters are stripped.
 *
 * @since 0.1.0
 */
import type { ContainerAttributes } from "./BootstrapInput.ts"

/**
 * What goes into one container's file.
 *
 * @category models
 * @since 0.1.0
 */
export interface ContainerConfInput {
  readonly podName: string | undefined
  readonly podUid: string | undefined
  readonly namespace: string | undefined
  readonly clusterId: string | undefined
  readonly nodeName: string | undefined
  readonly container: ContainerAttributes
  /** Set for cloudNativeFullStack (`--fullstack --tenant`). */
  readonly tenant: string | undefined
}

/**
 * `registry/repository:tag@digest`, each part only when known.
 *
 * @category rendering
 * @since 0.1.0
 */
export const imageName = (container: ContainerAttributes): string => {
  const registry = container["container_image.registry"] ?? ""
  const repository = container["container_image.repository"] ?? ""
  const tag = container["container_image.tags"] ?? ""
  const digest = container["container_image.digest"] ?? ""
  return `${registry === "" ? "" : `${registry}/`}${repository}${tag === "" ? "" : `:${tag}`}${digest === "" ? "" : `@${digest}`}`
}

// oxlint-disable-next-line no-control-regex -- stripping control characters is the point
const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, "")

const lines = (pairs: ReadonlyArray<readonly [string, string | undefined]>) =>
  pairs.flatMap(([key, value]) => {
    const v = clean(value ?? "")
    return v === "" ? [] : [`${key} ${v}`]
  })

/**
 * The file's content.
 *
 * @category rendering
 * @since 0.1.0
 */
export const render = (input: ContainerConfInput): string => {
  const name = input.container["k8s.container.name"]
  const fullstack = input.tenant !== undefined
  const container = [
    "[container]",
    ...lines([
      ["k8s_fullpodname", input.podName],
      ["k8s_poduid", input.podUid],
      ["k8s_namespace", input.namespace],
      ["k8s_cluster_id", input.clusterId],
      ["k8s_containername", name],
      ["containerName", name],
      ["imageName", imageName(input.container)],
      ...(fullstack ? ([["k8s_node_name", input.nodeName]] as const) : [])
    ])
  ]
  if (!fullstack) return container.join("\n") + "\n"
  const host = [
    "[host]",
    ...lines([
      ["tenant", input.tenant],
      ["isCloudNativeFullStack", "true"]
    ])
  ]
  return container.join("\n") + "\n\n" + host.join("\n") + "\n"
}
