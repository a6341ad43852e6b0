import BetterSqlite3 from 'better-sqlite3'
import type { Insertable, Selectable } from 'kysely'
import { accessLogHash, GENESIS_HASH } from '../../src/core/access-log/chain/row.js'
import { accountant } from '../../src/core/actors.js'
import { backendOf, type Db } from '../../src/core/db/database.js'
import type { AccessLogTable } from '../../src/core/db/tables.js'
import type { TestDatabase } from './db.js'

type FixtureTarget = { documentId: number; clientId: number; attachmentId?: number | null }

/** The access-log row number `id` of a fixture: an anonymous view through a link. */
function fixtureRow(id: number, row: FixtureTarget) {
  return {
    id,
    at: new Date(Date.UTC(2026, 10, 1) + id * 1000).toISOString(),
    document_id: row.documentId,
    attachment_id: row.attachmentId ?? null,
    client_id: row.clientId,
    user_id: null,
    username: null,
    user_name: null,
    channel: 'link' as const,
    delivery_id: null,
    ip: '203.0.113.7',
    port: 50000 + (id % 1000),
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Gecko, like Firefox',
    action: 'view' as const,
  }
}

/**
 * Appends `count` valid access-log rows fast (one transaction, precomputed chain) straight into
 * the test database: for tests that need many rows.
 */
export async function fillAccessLog(
  t: TestDatabase,
  count: number,
  row: FixtureTarget,
): Promise<void> {
  if (t.config.database.kind === 'postgres') return fillAccessLogThrough(t.db, count, row)
  const raw = new BetterSqlite3(t.config.database.path)
  try {
    const head = raw.prepare('SELECT id, hash FROM access_log ORDER BY id DESC LIMIT 1').get() as
      | { id: number; hash: string }
      | undefined
    let id = head?.id ?? 0
    let prev = head?.hash ?? GENESIS_HASH
    const insert = raw.prepare(`INSERT INTO access_log (id, at, document_id, attachment_id, client_id,
      user_id, username, user_name, channel, delivery_id, ip, port, user_agent, action, prev_hash, hash)
      VALUES (@id, @at, @document_id, @attachment_id, @client_id, @user_id, @username, @user_name,
      @channel, @delivery_id, @ip, @port, @user_agent, @action, @prev_hash, @hash)`)
    raw.transaction(() => {
      for (let i = 0; i < count; i++) {
        id += 1
        const values = fixtureRow(id, row)
        const hash = accessLogHash(values, prev)
        insert.run({ ...values, prev_hash: prev, hash })
        prev = hash
      }
    })()
  } finally {
    raw.close()
  }
}

// The same rows through Kysely, 500 a statement (16 parameters a row stays under the limits).
async function fillAccessLogThrough(
  db: Db,
  count: number,
  row: FixtureTarget,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const head = await trx.selectFrom('access_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst()
    let id = head ? Number(head.id) : 0
    let prev = head?.hash ?? GENESIS_HASH
    let batch: Insertable<AccessLogTable>[] = []
    for (let i = 0; i < count; i++) {
      id += 1
      const values = fixtureRow(id, row)
      const hash = accessLogHash(values, prev)
      batch.push({ ...values, prev_hash: prev, hash })
      prev = hash
      if (batch.length === 500 || i === count - 1) {
        await trx.insertInto('access_log').values(batch).execute()
        batch = []
      }
    }
  })
}

/** Drops the append-only triggers, as an insider with write access to the database could. */
export async function dropAccessLogTriggers(db: Db): Promise<void> {
  const { sql } = await import('kysely')
  if (backendOf(db) === 'postgres') {
    await sql`DROP TRIGGER IF EXISTS access_log_append_only ON access_log`.execute(db)
    return
  }
  await sql`DROP TRIGGER IF EXISTS access_log_no_update`.execute(db)
  await sql`DROP TRIGGER IF EXISTS access_log_no_delete`.execute(db)
}

/**
 * The accesses of the log (views and downloads; not the other kinds, such as the
 * document.published row each filing appends), in id order, with each personal value where a
 * format-1 row holds it: a format-2 row's values are read from access_log_personal, beside it
 * (docs/access-log.md, "Format 2"). Null where a value was erased.
 */
export async function accessRowsOf(db: Db): Promise<Selectable<AccessLogTable>[]> {
  const rows = await db
    .selectFrom('access_log as a')
    .leftJoin('access_log_personal as p', 'p.id', 'a.id')
    .selectAll('a')
    .select([
      'p.username as p_username',
      'p.user_name as p_user_name',
      'p.ip as p_ip',
      'p.port as p_port',
      'p.user_agent as p_user_agent',
    ])
    .where('a.action', 'is not', null)
    .orderBy('a.id')
    .execute()
  return rows.map(({ p_username, p_user_name, p_ip, p_port, p_user_agent, ...row }) =>
    Number(row.format) === 2
      ? { ...row, username: p_username, user_name: p_user_name, ip: p_ip, port: p_port == null ? null : Number(p_port), user_agent: p_user_agent }
      : row,
  )
}
