import type { CsvDialect } from './csv-dialect.js'

/**
 * One map of the export's columns drives every reader and format: the Kysely select list, the
 * rows formatted in JavaScript (CSV, JSON), the lines SQLite formats itself (its fast path) and
 * the raw cells of PostgreSQL's COPY (export-postgres.ts). A column added here appears everywhere at once.
 */
export interface ExportColumn {
  /** The JSON key, and the CSV header when `csv`. */
  key: string
  /** Its SQL over `access_log a`, `clients c`, `documents d`, `attachments t`, `access_log_personal p`. */
  sql: string
  /**
   * 'number': an integer id or port; 'text': free text a person typed, quoted and neutralised in
   * CSV; 'plain': text normalised on the way in (times, tax ids, IP addresses, enum values,
   * hashes), with nothing to quote or neutralise.
   */
  kind: 'number' | 'text' | 'plain'
  /** Part of the CSV contract (docs/rules.md#command-line); JSON always carries every column. */
  csv: boolean
}

export const EXPORT_COLUMNS = [
  { key: 'id', sql: 'a.id', kind: 'number', csv: true },
  { key: 'at', sql: 'a.at', kind: 'plain', csv: true },
  { key: 'client_id', sql: 'a.client_id', kind: 'number', csv: false },
  { key: 'client_tax_id', sql: 'c.tax_id', kind: 'plain', csv: true },
  { key: 'client_name', sql: 'c.name', kind: 'text', csv: true },
  { key: 'document_id', sql: 'a.document_id', kind: 'number', csv: true },
  { key: 'document_title', sql: 'd.title', kind: 'text', csv: true },
  { key: 'attachment_id', sql: 'a.attachment_id', kind: 'number', csv: false },
  { key: 'attachment', sql: 't.file_name', kind: 'text', csv: true },
  { key: 'channel', sql: 'a.channel', kind: 'plain', csv: true },
  { key: 'delivery_id', sql: 'a.delivery_id', kind: 'number', csv: false },
  { key: 'user_id', sql: 'a.user_id', kind: 'number', csv: false },
  // The personal fields: in the row (format 1) or beside it (format 2; null once erased).
  { key: 'username', sql: 'coalesce(a.username, p.username)', kind: 'text', csv: true },
  { key: 'user_name', sql: 'coalesce(a.user_name, p.user_name)', kind: 'text', csv: true },
  // recordAccess accepts only IP addresses: nothing to quote or neutralise.
  { key: 'ip', sql: 'coalesce(a.ip, p.ip)', kind: 'plain', csv: true },
  { key: 'port', sql: 'coalesce(a.port, p.port)', kind: 'number', csv: false },
  { key: 'user_agent', sql: 'coalesce(a.user_agent, p.user_agent)', kind: 'text', csv: true },
  // The action of an access; for a row of another kind (document.published), its kind.
  { key: 'action', sql: 'coalesce(a.action, a.kind)', kind: 'plain', csv: true },
  { key: 'prev_hash', sql: 'a.prev_hash', kind: 'plain', csv: false },
  { key: 'hash', sql: 'a.hash', kind: 'plain', csv: true },
  // Format 2 (docs/access-log.md, "Format v2"): what its hash covers besides, and the salt of each
  // personal value, so that anyone can check the value against its commitment. A commitment
  // without a salt is a value erased.
  { key: 'format', sql: 'a.format', kind: 'number', csv: false },
  { key: 'kind', sql: 'coalesce(a.kind, a.action)', kind: 'plain', csv: false },
  { key: 'details', sql: 'a.details', kind: 'text', csv: false },
  { key: 'recipient', sql: 'p.recipient', kind: 'text', csv: false },
  ...(['username', 'user_name', 'ip', 'port', 'user_agent', 'recipient'] as const).flatMap((field) => [
    { key: `${field}_commitment` as const, sql: `a.${field}_commitment`, kind: 'plain' as const, csv: false as const },
    { key: `${field}_salt` as const, sql: `p.${field}_salt`, kind: 'plain' as const, csv: false as const },
  ]),
] as const satisfies readonly ExportColumn[]

type ColumnKey = (typeof EXPORT_COLUMNS)[number]['key']
type CsvKey = Extract<(typeof EXPORT_COLUMNS)[number], { csv: true }>['key']

/** One exported row, keyed by column. */
export type ExportRow = Record<ColumnKey, string | number | null>

/** The keys of each JSON/NDJSON row: every field of the row, so the chain can be re-verified. */
export const JSON_KEYS: readonly ColumnKey[] = EXPORT_COLUMNS.map((c) => c.key)

/** The CSV columns, in order: a contract with the scripts that read the export (docs/rules.md#command-line). */
export const CSV_COLUMNS: readonly CsvKey[] = EXPORT_COLUMNS.filter((c) => c.csv).map((c) => c.key as CsvKey)

const NUMBER_KEYS = EXPORT_COLUMNS.filter((c) => c.kind === 'number').map((c) => c.key)

/** The FROM clause every reader selects the columns from (`p`: a format-2 row's personal values). */
export const EXPORT_FROM = `access_log a
      LEFT JOIN clients c ON c.id = a.client_id
      LEFT JOIN documents d ON d.id = a.document_id
      LEFT JOIN attachments t ON t.id = a.attachment_id
      LEFT JOIN access_log_personal p ON p.id = a.id`

// ---------------------------------------------------------------- formatted in JavaScript

const FORMULA_START = /^[=+\-@\t\r]/

/** One CSV cell: formula-leading text neutralised with `'` (docs/rules.md#portal-security), then RFC 4180 quoting. */
export function csvCell(value: string | number | null): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return String(value)
  const text = FORMULA_START.test(value) ? `'${value}` : value
  // `;` too: Excel pt-BR splits on it, so `Mozilla/5.0;=1+1` would become a formula cell.
  return /[",;\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvLine(row: ExportRow, delimiter: CsvDialect['delimiter'] = ','): string {
  return CSV_COLUMNS.map((column) => csvCell(row[column])).join(delimiter)
}

export function jsonLine(row: ExportRow): string {
  const ordered: Record<string, unknown> = {}
  for (const key of JSON_KEYS) ordered[key] = row[key]
  return JSON.stringify(ordered)
}

// PostgreSQL may hand back integers as strings; the export carries numbers.
export function normaliseRow(row: ExportRow): ExportRow {
  for (const key of NUMBER_KEYS) {
    if (row[key] !== null) row[key] = Number(row[key])
  }
  return row
}

// ---------------------------------------------------------------- formatted by the database

// SQLite SQL that renders one CSV cell of a text column exactly like csvCell(), in either dialect.
// One GLOB per test (a character class; tab, CR and LF written raw in the literal) instead of a
// function call per character: 10% less time over 1,000,000 rows (docs/performance.md). A NULL
// matches neither pattern and ends as ''. PostgreSQL writes its own CSV instead, which
// export-postgres.ts rewrites where it differs.
function sqlCsvText(column: string): string {
  const neutral = `(CASE WHEN ${column} GLOB '[=+@\t\r-]*' THEN '''' || ${column} ELSE ${column} END)`
  return `(CASE WHEN ${column} GLOB '*[",;\r\n]*' THEN '"' || replace(${neutral}, '"', '""') || '"' ELSE coalesce(${neutral}, '') END)`
}

function sqlCsvCell(column: ExportColumn): string {
  if (column.kind === 'text') return sqlCsvText(column.sql)
  if (column.kind === 'number') return `coalesce(CAST(${column.sql} AS TEXT), '')`
  return `coalesce(${column.sql}, '')`
}

/** The SQLite expression of one CSV line (without its line break), byte for byte like csvLine(). */
export function sqlCsvLine(delimiter: CsvDialect['delimiter'] = ','): string {
  const columns: readonly ExportColumn[] = EXPORT_COLUMNS
  return columns
    .filter((c) => c.csv)
    .map(sqlCsvCell)
    .join(` || '${delimiter}' || `)
}

/** The SQLite expression of one JSON line: json_object() writes what JSON.stringify() does. */
export const SQLITE_JSON_LINE = `json_object(${EXPORT_COLUMNS.map((c) => `'${c.key}', ${c.sql}`).join(', ')})`
