/**
 * `npm run tenant-sim [-- --port 8080] [--host 127.0.0.1] [--https] [--code-module-size 200MB]`
 *
 * Starts the tenant simulator alone and prints its API URL, tokens and admin URL; with `--https` it serves a
 * certificate from a fresh CA and writes that CA to a file (use it as the DynaKube's `trustedCAs`). Ctrl-C stops it.
 *
 * @since 0.1.0
 */
import { rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { startTenantSimulator } from "./TenantSimulator.ts"
import { makeTestCertificates } from "./TestCertificates.ts"

/** `200MB`, `64KiB`, `1024` → bytes. */
const parseSize = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(text.trim())
  if (match === null || match[1] === undefined) throw new Error(`cannot read size "${text}"`)
  const unit = (match[2] ?? "b").toLowerCase()
  const factor = unit.startsWith("k") ? 1024 : unit.startsWith("m") ? 1024 ** 2 : unit.startsWith("g") ? 1024 ** 3 : 1
  return Math.round(Number(match[1]) * factor)
}

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    https: { type: "boolean", default: false },
    "code-module-size": { type: "string" }
  }
})

const certificates = values.https ? await makeTestCertificates([values.host]) : undefined
const simulator = await startTenantSimulator({
  host: values.host,
  port: Number(values.port),
  ...(certificates === undefined ? {} : { tls: { cert: certificates.certPem, key: certificates.keyPem } }),
  ...(values["code-module-size"] === undefined
    ? {}
    : { config: { codeModuleFillerBytes: parseSize(values["code-module-size"]) } })
})

let caFile: string | undefined
if (certificates !== undefined) {
  caFile = join(tmpdir(), `tenant-simulator-ca-${process.pid}.pem`)
  writeFileSync(caFile, certificates.caPem)
}

console.log(
  [
    `Tenant simulator listening`,
    `  apiUrl:          ${simulator.url}`,
    `  apiToken:        ${simulator.apiToken}`,
    `  paasToken:       ${simulator.paasToken}`,
    `  dataIngestToken: ${simulator.dataIngestToken}`,
    `  platformToken:   ${simulator.platformToken}`,
    `  tenantUUID:      ${simulator.tenant.config.tenantUUID}`,
    `  admin:           ${simulator.origin}/__admin/hits`,
    ...(caFile === undefined ? [] : [`  trusted CA:      ${caFile}`])
  ].join("\n")
)

const stop = () => {
  if (caFile !== undefined) rmSync(caFile, { force: true })
  void simulator.close().then(() => process.exit(0))
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
