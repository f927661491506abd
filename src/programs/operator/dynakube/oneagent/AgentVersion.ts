/**
 * Version thresholds of the OneAgent image that change the DaemonSet (spec §2.2.4):
 *
 * - `1.273`: older agents take the proxy from the `https_proxy` env var and a `--set-proxy` argument;
 * - `1.276`: older agents lack `/usr/bin/watchdog-healthcheck64` (the health check greps `/proc` instead);
 * - `1.291`: from here on the read-only modes run with a read-only root file system.
 *
 * Versions are the tenant's `major.minor.patch.YYYYMMDD-HHMMSS`. The original compares them in two ways, both kept:
 * semantic-version comparison of the first three dot-separated parts (`golang.org/x/mod/semver`, for the 1.276 and
 * 1.291 thresholds) and a strict four-part comparison (for 1.273). An unknown version (`""`) or a custom image
 * (`"custom-image"`) counts as new.
 *
 * @since 0.1.0
 */

/** `status.oneAgent.version` when the image is a custom one. @category constants @since 0.1.0 */
export const customImageVersion = "custom-image"

interface SemVer {
  readonly major: string
  readonly minor: string
  readonly patch: string
  readonly prerelease: ReadonlyArray<string>
}

const num = "(0|[1-9][0-9]*)"
const ident = "[0-9A-Za-z-]+"
const semverPattern = new RegExp(
  `^v${num}(?:\\.${num}(?:\\.${num}(?:-(${ident}(?:\\.${ident})*))?(?:\\+${ident}(?:\\.${ident})*)?)?)?$`
)

/** Parses a `vX[.Y[.Z[-pre][+build]]]` semantic version as `golang.org/x/mod/semver` does; short forms get zeros. */
const parseSemver = (v: string): SemVer | undefined => {
  const m = semverPattern.exec(v)
  if (m === null) return undefined
  const prerelease = m[4] === undefined ? [] : m[4].split(".")
  if (prerelease.some((p) => /^0[0-9]+$/.test(p))) return undefined
  return { major: m[1] ?? "0", minor: m[2] ?? "0", patch: m[3] ?? "0", prerelease }
}

const compareNumeric = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0

const comparePrerelease = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  if (a.length === 0 || b.length === 0) return b.length - a.length // no prerelease sorts after any prerelease
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? ""
    const y = b[i] ?? ""
    if (x === y) continue
    const xNum = /^[0-9]+$/.test(x)
    const yNum = /^[0-9]+$/.test(y)
    if (xNum && yNum) return compareNumeric(x, y)
    if (xNum !== yNum) return xNum ? -1 : 1
    return x < y ? -1 : 1
  }
  return a.length - b.length
}

const compareSemver = (a: SemVer, b: SemVer): number =>
  compareNumeric(a.major, b.major) ||
  compareNumeric(a.minor, b.minor) ||
  compareNumeric(a.patch, b.patch) ||
  comparePrerelease(a.prerelease, b.prerelease)

/**
 * The semantic version of an agent version: its first three dot-separated parts with a `v` prefix (`dtversion.ToSemver`);
 * `undefined` when that is not a valid semantic version.
 * @category parsing
 * @since 0.1.0
 */
export const toSemver = (version: string): SemVer | undefined =>
  parseSemver(`v${version.split(".").slice(0, 3).join(".")}`.replace(/^vv/, "v"))

/**
 * Whether `version` is at least the `threshold` (`"1.291"`); `undefined` when the version cannot be read.
 * @category comparison
 * @since 0.1.0
 */
export const isAtLeast = (version: string, threshold: string): boolean | undefined => {
  const v = toSemver(version)
  const t = parseSemver(`v${threshold}`)
  return v === undefined || t === undefined ? undefined : compareSemver(v, t) >= 0
}

interface FourPartVersion {
  readonly major: number
  readonly minor: number
  readonly release: number
  readonly timestamp: string
}

const fourPartPattern = /^(\d+)\.(\d+)\.(\d+)\.(\d+-\d+)$/

/**
 * Parses the strict `major.minor.patch.YYYYMMDD-HHMMSS` form (`version.ExtractSemanticVersion`).
 * @category parsing
 * @since 0.1.0
 */
export const parseFourPart = (version: string): FourPartVersion | undefined => {
  const m = fourPartPattern.exec(version)
  if (m === null) return undefined
  return { major: Number(m[1]), minor: Number(m[2]), release: Number(m[3]), timestamp: m[4] ?? "" }
}

const compareFourPart = (a: FourPartVersion, b: FourPartVersion): number =>
  a.major - b.major ||
  a.minor - b.minor ||
  a.release - b.release ||
  (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0)

const unknown = (version: string | undefined): version is undefined | "" | typeof customImageVersion =>
  version === undefined || version === "" || version === customImageVersion

/**
 * Whether the agent reads its proxy from the mounted proxy secret instead of `https_proxy` / `--set-proxy`
 * (agents from 1.273 on). The original fails the reconcile on a version it cannot parse; here such a version
 * counts as new, so a malformed status never blocks the DaemonSet.
 * @category thresholds
 * @since 0.1.0
 */
export const isProxyAsEnvDeprecated = (version: string | undefined): boolean => {
  if (unknown(version)) return true
  const running = parseFourPart(version)
  const threshold = parseFourPart("1.273.0.0-0")
  return running === undefined || threshold === undefined || compareFourPart(running, threshold) >= 0
}

/**
 * Whether the read-only modes may use a read-only root file system (agents from 1.291 on, unknown or unreadable
 * versions included).
 * @category thresholds
 * @since 0.1.0
 */
export const supportsReadOnlyRootFs = (version: string | undefined): boolean =>
  unknown(version) ? true : (isAtLeast(version, "1.291") ?? true)

/**
 * Whether the image ships `/usr/bin/watchdog-healthcheck64` (agents from 1.276 on, unknown versions included).
 * `undefined` for an unreadable version: the original then keeps the previous health check.
 * @category thresholds
 * @since 0.1.0
 */
export const hasWatchdogHealthcheck = (version: string | undefined): boolean | undefined =>
  unknown(version) ? true : isAtLeast(version, "1.276")
