import { describe, expect, it } from "@effect/vitest"
import { Option, Result } from "effect"
import * as fc from "fast-check"
import * as Resources from "../../services/kube/Resources.ts"
import * as Target from "./Target.ts"

const kindName = (name: string) => Option.map(Target.kindOf(name), (k) => k.kind)

const podOf = (object: unknown, namespace = "default") => {
  const result = Target.podOf(object, namespace)
  if (Result.isFailure(result)) throw new Error(`expected a pod, got: ${result.failure.message}`)
  return result.success
}

const failureOf = (object: unknown): Target.TargetError => {
  const result = Target.podOf(object, "default")
  if (Result.isSuccess(result)) throw new Error(`expected a failure, got ${JSON.stringify(result.success)}`)
  return result.failure
}

type Json = Record<string, unknown>
const metadataOf = (pod: Json) => pod["metadata"] as Json

const template = {
  metadata: { labels: { app: "shop" }, annotations: { "dynatrace.com/inject": "true" } },
  spec: { containers: [{ name: "shop", image: "registry.example.com/shop:1" }] }
}

describe("Target.kindOf", () => {
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ["Pod", ["pod", "pods", "po", "Pod", "pods.v1"]],
    ["Deployment", ["deployment", "deployments", "deploy", "Deployment", "deployments.apps", "deploy.v1.apps"]],
    ["StatefulSet", ["statefulset", "statefulsets", "sts", "StatefulSet", "statefulsets.apps"]],
    ["DaemonSet", ["daemonset", "daemonsets", "ds", "daemonsets.apps"]],
    ["ReplicaSet", ["replicaset", "replicasets", "rs", "replicasets.apps"]],
    ["Job", ["job", "jobs", "jobs.batch"]],
    ["CronJob", ["cronjob", "cronjobs", "cj", "CronJob", "cronjobs.batch"]],
    ["ReplicationController", ["replicationcontroller", "replicationcontrollers", "rc"]],
    ["DeploymentConfig", ["deploymentconfig", "deploymentconfigs", "dc", "deploymentconfigs.apps.openshift.io"]]
  ]
  for (const [kind, names] of cases) {
    it(`knows ${kind} as ${names.join(", ")}`, () => {
      for (const name of names) expect(kindName(name), name).toEqual(Option.some(kind))
    })
  }

  it("has the pod template path and resource of each kind", () => {
    const of = (name: string) => Option.getOrThrow(Target.kindOf(name))
    expect(of("pod").template).toEqual([])
    expect(of("pod").resource).toBe(Resources.Pod)
    expect(of("deploy").template).toEqual(["spec", "template"])
    expect(of("deploy").resource).toBe(Resources.Deployment)
    expect(of("cj").template).toEqual(["spec", "jobTemplate", "spec", "template"])
    expect(of("cj").resource.plural).toBe("cronjobs")
    expect(of("cj").resource.group).toBe("batch")
    expect(of("rc").resource.plural).toBe("replicationcontrollers")
    expect(of("rc").resource.group).toBe("")
    expect(of("dc").resource.group).toBe("apps.openshift.io")
  })

  it("knows no other kind", () => {
    for (const name of ["service", "svc", "configmap", "node", "", "deploymentx", "dep", ".apps"]) {
      expect(Target.kindOf(name), name).toEqual(Option.none())
    }
  })

  it("lists the first name of every kind for messages", () => {
    expect(Target.kindNames).toEqual([
      "pod",
      "deployment",
      "statefulset",
      "daemonset",
      "replicaset",
      "job",
      "cronjob",
      "replicationcontroller",
      "deploymentconfig"
    ])
  })
})

describe("Target.parseReference", () => {
  it("parses <kind>/<name> with any alias", () => {
    const ref = (text: string) => Option.map(Target.parseReference(text), (r) => [r.kind.kind, r.name])
    expect(ref("deployment/shop")).toEqual(Option.some(["Deployment", "shop"]))
    expect(ref("deploy/shop")).toEqual(Option.some(["Deployment", "shop"]))
    expect(ref("deployments.apps/shop")).toEqual(Option.some(["Deployment", "shop"]))
    expect(ref("sts/db")).toEqual(Option.some(["StatefulSet", "db"]))
    expect(ref("cj/report")).toEqual(Option.some(["CronJob", "report"]))
    expect(ref("pod/web-0")).toEqual(Option.some(["Pod", "web-0"]))
  })

  it("rejects text without a slash, an empty kind or name, two slashes and unknown kinds", () => {
    for (const text of ["shop", "", "/", "/shop", "deployment/", "deployment/shop/x", "deploy//shop", "svc/shop"]) {
      expect(Target.parseReference(text), text).toEqual(Option.none())
    }
  })
})

describe("Target.podOf: a Pod", () => {
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web-0" }, spec: { containers: [] } }

  it("puts the pod into the given namespace when it names none", () => {
    const result = podOf(pod, "demo")
    expect(result.namespace).toBe("demo")
    expect(metadataOf(result.pod)["namespace"]).toBe("demo")
    expect(result.pod["spec"]).toBe(pod.spec)
    expect(result.describe).toBe("Pod/web-0")
  })

  it("treats an empty namespace as none", () => {
    expect(podOf({ ...pod, metadata: { name: "web-0", namespace: "" } }, "demo").namespace).toBe("demo")
  })

  it("keeps the manifest's own namespace over the given one", () => {
    const result = podOf({ ...pod, metadata: { name: "web-0", namespace: "shop" } }, "demo")
    expect(result.namespace).toBe("shop")
    expect(metadataOf(result.pod)["namespace"]).toBe("shop")
  })

  it("is its own workload without owner", () => {
    expect(podOf(pod).workload).toEqual({ kind: "pod", name: "web-0" })
  })

  it("belongs to its controlling owner", () => {
    const owned = {
      ...pod,
      metadata: {
        name: "web-0",
        ownerReferences: [
          { apiVersion: "v1", kind: "Other", name: "first" },
          { apiVersion: "apps/v1", kind: "StatefulSet", name: "web", controller: true }
        ]
      }
    }
    expect(podOf(owned).workload).toEqual({ kind: "statefulset", name: "web" })
  })

  it("names an unnamed pod as such; its workload by generateName, as the webhook does", () => {
    expect(podOf({ kind: "Pod" }).describe).toBe("Pod/(unnamed)")
    expect(podOf({ kind: "Pod", metadata: { generateName: "web-" } }).workload).toEqual({ kind: "pod", name: "web-" })
  })
})

describe("Target.podOf: a workload", () => {
  const workloads: ReadonlyArray<readonly [string, string]> = [
    ["Deployment", "apps/v1"],
    ["StatefulSet", "apps/v1"],
    ["DaemonSet", "apps/v1"],
    ["ReplicaSet", "apps/v1"],
    ["Job", "batch/v1"],
    ["ReplicationController", "v1"],
    ["DeploymentConfig", "apps.openshift.io/v1"]
  ]
  for (const [kind, apiVersion] of workloads) {
    it(`turns a ${kind}'s template into the pod its controller would create`, () => {
      const object = { apiVersion, kind, metadata: { name: "shop", namespace: "demo", uid: "u-1" }, spec: { template } }
      const result = podOf(object, "elsewhere")
      expect(result.pod).toEqual({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          labels: { app: "shop" },
          annotations: { "dynatrace.com/inject": "true" },
          generateName: "shop-",
          namespace: "demo",
          ownerReferences: [{ apiVersion, kind, name: "shop", controller: true, uid: "u-1" }]
        },
        spec: template.spec
      })
      expect(result.namespace).toBe("demo")
      expect(result.workload).toEqual({ kind: kind.toLowerCase(), name: "shop" })
      expect(result.describe).toBe(`${kind}/shop`)
    })
  }

  it("leaves the uid out of the ownerReference when the manifest has none", () => {
    const result = podOf({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "shop" }, spec: { template } })
    expect(metadataOf(result.pod)["ownerReferences"]).toEqual([
      { apiVersion: "apps/v1", kind: "Deployment", name: "shop", controller: true }
    ])
    expect(result.namespace).toBe("default")
  })

  it("derives the ownerReference's apiVersion from the kind when the manifest has none", () => {
    const apiVersionOf = (kind: string) => {
      const refs = metadataOf(podOf({ kind, metadata: { name: "shop" }, spec: { template } }).pod)["ownerReferences"]
      return (refs as ReadonlyArray<Json>)[0]!["apiVersion"]
    }
    expect(apiVersionOf("Deployment")).toBe("apps/v1")
    expect(apiVersionOf("Job")).toBe("batch/v1")
    expect(apiVersionOf("ReplicationController")).toBe("v1")
  })

  it("overrides a namespace or ownerReferences in the template", () => {
    const odd = {
      metadata: { namespace: "wrong", ownerReferences: [{ kind: "X", name: "y" }], labels: { a: "b" } },
      spec: template.spec
    }
    const result = podOf({ kind: "StatefulSet", metadata: { name: "db" }, spec: { template: odd } }, "data")
    const metadata = metadataOf(result.pod)
    expect(metadata["namespace"]).toBe("data")
    expect(metadata["ownerReferences"]).toEqual([
      { apiVersion: "apps/v1", kind: "StatefulSet", name: "db", controller: true }
    ])
    expect(metadata["labels"]).toEqual({ a: "b" })
  })

  it("takes a template without metadata", () => {
    const result = podOf({ kind: "Job", metadata: { name: "once" }, spec: { template: { spec: template.spec } } })
    expect(metadataOf(result.pod)["generateName"]).toBe("once-")
    expect(result.pod["spec"]).toEqual(template.spec)
  })

  it("takes a CronJob's template from spec.jobTemplate.spec.template", () => {
    const cronJob = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "report", namespace: "jobs" },
      spec: { schedule: "0 * * * *", jobTemplate: { spec: { template } } }
    }
    const result = podOf(cronJob)
    expect(result.pod["spec"]).toEqual(template.spec)
    expect(metadataOf(result.pod)).toEqual({
      labels: { app: "shop" },
      annotations: { "dynatrace.com/inject": "true" },
      generateName: "report-",
      namespace: "jobs",
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "report", controller: true }]
    })
    expect(result.workload).toEqual({ kind: "cronjob", name: "report" })
  })

  it("keeps unknown fields of the template's spec as they are; of its metadata only what controllers copy", () => {
    const extras = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 12 }).map((s) => `x-${s}`),
      fc.jsonValue(),
      { maxKeys: 5 }
    )
    fc.assert(
      fc.property(extras, extras, (metadataExtras, specExtras) => {
        const spec = { ...template.spec, ...specExtras }
        const metadata = { ...template.metadata, ...metadataExtras }
        const result = podOf({ kind: "Deployment", metadata: { name: "shop" }, spec: { template: { metadata, spec } } })
        expect(result.pod["spec"]).toEqual(spec)
        const podMetadata = metadataOf(result.pod)
        for (const key of Object.keys(metadataExtras)) expect(podMetadata[key]).toBeUndefined()
        expect(podMetadata["labels"]).toEqual(template.metadata.labels)
      })
    )
  })
})

describe("Target.podOf: errors", () => {
  it("refuses what is not an object", () => {
    for (const value of [null, undefined, "Pod", 42, [{ kind: "Pod" }]]) {
      expect(failureOf(value).message).toBe("the manifest is not an object")
    }
  })

  it("refuses a manifest without kind, naming the kinds it takes", () => {
    const error = failureOf({ metadata: { name: "x" } })
    expect(error._tag).toBe("TargetError")
    expect(error.message).toBe(
      "cannot explain a manifest without kind: use one of pod, deployment, statefulset, daemonset, replicaset, job, cronjob, replicationcontroller, deploymentconfig"
    )
    expect(failureOf({ kind: 7 }).message).toMatch(/^cannot explain a manifest without kind: /)
  })

  it("refuses an unknown kind by name", () => {
    expect(failureOf({ kind: "Service", metadata: { name: "x" } }).message).toMatch(
      /^cannot explain a Service: use one of pod, deployment, /
    )
  })

  it("refuses a workload without pod template, naming the path", () => {
    expect(failureOf({ kind: "Deployment", metadata: { name: "shop" }, spec: {} }).message).toBe(
      "Deployment/shop has no pod template at .spec.template"
    )
    expect(failureOf({ kind: "Deployment", metadata: { name: "shop" } }).message).toBe(
      "Deployment/shop has no pod template at .spec.template"
    )
    expect(failureOf({ kind: "StatefulSet", spec: { template: { metadata: {} } } }).message).toBe(
      "StatefulSet/(unnamed) has no pod template at .spec.template"
    )
    expect(failureOf({ kind: "CronJob", metadata: { name: "r" }, spec: { template } }).message).toBe(
      "CronJob/r has no pod template at .spec.jobTemplate.spec.template"
    )
    expect(failureOf({ kind: "Job", metadata: { name: "j" }, spec: { template: { spec: [] } } }).message).toBe(
      "Job/j has no pod template at .spec.template"
    )
  })
})
