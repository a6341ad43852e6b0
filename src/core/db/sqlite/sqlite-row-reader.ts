import type BetterSqlite3 from 'better-sqlite3'
import type { RowReader } from '../handle.js'
import { openReadOnlySqlite } from './sqlite-read-only.js'

/** The row reader of row-reader.ts on a SQLite file: raw rows of statements prepared once. */
export function sqliteRowReader(path: string): RowReader {
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
