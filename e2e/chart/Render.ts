/**
 * Rendering the chart for tests: `helm template` with a value set, parsed into plain objects, plus the value
 * sets the golden files cover.
 *
 * @since 0.1.0
 */
import { parseAllDocuments } from "yaml"
import { chartDir, helmOk, runHelm } from "./Helm.ts"

/** A Kubernetes object as rendered. */
export interface Rendered {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: {
    readonly name: string
    readonly namespace?: string
    readonly labels?: Readonly<Record<string, string>>
    readonly annotations?: Readonly<Record<string, string>>
  }
  readonly [key: string]: unknown
}

/** Release name and namespace of every render (the goldens depend on them). */
export const releaseName = "dynatrace-operator"
export const releaseNamespace = "dynatrace"
/** The Kubernetes version `helm template` assumes (the test control plane's). */
export const kubeVersion = "1.34.0"

/** The main value sets: `--set` pairs (and extra flags) per golden file. */
export const valueSets: Readonly<Record<string, ReadonlyArray<string>>> = {
  default: [],
  "csidriver-disabled": ["--set", "csidriver.enabled=false"],
  openshift: ["--set", "platform=openshift"],
  "custom-image": [
    "--set",
    "imageRef.repository=registry.example.com/dynatrace/operator",
    "--set",
    "imageRef.tag=1.2.3",
    "--set",
    "imageRef.pullPolicy=Always",
    "--set",
    "customPullSecret=my-pull-secret"
  ],
  // Opt-in: the missed-injection controller's env and ClusterRole (docs/missed-injection.md).
  "missed-injection-restart": ["--set", "operator.missedInjection=restart"]
}

/** `helm template` arguments for one value set. */
export const templateArgs = (extra: ReadonlyArray<string>): ReadonlyArray<string> => [
  "template",
  releaseName,
  chartDir,
  "--namespace",
  releaseNamespace,
  "--kube-version",
  kubeVersion,
  ...extra
]

/** The rendered YAML text (throws with helm's message on failure). */
export const renderText = (helm: string, extra: ReadonlyArray<string> = []): string => helmOk(helm, templateArgs(extra))

/** Parses a multi-document stream; empty documents are dropped. */
export const parseObjects = (text: string): ReadonlyArray<Rendered> =>
  parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`)
      return doc.toJS() as Rendered | null
    })
    .filter((o): o is Rendered => o !== null && typeof o === "object")

/** Rendered objects of one value set. */
export const render = (helm: string, extra: ReadonlyArray<string> = []): ReadonlyArray<Rendered> =>
  parseObjects(renderText(helm, extra))

/** The error text of a render that should fail. */
export const renderError = (helm: string, extra: ReadonlyArray<string>): string => {
  const result = runHelm(helm, templateArgs(extra))
  if (result.status === 0) throw new Error(`helm template ${extra.join(" ")} succeeded but should have failed`)
  return result.stderr
}

/** The one object of `kind` and `name` (throws when missing). */
export const find = (objects: ReadonlyArray<Rendered>, kind: string, name: string): Rendered => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name)
  if (found === undefined) throw new Error(`no ${kind}/${name} rendered`)
  return found
}

/** Every pod template (Deployments, DaemonSets, Jobs) with its owner. */
export const podSpecs = (
  objects: ReadonlyArray<Rendered>
): ReadonlyArray<{ readonly owner: string; readonly spec: any }> =>
  objects
    .filter((o) => ["Deployment", "DaemonSet", "Job", "StatefulSet"].includes(o.kind))
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, spec: (o as any).spec.template.spec }))

/** Every container (init and main) of every pod template. */
export const containers = (objects: ReadonlyArray<Rendered>) =>
  podSpecs(objects).flatMap(({ owner, spec }) =>
    [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: any) => ({ owner, container: c }))
  )

/** The env value of a container (undefined when absent or from a reference). */
export const envOf = (container: any, name: string): string | undefined =>
  (container.env ?? []).find((e: any) => e.name === name)?.value
