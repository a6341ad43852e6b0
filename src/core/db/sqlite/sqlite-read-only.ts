import BetterSqlite3 from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { UnavailableError } from '../../errors.js'
import type { Db, SqliteReader } from '../handle.js'
import type { Database } from '../tables.js'

/** A read-only connection of its own, for long reads (the export, the verification threads). */
export function openReadOnlySqlite(path: string): BetterSqlite3.Database {
  try {
    const handle = new BetterSqlite3(path, { readonly: true, fileMustExist: true })
    handle.pragma('busy_timeout = 10000')
    return handle
  } catch (error) {
    throw new UnavailableError(`cannot open the database ${path} for reading: ${(error as Error).message}`)
  }
}

/** The export's raw reader (OpenDatabase.openReader) on a read-only connection of its own. */
export function openSqliteReader(path: string): SqliteReader {
  const handle = openReadOnlySqlite(path)
  return {
    begin: () => handle.exec('BEGIN'),
    prepare: (text) => handle.prepare(text),
    close: () => handle.close(),
  }
}

/** A read-only SQLite file opened to check it (a backup copy): its integrity and its rows. */
export interface SqliteCheckHandle {
  db: Db
  /** `PRAGMA integrity_check`: ['ok'] for a sound file, else the problems found. */
  integrityCheck(): string[]
  close(): Promise<void>
}

/** Opens an existing SQLite file read-only, without the pragmas of a working database. */
export function openSqliteForCheck(path: string): SqliteCheckHandle {
  const handle = new BetterSqlite3(path, { readonly: true, fileMustExist: true })
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) })
  return {
    db,
    integrityCheck: () => (handle.pragma('integrity_check') as { integrity_check: string }[]).map((p) => p.integrity_check),
    close: () => db.destroy(),
  }
}
