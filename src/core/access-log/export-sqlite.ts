import type { Db, SqliteReader } from '../db/database.js'
import { EXPORT_FROM, SQLITE_JSON_LINE, sqlCsvLine } from './columns.js'
import type { CsvDialect } from './csv-dialect.js'
import { filterWhere, type AccessLogFilters } from './filter.js'
import type { BatchReader } from './export-batches.js'

const SQLITE_CSV_LINES = { ',': sqlCsvLine('sqlite', ','), ';': sqlCsvLine('sqlite', ';') }

/**
 * The SQLite fast path (docs/performance.md): rows are formatted inside SQL and a whole batch
 * crosses into JavaScript as one string, instead of one object per row; it runs on its own
 * read-only connection (OpenDatabase.openReader), since Kysely cannot aggregate a batch this way
 * cheaply. The WHERE comes from filterWhere(), compiled once by `db` into `?` placeholders.
 */
export function sqliteReader(
  db: Db,
  reader: SqliteReader,
  filters: AccessLogFilters,
  upperBound: number,
  format: 'csv' | 'json' | 'ndjson',
  separator: string,
  delimiter: CsvDialect['delimiter'],
): BatchReader {
  const where = filterWhere(filters, upperBound).compile(db)
  const line = format === 'csv' ? SQLITE_CSV_LINES[delimiter] : SQLITE_JSON_LINE
  const statement = reader.prepare(`
    SELECT count(*) AS rows, max(id) AS lastId, group_concat(line, ? ORDER BY id) AS text
    FROM (
      SELECT a.id AS id, ${line} AS line
      FROM ${EXPORT_FROM}
      WHERE a.id > ? AND ${where.sql}
      ORDER BY a.id
      LIMIT ?
    )`)
  return async (afterId, limit) => {
    const result = statement.get(separator, afterId, ...where.parameters, limit) as
      | { rows: number; lastId: number; text: string }
      | undefined
    if (!result || result.rows === 0) return null
    return { text: result.text, rows: result.rows, lastId: result.lastId }
  }
}

/** The id of the last row, read in the reader's snapshot. */
export function sqliteHeadId(reader: SqliteReader): number {
  const row = reader.prepare('SELECT coalesce(max(id), 0) AS id FROM access_log').get() as { id: number }
  return Number(row.id)
}
