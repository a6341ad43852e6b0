import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { sql } from 'kysely'
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { backupDatabase } from '../../../src/core/ops/backup.js'
import { useTestDatabase } from '../../helpers/db.js'
import { dropAccessLogTriggers } from '../../helpers/access-log.js'
import { makeClient, makeDocument } from '../../helpers/factories.js'

const t = useTestDatabase({ backend: 'sqlite', firm: true })
let dbPath: string
beforeEach(async () => {
  // confi backup copies SQLite files (PostgreSQL uses pg_dump): SQLite in both suites.
  dbPath = join(t.dir, 'confi.db')
  const client = await makeClient(t.db, t.key)
  const doc = await makeDocument(t, client.id)
  for (let i = 0; i < 3; i++) await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'portal', action: 'view', ip: '203.0.113.9' })
})

describe('backupDatabase', () => {
  it('copies the database while it is open, checks it and verifies the chain', async () => {
    const target = join(t.dir, 'backup.db')
    const result = await backupDatabase(dbPath, target)
    // The document's document.published row and the 3 views.
    expect(result.accessLog).toMatchObject({ ok: true, rows: 4 })
    const copy = new BetterSqlite3(target, { readonly: true })
    expect((copy.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n).toBe(1)
    // The personal values beside the rows are in the copy too (format 2 keeps them out of access_log).
    expect(copy.prepare('SELECT id, ip FROM access_log_personal ORDER BY id').all()).toEqual([2, 3, 4].map((id) => ({ id, ip: '203.0.113.9' })))
    copy.close()
    expect(readdirSync(t.dir).filter((n) => n.includes('.tmp-'))).toEqual([])
  })

  it('never overwrites, and needs an existing directory', async () => {
    const target = join(t.dir, 'exists.db')
    writeFileSync(target, 'keep me')
    await expect(backupDatabase(dbPath, target)).rejects.toThrow(/already exists: choose a new file name/)
    await expect(backupDatabase(dbPath, join(t.dir, 'no', 'b.db'))).rejects.toThrow(/does not exist: create it first/)
  })

  it('reports a tampered access log in the copy', async () => {
    await dropAccessLogTriggers(t.db)
    // A format-2 row holds no IP (the database refuses one): its channel is changed.
    await sql`UPDATE access_log SET channel = 'email' WHERE id = 2`.execute(t.db)
    const result = await backupDatabase(dbPath, join(t.dir, 'b.db'))
    expect(result.accessLog).toMatchObject({ ok: false, rowId: 2 })
    expect(existsSync(join(t.dir, 'b.db'))).toBe(true)
  })
})
