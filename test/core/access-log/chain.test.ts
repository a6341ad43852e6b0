import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../../src/core/db/database.js'
import { accessLogHash, GENESIS_HASH, type AccessEntry } from '../../../src/core/access-log/chain/row.js'
import { appendOnKnownHeads, createAccessLogWriter, recordAccess, type Heads } from '../../../src/core/access-log/chain/append.js'
import { verifyAccessLog } from '../../../src/core/access-log/chain/walk.js'
import { commitmentOf } from '../../../src/core/access-log/chain/format-v2.js'
import { databaseSource, memorySource, rowLeafHash, subtreeHash } from '../../../src/core/access-log/tree/merkle.js'
import { useTestDatabase } from '../../helpers/db.js'
import { dropAccessLogTriggers } from '../../helpers/access-log.js'
import { makeClient, makeUser, makeDocument } from '../../helpers/factories.js'

const dist = fileURLToPath(new URL('../../../dist/core/', import.meta.url))

const t = useTestDatabase({ firm: true })
let entry: AccessEntry
// Filing the document appends its document.published row: the accesses start at row 2.
const PUBLISHED = 1
beforeEach(async () => {
  const client = await makeClient(t.db, t.key)
  const doc = await makeDocument(t, client.id)
  entry = { documentId: doc.id, clientId: client.id, channel: 'portal', action: 'view', ip: '203.0.113.9', port: 51000 }
})

async function record(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await recordAccess(t.db, { ...entry, userAgent: `agent ${i}` })
}

describe('recordAccess', () => {
  it('appends rows chained from the genesis hash, with the user as they were', async () => {
    const user = await makeUser(t.db, { clientId: entry.clientId, username: 'bruno', name: 'Bruno Silva' })
    const first = await recordAccess(t.db, { ...entry, user })
    const second = await recordAccess(t.db, { ...entry, attachmentId: 1, action: 'download' })
    const published = await t.db.selectFrom('access_log').select(['id', 'kind', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow()
    expect(published).toMatchObject({ id: 1, kind: 'document.published' })
    expect(first).toMatchObject({ id: 2, userId: user.id, username: 'bruno', userName: 'Bruno Silva', prevHash: published.hash, port: 51000 })
    expect(second).toMatchObject({ id: 3, userId: null, attachmentId: 1, prevHash: first.hash })
    expect(first.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    const genesis = await t.db.selectFrom('access_log').select('prev_hash').where('id', '=', 1).executeTakeFirstOrThrow()
    expect(genesis.prev_hash).toBe(GENESIS_HASH)
    expect(await verifyAccessLog(t.db)).toEqual({ ok: true, rows: 3, lastHash: second.hash })
  })

  it('is refused by the database when updated or deleted', async () => {
    await record(1)
    await expect(sql`UPDATE access_log SET channel = 'email'`.execute(t.db)).rejects.toThrow(/append-only/)
    await expect(sql`DELETE FROM access_log`.execute(t.db)).rejects.toThrow(/append-only/)
  })

  it('refuses malformed entries', async () => {
    await expect(recordAccess(t.db, { ...entry, channel: 'fax' as 'portal' })).rejects.toThrow(/bad channel/)
    await expect(recordAccess(t.db, { ...entry, port: 70000 })).rejects.toThrow(/bad port/)
    await expect(recordAccess(t.db, { ...entry, ip: '=HYPERLINK("x")' })).rejects.toThrow(/bad IP address/)
    await expect(recordAccess(t.db, { ...entry, documentId: 0 })).rejects.toThrow(/document id/)
  })
})

describe('verifyAccessLog finds the first bad row', () => {
  beforeEach(async () => {
    await record(6)
    await dropAccessLogTriggers(t.db)
  })

  it('an edited row', async () => {
    // A format-2 row holds no IP (only its commitment): the edit changes the channel.
    await sql`UPDATE access_log SET channel = 'email' WHERE id = 4`.execute(t.db)
    expect(await verifyAccessLog(t.db, { batchSize: 2 })).toMatchObject({ ok: false, rowId: 4, reason: expect.stringMatching(/edited/) })
  })

  it('an edited row whose hash was recomputed breaks the next link', async () => {
    const row = await t.db.selectFrom('access_log').selectAll().where('id', '=', 3).executeTakeFirstOrThrow()
    // A format-2 row: the user agent beside it, a fresh salt and the commitment to them in the row.
    const salt = 'ab'.repeat(16)
    await t.db.updateTable('access_log_personal').set({ user_agent: 'forged', user_agent_salt: salt }).where('id', '=', 3).execute()
    const forged = { ...row, format: 2 as const, user_agent_commitment: commitmentOf(salt, 'forged') }
    await sql`UPDATE access_log SET user_agent_commitment = ${forged.user_agent_commitment}, hash = ${accessLogHash(forged, row.prev_hash)} WHERE id = 3`.execute(t.db)
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: false, rowId: 4, reason: expect.stringMatching(/deleted, inserted or moved/) })
  })

  it('a deleted row', async () => {
    await sql`DELETE FROM access_log WHERE id = 3`.execute(t.db)
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: false, rowId: 4, rows: 2 })
  })

  it('a deleted first row', async () => {
    await sql`DELETE FROM access_log WHERE id = 1`.execute(t.db)
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: false, rowId: 2, reason: expect.stringMatching(/genesis/) })
  })

  it('reordered rows', async () => {
    // Swap the contents of rows 2 and 5, hashes included, keeping the ids.
    const rows = await t.db.selectFrom('access_log').selectAll().where('id', 'in', [2, 5]).orderBy('id').execute()
    const [a, b] = rows
    await sql`DELETE FROM access_log WHERE id IN (2, 5)`.execute(t.db)
    await t.db.insertInto('access_log').values([{ ...b, id: 2 }, { ...a, id: 5 }]).execute()
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: false, rowId: 2 })
  })

  it('an inserted row', async () => {
    // The last row (the sixth access, after the document.published row) moved on by one.
    const last = PUBLISHED + 6
    const row = await t.db.selectFrom('access_log').selectAll().where('id', '=', last).executeTakeFirstOrThrow()
    await sql`DELETE FROM access_log WHERE id = ${last}`.execute(t.db)
    await t.db.insertInto('access_log').values([{ ...row, id: last + 1 }]).execute()
    const fake = { ...row, id: last, format: 2 as const, channel: 'email' as const }
    await t.db.insertInto('access_log').values([{ ...fake, hash: accessLogHash(fake, fake.prev_hash) }]).execute()
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: false, rowId: last + 1 })
  })
})

describe('concurrent appends', () => {
  it('two processes appending 1,000 rows each keep one chain', async () => {
    const script = (tag: string) => `
      import { openDatabase } from ${JSON.stringify(join(dist, 'db/database.js'))}
      import { recordAccess } from ${JSON.stringify(join(dist, 'access-log/chain/append.js'))}
      const open = await openDatabase(${JSON.stringify(t.config.database)})
      for (let i = 0; i < 1000; i++) {
        await recordAccess(open.db, { ...${JSON.stringify(entry)}, userAgent: '${tag} ' + i })
      }
      await open.close()`
    const run = (tag: string) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script(tag)], { stdio: ['ignore', 'inherit', 'inherit'] })
        child.on('error', reject)
        child.on('exit', (code) => resolve(code ?? -1))
      })
    expect(await Promise.all([run('a'), run('b')])).toEqual([0, 0])
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: PUBLISHED + 2000 })
    const agents = await t.db.selectFrom('access_log_personal').select('user_agent').execute()
    expect(new Set(agents.map((r) => r.user_agent)).size).toBe(2000)
  }, 180_000)

  it('the group-commit writer batches concurrent records and resolves each after commit', async () => {
    const writer = createAccessLogWriter(t.db)
    const rows = await Promise.all(Array.from({ length: 300 }, (_, i) => writer.record({ ...entry, userAgent: `w${i}` })))
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 300 }, (_, i) => PUBLISHED + i + 1))
    // Interleaved with single appends from elsewhere (the CLI), the chain still holds.
    const more = Array.from({ length: 50 }, (_, i) => writer.record({ ...entry, userAgent: `x${i}` }))
    await recordAccess(t.db, entry)
    await Promise.all(more)
    await writer.flush()
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: PUBLISHED + 351 })
    // The groups went in as statements of 64, 8 and 1 rows (SQLite) or one statement (PostgreSQL):
    // the stored tree is the one the rows' hashes make, and needs no catching up.
    const hashes = (await t.db.selectFrom('access_log').select('hash').orderBy('id').execute()).map((r) => rowLeafHash(r.hash))
    const head = await t.db.selectFrom('access_log_tree_head').select('size').executeTakeFirstOrThrow()
    expect(Number(head.size)).toBe(PUBLISHED + 351)
    const size = PUBLISHED + 351
    expect((await subtreeHash(databaseSource(t.db), 0, size)).toString('hex')).toBe((await subtreeHash(memorySource(hashes), 0, size)).toString('hex'))
  })

  it('one bad entry in a batch fails alone; a broken database fails the batch', async () => {
    const writer = createAccessLogWriter(t.db)
    const results = await Promise.allSettled([
      writer.record(entry),
      writer.record({ ...entry, documentId: 9999 }),
      writer.record(entry),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    await writer.flush()
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: PUBLISHED + 2 })
    await t.open.close()
    const broken = await Promise.allSettled([writer.record(entry), writer.record(entry)])
    expect(broken.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  })
})

// PostgreSQL: a writer that committed the last group sends the next as one statement; another
// writer's rows in between make that statement fail with nothing written, and the group goes the
// locked way (docs/decisions.md, "Appends on PostgreSQL: one statement when the heads are known").
describe.runIf(process.env.CONFI_TEST_DATABASE_URL)('appends on known heads (PostgreSQL)', () => {
  const headsNow = async (): Promise<Heads> => {
    const last = await t.db.selectFrom('access_log').select(['id', 'hash']).orderBy('id', 'desc').executeTakeFirstOrThrow()
    const tree = await t.db.selectFrom('access_log_tree_head').select(['size', 'frontier']).executeTakeFirstOrThrow()
    return { id: Number(last.id), hash: last.hash, tree_size: Number(tree.size), frontier: tree.frontier }
  }
  const counting = (): { db: Db; statements: () => number } => {
    let statements = 0
    const db = t.db.withPlugin({ transformQuery: (args) => args.node, transformResult: async (args) => (statements++, args.result) })
    return { db, statements: () => statements }
  }

  it('writes a group in one statement, and nothing when the heads moved', async () => {
    const heads = await headsNow()
    const { db, statements } = counting()
    const group = await appendOnKnownHeads(db, [entry, { ...entry, userAgent: 'b' }], heads)
    expect(statements()).toBe(1)
    expect(group?.rows.map((r) => r.id)).toEqual([PUBLISHED + 1, PUBLISHED + 2])
    // The same heads again: the ids are taken now.
    expect(await appendOnKnownHeads(t.db, [{ ...entry, userAgent: 'stale' }], heads)).toBeNull()
    expect(await t.db.selectFrom('access_log_personal').select('id').where('user_agent', '=', 'stale').execute()).toEqual([])
    const tree = await t.db.selectFrom('access_log_tree_head').select('size').executeTakeFirstOrThrow()
    expect(Number(tree.size)).toBe(PUBLISHED + 2)
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: PUBLISHED + 2 })
  })

  it('the writer sends one statement a group after its own, and goes the locked way after another writer', async () => {
    const { db, statements } = counting()
    const writer = createAccessLogWriter(db)
    await writer.record(entry)
    const first = statements()
    // BEGIN with the lock and the heads, the write, COMMIT.
    expect(first).toBe(3)
    await writer.record(entry)
    expect(statements() - first).toBe(1)
    await recordAccess(t.db, { ...entry, userAgent: 'elsewhere' })
    const before = statements()
    const after = await writer.record({ ...entry, userAgent: 'after' })
    // The locked way (the failed statement returns no result to count).
    expect(statements() - before).toBe(3)
    expect(after.id).toBe(PUBLISHED + 4)
    // A bad entry in a group sent on known heads still fails alone.
    const results = await Promise.allSettled([writer.record(entry), writer.record({ ...entry, documentId: 9999 }), writer.record(entry)])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: PUBLISHED + 6 })
  })

  it('keeps one chain with a writer and another process appending at once', async () => {
    const script = `
      import { openDatabase } from ${JSON.stringify(join(dist, 'db/database.js'))}
      import { recordAccess } from ${JSON.stringify(join(dist, 'access-log/chain/append.js'))}
      const open = await openDatabase(${JSON.stringify(t.config.database)})
      for (let i = 0; i < 300; i++) await recordAccess(open.db, { ...${JSON.stringify(entry)}, userAgent: 'cli ' + i })
      await open.close()`
    const other = new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] })
      child.on('error', reject)
      child.on('exit', (code) => resolve(code ?? -1))
    })
    const writer = createAccessLogWriter(t.db)
    const ours: Promise<unknown>[] = []
    for (let wave = 0; wave < 60; wave++) {
      for (let i = 0; i < 5; i++) ours.push(writer.record({ ...entry, userAgent: `serve ${wave}.${i}` }))
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect(await other).toBe(0)
    await Promise.all(ours)
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: PUBLISHED + 600 })
    const agents = await t.db.selectFrom('access_log_personal').select('user_agent').execute()
    expect(new Set(agents.map((r) => r.user_agent)).size).toBe(600)
    const tree = await t.db.selectFrom('access_log_tree_head').select('size').executeTakeFirstOrThrow()
    expect(Number(tree.size)).toBe(PUBLISHED + 600)
  }, 120_000)
})
