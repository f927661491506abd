/**
 * Slash-separated path helpers with the results of Go's `path/filepath` on Unix (`Clean`, `IsAbs`, `Rel`), which
 * the original's volume-mount and host-path rules rely on, quirks included (e.g. `Rel("/a/b", "/a")` is `..`).
 *
 * @since 0.1.0
 */

/** `filepath.IsAbs`. @category paths @since 0.1.0 */
export const isAbs = (path: string): boolean => path.startsWith("/")

/** `filepath.Clean`. @category paths @since 0.1.0 */
export const clean = (path: string): string => {
  if (path === "") return "."
  const rooted = path.startsWith("/")
  const out: Array<string> = []
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop()
      else if (!rooted) out.push("..")
      continue
    }
    out.push(part)
  }
  const joined = out.join("/")
  if (rooted) return `/${joined}`
  return joined === "" ? "." : joined
}

const parts = (cleaned: string): ReadonlyArray<string> =>
  cleaned === "/" || cleaned === "." ? [] : cleaned.replace(/^\//, "").split("/")

/**
 * `filepath.Rel(base, target)`: `undefined` where Go returns an error (one path absolute and the other not, or
 * a base that needs `..` to leave).
 * @category paths
 * @since 0.1.0
 */
export const rel = (base: string, target: string): string | undefined => {
  const b = clean(base)
  const t = clean(target)
  if (t === b) return "."
  if (isAbs(b) !== isAbs(t)) return undefined
  const bp = parts(b)
  const tp = parts(t)
  let common = 0
  while (common < bp.length && common < tp.length && bp[common] === tp[common]) common++
  if (bp[common] === "..") return undefined
  const ups = bp.length - common
  const rest = tp.slice(common)
  if (ups === 0) return rest.join("/")
  return [...Array.from({ length: ups }, () => ".."), ...rest].join("/")
}
