import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { beforeEach, describe, expect, it } from 'vitest'
import { verifyAccessLog } from '../../src/core/access-log/chain/walk.js'
import { accessLogHash } from '../../src/core/access-log/chain/row.js'
import { recordAccess } from '../../src/core/access-log/chain/append.js'
import { backendOf, type Db } from '../../src/core/db/database.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { witnessPathOf } from '../../src/core/proof/witness.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { dropAccessLogTriggers } from '../helpers/access-log.js'
import { makeClient } from '../helpers/factories.js'

const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'

const t = useTestDatabase({ firm: true })
let ids: { doc: number; client: number }
beforeEach(async () => {
  loadSigningKeys(t.config.signingKeyFile, { create: true })
  const client = await makeClient(t.db, t.key)
  // A document as filed before log format 2, with no document.published row: these tests count
  // the rows they write from 1 (the publication row is the receipts' business, test/cli/receipts.test.ts).
  const doc = await t.db
    .insertInto('documents')
    .values({ client_id: client.id, title: 'DAS 10/2026', category: 'fiscal', competence: null, due_date: null, amount_cents: null, created_at: '2026-10-01T00:00:00.000Z', created_by: 'cli:test' })
    .returning('id')
    .executeTakeFirstOrThrow()
  ids = { doc: Number(doc.id), client: client.id }
})

const confi = (args: string[]) => runConfi(args, { env: t.env, cwd: t.dir })

async function access(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await recordAccess(t.db, { documentId: ids.doc, clientId: ids.client, channel: 'link', action: 'download', ip: '203.0.113.9' })
  }
}

async function checkpoint(): Promise<{ id: number; treeSize: number; rootHash: string }> {
  const result = await confi(['docs', 'checkpoint', '--json'])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout)
}

/** Removes the rows after `keep`, as an insider who dropped the triggers could. */
async function cutTail(db: Db, keep: number): Promise<void> {
  await dropAccessLogTriggers(db)
  // With their personal values beside them (log format 2), as a restore from an older copy would.
  await db.deleteFrom('access_log_personal').where('id', '>', keep).execute()
  await db.deleteFrom('access_log').where('id', '>', keep).execute()
}

async function dropCheckpointTriggers(db: Db): Promise<void> {
  if (backendOf(db) === 'postgres') await sql`DROP TRIGGER IF EXISTS checkpoints_append_only ON checkpoints`.execute(db)
  else {
    await sql`DROP TRIGGER IF EXISTS checkpoints_no_update`.execute(db)
    await sql`DROP TRIGGER IF EXISTS checkpoints_no_delete`.execute(db)
  }
}

// Rewrites every row's hash from row 1 on with a valid chain, as an insider covering their tracks would.
async function rechain(db: Db): Promise<void> {
  const rows = await db.selectFrom('access_log').selectAll().orderBy('id').execute()
  let prev = '0'.repeat(64)
  for (const row of rows) {
    const hash = accessLogHash({ ...row, id: Number(row.id), port: row.port == null ? null : Number(row.port) }, prev)
    await db.updateTable('access_log').set({ prev_hash: prev, hash }).where('id', '=', row.id).execute()
    prev = hash
  }
}

const witnessFile = () => witnessPathOf(t.config.signingKeyFile)
const readWitnessFile = () => JSON.parse(readFileSync(witnessFile(), 'utf8')).checkpoint

describe(`signed checkpoints on ${backend}`, { timeout: 180_000 }, () => {
  it('keys show prints the public key; rotate keeps old checkpoints verifiable', async () => {
    const shown = await confi(['keys', 'show', '--json'])
    expect(shown.code, shown.stderr).toBe(0)
    const before = JSON.parse(shown.stdout)
    expect(before.keys).toEqual([expect.objectContaining({ id: before.current, publicKey: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/) })])
    await access(3)
    const first = await checkpoint()
    const rotated = await confi(['keys', 'rotate', '--json'])
    expect(rotated.code, rotated.stderr).toBe(0)
    const after = JSON.parse(rotated.stdout)
    expect(after.current).not.toBe(before.current)
    expect(after.keys.map((k: { id: string }) => k.id)).toEqual([after.current, before.current])
    await access(2)
    expect(readWitnessFile()).toMatchObject({ treeSize: 3, keyId: before.current })
    const second = await checkpoint()
    expect([first.treeSize, second.treeSize]).toEqual([3, 5])
    // The witness follows the newest signing, whatever the key; private to the firm like the key file.
    expect(readWitnessFile()).toEqual({ ...second, signedText: undefined, id: second.id, keyId: after.current })
    expect(statSync(witnessFile()).mode & 0o777).toBe(0o600)
    const verify = await confi(['docs', 'verify'])
    expect(verify.code, verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/^access log intact: 5 rows; 2 checkpoints verified/)
    const text = await confi(['keys', 'show'])
    expect(text.stdout).toContain(`current key ${after.current}`)
  })

  it('detects a tail cut by one row, by many rows and the whole log deleted (exit 1, naming the lost ids)', { timeout: 180_000 }, async () => {
    await access(10)
    await checkpoint()
    const cases: [number, RegExp][] = [
      [9, /^confi: row 10 is missing: checkpoint 1 signed .* covers 10 rows and the log ends at row 9/],
      [5, /^confi: rows 6 to 10 are missing/],
      [0, /^confi: rows 1 to 10 are missing/],
    ]
    for (const [keep, message] of cases) {
      await cutTail(t.db, keep)
      const verify = await confi(['docs', 'verify'])
      expect([verify.code, verify.stderr]).toEqual([1, expect.stringMatching(message)])
      const json = JSON.parse((await confi(['docs', 'verify', '--json'])).stdout)
      expect(json).toMatchObject({ ok: false, lostIds: { from: keep + 1, to: 10 } })
    }
  })

  it('a row edited with the whole chain after it recomputed: the chain says intact, the checkpoint does not', async () => {
    await access(6)
    await checkpoint()
    await dropAccessLogTriggers(t.db)
    const rows = await t.db.selectFrom('access_log').selectAll().orderBy('id').execute()
    let prev = rows[2].prev_hash
    for (const row of rows.slice(2)) {
      // The time: hashed in both log formats (a format-2 row commits to its IP address beside it).
      const changed = { ...row, at: row.id === 3 ? '2020-01-01T00:00:00.000Z' : row.at }
      const hash = accessLogHash({ ...changed, port: changed.port }, prev)
      await t.db.updateTable('access_log').set({ at: changed.at, prev_hash: prev, hash }).where('id', '=', row.id).execute()
      prev = hash
    }
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: 6 })
    const verify = await confi(['docs', 'verify'])
    expect([verify.code, verify.stderr]).toEqual([1, expect.stringMatching(/^confi: checkpoint 1 \(6 rows, signed .*\) does not match the rows/)])
  })

  it('refuses a checkpoint whose signature was altered or made with a key the firm does not have', async () => {
    await access(2)
    await checkpoint()
    await dropCheckpointTriggers(t.db)
    await t.db.updateTable('checkpoints').set({ tree_size: 1 }).execute()
    const altered = await confi(['docs', 'verify'])
    expect([altered.code, altered.stderr]).toEqual([1, expect.stringMatching(/^confi: checkpoint 1 has a bad signature/)])
    await t.db.updateTable('checkpoints').set({ tree_size: 2, key_id: 'ffffffffffffffff' }).execute()
    const unknown = await confi(['docs', 'verify'])
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(/^confi: checkpoint 1 is signed by key ffffffffffffffff, which is not in the signing key file/)])
  })

  it('a restore from an older backup: --expect-head and the export state see it', async () => {
    await access(4)
    await checkpoint()
    const state = join(t.dir, 'export.state')
    const backup = join(t.dir, 'old.db')
    if (backend === 'SQLite') expect((await confi(['backup', backup])).code).toBe(0)
    await access(3)
    await checkpoint()
    const exported = await confi(['docs', 'log', '--format', 'ndjson', '--state', state])
    expect(exported.code, exported.stderr).toBe(0)
    const verified = await confi(['docs', 'verify'])
    const head = /head (\d+:[0-9a-f]{64})/.exec(verified.stderr)![1]
    expect(head).toMatch(/^7:/)

    if (backend === 'SQLite') {
      await t.reopen(() => {
        for (const suffix of ['-wal', '-shm']) rmSync(`${t.config.database.kind === 'sqlite' ? t.config.database.path : ''}${suffix}`, { force: true })
        copyFileSync(backup, (t.config.database as { path: string }).path)
      })
    } else {
      // The same effect on PostgreSQL: the rows and checkpoints written after the copy are gone.
      await cutTail(t.db, 4)
      await dropCheckpointTriggers(t.db)
      await sql`DROP TRIGGER IF EXISTS checkpoints_append_only ON checkpoints`.execute(t.db)
      await t.db.deleteFrom('checkpoints').where('tree_size', '>', 4).execute()
    }
    // The database alone cannot tell; the witness beside the key file can.
    const plain = await confi(['docs', 'verify'])
    expect([plain.code, plain.stderr]).toEqual([
      1,
      expect.stringMatching(/^confi: the newest checkpoint signed \(witness: checkpoint 2, key [0-9a-f]{16}, .*\) covers 7 rows \(root [0-9a-f]{64}\), the database's newest covers 4: checkpoints or rows were removed, or the database was restored from an older copy/),
    ])
    const expect7 = await confi(['docs', 'verify', '--expect-head', head, '--json'])
    expect(expect7.code).toBe(1)
    expect(JSON.parse(expect7.stdout)).toMatchObject({
      lostIds: { from: 5, to: 7 },
      problems: [expect.stringMatching(/^the newest checkpoint signed/), 'row 7 of the expected head is missing: rows 5 to 7 were cut, or the database was restored from an older copy'],
    })
    // Without the witness (an installation from before it, or moved aside), --expect-head still catches it.
    rmSync(witnessFile())
    expect((await confi(['docs', 'verify'])).code).toBe(0)
    const expectOnly = await confi(['docs', 'verify', '--expect-head', head])
    expect([expectOnly.code, expectOnly.stderr]).toEqual([1, expect.stringMatching(/^confi: row 7 of the expected head is missing: rows 5 to 7 were cut, or the database was restored from an older copy/)])
    await access(3) // new rows take the ids 5 to 7 again
    const again = await confi(['docs', 'log', '--format', 'ndjson', '--state', state])
    expect([again.code, again.stdout, again.stderr]).toEqual([
      1,
      '',
      expect.stringMatching(/^confi: the access log was cut or restored from an older copy since the last export \(row 7 has another hash/),
    ])
    const short = await confi(['docs', 'verify', '--expect-head', head.slice(0, 14)])
    expect(short.code).toBe(1)
  }, 180_000) // ten spawned commands: slow on a loaded machine

  it('every checkpoint and the tree deleted and the chain recomputed: the witness names what is missing', async () => {
    await access(13)
    const signed = await checkpoint()
    await dropAccessLogTriggers(t.db)
    await dropCheckpointTriggers(t.db)
    await t.db.updateTable('access_log').set({ at: '2020-01-01T00:00:00.000Z' }).where('id', '=', 5).execute()
    await rechain(t.db)
    await t.db.deleteFrom('checkpoints').execute()
    await t.db.deleteFrom('access_log_tree').execute()
    await t.db.deleteFrom('access_log_tree_head').execute()
    const verify = await confi(['docs', 'verify'])
    expect([verify.code, verify.stderr]).toEqual([
      1,
      expect.stringMatching(
        new RegExp(`^confi: the newest checkpoint signed \\(witness: checkpoint 1, key [0-9a-f]{16}, .*\\) covers 13 rows \\(root ${signed.rootHash}\\), the database's newest holds no checkpoint: checkpoints or rows were removed`),
      ),
    ])
    const json = JSON.parse((await confi(['docs', 'verify', '--json'])).stdout)
    expect(json).toMatchObject({ ok: false, rows: 13, lostIds: null, witness: { treeSize: 13, rootHash: signed.rootHash } })
    expect(json.problems[1]).toMatch(/^the rows up to id 13 do not give the root of the newest checkpoint signed/)
  })

  it('a tail cut and the newest checkpoint deleted: the witness still knows 13 rows were signed', async () => {
    await access(9)
    await checkpoint()
    await access(4)
    await checkpoint()
    await cutTail(t.db, 9)
    await dropCheckpointTriggers(t.db)
    await t.db.deleteFrom('checkpoints').where('tree_size', '>', 9).execute()
    const verify = await confi(['docs', 'verify'])
    expect([verify.code, verify.stderr]).toEqual([
      1,
      expect.stringMatching(/^confi: the newest checkpoint signed \(witness: checkpoint 2, .*\) covers 13 rows \(root [0-9a-f]{64}\), the database's newest covers 9: checkpoints or rows were removed/),
    ])
    expect(JSON.parse((await confi(['docs', 'verify', '--json'])).stdout)).toMatchObject({ ok: false, lostIds: { from: 10, to: 13 } })
  })

  it('a witness that is damaged, or not signed by the firm, is reported', async () => {
    await access(2)
    await checkpoint()
    const sound = readWitnessFile()
    writeFileSync(witnessFile(), JSON.stringify({ version: 1, checkpoint: { ...sound, treeSize: 40 } }))
    const forged = await confi(['docs', 'verify'])
    expect([forged.code, forged.stderr]).toEqual([1, expect.stringMatching(/^confi: the checkpoint witness is not to be trusted: checkpoint 1 has a bad signature/)])
    writeFileSync(witnessFile(), '{')
    const damaged = await confi(['docs', 'verify'])
    expect([damaged.code, damaged.stderr]).toEqual([1, expect.stringMatching(/^confi: the checkpoint witness .*signing-keys\.witness\.json is damaged \(not JSON\)/)])
    // The next signing replaces a damaged witness: it only ever moves forward from what it can read.
    await access(1)
    expect((await checkpoint()).treeSize).toBe(3)
    expect(readWitnessFile()).toMatchObject({ treeSize: 3 })
    expect((await confi(['docs', 'verify'])).code).toBe(0)
  })

  it('docs log --state refuses after a tail cut instead of skipping reused ids', async () => {
    await access(5)
    const state = join(t.dir, 'export.state')
    expect((await confi(['docs', 'log', '--format', 'ndjson', '--state', state])).code).toBe(0)
    await cutTail(t.db, 3)
    const result = await confi(['docs', 'log', '--format', 'ndjson', '--state', state])
    expect([result.code, result.stderr]).toEqual([1, expect.stringMatching(/^confi: the access log was cut or restored from an older copy since the last export \(row 5 is gone/)])
    expect(existsSync(state)).toBe(true)
  })

  it('rejects a malformed --expect-head as a usage error', async () => {
    const result = await confi(['docs', 'verify', '--expect-head', 'abc'])
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/^confi: .*--expect-head takes ID:HASH/)])
  })
})
