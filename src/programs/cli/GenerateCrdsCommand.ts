/**
 * `dynatrace-operator generate-crds`: prints the CustomResourceDefinitions, generated from the Effect Schemas
 * in `src/schemas`, as multi-document YAML. `npm run generate` writes the same output into `manifests/`.
 */
import { Console } from "effect"
import { Command } from "effect/cli"

export const generateCrdsCommand = Command.make("generate-crds", {}, () =>
  Console.log("# CRDs are generated here once src/schemas lands")
).pipe(Command.withDescription("Print the DynaKube and EdgeConnect CRDs generated from the schemas, as YAML."))
