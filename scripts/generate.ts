/**
 * `npm run generate`: writes the artefacts generated from the code. Today these are the CRDs in
 * `manifests/crds/` (from the Effect Schemas in `src/schemas`); `src/schemas/Crds.test.ts` fails when the files
 * are stale.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { crdFiles, toYaml } from "../src/schemas/Crds.ts"

const dir = join(import.meta.dirname, "..", "manifests", "crds")
mkdirSync(dir, { recursive: true })
for (const { name, crd } of crdFiles()) {
  writeFileSync(join(dir, name), toYaml(crd))
  console.log(`wrote manifests/crds/${name}`)
}
