/**
 * What the code asks of the Kubernetes API, found statically: for one program (its CLI command files), the source
 * files it imports (transitively, relative imports only), every resource descriptor those files use
 * (`Resources.X` or a local `resource({ group, plural })`), and the verbs a use implies when it sits directly in a
 * call we know (`kube.get(Resources.Secret, …)` → get, `Informer.make(Resources.Node)` → list + watch,
 * `ObjectSync.ensure(Resources.Service, …)` → get + patch + create, …). A use elsewhere (a list of resources, a
 * helper of the file) counts as "referenced": the RBAC table must still name the resource. Raw requests (container
 * logs) are found by their request info (`{ verb: "get", resource: "pods/log" }`).
 *
 * It is a text scan, not a type checker (TypeScript 7 has no compiler API here): it relies on the code calling the
 * KubeClient through `Resources.*` descriptors, which is the project's convention (docs/kubeclient.md).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot } from "../controlplane/ControlPlane.ts"
import * as Resources from "../../src/services/kube/Resources.ts"

/** An API verb as RBAC knows it. */
export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete"

/** One resource the code uses: group, resource (with `/subresource`), and where. */
export interface Use {
  readonly group: string
  readonly resource: string
  /** Verbs implied by the call the descriptor sits in; empty when the call is not one we know. */
  readonly verbs: ReadonlyArray<Verb>
  readonly file: string
  readonly line: number
  readonly call: string
}

/** Call names → the verbs they need. */
export const callVerbs: Readonly<Record<string, ReadonlyArray<Verb>>> = {
  get: ["get"],
  list: ["list"],
  listAll: ["list"],
  create: ["create"],
  update: ["update"],
  patch: ["patch"],
  // Server-side apply: a PATCH that creates the object when it does not exist.
  apply: ["patch", "create"],
  delete: ["delete"],
  watch: ["list", "watch"],
  // Informer.make: list-then-watch.
  make: ["list", "watch"],
  // ObjectSync.ensure: read (GET or a cache), then apply; ensureAbsent: read, then delete.
  ensure: ["get", "patch", "create"],
  ensureAbsent: ["get", "delete"],
  readWithGet: ["get"],
  readOptional: ["get"],
  readOrFail: ["get"],
  getOption: ["get"]
}

/** The source files `entries` import, transitively (relative `.ts` imports), tests excluded. */
export const importClosure = (entries: ReadonlyArray<string>): ReadonlyArray<string> => {
  const seen = new Set<string>()
  const queue = entries.map((e) => path.resolve(repoRoot, e))
  while (queue.length > 0) {
    const file = queue.pop()!
    if (seen.has(file) || !fs.existsSync(file) || file.endsWith(".test.ts")) continue
    seen.add(file)
    const text = fs.readFileSync(file, "utf8")
    for (const match of text.matchAll(/(?:from\s*|import\s+)["'](\.{1,2}\/[^"']+\.ts)["']/g)) {
      queue.push(path.resolve(path.dirname(file), match[1]!))
    }
  }
  return [...seen].map((f) => path.relative(repoRoot, f)).toSorted()
}

const descriptors = Resources as unknown as Readonly<Record<string, { group: string; plural: string }>>

/** Text with comments blanked out (same length, so offsets and lines stay right). */
const withoutComments = (text: string): string =>
  text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (comment) => comment.replace(/[^\n]/g, " "))

/** The name of the call whose argument list contains offset `at` (e.g. `get` for `kube.get<T>(Resources.X`). */
const enclosingCall = (text: string, at: number): string => {
  let depth = 0
  for (let i = at - 1; i >= 0; i--) {
    const c = text[i]
    if (c === ")" || c === "]" || c === "}") depth++
    else if (c === "(" || c === "[" || c === "{") {
      if (depth > 0) {
        depth--
        continue
      }
      if (c !== "(") return "" // inside an array or object literal
      let j = i - 1
      while (j >= 0 && /\s/.test(text[j]!)) j--
      if (text[j] === ">") {
        // skip a type argument list
        let angle = 0
        for (; j >= 0; j--) {
          if (text[j] === ">") angle++
          else if (text[j] === "<" && --angle === 0) break
        }
        j--
      }
      const end = j + 1
      while (j >= 0 && /[\w$]/.test(text[j]!)) j--
      return text.slice(j + 1, end)
    }
  }
  return ""
}

/** Every resource use in the files. */
export const scan = (files: ReadonlyArray<string>): ReadonlyArray<Use> => {
  const uses: Array<Use> = []
  for (const file of files) {
    if (file.endsWith("src/services/kube/Resources.ts")) continue
    const text = withoutComments(fs.readFileSync(path.join(repoRoot, file), "utf8"))
    const lineAt = (offset: number) => text.slice(0, offset).split("\n").length
    const local = new Map<string, { group: string; plural: string }>()
    for (const m of text.matchAll(/(?:const|let)\s+(\w+)\s*=\s*resource\(\{([^}]*)\}\)/g)) {
      const group = /group:\s*"([^"]*)"/.exec(m[2]!)?.[1]
      const plural = /plural:\s*"([^"]*)"/.exec(m[2]!)?.[1]
      if (group !== undefined && plural !== undefined) local.set(m[1]!, { group, plural })
    }
    // Inline descriptors (`resource({ … })` not assigned to a name).
    for (const m of text.matchAll(/(?<!=\s*)resource\(\{([^}]*)\}\)/g)) {
      const group = /group:\s*"([^"]*)"/.exec(m[1]!)?.[1]
      const plural = /plural:\s*"([^"]*)"/.exec(m[1]!)?.[1]
      if (group !== undefined && plural !== undefined) {
        uses.push({ group, resource: plural, verbs: [], file, line: lineAt(m.index), call: "" })
      }
    }
    const add = (descriptor: { group: string; plural: string }, offset: number) => {
      const call = enclosingCall(text, offset)
      const verbs = callVerbs[call] ?? []
      const status = call === "updateStatus"
      uses.push({
        group: descriptor.group,
        resource: status ? `${descriptor.plural}/status` : descriptor.plural,
        verbs: status ? ["update"] : verbs,
        file,
        line: lineAt(offset),
        call
      })
    }
    // Raw requests name their request info (`{ verb: "get", resource: "pods/log", … }`); they go to the core API.
    for (const m of text.matchAll(/\bverb:\s*"(\w+)",\s*resource:\s*"([\w/]+)"/g)) {
      // GET /version is a non-resource URL every authenticated user may read (system:public-info-viewer).
      if (m[2] === "version") continue
      uses.push({ group: "", resource: m[2]!, verbs: [m[1] as Verb], file, line: lineAt(m.index), call: "raw" })
    }
    for (const m of text.matchAll(/\bResources\.(\w+)\b/g)) {
      const descriptor = descriptors[m[1]!]
      if (descriptor !== undefined && typeof descriptor === "object" && "plural" in descriptor) add(descriptor, m.index)
    }
    for (const [name, descriptor] of local) {
      for (const m of text.matchAll(new RegExp(`(?<![\\w.])${name}\\b(?!\\s*=)`, "g"))) add(descriptor, m.index)
    }
  }
  return uses
}

/** The programs and the service account each runs as: entry files of their CLI commands. */
export const programs = {
  // troubleshoot and support-archive run in the operator pod (`kubectl exec`), as the operator's service account.
  "dynatrace-operator": [
    "src/programs/cli/OperatorCommand.ts",
    "src/programs/cli/CertgenCommand.ts",
    // The crd-storage-migrator init container (on upgrade) runs as the operator.
    "src/programs/cli/CrdStorageMigrationCommand.ts",
    "src/programs/cli/TroubleshootCommand.ts",
    "src/programs/cli/SupportArchiveCommand.ts"
  ],
  "dynatrace-webhook": ["src/programs/cli/WebhookServerCommand.ts"],
  "dynatrace-oneagent-csi-driver": ["src/programs/cli/CsiServerCommand.ts", "src/programs/cli/CsiProvisionerCommand.ts"]
} as const

/** A program's service account name. */
export type ServiceAccountName = keyof typeof programs
