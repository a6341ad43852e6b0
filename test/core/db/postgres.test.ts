import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { openDatabase, takeLock, type Db } from '../../../src/core/db/database.js'
import {
  schemaSteps,
  schemaVersion,
  applySchema,
  assertSchemaCurrent,
  readSchemaVersion,
} from '../../../src/core/db/schema.js'
import { resolveConfig } from '../../../src/core/config/app-config.js'
import { ConfiError, UnavailableError, ValidationError } from '../../../src/core/errors.js'
import { useTestDatabase } from '../../helpers/db.js'

// The same checks run on the backend the suite runs on: SQLite by default, PostgreSQL under
// `npm run test:pg` (CONFI_TEST_DATABASE_URL set). Where the backends differ, each asserts its own
// equivalent, so neither run is an empty skip.
const adminUrl = process.env.CONFI_TEST_DATABASE_URL
const onPostgres = Boolean(adminUrl)
const at = '2026-11-29T12:00:00.000Z'

const t = useTestDatabase()

async function addClient(db: Db, taxId: string): Promise<number> {
  const row = await db
    .insertInto('clients')
    .values({
      name: `Cliente ${taxId}`,
      tax_id: taxId,
      email: null,
      require_login: 'inherit',
      login_link_version: 1,
      login_link_digest: null,
      group_head_id: null,
      created_at: at,
      updated_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

async function addLogRow(db: Db): Promise<number> {
  const clientId = await addClient(db, '11222333000181')
  const doc = await db
    .insertInto('documents')
    .values({
      client_id: clientId,
      title: 'DAS 11/2026',
      category: 'fiscal',
      competence: '2026-11',
      due_date: null,
      created_at: at,
      created_by: 'cli:test',
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const row = await db
    .insertInto('access_log')
    .values({
      at,
      document_id: doc.id,
      attachment_id: null,
      client_id: clientId,
      user_id: null,
      username: null,
      user_name: null,
      channel: 'link',
      delivery_id: null,
      ip: '203.0.113.7',
      port: 51234,
      user_agent: 'test',
      action: 'view',
      prev_hash: '0'.repeat(64),
      hash: '1'.repeat(64),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

async function addEvent(db: Db): Promise<number> {
  const row = await db
    .insertInto('events')
    .values({
      at,
      actor: 'cli:test',
      action: 'client_created',
      client_id: null,
      user_id: null,
      details: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

describe(`schema on ${onPostgres ? 'PostgreSQL' : 'SQLite'}`, () => {
  it('applies again without error and keeps one version row', async () => {
    expect(t.open.backend).toBe(onPostgres ? 'postgres' : 'sqlite')
    await addClient(t.db, '11222333000181')
    const again = await applySchema(t.open)
    expect(again).toEqual({ version: schemaVersion(), created: false })
    await applySchema(t.open)
    expect(await readSchemaVersion(t.db)).toBe(schemaVersion())
    const versions = await t.db.selectFrom('schema_version').selectAll().execute()
    expect(versions).toHaveLength(schemaSteps().length)
    // Data survives a re-run: nothing is dropped and recreated.
    const count = await t.db
      .selectFrom('clients')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(count.n).toBe(1)
    await assertSchemaCurrent(t.open)
  })

  it('applies concurrently from two connections (confi init on two machines)', async () => {
    const second = await t.connect()
    try {
      await Promise.all([applySchema(t.open), applySchema(second), applySchema(t.open)])
      expect(await readSchemaVersion(second.db)).toBe(schemaVersion())
    } finally {
      await second.close()
    }
  })

  it('assigns increasing ids to inserts without an id', async () => {
    const a = await addClient(t.db, '11222333000181')
    const b = await addClient(t.db, '12ABC34501DE35')
    expect(typeof a).toBe('number')
    expect(b).toBeGreaterThan(a)
    const e1 = await addEvent(t.db)
    const e2 = await addEvent(t.db)
    expect(e2).toBe(e1 + 1)
  })

  it('returns counts and integer columns as numbers', async () => {
    await addLogRow(t.db)
    const row = await t.db
      .selectFrom('access_log')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('id').as('maxId'), 'port'])
      .groupBy('port')
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ n: 1, maxId: expect.any(Number), port: 51234 })
  })

  it('refuses UPDATE and DELETE on access_log', async () => {
    const id = await addLogRow(t.db)
    await expect(
      t.db.updateTable('access_log').set({ ip: '198.51.100.1' }).where('id', '=', id).execute(),
    ).rejects.toThrow(/append-only/)
    await expect(t.db.deleteFrom('access_log').where('id', '=', id).execute()).rejects.toThrow(
      /append-only/,
    )
    const rows = await t.db.selectFrom('access_log').select(['id', 'ip']).execute()
    expect(rows).toEqual([{ id, ip: '203.0.113.7' }])
  })

  it('refuses emptying access_log in one statement (TRUNCATE, or DELETE without WHERE)', async () => {
    await addLogRow(t.db)
    // SQLite has no TRUNCATE; its "truncate optimisation" of a bare DELETE is off when a trigger
    // exists, so the DELETE trigger covers it.
    const statement = onPostgres ? sql`truncate access_log` : sql`delete from access_log`
    await expect(statement.execute(t.db)).rejects.toThrow(/append-only/)
    const count = await t.db
      .selectFrom('access_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(count.n).toBe(1)
  })

  it('refuses DELETE on events and UPDATE of anything but the actor and details (an erasure redacts those)', async () => {
    const id = await addEvent(t.db)
    for (const change of [{ action: 'other' }, { at: '2020-01-01T00:00:00.000Z' }, { user_id: 7 }]) {
      await expect(t.db.updateTable('events').set(change).where('id', '=', id).execute()).rejects.toThrow(
        /append-only/,
      )
    }
    await expect(t.db.deleteFrom('events').where('id', '=', id).execute()).rejects.toThrow(
      /append-only/,
    )
    expect(await t.db.selectFrom('events').select('actor').execute()).toEqual([
      { actor: 'cli:test' },
    ])
    await t.db.updateTable('events').set({ actor: 'user:[apagado]', details: null }).where('id', '=', id).execute()
    expect(await t.db.selectFrom('events').select(['actor', 'details']).execute()).toEqual([
      { actor: 'user:[apagado]', details: null },
    ])
  })

  it('refuses an append-only change inside a transaction and rolls the transaction back', async () => {
    const id = await addLogRow(t.db)
    await expect(
      t.db.transaction().execute(async (trx) => {
        await addEvent(trx)
        await trx
          .updateTable('access_log')
          .set({ action: 'download' })
          .where('id', '=', id)
          .execute()
      }),
    ).rejects.toThrow(/append-only/)
    expect(await t.db.selectFrom('events').select('id').execute()).toEqual([])
  })

  it('answers input PostgreSQL cannot take with a ValidationError, not a driver error', async () => {
    const withNul = t.db
      .selectFrom('client_users')
      .select('id')
      .where('username_key', '=', 'ana\u0000')
      .execute()
    const hugeId = t.db
      .selectFrom('documents')
      .select('id')
      .where('id', '=', 99_999_999_999)
      .execute()
    if (onPostgres) {
      await expect(withNul).rejects.toThrow(ValidationError)
      await expect(hugeId).rejects.toThrow(/out of range/)
    } else {
      // SQLite takes both and simply finds nothing; callers validate ids and text before querying.
      expect(await withNul).toEqual([])
      expect(await hugeId).toEqual([])
    }
  })

  it('serialises transactions that take the same lock', async () => {
    // Two writers read-then-write a counter; without serialisation one update is lost on
    // PostgreSQL (READ COMMITTED). On SQLite BEGIN IMMEDIATE already serialises them.
    await t.db
      .insertInto('login_throttle')
      .values({ throttle_key: 'k', failures: 0, last_failure_at: at, blocked_until: at })
      .execute()
    const bump = () =>
      t.db.transaction().execute(async (trx) => {
        await takeLock(trx, 'test:counter')
        const row = await trx
          .selectFrom('login_throttle')
          .select('failures')
          .where('throttle_key', '=', 'k')
          .executeTakeFirstOrThrow()
        await new Promise((r) => setTimeout(r, 20))
        await trx
          .updateTable('login_throttle')
          .set({ failures: row.failures + 1 })
          .where('throttle_key', '=', 'k')
          .execute()
      })
    await Promise.all([bump(), bump(), bump(), bump()])
    const row = await t.db.selectFrom('login_throttle').select('failures').executeTakeFirstOrThrow()
    expect(row.failures).toBe(4)
  })
})

describe('bad database input', () => {
  it('refuses a database of a newer schema version, for commands and for init', async () => {
    await t.db
      .insertInto('schema_version')
      .values({ version: schemaVersion() + 1, applied_at: at })
      .execute()
    await expect(assertSchemaCurrent(t.open)).rejects.toThrow(
      new RegExp(`schema version ${schemaVersion() + 1}, newer than this confi understands`),
    )
    await expect(applySchema(t.open)).rejects.toThrow(ValidationError)
  })

  it('refuses a DATABASE_URL of another scheme, naming the variable', () => {
    expect(() =>
      resolveConfig({ env: { DATABASE_URL: 'mysql://u:secret@h/db' }, cwd: t.dir }),
    ).toThrow(/DATABASE_URL must start with postgres:\/\//)
  })

  it.each([
    ['no host', 'postgres://confi:s3cr3t-pw@/confi'],
    ['a port that is not a number', 'postgres://confi:s3cr3t-pw@db.example:port/confi'],
    ['a broken percent escape', 'postgres://confi:s3cr3t-pw%zz@db.example/confi'],
  ])('refuses a malformed postgres URL (%s) without echoing it', async (_case, url) => {
    const error = await openDatabase({ kind: 'postgres', url, poolSize: 2 }).catch((e) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.message).toMatch(/^DATABASE_URL is malformed/)
    expect(error.message).not.toContain('s3cr3t')
    expect(error.message).not.toContain('\n')
  })

  it('reports an unreachable server in one line, without the password', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const url = 'postgres://confi:s3cr3t-pw@127.0.0.1:1/confi'
    const error = await openDatabase({ kind: 'postgres', url, poolSize: 2 }).catch((e) => e)
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toMatch(/^cannot reach PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/confi/)
    expect(error.message).not.toContain('s3cr3t')
    expect(error.message).not.toContain('\n')
  })

  it.runIf(onPostgres)('reports wrong credentials in one line, without the password', async () => {
    const url = new URL(t.env.DATABASE_URL)
    url.password = 'wrong-s3cr3t'
    const error = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 2 }).catch(
      (e) => e,
    )
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toMatch(/refused the credentials in DATABASE_URL/)
    expect(error.message).not.toContain('wrong-s3cr3t')
    expect(error.message).not.toContain(`${url.username}:`)
    expect(error.message).not.toContain('@')
  })

  it.runIf(onPostgres)('reports a database that does not exist', async () => {
    const url = new URL(t.env.DATABASE_URL)
    url.pathname = '/confi_missing_db'
    const error = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 2 }).catch(
      (e) => e,
    )
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error.message).toMatch(/has no such database/)
  })

  it('reports an empty database as not initialised, with where it is but no credentials', async () => {
    if (onPostgres) {
      const { createPostgresDatabase } = await import('../../helpers/postgres.js')
      const empty = await createPostgresDatabase(adminUrl as string)
      const open = await openDatabase({ kind: 'postgres', url: empty.url, poolSize: 2 })
      try {
        const error = await assertSchemaCurrent(open).catch((e) => e)
        expect(error).toBeInstanceOf(ConfiError)
        expect(error.message).toMatch(/is not initialised: run 'confi init' first/)
        expect(error.message).toContain(empty.name)
        expect(error.message).not.toContain(new URL(empty.url).password)
      } finally {
        await open.close()
        await empty.drop()
      }
    } else {
      await expect(openDatabase({ kind: 'sqlite', path: `${t.dir}/missing.db` })).rejects.toThrow(
        /no confi database at .*missing\.db: run 'confi init' first/,
      )
    }
  })
})
