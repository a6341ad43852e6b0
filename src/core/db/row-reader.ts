import type BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { UnavailableError } from '../errors.js'
import { openReadOnlySqlite } from './database.js'
import type { DatabaseTarget } from './handle.js'
import { describePostgresUrl } from './postgres.js'

// Bulk reads as arrays of column values, on a read-only connection of its own: for the
// access-log verification threads (core/access-log/verify/verify.ts), which read millions of rows where
// a row object per row (Kysely) cost as much as hashing it (docs/performance.md, "Scale").
// The SQL is compiled by Kysely in the caller, in the dialect of `target`.

export interface RowReader {
  /** The rows of one compiled statement, each as an array of its columns in SELECT order. */
  rows(text: string, parameters: readonly unknown[]): Promise<unknown[][]>
  close(): Promise<void>
}

export async function openRowReader(target: DatabaseTarget): Promise<RowReader> {
  return target.kind === 'sqlite' ? sqliteRowReader(target.path) : postgresRowReader(target.url)
}

function sqliteRowReader(path: string): RowReader {
  const handle = openReadOnlySqlite(path)
  const statements = new Map<string, BetterSqlite3.Statement>()
  return {
    async rows(text, parameters) {
      let statement = statements.get(text)
      if (!statement) {
        statement = handle.prepare(text).raw()
        statements.set(text, statement)
      }
      return statement.all(...parameters) as unknown[][]
    },
    async close() {
      handle.close()
    },
  }
}

async function postgresRowReader(url: string): Promise<RowReader> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY')
  } catch (error) {
    await client.end().catch(() => {})
    throw new UnavailableError(`cannot read ${describePostgresUrl(url)}: ${(error as Error).message}`)
  }
  const names = new Map<string, string>()
  return {
    async rows(text, parameters) {
      // Named per statement text: parsed and planned once per connection, not once per batch.
      let name = names.get(text)
      if (!name) names.set(text, (name = `confi_rows_${names.size + 1}`))
      const result = await client.query({ name, text, values: [...parameters], rowMode: 'array' })
      return result.rows as unknown[][]
    },
    async close() {
      await client.end()
    },
  }
}
