import { existsSync } from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely'
import { ConfiError, UnavailableError } from '../../errors.js'
import { createPrivateFile, makePrivate, sqliteFiles } from '../../file-modes.js'
import { nowIso } from '../../time.js'
import type { OpenDatabase } from '../handle.js'
import type { Database } from '../tables.js'
import { openSqliteReader } from './sqlite-read-only.js'

// Kysely's SQLite driver opens transactions with a plain BEGIN, which takes the write lock only at
// the first write and can then fail with SQLITE_BUSY half way. BEGIN IMMEDIATE takes it up front,
// so busy_timeout applies and a transaction either starts whole or waits (docs/rules.md#durability).
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig
  constructor(config: SqliteDialectConfig) {
    super(config)
    this.#config = config
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config)
  }
}

// Kysely prepares every statement again on every query; caching by SQL text keeps its types
// without that cost (docs/performance.md: 2.9k → 4.1k downloads/s).
function withStatementCache(raw: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>()
  const prepare = (text: string): BetterSqlite3.Statement => {
    let statement = cache.get(text)
    if (!statement) {
      if (cache.size >= 1000) cache.clear()
      statement = raw.prepare(text)
      cache.set(text, statement)
    }
    return statement
  }
  return new Proxy(raw, {
    get(target, property) {
      if (property === 'prepare') return prepare
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Opens a SQLite file with the pragmas of docs/rules.md#durability. */
export function openSqliteHandle(path: string, create: boolean): BetterSqlite3.Database {
  if (!create && !existsSync(path)) {
    throw new ConfiError(`no confi database at ${path}: run 'confi init' first, or point to the right file`, {
      remedy: 'database_location',
    })
  }
  let raw: BetterSqlite3.Database
  try {
    // Before SQLite creates it (and the WAL and SHM, which copy its mode): private from the start.
    if (create) createPrivateFile(path)
    else makePrivate(...sqliteFiles(path))
    raw = new BetterSqlite3(path)
  } catch (error) {
    throw new UnavailableError(`cannot open the database ${path}: ${(error as Error).message}`)
  }
  try {
    raw.pragma('busy_timeout = 10000')
    raw.pragma('journal_mode = WAL')
  } catch (error) {
    raw.close()
    throw notADatabase(path, error)
  }
  makePrivate(...sqliteFiles(path))
  raw.pragma('synchronous = FULL')
  raw.pragma('foreign_keys = ON')
  return raw
}

// SQLite reads a file's header only at its first statement: a file that is not a database (a
// wrong --db, a half-copied backup) fails there, and the accountant needs to hear which file.
function notADatabase(path: string, error: unknown): Error {
  const code = (error as { code?: unknown }).code
  if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') return error as Error
  return new ConfiError(`the file ${path} is not a SQLite database, or is damaged: point to confi's database file`, {
    remedy: 'database_location',
  })
}

/** Opens the SQLite file at `path` as confi's database; `create` allows a new file. */
export function openSqlite(path: string, create: boolean): OpenDatabase {
  const raw = openSqliteHandle(path, create)
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(raw) }),
  })
  return {
    db,
    backend: 'sqlite',
    location: path,
    async applySchemaStep(version, script) {
      raw.exec('begin immediate')
      try {
        const done = raw
          .prepare(`select 1 from sqlite_master where name = 'schema_version'`)
          .get() && raw.prepare('select 1 from schema_version where version = ?').get(version)
        if (!done) {
          raw.exec(script)
          raw.prepare('insert into schema_version (version, applied_at) values (?, ?)').run(version, nowIso())
        }
        raw.exec('commit')
        return !done
      } catch (error) {
        if (raw.inTransaction) raw.exec('rollback')
        throw error
      }
    },
    openReader: () => openSqliteReader(path),
    async close() {
      await db.destroy()
    },
  }
}
