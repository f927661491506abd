/**
 * Metadata enrichment (spec §4.2 step 3, with `--metadata-enrichment`): per container, under
 * `<config>/<container>/enrichment/` (seen by the application at `/var/lib/dynatrace/enrichment/`):
 *
 * - `dt_metadata.json`: one JSON object, keys sorted;
 * - `dt_metadata.properties`: the same pairs as `key=value` lines, sorted;
 * - `endpoint/endpoint.properties`: copied from the input directory when present.
 *
 * The pairs: every `--attribute` (the pod-level attributes the webhook computed: `k8s.pod.name`, `k8s.pod.uid`,
 * `k8s.node.name`, `k8s.namespace.name`, `k8s.workload.kind`, `k8s.workload.name`, `k8s.cluster.uid`,
 * `k8s.cluster.name`, `dt.entity.kubernetes_cluster` and the user's own), the pod env for pod name, uid and node
 * when the attribute is missing, `k8s.container.name`, and with `--enable-attributes-dt-kubernetes` (default on)
 * the deprecated `dt.kubernetes.cluster.id`, `dt.kubernetes.workload.kind`, `dt.kubernetes.workload.name`
 * copied from their `k8s.*` counterparts. Control characters are stripped from keys and values.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import * as path from "node:path"
import { attribute, type BootstrapInput, type ContainerAttributes } from "./BootstrapInput.ts"
import * as ConfigFiles from "./ConfigFiles.ts"
import type { InputFiles } from "./InputDirectory.ts"

/**
 * The deprecated keys and the attribute each is copied from.
 *
 * @category constants
 * @since 0.1.0
 */
export const deprecatedKeys: ReadonlyArray<readonly [string, string]> = [
  ["dt.kubernetes.cluster.id", "k8s.cluster.uid"],
  ["dt.kubernetes.workload.kind", "k8s.workload.kind"],
  ["dt.kubernetes.workload.name", "k8s.workload.name"]
]

// oxlint-disable-next-line no-control-regex -- stripping control characters is the point
const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, "")

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The metadata pairs of one container, sorted by key.
 *
 * @category rendering
 * @since 0.1.0
 */
export const metadata = (
  input: BootstrapInput,
  container: ContainerAttributes
): ReadonlyArray<readonly [string, string]> => {
  const pairs = new Map<string, string>()
  for (const [key, value] of input.attributes) pairs.set(clean(key), clean(value))
  for (const key of ["k8s.pod.name", "k8s.pod.uid", "k8s.node.name"]) {
    const value = attribute(input, key)
    if (!pairs.has(key) && value !== undefined) pairs.set(key, clean(value))
  }
  pairs.set("k8s.container.name", container["k8s.container.name"])
  if (input.enableAttributesDtKubernetes) {
    for (const [key, from] of deprecatedKeys) {
      const value = pairs.get(from)
      if (!pairs.has(key) && value !== undefined) pairs.set(key, value)
    }
  }
  return [...pairs].toSorted(([a], [b]) => byCodePoint(a, b))
}

/**
 * `dt_metadata.json`.
 *
 * @category rendering
 * @since 0.1.0
 */
export const renderJson = (pairs: ReadonlyArray<readonly [string, string]>): string =>
  JSON.stringify(Object.fromEntries(pairs))

/**
 * `dt_metadata.properties`.
 *
 * @category rendering
 * @since 0.1.0
 */
export const renderProperties = (pairs: ReadonlyArray<readonly [string, string]>): string =>
  pairs.map(([key, value]) => `${key}=${value}\n`).join("")

/**
 * Writes the enrichment files of every container.
 *
 * @category writers
 * @since 0.1.0
 */
export const write = Effect.fn("Enrichment.write")(function* (
  input: BootstrapInput,
  files: InputFiles,
  configDirectory: string
) {
  for (const container of input.containers) {
    const dir = path.join(configDirectory, container["k8s.container.name"], "enrichment")
    const pairs = metadata(input, container)
    yield* ConfigFiles.write(path.join(dir, "dt_metadata.json"), renderJson(pairs))
    yield* ConfigFiles.write(path.join(dir, "dt_metadata.properties"), renderProperties(pairs))
    if (Option.isSome(files.endpointProperties)) {
      yield* ConfigFiles.write(path.join(dir, "endpoint", "endpoint.properties"), files.endpointProperties.value)
    }
  }
})
