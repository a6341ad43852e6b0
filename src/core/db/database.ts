import { PostgresAdapter, sql } from 'kysely'
import type { Backend, DatabaseTarget, Db, OpenDatabase } from './handle.js'
import { openSqlite } from './sqlite/sqlite-database.js'

// The one database interface: what the rest of confi opens and asks, whichever backend is behind
// it. Each backend's own code lives in its folder (sqlite/, postgres/), as Kysely's dialects do;
// the schema runner is schema.ts.
export type { Backend, DatabaseTarget, Db, OpenDatabase, SqliteReader } from './handle.js'

/** Opens the database named by `target`; `create` allows a new SQLite file (only `init` passes it). */
export async function openDatabase(
  target: DatabaseTarget,
  options: { create?: boolean } = {},
): Promise<OpenDatabase> {
  if (target.kind === 'sqlite') return openSqlite(target.path, options.create ?? false)
  const { openPostgres } = await import('./postgres/postgres-database.js')
  return openPostgres(target.url, target.poolSize)
}

/** Which backend a handle (or a transaction) talks to. */
export function backendOf(db: Db): Backend {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite'
}

/**
 * Serialises writers on `key` until the surrounding transaction ends. On SQLite every write
 * transaction already holds the database's single write lock (BEGIN IMMEDIATE); on PostgreSQL
 * this takes a transaction-scoped advisory lock, so the rule holds across instances.
 */
export async function takeLock(trx: Db, key: string): Promise<void> {
  if (backendOf(trx) !== 'postgres') return
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx)
}
