/**
 * The demo's terminal output: short lines with a marker per kind, colours only when stdout is a TTY (and
 * `NO_COLOR` is not set), times relative to the start.
 *
 * @since 0.1.0
 */
const colour = process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined
const paint = (code: string) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text)

export const bold = paint("1")
export const dim = paint("2")
export const red = paint("31")
export const green = paint("32")
export const yellow = paint("33")
export const blue = paint("34")
export const cyan = paint("36")

const start = Date.now()
const clock = () => dim(`${((Date.now() - start) / 1000).toFixed(1).padStart(5)}s`)

export const line = (text: string): void => void process.stdout.write(`${text}\n`)
export const title = (text: string): void => line(`\n${bold(cyan(text))}\n`)
export const step = (text: string): void => line(`\n${clock()} ${bold(blue("▶"))} ${bold(text)}`)
export const ok = (text: string): void => line(`${clock()}   ${green("✔")} ${text}`)
export const fail = (text: string): void => line(`${clock()}   ${red("✘")} ${text}`)
export const skip = (text: string): void => line(`${clock()}   ${yellow("⚠ SKIPPED:")} ${text}`)
export const warn = (text: string): void => line(`${clock()}   ${yellow("!")} ${text}`)
export const info = (text: string): void => line(`${clock()}   ${dim("·")} ${text}`)
export const detail = (text: string): void => line(`         ${dim("│")} ${text}`)
export const event = (kind: string, text: string): void => line(`${clock()}   ${cyan(kind.padEnd(10))} ${text}`)
/** A diff line: `+ …` green, `  …` plain, headings bold. */
export const diff = (text: string): void =>
  line(`         ${text.startsWith("+") ? green(text) : text.startsWith("#") ? bold(text.slice(2)) : dim(text)}`)
