/**
 * Semantic-version checks as the original performs them on OneAgent versions: Go's `golang.org/x/mod/semver`
 * validity of `v` + the first three dot-separated parts of the version (`dtversion.ToSemver`).
 *
 * @since 0.1.0
 */

const number = /^(0|[1-9][0-9]*)$/
const identifier = /^[0-9A-Za-z-]+$/

const validPrerelease = (text: string): boolean =>
  text.split(".").every((id) => identifier.test(id) && (!/^[0-9]+$/.test(id) || number.test(id)))

const validBuild = (text: string): boolean => text.split(".").every((id) => identifier.test(id))

/**
 * Go's `semver.IsValid`: `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`, no leading zeros; the short forms take no
 * pre-release or build suffix.
 * @category checks
 * @since 0.1.0
 */
export const isValid = (version: string): boolean => {
  if (!version.startsWith("v")) return false
  const match = /^v([^.+-]*)(?:\.([^.+-]*)(?:\.([^+-]*))?)?(?:-([^+]*))?(?:\+(.*))?$/.exec(version)
  if (match === null) return false
  const [, major, minor, patch, prerelease, build] = match
  if (major === undefined || !number.test(major)) return false
  if (minor === undefined || patch === undefined)
    return prerelease === undefined && build === undefined && (minor === undefined || number.test(minor))
  if (!number.test(minor) || !number.test(patch)) return false
  if (prerelease !== undefined && !validPrerelease(prerelease)) return false
  return build === undefined || validBuild(build)
}

/**
 * `dtversion.ToSemver` succeeds: the first three dot-separated parts, prefixed with `v`, are a valid semver.
 * @category checks
 * @since 0.1.0
 */
export const isSemverConvertible = (version: string): boolean => {
  if (version === "") return true
  const semantic = version.split(".").slice(0, 3).join(".")
  return isValid(semantic.startsWith("v") ? semantic : `v${semantic}`)
}
