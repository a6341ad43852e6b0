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
  for (let i = 0; i < 3; i++) await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'portal', action: 'view' })
})

describe('backupDatabase', () => {
  it('copies the database while it is open, checks it and verifies the chain', async () => {
    const target = join(t.dir, 'backup.db')
    const result = await backupDatabase(dbPath, target)
    expect(result.accessLog).toMatchObject({ ok: true, rows: 3 })
    const copy = new BetterSqlite3(target, { readonly: true })
    expect((copy.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n).toBe(1)
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
    await sql`UPDATE access_log SET ip = '10.0.0.1' WHERE id = 2`.execute(t.db)
    const result = await backupDatabase(dbPath, join(t.dir, 'b.db'))
    expect(result.accessLog).toMatchObject({ ok: false, rowId: 2 })
    expect(existsSync(join(t.dir, 'b.db'))).toBe(true)
  })
})
