import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { openDatabase, type Db, type OpenDatabase } from '../../src/core/db/database.js'
import { applySchema } from '../../src/core/db/schema.js'
import { resolveConfig, type Config } from '../../src/core/config/app-config.js'
import { loadSecretKey, type SecretKey } from '../../src/core/tokens.js'
import { makeFirm } from './factories.js'

export interface TestDatabase {
  db: Db
  open: OpenDatabase
  /** A temporary folder holding the database file, data directory and secret key. */
  dir: string
  config: Readonly<Config>
  key: SecretKey
  /** Environment for spawning bin/confi against this database. */
  env: Record<string, string>
  /** A second connection to the same database, as another process would hold; the caller closes it. */
  connect(): Promise<OpenDatabase>
  /** Closes the connection, runs `whileClosed` (say, puts a backup in the file's place), opens again. */
  reopen(whileClosed?: () => void | Promise<void>): Promise<void>
  close(): Promise<void>
}

export interface TestDatabaseOptions {
  backend?: 'sqlite'
  /** Stop the schema at this version, as an older release left it. */
  schemaUpTo?: number
  /** Statements run after the schema, one by one: rows an older release wrote (test/fixtures). */
  seed?: readonly string[]
}

/**
 * A fresh, initialised database in a temporary folder: a real SQLite file, or, when
 * CONFI_TEST_DATABASE_URL is set, a fresh database on that PostgreSQL server. `backend: 'sqlite'`
 * forces a SQLite file, for SQLite-only features (confi backup) that run in both suites.
 */
export async function createTestDatabase(
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'confi-test-'))
  const dbPath = join(dir, 'confi.db')
  const env: Record<string, string> = { CONFI_DB: dbPath, CONFI_DATA_DIR: join(dir, 'data') }
  const pgUrl = options.backend === 'sqlite' ? undefined : process.env.CONFI_TEST_DATABASE_URL
  let dropPostgres = async (): Promise<void> => {}
  if (pgUrl) {
    const { createPostgresDatabase } = await import('./postgres.js')
    const created = await createPostgresDatabase(pgUrl)
    env.DATABASE_URL = created.url
    dropPostgres = created.drop
    delete env.CONFI_DB
  }
  const config = resolveConfig({ env, cwd: dir })
  const open = await openDatabase(config.database, { create: true })
  await applySchema(open, { upTo: options.schemaUpTo })
  for (const statement of options.seed ?? []) await sql.raw(statement).execute(open.db)
  const key = loadSecretKey(config.secretFile, { create: true })
  const t: TestDatabase = {
    db: open.db,
    open,
    dir,
    config,
    key,
    env,
    connect: () => openDatabase(config.database),
    async reopen(whileClosed) {
      await t.open.close()
      await whileClosed?.()
      t.open = await openDatabase(config.database)
      t.db = t.open.db
    },
    async close() {
      await t.open.close()
      await dropPostgres()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return t
}

/**
 * A fresh test database for every test of the file (or describe block) that calls it, closed
 * after each test. Returns a live handle: `t.db`, `t.key`, … always read the current test's
 * database, so the handle can be taken once at the top of the file. `firm: true` also creates the
 * firm options at bcrypt cost 10 (`makeFirm`). `shared: true` makes one database for all the
 * tests of the file (or describe block) instead, for a set-up too slow to repeat.
 */
export function useTestDatabase(
  options: TestDatabaseOptions & { firm?: boolean; shared?: boolean } = {},
): TestDatabase {
  return usePerTest(
    'useTestDatabase',
    async () => {
      const t = await createTestDatabase(options)
      if (options.firm) await makeFirm(t.db)
      return t
    },
    { shared: options.shared },
  )
}

/**
 * Registers hooks that make a fresh `T` before each test and close it after (with `shared`, once
 * before the tests of the file or describe block and after them), and returns a live handle to
 * the current one (reading it outside a test throws, naming `what`).
 */
export function usePerTest<T extends { close(): Promise<void> }>(
  what: string,
  create: () => Promise<T>,
  options: { shared?: boolean } = {},
): T {
  let current: T | undefined
  const [before, after] = options.shared ? [beforeAll, afterAll] : [beforeEach, afterEach]
  before(async () => {
    current = await create()
  })
  after(async () => {
    const closing = current
    current = undefined
    await closing?.close()
  })
  return new Proxy({} as T, {
    get(_, property) {
      if (!current) throw new Error(`${what}: the value exists only while a test runs`)
      return Reflect.get(current, property)
    },
  })
}
