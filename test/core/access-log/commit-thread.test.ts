// The access-log writer of `confi serve` (core/access-log/commit/commit-thread.ts): on SQLite a worker
// thread with its own connection commits, and two processes appending at once still build one
// valid chain and one Merkle tree (docs/decisions.md, "Download speed (issue 13)").
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { startAccessLogWriter, startCommitThread } from '../../../src/core/access-log/commit/commit-thread.js'
import { verifyAccessLog } from '../../../src/core/access-log/chain/walk.js'
import type { AccessEntry } from '../../../src/core/access-log/chain/row.js'
import { databaseSource, frontierRoot, memorySource, rowLeafHash, subtreeHash } from '../../../src/core/access-log/tree/merkle.js'
import { UnavailableError, ValidationError } from '../../../src/core/errors.js'
import { useTestDatabase, type TestDatabase } from '../../helpers/db.js'
import { makeClient, makeDocument } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const root = fileURLToPath(new URL('../../..', import.meta.url))
// Filing the document of target() appends its document.published row first: row 1.
const PUBLISHED = 1

async function target(db: TestDatabase = t): Promise<AccessEntry> {
  const client = await makeClient(db.db, db.key)
  const doc = await makeDocument(db, client.id)
  return { documentId: doc.id, attachmentId: doc.attachments[0].id, clientId: client.id, channel: 'portal', action: 'download', ip: '203.0.113.9' }
}

/** The stored tree (head and subtrees), checked against a tree rebuilt from the rows, without repairing anything. */
async function expectTreeMatchesRows(): Promise<number> {
  const rows = await t.db.selectFrom('access_log').select(['id', 'hash']).orderBy('id').execute()
  const leaves = rows.map((r) => rowLeafHash(r.hash))
  const expected = await subtreeHash(memorySource(leaves), 0, leaves.length)
  const head = await t.db.selectFrom('access_log_tree_head').select(['size', 'frontier']).executeTakeFirstOrThrow()
  expect(Number(head.size)).toBe(rows.length)
  const frontier = { size: Number(head.size), hashes: head.frontier.split(',').map((h) => Buffer.from(h, 'hex')) }
  expect(frontierRoot(frontier).equals(expected)).toBe(true)
  expect((await subtreeHash(databaseSource(t.db), 0, leaves.length)).equals(expected)).toBe(true)
  return rows.length
}

// A second process appending through the same writer as `confi serve`, from the built dist/.
function appendFromAnotherProcess(entry: AccessEntry, count: number): Promise<string> {
  const script = `
    const { resolveConfig } = await import(${JSON.stringify(`${root}dist/core/config/app-config.js`)})
    const { openDatabase } = await import(${JSON.stringify(`${root}dist/core/db/database.js`)})
    const { startAccessLogWriter } = await import(${JSON.stringify(`${root}dist/core/access-log/commit/commit-thread.js`)})
    const config = resolveConfig({ env: process.env, cwd: process.cwd() })
    const open = await openDatabase(config.database)
    const writer = startAccessLogWriter(open.db, config.database)
    const entry = JSON.parse(process.env.ENTRY)
    let next = 0
    await Promise.all(Array.from({ length: 16 }, async () => { while (next++ < ${count}) await writer.record(entry) }))
    await writer.close()
    await open.close()
    console.log('appended')
  `
  const env = { ...process.env, ...t.env, ENTRY: JSON.stringify(entry) }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (out += chunk))
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`the other process failed: ${out}`))))
  })
}

describe('the access-log writer of confi serve', () => {
  it('commits each row before answering, with the chain and the tree of log.ts', async () => {
    const entry = await target()
    const writer = startAccessLogWriter(t.db, t.config.database)
    try {
      const rows = await Promise.all(Array.from({ length: 50 }, () => writer.record(entry)))
      expect(rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => PUBLISHED + i + 1))
      // Committed when answered: visible to this process's own connection at once.
      const last = await t.db.selectFrom('access_log').select('hash').where('id', '=', 50).executeTakeFirstOrThrow()
      expect(last.hash).toBe(rows.find((r) => r.id === 50)!.hash)
    } finally {
      await writer.close()
    }
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: PUBLISHED + 50 })
    expect(await expectTreeMatchesRows()).toBe(PUBLISHED + 50)
  })

  it('keeps one valid chain and one tree while two processes append at once', async () => {
    const entry = await target()
    const writer = startAccessLogWriter(t.db, t.config.database)
    try {
      let next = 0
      const here = Promise.all(Array.from({ length: 16 }, async () => { while (next++ < 300) await writer.record(entry) }))
      const [, there] = await Promise.all([here, appendFromAnotherProcess(entry, 300)])
      expect(there).toContain('appended')
    } finally {
      await writer.close()
    }
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: PUBLISHED + 600 })
    expect(await expectTreeMatchesRows()).toBe(PUBLISHED + 600)
  }, 60_000)

  it('refuses a malformed entry with its type, and the others still commit', async () => {
    const entry = await target()
    const writer = startAccessLogWriter(t.db, t.config.database)
    try {
      const [bad, good] = await Promise.allSettled([writer.record({ ...entry, ip: 'not an address' }), writer.record(entry)])
      expect(bad.status === 'rejected' && bad.reason).toBeInstanceOf(ValidationError)
      expect(good.status).toBe('fulfilled')
    } finally {
      await writer.close()
    }
  })
})

describe('the SQLite commit thread', () => {
  // A SQLite file in both suites: PostgreSQL's writer needs no thread.
  const s = useTestDatabase({ firm: true, backend: 'sqlite' })
  const path = () => (s.config.database.kind === 'sqlite' ? s.config.database.path : '')

  it('reports a commit that failed as UnavailableError, and the rows before and after are intact', async () => {
    const entry = await target(s)
    const writer = startCommitThread(path())
    try {
      await writer.record(entry)
      const { sql } = await import('kysely')
      await sql`CREATE TRIGGER refuse_log BEFORE INSERT ON access_log BEGIN SELECT RAISE(ABORT, 'disk says no'); END`.execute(s.db)
      const refused = await writer.record(entry).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(UnavailableError)
      expect(String((refused as Error).message)).toContain('disk says no')
      await sql`DROP TRIGGER refuse_log`.execute(s.db)
      await writer.record(entry)
    } finally {
      await writer.close()
    }
    expect(await verifyAccessLog(s.db)).toMatchObject({ ok: true, rows: PUBLISHED + 2 })
  })

  it('stops on close: what was queued is committed, the thread exits, later records are refused', async () => {
    const entry = await target(s)
    const writer = startCommitThread(path())
    const queued = Array.from({ length: 20 }, () => writer.record(entry))
    // close() resolves only once the thread has exited (a stuck one is terminated after 15 s,
    // which this test's 5 s limit would catch).
    await writer.close()
    expect((await Promise.all(queued)).length).toBe(20)
    await expect(writer.record(entry)).rejects.toBeInstanceOf(UnavailableError)
    expect(await verifyAccessLog(s.db)).toMatchObject({ ok: true, rows: PUBLISHED + 20 })
  })

  it('refuses every record when the database cannot be opened', async () => {
    const writer = startCommitThread('/nonexistent/folder/confi.db')
    try {
      await expect(writer.record({ documentId: 1, clientId: 1, channel: 'portal', action: 'view' })).rejects.toBeInstanceOf(UnavailableError)
    } finally {
      await writer.close()
    }
  })
})
