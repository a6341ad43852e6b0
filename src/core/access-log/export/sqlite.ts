import type { Db, SqliteReader } from '../../db/database.js'
import { EXPORT_FROM, SQLITE_JSON_LINE, sqlCsvLine } from './columns.js'
import type { CsvDialect } from './csv-dialect.js'
import type { Batch } from './batches.js'
import { filterWhere, type AccessLogFilters } from './filter.js'

const SQLITE_CSV_LINES = { ',': sqlCsvLine(','), ';': sqlCsvLine(';') }

/**
 * The SQLite fast path (docs/performance.md): each row is formatted inside SQL and crosses into
 * JavaScript as one string, instead of one object per row, on a read-only connection of its own
 * (OpenDatabase.openReader), since Kysely cannot step a statement this way. One statement walks
 * the whole range in id order (no batch re-plans, no aggregate sorting its batch again); lines
 * are joined `batchSize` at a time. The WHERE comes from filterWhere(), compiled once by `db`
 * into `?` placeholders.
 */
export function* sqliteBatches(
  db: Db,
  reader: SqliteReader,
  filters: AccessLogFilters,
  afterId: number,
  upperBound: number,
  format: 'csv' | 'json' | 'ndjson',
  separator: string,
  delimiter: CsvDialect['delimiter'],
  batchSize: number,
): Generator<Batch> {
  const where = filterWhere(filters, upperBound).compile(db)
  const line = format === 'csv' ? SQLITE_CSV_LINES[delimiter] : SQLITE_JSON_LINE
  const statement = reader.prepare(`
    SELECT ${line} FROM ${EXPORT_FROM}
    WHERE a.id > ? AND ${where.sql}
    ORDER BY a.id`)
  let lines: string[] = []
  for (const text of statement.pluck().iterate(afterId, ...where.parameters)) {
    lines.push(text as string)
    if (lines.length < batchSize) continue
    yield { text: lines.join(separator), rows: lines.length }
    lines = []
  }
  if (lines.length > 0) yield { text: lines.join(separator), rows: lines.length }
}

/** The id of the last row, read in the reader's snapshot. */
export function sqliteHeadId(reader: SqliteReader): number {
  const row = reader.prepare('SELECT coalesce(max(id), 0) AS id FROM access_log').get() as { id: number }
  return Number(row.id)
}
