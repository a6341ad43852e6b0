import { sql } from 'kysely'
import type { Db, OpenDatabase } from '../../db/database.js'
import { ConfiError } from '../../errors.js'
import { EXPORT_COLUMNS, EXPORT_FROM, type ExportColumn } from './columns.js'
import type { CsvDialect } from './csv-dialect.js'
import type { Batch } from './batches.js'
import { filterWhere, type AccessLogFilters } from './filter.js'

type CopyCsv = NonNullable<OpenDatabase['copyCsv']>

const CSV_SOURCES = (EXPORT_COLUMNS as readonly ExportColumn[]).filter((c) => c.csv)
const SELECT_LIST = CSV_SOURCES.map((c) => c.sql).join(', ')
/** Per CSV column: free text, the only cells whose CSV differs between PostgreSQL and confi. */
const TEXT_CELLS = CSV_SOURCES.map((c) => c.kind === 'text')

/**
 * The PostgreSQL counterpart of the SQLite fast path for CSV: the raw cells of the export's join
 * in PostgreSQL's own CSV (`COPY ... TO STDOUT`, formatted in C as psql's `\copy` is), rewritten
 * on the way where confi's CSV contract differs (rewriteCopyCsv). One statement, so one snapshot
 * and one plan; its chunks become batches of whatever whole rows they hold (about 64 KB).
 */
export async function* postgresCsvBatches(
  copyCsv: CopyCsv,
  db: Db,
  filters: AccessLogFilters,
  afterId: number,
  upperBound: number,
  separator: string,
  delimiter: CsvDialect['delimiter'],
): AsyncGenerator<Batch> {
  const query = sql`SELECT ${sql.raw(SELECT_LIST)} FROM ${sql.raw(EXPORT_FROM)}
    WHERE a.id > ${afterId} AND ${filterWhere(filters, upperBound)}
    ORDER BY a.id`.compile(db)
  let rest = ''
  for await (const chunk of copyCsv(query, delimiter)) {
    // Bytes, one character each: every character the rewrite looks for is ASCII, which UTF-8
    // never uses inside a multi-byte character, so nothing is decoded or encoded again and a
    // chunk may end anywhere (docs/decisions.md, "The COPY bytes travel as latin1 strings").
    const bytes = chunk.toString('latin1')
    // No row ends in a chunk without a line feed: keep it without scanning the row again.
    if (chunk.indexOf(LINE_FEED) < 0) {
      rest += bytes
      continue
    }
    const text = rest + bytes
    const { lines, end } = rewriteCopyCsv(text, TEXT_CELLS, delimiter)
    rest = text.slice(end)
    if (lines.length > 0) yield { text: lines.join(separator), rows: lines.length, latin1: true }
  }
  if (rest !== '') throw new ConfiError('the COPY output of the access log ended inside a row')
}

const QUOTE = 34
const LINE_FEED = 10
// The first characters that make a spreadsheet read a cell as a formula (docs/rules.md#access-log-integrity).
const FORMULA_START = new Uint8Array(128)
for (const c of '=+-@\t\r') FORMULA_START[c.charCodeAt(0)] = 1

/**
 * Rewrites PostgreSQL's CSV rows in `text` into confi's (columns.ts `csvCell`, or `sqlCsvLine` as
 * SQLite writes them), returning the lines without their line break and where the first
 * incomplete row starts. PostgreSQL quotes a cell holding the delimiter, `"`, CR or LF, and an
 * empty string (`""`, to tell it from NULL). confi writes raw cells (ids, times, hashes) unquoted,
 * and for free text: an empty string like NULL, a formula-leading cell prefixed with `'`, a cell
 * holding either delimiter quoted (docs/decisions.md, "PostgreSQL export through COPY").
 */
export function rewriteCopyCsv(
  text: string,
  textCells: readonly boolean[],
  delimiter: CsvDialect['delimiter'],
): { lines: string[]; end: number } {
  const other = delimiter === ',' ? ';' : ','
  const last = textCells.length - 1
  const lines: string[] = []
  // Where the next `other` delimiter is, found once per occurrence instead of once per cell.
  let otherAt = -1
  let rowStart = 0
  rows: for (;;) {
    let line = ''
    let copied = rowStart
    let at = rowStart
    for (let column = 0; column <= last; column++) {
      const stop = column === last ? '\n' : delimiter
      let cellEnd: number
      let cell: string | undefined
      if (text.charCodeAt(at) === QUOTE) {
        const close = closingQuote(text, at + 1)
        if (close < 0) break rows
        cellEnd = close + 1
        if (text[cellEnd] !== stop) throw new ConfiError('the COPY output of the access log is not the CSV expected')
        cell = textCells[column] ? quotedText(text, at, close) : unquote(text, at, close)
      } else {
        cellEnd = text.indexOf(stop, at)
        if (cellEnd < 0) break rows
        if (textCells[column] && cellEnd > at) {
          if (otherAt < at) otherAt = nextOrEnd(text, other, at)
          cell = bareText(text, at, cellEnd, otherAt < cellEnd)
        }
      }
      if (cell !== undefined) {
        line += text.slice(copied, at) + cell
        copied = cellEnd
      }
      at = cellEnd + 1
    }
    lines.push(line + text.slice(copied, at - 1))
    rowStart = at
  }
  return { lines, end: rowStart }
}

// The `"` closing a quoted cell whose text starts at `from`, or -1 when the text may go on past
// the end (a `""` can be cut between two chunks).
function closingQuote(text: string, from: number): number {
  let at = from
  for (;;) {
    at = text.indexOf('"', at)
    if (at < 0 || at + 1 >= text.length) return -1
    if (text.charCodeAt(at + 1) !== QUOTE) return at
    at += 2
  }
}

function nextOrEnd(text: string, what: string, from: number): number {
  const at = text.indexOf(what, from)
  return at < 0 ? text.length : at
}

// A quoted text cell: confi quotes it too (it holds the delimiter, `"`, CR or LF), unless it is
// the empty string; only a formula-leading cell changes. Undefined: unchanged.
function quotedText(text: string, open: number, close: number): string | undefined {
  if (close === open + 1) return ''
  if (FORMULA_START[text.charCodeAt(open + 1)] !== 1) return undefined
  return `"'${text.slice(open + 1, close + 1)}`
}

// A cell confi writes raw (numbers, times, tax ids, hashes: never quoted by the SQL it mirrors).
function unquote(text: string, open: number, close: number): string {
  return text.slice(open + 1, close).replaceAll('""', '"')
}

// An unquoted, non-empty text cell: no delimiter, `"`, CR or LF (PostgreSQL would have quoted
// it), maybe the other delimiter, which confi quotes too.
function bareText(text: string, start: number, end: number, holdsOther: boolean): string | undefined {
  const formula = FORMULA_START[text.charCodeAt(start)] === 1
  if (!formula && !holdsOther) return undefined
  const value = text.slice(start, end)
  if (!holdsOther) return `'${value}`
  return formula ? `"'${value}"` : `"${value}"`
}
