import type { DatabaseTarget, RowReader } from './handle.js'
import { postgresRowReader } from './postgres/postgres-row-reader.js'
import { sqliteRowReader } from './sqlite/sqlite-row-reader.js'

// Bulk reads as arrays of column values, on a read-only connection of its own: for the
// access-log verification threads (core/access-log/verify/verify.ts), which read millions of rows where
// a row object per row (Kysely) cost as much as hashing it (docs/performance.md, "Scale").
// The SQL is compiled by Kysely in the caller, in the dialect of `target`.

export type { RowReader } from './handle.js'

/** A row reader on the database named by `target`. */
export async function openRowReader(target: DatabaseTarget): Promise<RowReader> {
  return target.kind === 'sqlite' ? sqliteRowReader(target.path) : postgresRowReader(target.url)
}
