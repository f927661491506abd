/**
 * `npm run generate`: writes the artefacts generated from the code: the CRDs in `manifests/crds/` (from the
 * Effect Schemas in `src/schemas`; `src/schemas/Crds.test.ts` fails when stale) and the Helm chart's CRD templates
 * (`e2e/chart/ChartCrds.ts`; `e2e/chart/Chart.test.ts` fails when stale).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { writeChartCrds } from "../e2e/chart/ChartCrds.ts"
import { crdFiles, toYaml } from "../src/schemas/Crds.ts"

const dir = join(import.meta.dirname, "..", "manifests", "crds")
mkdirSync(dir, { recursive: true })
for (const { name, crd } of crdFiles()) {
  writeFileSync(join(dir, name), toYaml(crd))
  console.log(`wrote manifests/crds/${name}`)
}
for (const file of writeChartCrds()) console.log(`wrote ${file}`)
