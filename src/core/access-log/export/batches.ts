import { sql } from 'kysely'
import type { Db } from '../../db/database.js'
import { EXPORT_COLUMNS, normaliseRow, type ExportRow } from './columns.js'
import { filterWhere, type AccessLogFilters } from './filter.js'

/** Formatted rows on their way to the output. */
export interface Batch {
  /** The formatted text of the batch, lines joined by the format's separator. */
  text: string
  rows: number
  /** The text holds the output's bytes, one character each (export-postgres.ts); else it is UTF-16. */
  latin1?: boolean
}

/** A batch read by id range: the next one starts after `lastId`. */
export interface KeysetBatch extends Batch {
  lastId: number
}

export type BatchReader = (afterId: number, limit: number) => Promise<KeysetBatch | null>

/** Keyset batches from a reader: each batch starts after the last id of the one before. */
export async function* keysetBatches(read: BatchReader, afterId: number, batchSize: number): AsyncGenerator<Batch> {
  let cursor = afterId
  for (;;) {
    const batch = await read(cursor, batchSize)
    if (!batch) return
    yield batch
    cursor = batch.lastId
  }
}

const SELECTION = EXPORT_COLUMNS.map((c) => sql.raw(c.sql).as(c.key))

/** The portable path (PostgreSQL JSON, tables, `portable`): Kysely, keyset batches, formatted in JavaScript. */
export function kyselyReader(
  db: Db,
  filters: AccessLogFilters,
  upperBound: number,
  format: (row: ExportRow) => string,
  separator: string,
): BatchReader {
  const where = filterWhere(filters, upperBound)
  return async (afterId, limit) => {
    const rows = await db
      .selectFrom('access_log as a')
      .leftJoin('clients as c', 'c.id', 'a.client_id')
      .leftJoin('documents as d', 'd.id', 'a.document_id')
      .leftJoin('attachments as t', 't.id', 'a.attachment_id')
      .leftJoin('access_log_personal as p', 'p.id', 'a.id')
      .select(SELECTION)
      .where('a.id', '>', afterId)
      .where(where)
      .orderBy('a.id')
      .limit(limit)
      .execute()
    if (rows.length === 0) return null
    const lines = rows.map((row) => format(normaliseRow(row as unknown as ExportRow)))
    return { text: lines.join(separator), rows: rows.length, lastId: Number(rows[rows.length - 1].id) }
  }
}
