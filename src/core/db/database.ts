import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely'
import { ConfiError, ValidationError, UnavailableError } from '../errors.js'
import type { Database } from './tables.js'
import { nowIso } from '../time.js'
import { createPrivateFile, makePrivate, sqliteFiles } from '../file-modes.js'


import type { Backend, DatabaseTarget, Db, OpenDatabase, SqliteReader } from './handle.js'
export type { Backend, DatabaseTarget, Db, OpenDatabase, SqliteReader } from './handle.js'

/**
 * Path of schema.sql shipped with the package: the nearest folder above this module that holds
 * one, since the module runs from dist/core/db/ (tsc output) and from dist/confi/ (the CLI bundle).
 */
export const schemaPath = findSchemaFile(dirname(fileURLToPath(import.meta.url)))

function findSchemaFile(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'schema.sql')
    if (existsSync(candidate)) return candidate
  }
  return resolve(from, '..', '..', '..', 'schema.sql')
}

/** One `-- version N` section of schema.sql: portable statements plus each dialect's own. */
export interface SchemaStep {
  version: number
  common: string
  dialects: Partial<Record<Backend, string>>
}

/**
 * The versions of schema.sql, oldest first. Each section holds what that version adds; a new
 * database runs them all, an older one only those above its recorded version
 * (docs/decisions.md, "Schema versions").
 */
export function schemaSteps(text = readFileSync(schemaPath, 'utf8')): SchemaStep[] {
  const parts = text.split(/^-- version (\d+)\s*$/m)
  const steps: SchemaStep[] = []
  for (let i = 1; i < parts.length; i += 2) {
    const [common, ...rest] = parts[i + 1].split(/^-- dialect: (\w+)\s*$/m)
    const dialects: Partial<Record<Backend, string>> = {}
    for (let j = 0; j < rest.length; j += 2) dialects[rest[j] as Backend] = rest[j + 1]
    const version = Number(parts[i])
    if (steps.length > 0 && version <= steps[steps.length - 1].version) {
      throw new ConfiError(`schema.sql: version ${version} does not follow ${steps[steps.length - 1].version}`)
    }
    steps.push({ version, common, dialects })
  }
  if (steps.length === 0) throw new ConfiError('schema.sql has no "-- version N" section')
  return steps
}

/** The script of one step for `backend`. */
export function stepScript(step: SchemaStep, backend: Backend): string {
  return `${step.common}\n${step.dialects[backend] ?? ''}`
}

let latestVersion: number | undefined

/** The schema version this build of confi writes and understands: the last section of schema.sql. */
export function schemaVersion(): number {
  latestVersion ??= schemaSteps().at(-1)!.version
  return latestVersion
}

/** Opens the database named by `target`; `create` allows a new SQLite file (only `init` passes it). */
export async function openDatabase(
  target: DatabaseTarget,
  options: { create?: boolean } = {},
): Promise<OpenDatabase> {
  if (target.kind === 'sqlite') return openSqlite(target.path, options.create ?? false)
  const { openPostgres } = await import('./postgres.js')
  return openPostgres(target.url, target.poolSize)
}

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
  raw.pragma('busy_timeout = 10000')
  raw.pragma('journal_mode = WAL')
  makePrivate(...sqliteFiles(path))
  raw.pragma('synchronous = FULL')
  raw.pragma('foreign_keys = ON')
  return raw
}

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

function openSqliteReader(path: string): SqliteReader {
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

function openSqlite(path: string, create: boolean): OpenDatabase {
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

/** The version recorded in the database, or null when it was never initialised. */
export async function readSchemaVersion(db: Db): Promise<number | null> {
  try {
    const row = await db
      .selectFrom('schema_version')
      .select((eb) => eb.fn.max('version').as('version'))
      .executeTakeFirst()
    return row?.version == null ? null : Number(row.version)
  } catch {
    return null
  }
}

/**
 * Creates or upgrades the schema, one version at a time, each in its own transaction; safe to run
 * again and from several processes at once. Refuses a database newer than this build.
 */
export async function applySchema(
  open: OpenDatabase,
  options: { upTo?: number } = {},
): Promise<{ version: number; created: boolean }> {
  const latest = options.upTo ?? schemaVersion()
  const before = await readSchemaVersion(open.db)
  if (before !== null && before > schemaVersion()) throw newerSchemaError(before)
  for (const step of schemaSteps()) {
    if (step.version > latest || (before !== null && step.version <= before)) continue
    await open.applySchemaStep(step.version, stepScript(step, open.backend))
  }
  return { version: Math.max(latest, before ?? 0), created: before === null }
}

/** Refuses to work on a database that was never initialised or is of a newer schema. */
export async function assertSchemaCurrent(open: OpenDatabase): Promise<void> {
  const version = await readSchemaVersion(open.db)
  if (version === null) {
    throw new ConfiError(`the database ${open.location} is not initialised: run 'confi init' first`)
  }
  if (version > schemaVersion()) throw newerSchemaError(version)
  if (version < schemaVersion()) {
    throw new ConfiError(
      `the database ${open.location} has schema version ${version}; run 'confi init' to upgrade it to ${schemaVersion()}`,
    )
  }
}

function newerSchemaError(version: number): ConfiError {
  return new ValidationError(
    `the database has schema version ${version}, newer than this confi understands (${schemaVersion()}): upgrade confi`,
  )
}
