/**
 * `dynatrace-operator explain`: what the pod webhook would do with a workload's pods, and why — every rule of the
 * decision with its verdict, and the JSON patch an admission would apply. Reads only; works on manifests that are
 * not applied yet, which a server-side `--dry-run` cannot do for anything but bare Pods.
 *
 * ```
 * kubectl exec -n dynatrace deploy/dynatrace-webhook -- dynatrace-operator explain deployment/shop -n demo-shop
 * dynatrace-operator explain -f shop.yaml          # with a kubeconfig; the manifest may hold several documents
 * ```
 *
 * | flag / env                 | default |
 * |----------------------------|---------|
 * | `<kind>/<name>`            | (or `--file`) a pod or workload in the cluster |
 * | `--file`, `-f`             | a YAML/JSON manifest, `-` for stdin: the first pod or workload in it |
 * | `--namespace`, `-n`        | `default` (a manifest's own namespace wins) |
 * | `--operator-namespace`     | `POD_NAMESPACE`, `dynatrace` |
 * | `--json`                   | false |
 *
 * Logs go to stderr; stdout holds only the report. Exit code 1 when nothing could be explained (unknown target,
 * no webhook installed, the apiserver unreachable).
 */
import { Config, Console, Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as fs from "node:fs"
import { parseAllDocuments } from "yaml"
import { KubeClient } from "../../services/KubeClient.ts"
import * as Explain from "../explain/Explain.ts"
import * as Render from "../explain/Render.ts"
import * as Target from "../explain/Target.ts"
import { stderrLogger } from "./TroubleshootCommand.ts"
import { version } from "./Version.ts"

const targetError = (message: string) => new Explain.ExplainError({ reason: "Target", message })

/** The first document of a manifest that `explain` can use. */
export const manifestOf = (text: string): Result.Result<unknown, Explain.ExplainError> => {
  const documents = parseAllDocuments(text)
  const parsed = Array.isArray(documents) ? documents : [documents]
  const objects: Array<unknown> = []
  for (const document of parsed) {
    if (document.errors.length > 0)
      return Result.fail(targetError(`the manifest is not YAML: ${document.errors[0]!.message}`))
    const value: unknown = document.toJS()
    // `kubectl get ... -o yaml` of several objects is one `kind: List` with the objects as items.
    const items = (value as { readonly kind?: unknown; readonly items?: unknown } | null)?.items
    if ((value as { readonly kind?: unknown } | null)?.kind === "List" && Array.isArray(items)) objects.push(...items)
    else if (value !== null && value !== undefined) objects.push(value)
  }
  const usable = objects.find((o) => {
    const kind = typeof o === "object" && o !== null ? (o as { readonly kind?: unknown }).kind : undefined
    return typeof kind === "string" && Option.isSome(Target.kindOf(kind))
  })
  return usable === undefined
    ? Result.fail(targetError(`the manifest holds no ${Target.kindNames.join(", ")}`))
    : Result.succeed(usable)
}

const readManifest = (file: string) =>
  Effect.try({
    try: () => fs.readFileSync(file === "-" ? 0 : file, "utf8"),
    catch: (e) => targetError(`cannot read ${file === "-" ? "stdin" : file}: ${(e as Error).message}`)
  }).pipe(Effect.flatMap((text) => Effect.fromResult(manifestOf(text))))

export const explainCommand = Command.make(
  "explain",
  {
    target: Argument.String("kind/name").pipe(
      Argument.withDescription("A pod or workload in the cluster: deployment/shop, sts/db, cronjob/report, pod/web-0."),
      Argument.optional
    ),
    file: Flag.String("file").pipe(
      Flag.withAlias("f"),
      Flag.withDescription("A manifest (YAML or JSON; - for stdin) holding the pod or workload to explain."),
      Flag.optional
    ),
    namespace: Flag.String("namespace").pipe(
      Flag.withAlias("n"),
      Flag.withDescription("Namespace of the target (a manifest's own namespace wins)."),
      Flag.withDefault("default")
    ),
    operatorNamespace: Flag.String("operator-namespace").pipe(
      Flag.withDescription("Namespace of the operator and its webhook (default: POD_NAMESPACE, else dynatrace)."),
      Flag.withFallbackConfig(Config.String("POD_NAMESPACE")),
      Flag.withDefault("dynatrace")
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the report as JSON."), Flag.withDefault(false))
  },
  Effect.fn("ExplainCommand.run")(function* (flags) {
    const target = yield* Option.match(flags.file, {
      onSome: (file) =>
        Option.isSome(flags.target)
          ? Effect.fail(targetError("give either <kind>/<name> or --file, not both"))
          : Effect.map(readManifest(file), (manifest) => ({ _tag: "Manifest" as const, manifest })),
      onNone: () =>
        Option.match(flags.target, {
          onNone: () => Effect.fail(targetError("nothing to explain: give <kind>/<name> or --file")),
          onSome: (text) =>
            Effect.map(Effect.fromResult(Explain.parseTarget(text)), (reference) => ({
              _tag: "Reference" as const,
              reference
            }))
        })
    })
    const report = yield* Explain.run({
      operatorNamespace: flags.operatorNamespace,
      namespace: flags.namespace,
      target,
      version
    }).pipe(Effect.provide(KubeClient.layer))
    yield* Console.log(flags.json ? JSON.stringify(Render.toJson(report), null, 2) : Render.toText(report))
  }, Effect.provide(stderrLogger))
).pipe(
  Command.withDescription(
    "Show what the pod webhook would do with a workload's pods and why: every injection rule with its verdict, and the patch. Reads only."
  )
)
