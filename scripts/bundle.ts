/**
 * `npm run build`: the production bundle the container image runs (`node dist/main.js <subcommand>`);
 * `BUNDLE_OUTDIR` writes it elsewhere (the test does).
 *
 * Why a bundle: from sources every `import { … } from "effect"` loads the whole barrel; esbuild keeps only what is
 * used, and code splitting keeps the lazily loaded subcommands (src/programs/cli/Cli.ts) in their own chunks, so the
 * bootstrap init container loads a fraction of the operator's code (see docs/decisions.md for the figures).
 *
 * Kept outside the bundle: koffi (a native addon, loaded from node_modules at run time). Copied beside the chunks:
 * the CSI and kubelet plugin-registration proto definitions, which @grpc/proto-loader reads from disk.
 */
import * as esbuild from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const outdir = path.resolve(process.env["BUNDLE_OUTDIR"] ?? path.join(root, "dist"))

fs.rmSync(outdir, { recursive: true, force: true })
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: "src/main.ts" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node24",
  outdir,
  chunkNames: "[name]-[hash]",
  minify: true,
  sourcemap: "linked",
  metafile: true,
  external: ["koffi"],
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning"
})
fs.copyFileSync(path.join(root, "src/csi/csi.proto"), path.join(outdir, "csi.proto"))
fs.copyFileSync(path.join(root, "src/csi/sidecars/registration.proto"), path.join(outdir, "registration.proto"))

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"))
const total = outputs.reduce((sum, [, o]) => sum + o.bytes, 0)
console.log(
  `${path.relative(root, outdir) || outdir}: ${outputs.length} chunks, ${(total / 1024 / 1024).toFixed(1)} MiB of JavaScript`
)
