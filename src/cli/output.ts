import type { Writable } from 'node:stream'
import { Chalk, type ChalkInstance } from 'chalk'
import { escapeUnsafe, escapeUnsafeInLines, escapeUnsafeInUtf8Buffer } from '../core/text-input.js'
import { FIRM_TIME_ZONE, localTime } from '../core/time.js'

export interface Column<T> {
  header: string
  value: (row: T) => string | number | null | undefined
}

/** Everything the CLI prints goes through here: tables for people, JSON for scripts. */
export class Output {
  #color?: ChalkInstance
  constructor(
    readonly stdout: Writable,
    readonly stderr: Writable,
    private readonly colorEnabled: () => boolean,
  ) {}

  /** Decided on first use, after the command line is parsed, so that `--no-color` counts. */
  get color(): ChalkInstance {
    this.#color ??= new Chalk({ level: this.colorEnabled() ? 1 : 0 })
    return this.#color
  }

  // Stored text never reaches the terminal raw: a control or bidi character in a name shows as a
  // visible escape (docs/rules.md#text-input). Only our own styling (chalk) writes escapes.
  line(text = ''): void {
    this.#raw(escapeUnsafe(text))
  }

  #raw(text: string): void {
    this.stdout.write(`${text}\n`)
  }

  /** JSON; the escapes it writes for unsafe characters are valid JSON escapes. */
  json(value: unknown): void {
    this.stdout.write(`${escapeUnsafeInLines(JSON.stringify(value, null, 2))}\n`)
  }

  /** JSON already written as UTF-8 (by the database), in pieces, escaped as `json` escapes. */
  jsonBytes(pieces: readonly Buffer[]): void {
    // Each piece ends between characters, so escaping it alone escapes the whole.
    for (const piece of pieces) this.stdout.write(escapeUnsafeInUtf8Buffer(piece))
    this.stdout.write('\n')
  }

  /** A note for the person at the terminal; on stderr so it never mixes with data. */
  note(text: string): void {
    this.stderr.write(`${escapeUnsafe(text)}\n`)
  }

  /** A boxed table, one line per row; widths measured over all rows, drawn in linear time. */
  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty = 'nothing to show'): void {
    if (rows.length === 0) {
      this.note(empty)
      return
    }
    // Drawn here rather than by cli-table3, whose span bookkeeping is quadratic in the rows:
    // 2,000 clients took 1.8 s to draw.
    const cells = rows.map((row) => columns.map((c) => flatten(String(c.value(row) ?? ''))))
    const widths = columns.map((c, i) =>
      Math.max(displayWidth(c.header), ...cells.map((line) => displayWidth(line[i]))),
    )
    const rule = (left: string, mid: string, right: string) =>
      `${left}${widths.map((w) => '─'.repeat(w + 2)).join(mid)}${right}`
    const pad = (text: string, i: number) => ' '.repeat(widths[i] - displayWidth(text))
    const line = (texts: string[], style: (text: string) => string = (text) => text) =>
      `│${texts.map((text, i) => ` ${style(text)}${pad(text, i)} `).join('│')}│`
    const lines = [
      rule('┌', '┬', '┐'),
      line(
        columns.map((c) => c.header),
        (text) => this.color.bold(text),
      ),
      rule('├', '┼', '┤'),
      ...cells.map((texts) => line(texts)),
      rule('└', '┴', '┘'),
    ]
    this.#raw(lines.join('\n'))
  }

  /** Key–value pairs of one record, for `show` commands. */
  record(pairs: readonly [string, string | number | null | undefined][]): void {
    const width = Math.max(...pairs.map(([k]) => k.length))
    for (const [key, value] of pairs) {
      this.#raw(`${this.color.bold(key.padEnd(width))}  ${escapeUnsafe(String(value ?? ''))}`)
    }
  }
}

// A cell is one line: line breaks and tabs in a title would break the box.
function flatten(text: string): string {
  return escapeUnsafe(text.replace(/[\r\n\t]+/g, ' '))
}

const COMBINING = /\p{M}/u
// East Asian wide ranges and emoji: two columns in a terminal.
const WIDE = new RegExp(
  '[\\u1100-\\u115f\\u2e80-\\ua4cf\\uac00-\\ud7a3\\uf900-\\ufaff\\ufe30-\\ufe4f\\uff00-\\uff60' +
    '\\uffe0-\\uffe6\\u{1f300}-\\u{1faff}\\u{20000}-\\u{3fffd}]',
  'u',
)

/** Terminal columns `text` takes: combining accents take none, CJK and emoji two. */
export function displayWidth(text: string): number {
  let width = 0
  for (const char of text) {
    if (COMBINING.test(char)) continue
    width += WIDE.test(char) ? 2 : 1
  }
  return width
}

/** Where people's tables show times unless `--tz` says otherwise (docs/rules.md#data). */
export const DEFAULT_TIME_ZONE = FIRM_TIME_ZONE

/** Checks an IANA time zone name from `--tz`; returns it, or null when it is unknown. */
export function checkTimeZone(zone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: zone })
    return zone
  } catch {
    return null
  }
}

/** A stored UTC time as people read it in `zone`: `2026-11-29 09:00`; empty for null. */
export function formatTime(iso: string | null | undefined, zone = DEFAULT_TIME_ZONE): string {
  if (!iso) return ''
  // core's formatter (one per zone) without the seconds
  return localTime(iso, zone).slice(0, 16)
}
