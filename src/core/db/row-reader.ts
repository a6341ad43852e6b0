import type { DatabaseTarget, RowReader } from './handle.js'
import { sqliteRowReader } from './sqlite/sqlite-row-reader.js'

// Bulk reads as arrays of column values, on a read-only connection of its own: for the
// access-log verification threads (core/access-log/verify/verify.ts), which read millions of rows where
// a row object per row (Kysely) cost as much as hashing it (docs/performance.md, "Scale").
// The SQL is compiled by Kysely in the caller, in the dialect of `target`.

export type { RowReader } from './handle.js'

/** A row reader on the database named by `target`. */
export async function openRowReader(target: DatabaseTarget): Promise<RowReader> {
  if (target.kind === 'sqlite') return sqliteRowReader(target.path)
  // The PostgreSQL driver loads only on PostgreSQL, as in database.ts: the db face serves every
  // command, and most never read rows in bulk.
  const { postgresRowReader } = await import('./postgres/postgres-row-reader.js')
  return postgresRowReader(target.url)
}
