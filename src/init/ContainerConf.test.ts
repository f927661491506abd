import { describe, expect, it } from "@effect/vitest"
import * as ContainerConf from "./ContainerConf.ts"

const container = {
  "k8s.container.name": "app",
  "container_image.registry": "docker.io",
  "container_image.repository": "library/nginx",
  "container_image.tags": "1.25",
  "container_image.digest": "sha256:abc"
}

const base = {
  podName: "web-7d9f-x2x",
  podUid: "0b1f-uid",
  namespace: "shop",
  clusterId: "kube-system-uid",
  nodeName: "node-1",
  container
}

describe("ContainerConf", () => {
  it("renders the [container] section (application monitoring)", () => {
    expect(ContainerConf.render({ ...base, tenant: undefined })).toBe(
      [
        "[container]",
        "k8s_fullpodname web-7d9f-x2x",
        "k8s_poduid 0b1f-uid",
        "k8s_namespace shop",
        "k8s_cluster_id kube-system-uid",
        "k8s_containername app",
        "containerName app",
        "imageName docker.io/library/nginx:1.25@sha256:abc",
        ""
      ].join("\n")
    )
  })

  it("adds the node name and the [host] section for cloudNativeFullStack", () => {
    expect(ContainerConf.render({ ...base, tenant: "abc12345" })).toBe(
      [
        "[container]",
        "k8s_fullpodname web-7d9f-x2x",
        "k8s_poduid 0b1f-uid",
        "k8s_namespace shop",
        "k8s_cluster_id kube-system-uid",
        "k8s_containername app",
        "containerName app",
        "imageName docker.io/library/nginx:1.25@sha256:abc",
        "k8s_node_name node-1",
        "",
        "[host]",
        "tenant abc12345",
        "isCloudNativeFullStack true",
        ""
      ].join("\n")
    )
  })

  it("leaves out keys with empty values", () => {
    const out = ContainerConf.render({
      podName: "p",
      podUid: undefined,
      namespace: "",
      clusterId: undefined,
      nodeName: undefined,
      container: { "k8s.container.name": "c" },
      tenant: undefined
    })
    expect(out).toBe("[container]\nk8s_fullpodname p\nk8s_containername c\ncontainerName c\n")
  })

  it("builds the image name from the parts that are known", () => {
    expect(ContainerConf.imageName({ "k8s.container.name": "c", "container_image.repository": "nginx" })).toBe("nginx")
    expect(
      ContainerConf.imageName({
        "k8s.container.name": "c",
        "container_image.repository": "nginx",
        "container_image.digest": "sha256:1"
      })
    ).toBe("nginx@sha256:1")
    expect(
      ContainerConf.imageName({
        "k8s.container.name": "c",
        "container_image.registry": "quay.io",
        "container_image.repository": "a/b",
        "container_image.tags": "v1"
      })
    ).toBe("quay.io/a/b:v1")
  })
})
