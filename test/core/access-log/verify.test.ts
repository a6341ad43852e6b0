import { beforeEach, describe, expect, it } from 'vitest'
import { accessLogHash } from '../../../src/core/access-log/chain/row.js'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { createCheckpoint, verifyLogWithCheckpoints } from '../../../src/core/proof/checkpoints.js'
import { loadSigningKeys, type SigningKeys } from '../../../src/core/proof/keys.js'
import type { Db } from '../../../src/core/db/database.js'
import { useTestDatabase, type TestDatabase } from '../../helpers/db.js'
import { dropAccessLogTriggers, fillAccessLog } from '../../helpers/access-log.js'
import { makeClient, makeDocument } from '../../helpers/factories.js'

// The threaded walk (core/access-log/verify/verify.ts) must report exactly what the row-by-row walk
// reports: here with chunks of 8 rows on 2 threads over 100 rows, checkpoints at 37 rows (inside a
// chunk) and 100 (inside the last, partial chunk), for a sound log and for each kind of tampering.
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'

const t = useTestDatabase({ firm: true })
let keys: SigningKeys
beforeEach(async () => {
  keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
  const client = await makeClient(t.db, t.key)
  // Row 1 is the document's document.published row; rows 2 to 37 are accesses.
  const target = { documentId: (await makeDocument(t, client.id)).id, clientId: client.id }
  await fillAccessLog(t, 36, target)
  await createCheckpoint(t.db, keys)
  await fillAccessLog(t, 62, target)
  // Row 100: text beyond ASCII and every optional column set (PostgreSQL hashes it in SQL).
  await recordAccess(t.db, { ...target, channel: 'portal', action: 'download', ip: '2001:db8::1', port: 443, userAgent: 'Navegador de João — ação 🚀' })
  await createCheckpoint(t.db, keys)
  await dropAccessLogTriggers(t.db)
})

async function bothWalks(on: TestDatabase = t, signing: SigningKeys = keys) {
  const threaded = await verifyLogWithCheckpoints(on.db, signing.all, { target: on.config.database, chunkSize: 8, threads: 2 })
  const inProcess = await verifyLogWithCheckpoints(on.db, signing.all)
  expect(threaded).toEqual(inProcess)
  return threaded
}

// An edit of row `id`: its IP in a format-1 row, its IP's commitment in a format-2 row (which
// holds no IP: the database refuses one there).
async function setIp(id: number, ip: string, db: Db = t.db): Promise<void> {
  const { format } = await db.selectFrom('access_log').select('format').where('id', '=', id).executeTakeFirstOrThrow()
  if (Number(format) === 2) await db.updateTable('access_log').set({ ip_commitment: accessLogHash({ id, ip } as never, '0'.repeat(64)) }).where('id', '=', id).execute()
  else await db.updateTable('access_log').set({ ip }).where('id', '=', id).execute()
}

// Rewrites the rows from `from` on with a valid chain, as an insider covering their tracks would.
async function rechain(from: number, db: Db = t.db): Promise<void> {
  const rows = await db.selectFrom('access_log').selectAll().where('id', '>=', from).orderBy('id').execute()
  const before = await db.selectFrom('access_log').select('hash').where('id', '<', from).orderBy('id', 'desc').limit(1).executeTakeFirst()
  let prev = before?.hash ?? '0'.repeat(64)
  for (const row of rows) {
    const hash = accessLogHash({ ...row, id: Number(row.id), port: row.port == null ? null : Number(row.port) }, prev)
    await db.updateTable('access_log').set({ prev_hash: prev, hash }).where('id', '=', row.id).execute()
    prev = hash
  }
}

describe(`docs verify on threads, chunk by chunk, on ${backend}`, { timeout: 120_000 }, () => {
  it('a sound log: the same rows, head and both checkpoints as the walk in process', async () => {
    const result = await bothWalks()
    expect(result).toMatchObject({ ok: true, rows: 100, lastId: 100, checkpoints: 2, problems: [] })
    // Every chunk joined clean (progress once per chunk), none walked again in process.
    const done: number[] = []
    const options = { target: t.config.database, chunkSize: 8, threads: 2, onProgress: (rows: number) => done.push(rows) }
    expect(await verifyLogWithCheckpoints(t.db, keys.all, options)).toEqual(result)
    expect(done).toEqual([...Array.from({ length: 12 }, (_, i) => 8 * (i + 1)), 100])
  })

  // The threads read each format with its own statement (verify/chunk-rows.ts): a row whose
  // format is changed moves from one statement to the other, and must still be reported as the
  // walk in process reports it.
  it("a row's format changed: read by the other format's statement, reported as the walk reports it", async () => {
    const row = await t.db.selectFrom('access_log').select(['format', 'action']).where('id', '=', 30).executeTakeFirstOrThrow()
    expect(Number(row.format)).toBe(1)
    // What format 2's CHECK asks of the row besides: a kind, and no personal value in the row.
    const personal = { username: null, user_name: null, ip: null, port: null, user_agent: null }
    await t.db.updateTable('access_log').set({ format: 2 as never, kind: row.action, ...personal }).where('id', '=', 30).execute()
    const result = await bothWalks()
    expect(result).toMatchObject({ ok: false, rows: 29 })
    expect(result.problems[0]).toMatch(/^access log broken at row 30: its contents do not match its hash: the row was edited/)
  })

  it('an edited row in each of two chunks: the first in id order is reported', async () => {
    await setIp(70, '198.51.100.70')
    await setIp(20, '198.51.100.20')
    const result = await bothWalks()
    expect(result.problems[0]).toMatch(/^access log broken at row 20: its contents do not match its hash: the row was edited \(19 rows before it verify\)/)
  })

  it('a row deleted at a chunk boundary and one inside a chunk', async () => {
    await t.db.deleteFrom('access_log').where('id', 'in', [33, 90]).execute()
    const result = await bothWalks()
    expect(result.problems[0]).toMatch(/^access log broken at row 34: its prev_hash does not match/)
  })

  it('the first row deleted', async () => {
    await t.db.deleteFrom('access_log').where('id', '=', 1).execute()
    expect((await bothWalks()).problems[0]).toMatch(/^access log broken at row 2: it should be the first row of the chain/)
  })

  it('a row edited with the chain after it recomputed: only the checkpoints see it', async () => {
    await setIp(50, '198.51.100.50')
    await rechain(50)
    const result = await bothWalks()
    expect(result).toMatchObject({ ok: false, rows: 100 })
    expect(result.problems).toEqual([expect.stringMatching(/^checkpoint 2 \(100 rows, signed .*\) does not match the rows/)])
  })

  it('a row cut from the middle with the chain recomputed: a gap, not a cut end; then a cut end too', async () => {
    await t.db.deleteFrom('access_log').where('id', '=', 60).execute()
    await rechain(61)
    const gap = await bothWalks()
    expect(gap).toMatchObject({ ok: false, lastId: 59, gaps: [{ from: 60, to: 60 }], lostIds: null, edited: [], brokenLinks: [] })
    expect(gap.problems).toEqual(['row 60 is missing from the middle of the log: ids must run 1, 2, 3... without gaps'])
    await t.db.deleteFrom('access_log').where('id', '>', 90).execute()
    const cut = await bothWalks()
    expect(cut).toMatchObject({ ok: false, lastId: 59, gaps: [{ from: 60, to: 60 }], lostIds: { from: 91, to: 100 } })
    expect(cut.problems[1]).toMatch(/^rows 91 to 100 are missing: checkpoint 2 signed .* covers 100 rows and the log ends at row 90 \(its end was cut\)/)
  })

  it('an edited row is named, and the rows after it are not taken for a cut end', async () => {
    await setIp(50, '198.51.100.50')
    const result = await bothWalks()
    expect(result).toMatchObject({ ok: false, rows: 49, lostIds: null, gaps: [], edited: [{ from: 50, to: 50 }], brokenLinks: [] })
    expect(result.problems).toEqual([
      expect.stringMatching(/^access log broken at row 50: its contents do not match its hash: the row was edited \(49 rows before it verify\)$/),
      'row 50 edited: the contents no longer give the stored hash',
    ])
  })

  it('rows edited from 50 on, each hashed another way: all named, none missing', async () => {
    for (let id = 50; id <= 100; id++) await setIp(id, `198.51.100.${id}`)
    const result = await bothWalks()
    expect(result).toMatchObject({ lostIds: null, gaps: [], edited: [{ from: 50, to: 100 }], brokenLinks: [] })
    expect(result.problems.join('\n')).not.toMatch(/missing|cut/)
    expect(result.problems[1]).toBe('rows 50 to 100 edited: the contents no longer give the stored hash')
  })

  it("an edit with the row's own hash recomputed: the next row's link breaks and names it", async () => {
    const row = await t.db.selectFrom('access_log').selectAll().where('id', '=', 50).executeTakeFirstOrThrow()
    const hash = accessLogHash({ ...row, id: 50, ip: '198.51.100.50', port: row.port == null ? null : Number(row.port) }, row.prev_hash)
    await t.db.updateTable('access_log').set({ ip: '198.51.100.50', hash }).where('id', '=', 50).execute()
    const result = await bothWalks()
    expect(result).toMatchObject({ lostIds: null, gaps: [], edited: [], brokenLinks: [{ from: 51, to: 51 }] })
    expect(result.problems).toEqual([
      expect.stringMatching(/^access log broken at row 51: its prev_hash does not match the hash of row 50, which is there: row 50 was rewritten with a new hash, or replaced/),
      expect.stringMatching(/^checkpoint 2 \(100 rows, signed .*\) does not match the rows: a row up to id 100 was changed since \(between ids 38 and 100: checkpoint 1, of 37 rows, still matches\)$/),
      'the link to the row before breaks at row 51: that row was rewritten with a new hash, or replaced',
    ])
  })

  it('an edit and a real tail cut: the edit is named and only the missing rows are cut', async () => {
    await setIp(20, '198.51.100.20')
    await t.db.deleteFrom('access_log').where('id', '>', 70).execute()
    const result = await bothWalks()
    expect(result).toMatchObject({ lostIds: { from: 71, to: 100 }, gaps: [], edited: [{ from: 20, to: 20 }] })
    expect(result.problems.at(-1)).toMatch(/^rows 71 to 100 are missing: checkpoint 2 .* and the log ends at row 70 \(its end was cut\)/)
  })
})

describe(`a checkpoint of the empty log, on ${backend}`, { timeout: 120_000 }, () => {
  const d = useTestDatabase({ firm: true })
  it('does not keep the later checkpoints from being checked', async () => {
    const k = loadSigningKeys(d.config.signingKeyFile, { create: true })
    const client = await makeClient(d.db, d.key)
    await createCheckpoint(d.db, k)
    // The document's document.published row and 19 accesses: 20 rows.
    await fillAccessLog(d, 19, { documentId: (await makeDocument(d, client.id)).id, clientId: client.id })
    await createCheckpoint(d.db, k)
    await dropAccessLogTriggers(d.db)
    await setIp(5, '198.51.100.5', d.db)
    await rechain(5, d.db)
    const result = await bothWalks(d, k)
    expect(result.problems).toEqual([expect.stringMatching(/^checkpoint 2 \(20 rows, signed .*\) does not match the rows/)])
  })
})

describe('the tree hashes of the threads', () => {
  it('hash a commitment as node:crypto does, for every length from 0 to 300 bytes', async () => {
    const { createHash, randomBytes } = await import('node:crypto')
    const { commitmentOf } = await import('../../../src/core/access-log/chain/format-v2.js')
    const salt = randomBytes(16)
    for (let n = 0; n <= 300; n++) {
      const value = 'ü'.repeat(n % 7) + 'x'.repeat(n)
      expect(commitmentOf(salt.toString('hex'), value)).toBe(createHash('sha256').update(salt).update(value, 'utf8').digest('hex'))
    }
    expect(commitmentOf(salt.toString('hex'), 51000)).toBe(createHash('sha256').update(salt).update('51000').digest('hex'))
  })

  it('hash a row whose prev_hash is not 64 hex digits as Buffer.from reads it', async () => {
    const { hash } = await import('node:crypto')
    const { accessLogHash, canonicalEncoding } = await import('../../../src/core/access-log/chain/row.js')
    const row = { id: 7, at: '2026-01-01T00:00:00.000Z', document_id: 1, attachment_id: null, client_id: 1, user_id: null,
      username: null, user_name: null, channel: 'link', delivery_id: null, ip: '203.0.113.9', port: 443, user_agent: 'ü', action: 'view' }
    const expected = (prev: Buffer) => hash('sha256', Buffer.concat([Buffer.from([1]), canonicalEncoding(row), prev]), 'hex')
    const h = 'ab'.repeat(32)
    expect(accessLogHash(row, h)).toBe(expected(Buffer.from(h, 'hex')))
    // Longer: its first 32 bytes (as every release hashed it); shorter or not hex: what Buffer.from reads.
    expect(accessLogHash(row, `${h}cd`)).toBe(expected(Buffer.from(h, 'hex')))
    expect(accessLogHash(row, h.slice(0, 63))).toBe(expected(Buffer.from(h.slice(0, 63), 'hex')))
    expect(accessLogHash(row, 'not hex')).toBe(expected(Buffer.alloc(0)))
  })

  it('equal node:crypto for leaves and nodes of random hashes', async () => {
    const { hash, randomBytes } = await import('node:crypto')
    const { latin1Hex, leafOfHex, nodeOf } = await import('../../../src/core/access-log/tree/tree-hash.js')
    for (let i = 0; i < 200; i++) {
      const left = randomBytes(32)
      const right = randomBytes(32)
      expect(latin1Hex(left.toString('latin1'))).toBe(left.toString('hex'))
      expect(latin1Hex(leafOfHex(left.toString('hex')))).toBe(hash('sha256', Buffer.concat([Buffer.from([0]), left]), 'hex'))
      expect(latin1Hex(nodeOf(left.toString('latin1'), right.toString('latin1')))).toBe(
        hash('sha256', Buffer.concat([Buffer.from([1]), left, right]), 'hex'),
      )
    }
  })
})
