import { formatTaxId } from '../../clients/tax-id.js'
import { escapeUnsafe } from '../../text-input.js'
import { localTime } from '../../time.js'
import { csvLine, jsonLine, type ExportRow } from './columns.js'
import type { CsvDialect } from './csv-dialect.js'

export type ExportFormat = 'table' | 'csv' | 'json' | 'ndjson'
export const EXPORT_FORMATS: readonly ExportFormat[] = ['table', 'csv', 'json', 'ndjson']

/** What goes between two rows of each format. */
export const SEPARATORS: Record<ExportFormat, string> = { csv: '\r\n', ndjson: '\n', json: ',\n', table: '\n' }

// The table is for people at a terminal: fewer columns, times in their zone.
const TABLE_COLUMNS: { header: string; width: number; value: (row: ExportRow, zone: string) => string }[] = [
  { header: 'ID', width: 8, value: (r) => String(r.id) },
  { header: 'WHEN', width: 19, value: (r, zone) => localTime(String(r.at), zone) },
  { header: 'CLIENT', width: 18, value: (r) => formatTaxId(String(r.client_tax_id)) },
  { header: 'DOCUMENT', width: 28, value: (r) => `${r.document_id} ${r.document_title}` },
  { header: 'FILE', width: 20, value: (r) => String(r.attachment ?? '') },
  { header: 'CHANNEL', width: 8, value: (r) => String(r.channel) },
  { header: 'USER', width: 16, value: (r) => String(r.username ?? '-') },
  { header: 'IP', width: 15, value: (r) => String(r.ip ?? '') },
  { header: 'ACTION', width: 8, value: (r) => String(r.action) },
]

function fit(text: string, width: number): string {
  const flat = escapeUnsafe(text.replace(/[\r\n\t]/g, ' '))
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat.padEnd(width)
}

// Fixed widths instead of a measured table: rows stream out without holding them all.
function tableLine(cells: string[]): string {
  return cells.map((cell, i) => fit(cell, TABLE_COLUMNS[i].width)).join('  ').trimEnd()
}

/** The header line of the table format. */
export function tableHeader(): string {
  return tableLine(TABLE_COLUMNS.map((c) => c.header))
}

/** Formats one row read in JavaScript in `format`. */
export function rowFormatter(
  format: ExportFormat,
  zone: string,
  delimiter: CsvDialect['delimiter'],
): (row: ExportRow) => string {
  if (format === 'csv') return (row) => csvLine(row, delimiter)
  if (format === 'table') return (row) => tableLine(TABLE_COLUMNS.map((c) => c.value(row, zone)))
  return jsonLine
}
