/**
 * `ruxitagentproc.conf`, the process agent's configuration (spec §4.2 step 2), per container at
 * `<config>/<container>/oneagent/agent/config/ruxitagentproc.conf`:
 *
 * 1. parse the code module's own `<target>/agent/conf/ruxitagentproc.conf` (INI-like: `[section]` headers,
 *    `key value` lines, `#` comments);
 * 2. overlay the tenant's process-module config from the input's `ruxitagentproc.json` (the input wins);
 * 3. rewrite every key starting with `libraryPath` to `<install-path>/agent/<value without ../>` (a leading
 *    quote is kept), because the agent runs from the install path, not from `agent/conf`;
 * 4. force `[general]` `storage`, `logDir` and `dataStorageDir` into the writable `/var/lib/dynatrace/oneagent`;
 * 5. render sorted by section, then key, with control characters stripped (so no value can add a line).
 *
 * Pure functions; `OneAgentConfig` reads and writes the files.
 *
 * @since 0.1.0
 */
import type { ProcessModuleConfig } from "./InputDirectory.ts"

/**
 * Sections of key/value pairs.
 *
 * @category models
 * @since 0.1.0
 */
export type Conf = ReadonlyMap<string, ReadonlyMap<string, string>>

/**
 * The values forced into `[general]`: the agent's writable storage is the config volume's `oneagent` dir, which
 * application containers see at `/var/lib/dynatrace/oneagent` (`DT_STORAGE`).
 *
 * @category constants
 * @since 0.1.0
 */
export const forcedGeneral: ReadonlyArray<readonly [string, string]> = [
  ["storage", '"/var/lib/dynatrace/oneagent"'],
  ["logDir", '"/var/lib/dynatrace/oneagent/log"'],
  ["dataStorageDir", '"/var/lib/dynatrace/oneagent"']
]

// oxlint-disable-next-line no-control-regex -- stripping control characters is the point
const controlCharacters = /[\u0000-\u001f\u007f]/g
const clean = (s: string) => s.replace(controlCharacters, "")

/**
 * Parses the INI-like format. Lines before the first section header go to section `""`.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parse = (text: string): Conf => {
  const conf = new Map<string, Map<string, string>>()
  let section = ""
  const sectionOf = (name: string) => {
    let entries = conf.get(name)
    if (entries === undefined) {
      entries = new Map()
      conf.set(name, entries)
    }
    return entries
  }
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#")) continue
    const header = /^\[(.*)\]$/.exec(line)
    if (header) {
      section = header[1]!.trim()
      sectionOf(section)
      continue
    }
    const at = line.search(/\s/)
    const key = at < 0 ? line : line.slice(0, at)
    const value = at < 0 ? "" : line.slice(at).trim()
    sectionOf(section).set(key, value)
  }
  return conf
}

/**
 * `<install-path>/agent/<value without ../>`, keeping a leading quote.
 *
 * @category rewriting
 * @since 0.1.0
 */
export const rewriteLibraryPath = (value: string, installPath: string): string => {
  const quote = value.startsWith('"') ? '"' : ""
  const rest = (quote ? value.slice(1) : value).replaceAll("../", "")
  return `${quote}${installPath}/agent/${rest}`
}

/**
 * Steps 2–4 on a parsed source.
 *
 * @category rewriting
 * @since 0.1.0
 */
export const merge = (source: Conf, input: ProcessModuleConfig, installPath: string): Conf => {
  const conf = new Map<string, Map<string, string>>()
  const sectionOf = (name: string) => {
    let entries = conf.get(name)
    if (entries === undefined) {
      entries = new Map()
      conf.set(name, entries)
    }
    return entries
  }
  for (const [section, entries] of source) for (const [key, value] of entries) sectionOf(section).set(key, value)
  for (const { section, key, value } of input.properties) sectionOf(section).set(key, value)
  for (const entries of conf.values()) {
    for (const [key, value] of entries) {
      if (key.startsWith("libraryPath")) entries.set(key, rewriteLibraryPath(value, installPath))
    }
  }
  const general = sectionOf("general")
  for (const [key, value] of forcedGeneral) general.set(key, value)
  return conf
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Renders sections and keys sorted, one `key value` per line, a blank line between sections.
 *
 * @category rendering
 * @since 0.1.0
 */
export const render = (conf: Conf): string => {
  const blocks: Array<string> = []
  for (const section of [...conf.keys()].toSorted(byCodePoint)) {
    const entries = conf.get(section)!
    const lines = [...entries.keys()].toSorted(byCodePoint).map((key) => {
      const value = clean(entries.get(key)!)
      return value === "" ? clean(key) : `${clean(key)} ${value}`
    })
    if (section !== "") lines.unshift(`[${clean(section)}]`)
    if (lines.length > 0) blocks.push(lines.join("\n") + "\n")
  }
  return blocks.join("\n")
}

/**
 * The whole file from the source text and the input JSON.
 *
 * @category rendering
 * @since 0.1.0
 */
export const make = (sourceText: string, input: ProcessModuleConfig, installPath: string): string =>
  render(merge(parse(sourceText), input, installPath))
