/**
 * The provisioner's own metrics (served on `:8090` next to the controller metrics of `runtime/Controller.ts`):
 *
 * - `dynatrace_csi_provisioner_installs_total{result}`: code-module installs, `installed` or `failed` (a version
 *   that was already on the node counts as neither: nothing was downloaded).
 * - `dynatrace_csi_provisioner_install_seconds`: download plus extraction time of one install.
 * - `dynatrace_csi_provisioner_downloaded_bytes_total`: bytes of code-module zips downloaded.
 * - `dynatrace_csi_provisioner_gc_removed_total{kind}`: paths garbage collection deleted, by rule.
 * - `dynatrace_csi_provisioner_code_modules`: code-module directories on the node after the last collection.
 *
 * @since 0.1.0
 */
import { Metric } from "effect"

/** @category metrics @since 0.1.0 */
export const installs = Metric.counter("dynatrace_csi_provisioner_installs_total", {
  description: "Code-module installs by result (installed, failed)"
})

/** @category metrics @since 0.1.0 */
export const installSeconds = Metric.histogram("dynatrace_csi_provisioner_install_seconds", {
  description: "Download and extraction time of one code-module install",
  boundaries: Metric.exponentialBoundaries({ start: 0.25, factor: 2, count: 12 })
})

/** @category metrics @since 0.1.0 */
export const downloadedBytes = Metric.counter("dynatrace_csi_provisioner_downloaded_bytes_total", {
  description: "Bytes of code-module zips downloaded"
})

/** @category metrics @since 0.1.0 */
export const gcRemoved = Metric.counter("dynatrace_csi_provisioner_gc_removed_total", {
  description: "Paths removed by garbage collection, by rule"
})

/** @category metrics @since 0.1.0 */
export const codeModules = Metric.gauge("dynatrace_csi_provisioner_code_modules", {
  description: "Code-module directories on the node after the last garbage collection"
})
