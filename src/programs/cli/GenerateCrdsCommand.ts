/**
 * `dynatrace-operator generate-crds`: prints the CustomResourceDefinitions, generated from the Effect Schemas
 * in `src/schemas`, as multi-document YAML. `npm run generate` writes the same output into `manifests/crds/`.
 * `--namespace` sets the namespace of the `dynatrace-webhook` Service the conversion stanza points at.
 */
import { Console, Effect, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { allCrdsYaml, DefaultNamespace } from "../../schemas/Crds.ts"

/** A Kubernetes namespace name (RFC 1123 label). */
const NamespaceName = Schema.String.check(
  Schema.isMaxLength(63),
  Schema.isPattern(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "Expected a namespace name (RFC 1123 label)" })
)

export const generateCrdsCommand = Command.make(
  "generate-crds",
  {
    namespace: Flag.String("namespace").pipe(
      Flag.withDescription("Namespace of the dynatrace-webhook Service that serves /convert."),
      Flag.withSchema(NamespaceName),
      Flag.withDefault(DefaultNamespace)
    )
  },
  Effect.fn("GenerateCrdsCommand.run")(function* ({ namespace }) {
    yield* Console.log(allCrdsYaml({ namespace }).trimEnd())
  })
).pipe(Command.withDescription("Print the DynaKube and EdgeConnect CRDs generated from the schemas, as YAML."))
