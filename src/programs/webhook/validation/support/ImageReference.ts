/**
 * Whether a custom image reference can be parsed, with the rules of go-containerregistry's `name.ParseReference`
 * (non-strict), which the original uses for `spec.activeGate.image` and `spec.oneAgent.<mode>.image`:
 *
 * - `[registry/]repository[:tag]` or `[registry/]repository[:tag]@sha256:<64 hex>`;
 * - the first path component is a registry when it contains `.` or `:`, and must then be a plain URI authority
 *   (`host[:port]`);
 * - a repository is 2–255 characters of `a-z 0-9 _ - . /` (Docker Hub names without `/` get `library/`);
 * - a tag is 1–127 characters of `A-Z a-z 0-9 _ - .`.
 *
 * @since 0.1.0
 */
import * as GoUrl from "./GoUrl.ts"

const repositoryChars = /^[a-z0-9_\-./]*$/
const tagChars = /^[A-Za-z0-9_\-.]*$/
const digestChars = /^[sh:0-9a-f]*$/

const element = (value: string, chars: RegExp, min: number, max: number): boolean =>
  value.length >= min && value.length <= max && chars.test(value)

const validRegistry = (registry: string): boolean => {
  const url = GoUrl.parse(`//${registry}`)
  return url !== undefined && url.host === registry
}

const validRepository = (name: string): boolean => {
  if (name.length === 0) return false
  const slash = name.indexOf("/")
  let registry = ""
  let repository = name
  if (slash >= 0) {
    const first = name.slice(0, slash)
    if (first.includes(".") || first.includes(":")) {
      registry = first
      repository = name.slice(slash + 1)
    }
  }
  if (!element(repository, repositoryChars, 2, 255)) return false
  if (!validRegistry(registry)) return false
  const dockerHub = registry === "" || registry === "docker.io" || registry === "index.docker.io"
  // Docker Hub's implicit "library/" must still fit the length limit.
  return !(dockerHub && !repository.includes("/")) || element(`library/${repository}`, repositoryChars, 2, 255)
}

const validTag = (name: string): boolean => {
  let base = name
  const parts = name.split(":")
  if (parts.length > 1 && !parts[parts.length - 1]!.includes("/")) {
    base = parts.slice(0, -1).join(":")
    const tag = parts[parts.length - 1]!
    if (tag !== "" && !element(tag, tagChars, 1, 127)) return false
  }
  return validRepository(base)
}

const validDigest = (name: string): boolean => {
  const parts = name.split("@")
  if (parts.length !== 2) return false
  const [base, digest] = parts as [string, string]
  if (!element(digest, digestChars, 71, 71)) return false
  return validTag(base) || validRepository(base)
}

/**
 * Whether `reference` is an image reference go-containerregistry accepts.
 * @category checks
 * @since 0.1.0
 */
export const isValid = (reference: string): boolean => validTag(reference) || validDigest(reference)
