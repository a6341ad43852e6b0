import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { logDocumentEvent } from '../../../src/core/access-log/chain/document-events.js'
import { verifyAccessLog } from '../../../src/core/access-log/chain/walk.js'
import { createCheckpoint, verifyLogWithCheckpoints } from '../../../src/core/proof/checkpoints.js'
import { loadSigningKeys } from '../../../src/core/proof/keys.js'
import { parseReceipt, recheckReceipt, verifyReceipt } from '../../../src/core/proof/receipts.js'
import { parseAnyReceipt, verifyAnyReceipt } from '../../../src/core/proof/protocol-verify.js'
import { memorySource, rowLeafHash, subtreeHash, syncTree } from '../../../src/core/access-log/tree/merkle.js'
import { applySchema, readSchemaVersion, schemaSteps, schemaVersion } from '../../../src/core/db/schema.js'
import { runCli } from '../../helpers/cli.js'
import { useTestDatabase } from '../../helpers/db.js'

// Rows written by earlier releases, one INSERT each (a text value may span lines): the version-1
// release's (loaded at every older version), the version-6 release's, with rows in the tables
// versions 2 to 6 added (deliveries, outbox, tree, checkpoints, receipts), and the previous
// release's, at version 7, which also holds a live session and an ended one, and the version-8
// release's, with rows of log format 1, a signed checkpoint and a receipt.
function fixture(name: string): string[] {
  return readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8')
    .split(/\n(?=INSERT INTO |-- )/)
    .filter((statement) => statement.startsWith('INSERT INTO '))
    .map((statement) => statement.trimEnd())
}

const FIXTURES = [
  { name: 'schema-v1-data.sql', versions: schemaSteps().map((step) => step.version) },
  // Also loaded at every later released version: a database of the previous release (9) holding
  // outbox rows, a reminder pointing at one and a receipt, which version 10 rebuilds on SQLite.
  { name: 'schema-v6-data.sql', versions: [6, 7, 8, 9, 10] },
  { name: 'schema-v7-data.sql', versions: [7] },
  { name: 'schema-v8-data.sql', versions: [8] },
  { name: 'schema-v10-data.sql', versions: [10] },
]

function expectedCounts(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const line of lines) {
    const table = /^INSERT INTO (\w+)/.exec(line)![1]
    counts.set(table, (counts.get(table) ?? 0) + 1)
  }
  return counts
}

describe(`schema upgrade on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  for (const { name, versions } of FIXTURES) {
    const lines = fixture(name)
    for (const version of versions) {
      describe(`a database at version ${version} holding ${name}`, () => {
        const t = useTestDatabase({ schemaUpTo: version, seed: lines })

        it(`upgrades to ${schemaVersion()}, keeping every row and the log chain`, async () => {
          expect(await readSchemaVersion(t.db)).toBe(version)

          const result = await applySchema(t.open)

          expect(result).toEqual({ version: schemaVersion(), created: false })
          expect(await readSchemaVersion(t.db)).toBe(schemaVersion())
          for (const [table, count] of expectedCounts(lines)) {
            const row = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)
            expect(Number(row.rows[0].n), table).toBe(count)
          }
          const titles = await t.db.selectFrom('documents').select('title').orderBy('id').execute()
          expect(titles.map((row) => row.title)).toContain('DAS — Simples Nacional')
          const verified = await verifyAccessLog(t.db)
          expect(verified).toMatchObject({ ok: true, rows: expectedCounts(lines).get('access_log') })
          // What `confi init` does after the upgrade (version 4): the Merkle tree covers every old row.
          const hashes = await t.db.selectFrom('access_log').select('hash').orderBy('id').execute()
          const reference = memorySource(hashes.map((row) => rowLeafHash(row.hash)))
          expect(await syncTree(t.db)).toEqual({
            size: hashes.length,
            root: (await subtreeHash(reference, 0, hashes.length)).toString('hex'),
          })
        })
      })
    }
  }
})

describe(`access log format 2 after an upgrade from version 8 on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  const lines = fixture('schema-v8-data.sql')
  const t = useTestDatabase({ schemaUpTo: 8, seed: lines })

  it('keeps the checkpoint and the receipt of format-1 rows, then chains format-2 rows after them', async () => {
    await applySchema(t.open)
    const [stored] = await t.db.selectFrom('receipts').select('body').execute()
    const receipt = parseReceipt(stored.body)
    const trusted = [{ ...receipt.publicKey, createdAt: receipt.checkpoint.at, retiredAt: null }]
    const before = await verifyLogWithCheckpoints(t.db, trusted)
    expect(before).toMatchObject({ ok: true, rows: 5, checkpoints: 1, problems: [] })
    expect(verifyReceipt(receipt, trusted)).toMatchObject({ ok: true, problems: [] })
    expect((await recheckReceipt(t.db, trusted, receipt.id))?.check).toMatchObject({ ok: true, problems: [] })
    const formats = await t.db.selectFrom('access_log').select(['format', 'kind']).execute()
    expect(formats.every((row) => Number(row.format) === 1 && row.kind === null)).toBe(true)

    // New rows of format 2: an event, an access with personal fields, a checkpoint over all of them.
    await t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.published', 1))
    await recordAccess(t.db, { documentId: 1, clientId: 1, user: { id: 1, username: 'ana.souza', name: 'Ana Souza' }, channel: 'portal', ip: '198.51.100.20', port: 40002, userAgent: 'Mozilla/5.0', action: 'view' }, { format: 2 })
    await recordAccess(t.db, { documentId: 1, clientId: 1, channel: 'portal', action: 'view' }, { format: 1 })
    // The fixture gave its checkpoint an explicit id; a release's own inserts advance the identity.
    if (process.env.CONFI_TEST_DATABASE_URL) {
      await sql`select setval(pg_get_serial_sequence('checkpoints', 'id'), (select max(id) from checkpoints))`.execute(t.db)
    }
    const keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
    await createCheckpoint(t.db, keys)
    const signers = [...trusted, ...keys.all]
    expect(await verifyLogWithCheckpoints(t.db, signers)).toMatchObject({ ok: true, rows: 8, checkpoints: 2, problems: [] })
    // The old receipt still verifies against the database, and an erasure keeps every checkpoint.
    await t.db.updateTable('access_log_personal').set({ ip: null, ip_salt: null, user_name: null, user_name_salt: null }).execute()
    expect(await verifyLogWithCheckpoints(t.db, signers)).toMatchObject({ ok: true, rows: 8, checkpoints: 2, problems: [] })
    expect((await recheckReceipt(t.db, trusted, receipt.id))?.check).toMatchObject({ ok: true })
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: 8 })
  })
})

// The previous release (schema version 9) wrote every access in format 1: its database holds
// format-1 rows, checkpoints and receipts. `confi init` upgrades it to this version; everything
// it holds still verifies, and the format-2 rows appended after it verify with it.
describe(`confi init upgrading the previous release's database (version 9, log format 1) on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  const t = useTestDatabase({ schemaUpTo: 9, seed: fixture('schema-v8-data.sql') })

  it('keeps every row, the chain, the checkpoints and the old receipt; new format-2 rows verify after them', async () => {
    expect(await readSchemaVersion(t.db)).toBe(9)
    // As the version-9 release went on: accesses of format 1 and a checkpoint signed by the firm's key.
    if (process.env.CONFI_TEST_DATABASE_URL) {
      await sql`select setval(pg_get_serial_sequence('checkpoints', 'id'), (select max(id) from checkpoints))`.execute(t.db)
    }
    const user = { id: 1, username: 'ana.souza', name: 'Ana Souza' }
    for (const port of [40010, 40011]) {
      await recordAccess(t.db, { documentId: 1, clientId: 1, user, channel: 'portal', ip: '198.51.100.21', port, action: 'view' }, { format: 1 })
    }
    const keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
    await createCheckpoint(t.db, keys)
    const [stored] = await t.db.selectFrom('receipts').select('body').execute()
    const receipt = parseReceipt(stored.body)
    const signers = [{ ...receipt.publicKey, createdAt: receipt.checkpoint.at, retiredAt: null }, ...keys.all]
    const oldRows = await t.db.selectFrom('access_log').selectAll().orderBy('id').execute()
    expect(oldRows.map((row) => Number(row.format))).toEqual([1, 1, 1, 1, 1, 1, 1])

    const init = await runCli(['init'], { env: t.env, cwd: t.dir })
    expect([init.code, init.stderr]).toEqual([0, ''])
    expect(await readSchemaVersion(t.db)).toBe(schemaVersion())

    // Every old row unchanged, the chain, both checkpoints, the tree and the old receipt.
    expect(await t.db.selectFrom('access_log').selectAll().orderBy('id').execute()).toEqual(oldRows)
    expect(await verifyLogWithCheckpoints(t.db, signers)).toMatchObject({ ok: true, rows: 7, checkpoints: 2, problems: [] })
    expect(verifyReceipt(receipt, signers)).toMatchObject({ ok: true, problems: [] })
    expect((await recheckReceipt(t.db, signers, receipt.id))?.check).toMatchObject({ ok: true, problems: [] })
    // The receipts table rebuilt (protocols need no document): the old receipt is a document's, as it was.
    const [upgraded] = await t.db.selectFrom('receipts').select(['public_id', 'subject', 'document_id', 'upload_id', 'request_id', 'log_id', 'body']).execute()
    expect({ ...upgraded, document_id: Number(upgraded.document_id) }).toEqual({
      public_id: receipt.id, subject: 'document', document_id: receipt.document.id, upload_id: null, request_id: null, log_id: null, body: stored.body,
    })
    const hashes = memorySource(oldRows.map((row) => rowLeafHash(row.hash)))
    expect(await syncTree(t.db)).toEqual({ size: 7, root: (await subtreeHash(hashes, 0, 7)).toString('hex') })

    // This release appends format 2 after them: an event, an access with its values beside it.
    await t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.published', 1))
    await recordAccess(t.db, { documentId: 1, clientId: 1, user, channel: 'portal', ip: '198.51.100.22', port: 40012, userAgent: 'Mozilla/5.0', action: 'download', attachmentId: 1 })
    await createCheckpoint(t.db, keys)
    const rows = await t.db.selectFrom('access_log').select(['id', 'format', 'kind', 'ip']).where('id', '>', 7).orderBy('id').execute()
    expect(rows.map((row) => [Number(row.id), Number(row.format), row.kind, row.ip])).toEqual([
      [8, 2, 'document.published', null],
      [9, 2, 'download', null],
    ])
    const after = await verifyLogWithCheckpoints(t.db, signers)
    expect(after).toMatchObject({ ok: true, rows: 9, checkpoints: 3, problems: [] })
    const threaded = await verifyLogWithCheckpoints(t.db, signers, { target: t.config.database, chunkSize: 4, threads: 2 })
    expect(threaded).toEqual(after)
    expect((await recheckReceipt(t.db, signers, receipt.id))?.check).toMatchObject({ ok: true, problems: [] })
    // An edited value beside the new row is caught; the old rows are not touched by it.
    await t.db.updateTable('access_log_personal').set({ ip: '198.51.100.99' }).where('id', '=', 9).execute()
    expect((await verifyLogWithCheckpoints(t.db, signers)).problems).toEqual([
      expect.stringMatching(/^access log broken at row 9: its ip does not match its commitment/),
    ])
  })
})

// The previous release (schema version 10) wrote format-2 rows only, with their personal values
// beside them, receipts of version 2 and a protocolo de envio. Version 11 (LGPD) adds columns and
// tables and lets the audit's actor be redacted; `confi init` upgrades it and everything verifies.
describe(`confi init upgrading the previous release's database (version 10, log format 2) on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  const lines = fixture('schema-v10-data.sql')
  const t = useTestDatabase({ schemaUpTo: 10, seed: lines })

  it('keeps every row, each commitment, the checkpoints, the receipt and the protocol; the new columns take their defaults', async () => {
    expect(await readSchemaVersion(t.db)).toBe(10)
    const bodies = await t.db.selectFrom('receipts').select(['public_id', 'body']).orderBy('id').execute()
    const [receipt, protocol] = bodies.map((row) => parseAnyReceipt(row.body))
    const signers = [{ ...receipt.publicKey, createdAt: receipt.checkpoint.at, retiredAt: null }]
    const oldRows = await t.db.selectFrom('access_log').selectAll().orderBy('id').execute()
    const oldPersonal = await t.db.selectFrom('access_log_personal').selectAll().orderBy('id').execute()
    expect(new Set(oldRows.map((row) => Number(row.format)))).toEqual(new Set([2]))

    const init = await runCli(['init'], { env: t.env, cwd: t.dir })
    expect([init.code, init.stderr]).toEqual([0, ''])
    expect(await readSchemaVersion(t.db)).toBe(schemaVersion())

    for (const [table, count] of expectedCounts(lines)) {
      const row = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)
      expect(Number(row.rows[0].n), table).toBe(count)
    }
    expect(await t.db.selectFrom('access_log').selectAll().orderBy('id').execute()).toEqual(oldRows)
    expect(await t.db.selectFrom('access_log_personal').selectAll().orderBy('id').execute()).toEqual(oldPersonal)
    expect(oldPersonal.map((row) => row.user_agent)).toContain('Mozilla/5.0 (X11; "quoted", ünï) Gecko')
    expect(await verifyLogWithCheckpoints(t.db, signers)).toMatchObject({ ok: true, rows: oldRows.length, checkpoints: 2, problems: [] })
    expect(verifyReceipt(parseReceipt(bodies[0].body), signers)).toMatchObject({ ok: true, problems: [] })
    expect(verifyAnyReceipt(protocol, signers)).toMatchObject({ ok: true, problems: [] })
    expect((await recheckReceipt(t.db, signers, bodies[0].public_id))?.check).toMatchObject({ ok: true, problems: [] })

    const firm = await t.db.selectFrom('firm_options').select(['retention', 'log_retention']).executeTakeFirstOrThrow()
    expect(firm).toEqual({ retention: 'fiscal=5y,pessoal=10y,contabil=10y,societario=forever,outros=5y', log_retention: '5y' })
    const documents = await t.db.selectFrom('documents').select(['expired_at', 'expired_reason', 'files_removed_at']).execute()
    expect(documents.length).toBeGreaterThan(0)
    expect(documents.every((row) => row.expired_at === null && row.expired_reason === null && row.files_removed_at === null)).toBe(true)
    const users = await t.db.selectFrom('client_users').select('erased_at').execute()
    expect(users.every((row) => row.erased_at === null)).toBe(true)
    // The audit's actor can now be redacted; its action, time and the rows themselves cannot change.
    const [event] = await t.db.selectFrom('events').select(['id', 'actor']).orderBy('id').limit(1).execute()
    await t.db.updateTable('events').set({ actor: 'user:removido' }).where('id', '=', event.id).execute()
    await expect(t.db.updateTable('events').set({ action: 'x' }).where('id', '=', event.id).execute()).rejects.toThrow(/append-only/)
    await expect(t.db.deleteFrom('events').where('id', '=', event.id).execute()).rejects.toThrow(/append-only/)

    // This release appends after them and everything still verifies.
    await recordAccess(t.db, { documentId: 1, clientId: 1, user: { id: 1, username: 'ana.souza', name: 'Ana Souza' }, channel: 'portal', ip: '2001:db8::7', port: 40100, action: 'view' })
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: oldRows.length + 1 })
  })
})
