/**
 * The chart's CRD templates, generated from the same Effect Schemas as `manifests/crds/` (never copied by hand):
 * `templates/crd/<group>_<plural>.yaml`, each rendered only with `installCRD`, with the conversion webhook's
 * Service in the release namespace and the chart's labels (the operator compares the DynaKube CRD's
 * `app.kubernetes.io/version` with its own version).
 *
 * `npm run generate` writes them (scripts/generate.ts calls `writeChartCrds`); `e2e/chart/Chart.test.ts` fails
 * when they are stale. CLI: `npm exec -- node e2e/chart/ChartCrds.ts`.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { crdFiles, toYaml } from "../../src/schemas/Crds.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
const chartDir = path.resolve(here, "../../manifests/chart/dynatrace-operator")

/** Where the templates go. */
export const chartCrdDir = path.join(chartDir, "templates/crd")

const namespacePlaceholder = "release-namespace-placeholder"

/** One template: the generated CRD, made a Helm template. */
export const chartCrdTemplate = (yaml: string, crdName: string): string => {
  if (yaml.includes("{{")) throw new Error(`the generated CRD ${crdName} contains "{{", which Helm would evaluate`)
  const nameLine = `metadata:\n  name: ${crdName}\n`
  if (!yaml.includes(nameLine)) throw new Error(`the generated CRD ${crdName} has no "${nameLine.trim()}" block`)
  const body = yaml
    .replace(
      nameLine,
      `${nameLine}  labels:\n    {{- include "dynatrace-operator.componentLabels" (list . "operator") | nindent 4 }}\n`
    )
    .replaceAll(`namespace: ${namespacePlaceholder}`, "namespace: {{ .Release.Namespace }}")
  if (body.includes(namespacePlaceholder)) throw new Error(`the namespace of ${crdName} is used in an unknown place`)
  return `{{- if .Values.installCRD }}\n${body.replace(/^---\n/m, "")}{{- end }}\n`
}

/** Every CRD template by file name. */
export const chartCrdTemplates = (): ReadonlyArray<{ readonly file: string; readonly text: string }> =>
  // The chart's labels include app.kubernetes.io/version (.Chart.AppVersion), so the generator adds none.
  crdFiles({ namespace: namespacePlaceholder, versionLabel: false }).map(({ name, crd }) => ({
    file: name,
    text: chartCrdTemplate(toYaml(crd), String((crd["metadata"] as { name: string }).name))
  }))

/** Writes the templates; returns the paths written. */
export const writeChartCrds = (): ReadonlyArray<string> => {
  fs.mkdirSync(chartCrdDir, { recursive: true })
  return chartCrdTemplates().map(({ file, text }) => {
    const target = path.join(chartCrdDir, file)
    fs.writeFileSync(target, text)
    return path.relative(path.resolve(here, "../.."), target)
  })
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const file of writeChartCrds()) console.log(`wrote ${file}`)
}
