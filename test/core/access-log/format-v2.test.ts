import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { beforeEach, describe, expect, it } from 'vitest'
import { appendInTransaction, recordAccess } from '../../../src/core/access-log/chain/append.js'
import { logDocumentEvent } from '../../../src/core/access-log/chain/document-events.js'
import { canonicalJson, commitmentMismatches, commitmentOf } from '../../../src/core/access-log/chain/format-v2.js'
import { accessLogHash, GENESIS_HASH, type AccessEntry, type CanonicalRow } from '../../../src/core/access-log/chain/row.js'
import { verifyAccessLog } from '../../../src/core/access-log/chain/walk.js'
import { exportAccessLog } from '../../../src/core/access-log/export/export.js'
import { documentRowsOf } from '../../../src/core/access-log/reads/rows.js'
import { memorySource, rowLeafHash, subtreeHash, syncTree } from '../../../src/core/access-log/tree/merkle.js'
import { walkAccessLog } from '../../../src/core/access-log/verify/verify.js'
import { listAccessesOf } from '../../../src/core/access-log/reads/accesses.js'
import { createCheckpoint, verifyLogWithCheckpoints } from '../../../src/core/proof/checkpoints.js'
import { loadSigningKeys } from '../../../src/core/proof/keys.js'
import { dropAccessLogTriggers } from '../../helpers/access-log.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, makeUser, storeOf, writeTestFile } from '../../helpers/factories.js'
import { addDocument, insertDocument, prepareDocument } from '../../../src/core/documents/documents.js'

// Format 2 of the access log (docs/access-log.md, "Format 2"): kinds, commitments to the personal
// fields, their values and salts beside the row, erasure that leaves the chain and tree intact.

const t = useTestDatabase({ firm: true })
let entry: AccessEntry
let user: { id: number; username: string; name: string }

const docText = () => readFileSync(new URL('../../../docs/access-log.md', import.meta.url), 'utf8')
const block = (name: string, lang: string) =>
  new RegExp(`<!-- ${name}:start -->\\n\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\n<!-- ${name}:end -->`).exec(docText())![1]

beforeEach(async () => {
  const client = await makeClient(t.db, t.key)
  const doc = await makeDocument(t, client.id)
  user = await makeUser(t.db, { clientId: client.id, username: 'bruno', name: 'Bruno Silva' })
  entry = {
    documentId: doc.id,
    attachmentId: doc.attachments[0].id,
    clientId: client.id,
    user,
    channel: 'portal',
    ip: '2001:db8::7',
    port: 443,
    userAgent: 'Mozilla/5.0 Ünïcödé, "quoted"; =1+1',
    action: 'download',
  }
})

async function ndjson(): Promise<Record<string, unknown>[]> {
  const out = join(t.dir, `export-${Date.now()}-${Math.random()}.ndjson`)
  await exportAccessLog(t.open, { filters: {}, format: 'ndjson', target: { kind: 'file', path: out } })
  return readFileSync(out, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
}

async function treeMatches(): Promise<void> {
  const hashes = await t.db.selectFrom('access_log').select('hash').orderBy('id').execute()
  const reference = memorySource(hashes.map((row) => rowLeafHash(row.hash)))
  expect(await syncTree(t.db)).toEqual({ size: hashes.length, root: (await subtreeHash(reference, 0, hashes.length)).toString('hex') })
}

describe('format 2 rows', () => {
  it('commit to the personal fields: the values and salts are beside the row, never in it', async () => {
    // Row 1 is the document's document.published row (beforeEach filed it).
    const record = await recordAccess(t.db, entry)
    expect(record).toMatchObject({ id: 2, username: 'bruno', ip: '2001:db8::7', action: 'download' })
    const row = await t.db.selectFrom('access_log').selectAll().where('id', '=', 2).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ format: 2, kind: 'download', action: 'download', username: null, user_name: null, ip: null, port: null, user_agent: null })
    const personal = await t.db.selectFrom('access_log_personal').selectAll().where('id', '=', 2).executeTakeFirstOrThrow()
    expect(personal).toMatchObject({ username: 'bruno', user_name: 'Bruno Silva', ip: '2001:db8::7', port: 443, user_agent: entry.userAgent, recipient: null, recipient_salt: null })
    const salts = [personal.username_salt, personal.user_name_salt, personal.ip_salt, personal.port_salt, personal.user_agent_salt]
    for (const salt of salts) expect(salt).toMatch(/^[0-9a-f]{32}$/)
    expect(new Set(salts).size).toBe(5)
    expect(row.username_commitment).toBe(commitmentOf(personal.username_salt!, 'bruno'))
    expect(row.port_commitment).toBe(commitmentOf(personal.port_salt!, '443'))
    expect(row.recipient_commitment).toBeNull()
    const canonical = { ...row, format: 2 } as unknown as CanonicalRow
    const published = await t.db.selectFrom('access_log').select('hash').where('id', '=', 1).executeTakeFirstOrThrow()
    expect(row.prev_hash).toBe(published.hash)
    expect(accessLogHash(canonical, row.prev_hash)).toBe(row.hash)
    expect(record.hash).toBe(row.hash)
  })

  it('verify with format-1 rows in one chain, in process and on threads, and after an erasure', async () => {
    for (let i = 0; i < 40; i++) await recordAccess(t.db, { ...entry, port: 1000 + i }, { format: (i % 3 === 0 ? 1 : 2) as 1 | 2 })
    await t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.published', entry.documentId))
    const formats = await t.db.selectFrom('access_log').select('format').orderBy('id').execute()
    expect(new Set(formats.map((f) => Number(f.format)))).toEqual(new Set([1, 2]))
    // The filing's document.published row, 40 accesses and a second document.published row.
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: 42 })
    const threaded = await walkAccessLog(t.db, { target: t.config.database, chunkSize: 8, threads: 2, sizes: [16, 42] })
    expect(threaded.chain).toMatchObject({ ok: true, rows: 42 })
    await treeMatches()
    const before = (await t.db.selectFrom('access_log_tree_head').select(['size', 'frontier']).executeTakeFirstOrThrow()).frontier

    // An erasure: values and salts go, the hashed rows stay.
    await t.db.updateTable('access_log_personal').set({ ip: null, ip_salt: null, username: null, username_salt: null }).execute()
    await t.db.deleteFrom('access_log_personal').where('id', '=', 3).execute()
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: 42 })
    expect((await walkAccessLog(t.db, { target: t.config.database, chunkSize: 8, threads: 2, sizes: [16, 42] })).roots).toEqual(threaded.roots)
    expect((await t.db.selectFrom('access_log_tree_head').select('frontier').executeTakeFirstOrThrow()).frontier).toBe(before)
    const rows = await ndjson()
    const erased = rows.find((r) => r.id === 4)!
    expect(erased).toMatchObject({ format: 2, ip: null, ip_salt: null, username: null, username_salt: null, user_name: 'Bruno Silva' })
    expect(erased.ip_commitment).toMatch(/^[0-9a-f]{64}$/)
    expect(commitmentMismatches(erased)).toEqual([])
    // A value cannot be erased alone: value and salt go together.
    await expect(t.db.updateTable('access_log_personal').set({ user_name: null }).where('id', '=', 4).execute()).rejects.toThrow()
  })

  it('docs verify passes an erasure and names a row whose value beside it was edited, in process and on threads', async () => {
    const keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
    for (let i = 0; i < 20; i++) await recordAccess(t.db, { ...entry, port: 2000 + i })
    await createCheckpoint(t.db, keys)
    const both = async () => {
      const threaded = await verifyLogWithCheckpoints(t.db, keys.all, { target: t.config.database, chunkSize: 8, threads: 2 })
      expect(threaded).toEqual(await verifyLogWithCheckpoints(t.db, keys.all))
      return threaded
    }
    expect(await both()).toMatchObject({ ok: true, rows: 21, problems: [] })
    // An erasure (issue 21): values and salts go, the checkpoint and the chain still verify.
    await t.db.updateTable('access_log_personal').set({ ip: null, ip_salt: null, username: null, username_salt: null }).where('id', '=', 5).execute()
    expect(await both()).toMatchObject({ ok: true, rows: 21, problems: [] })
    expect((await ndjson()).find((r) => r.id === 5)).toMatchObject({ ip: null, ip_salt: null, ip_commitment: expect.stringMatching(/^[0-9a-f]{64}$/) })
    // A value edited beside the row, its salt kept: the commitment names the row and the field.
    await t.db.updateTable('access_log_personal').set({ user_agent: 'Forjado/1.0' }).where('id', '=', 12).execute()
    const edited = await both()
    expect(edited).toMatchObject({ ok: false, rows: 11, edited: [], brokenLinks: [], gaps: [], lostIds: null })
    expect(edited.problems).toEqual([
      'access log broken at row 12: its user_agent does not match its commitment: the value kept beside the row (access_log_personal) was changed (11 rows before it verify)',
    ])
    // Two fields of one row; a value without its salt (the salt erased, the value left) is wrong too.
    await t.db.updateTable('access_log_personal').set({ user_agent: entry.userAgent! }).where('id', '=', 12).execute()
    await t.db.updateTable('access_log_personal').set({ port: 9, user_name: 'Outro Nome' }).where('id', '=', 17).execute()
    expect((await both()).problems[0]).toMatch(/^access log broken at row 17: its user_name and port do not match their commitments/)
  })

  it('refuses a personal value in the hashed row, and a format-2 row without a kind', async () => {
    await recordAccess(t.db, entry)
    await dropAccessLogTriggers(t.db)
    // Row 1, the document.published row, is of format 2 too.
    await expect(sql`UPDATE access_log SET ip = '203.0.113.1' WHERE id = 2`.execute(t.db)).rejects.toThrow(/CHECK|check constraint|access_log_format_2/i)
    await expect(sql`UPDATE access_log SET kind = NULL WHERE id = 1`.execute(t.db)).rejects.toThrow(/CHECK|check constraint|access_log_format_2/i)
    await expect(sql`UPDATE access_log SET format = 1 WHERE id = 1`.execute(t.db)).rejects.toThrow(/CHECK|check constraint|access_log_format_1/i)
  })

  it('an edited commitment, kind or details breaks the row; an edited value breaks its commitment', async () => {
    // Rows: 1 and 3 document.published, 2 and 4 downloads.
    await recordAccess(t.db, entry)
    await t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.published', entry.documentId))
    await recordAccess(t.db, entry)
    await dropAccessLogTriggers(t.db)
    await sql`UPDATE access_log SET details = replace(details, 'DAS', 'XYZ') WHERE id = 3`.execute(t.db)
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: false, rowId: 3, reason: expect.stringMatching(/edited/) })
    await sql`UPDATE access_log SET ip_commitment = ${'0'.repeat(64)} WHERE id = 2`.execute(t.db)
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: false, rowId: 2 })
    // The value beside the row: the chain cannot see it, its commitment does.
    await t.db.updateTable('access_log_personal').set({ ip: '198.51.100.66' }).where('id', '=', 4).execute()
    const fourth = (await ndjson()).find((r) => r.id === 4)!
    expect(commitmentMismatches(fourth)).toEqual(['ip'])
  })

  it('document.published records the document and each file, in the transaction that files it', async () => {
    const document = await t.db.selectFrom('documents').selectAll().where('id', '=', entry.documentId).executeTakeFirstOrThrow()
    const file = await t.db.selectFrom('attachments').selectAll().where('document_id', '=', entry.documentId).executeTakeFirstOrThrow()
    // Rolled back with the transaction that causes it: no row.
    await expect(
      t.db.transaction().execute(async (trx) => {
        await logDocumentEvent(trx, 'document.published', entry.documentId)
        throw new Error('the filing failed')
      }),
    ).rejects.toThrow(/filing failed/)
    // Only the row of the filing in beforeEach.
    expect(await t.db.selectFrom('access_log').select('id').execute()).toEqual([{ id: 1 }])
    const id = await t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.published', entry.documentId))
    const row = await t.db.selectFrom('access_log').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ format: 2, kind: 'document.published', action: null, channel: null, document_id: entry.documentId, client_id: entry.clientId })
    expect(row.details).toBe(
      canonicalJson({
        title: document.title,
        category: document.category,
        competence: document.competence,
        due_date: document.due_date,
        amount_cents: document.amount_cents,
        files: [{ attachment_id: file.id, name: file.file_name, media_type: file.media_type, size: file.size, sha256: file.sha256 }],
      }),
    )
    expect(JSON.parse(row.details!).files[0].sha256).toMatch(/^[0-9a-f]{64}$/)
    await expect(t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.published', 999999))).rejects.toThrow(/no document/)
    await expect(appendInTransaction(t.db, [{ kind: 'document.renamed' as 'document.changed', documentId: 1, clientId: 1, details: { reason: null } }])).rejects.toThrow(/bad kind/)
  })

  it('filing writes exactly one document.published row naming each file; a failed filing leaves neither', async () => {
    const files = [
      { path: writeTestFile(t.dir, 'guia.pdf', '%PDF guia'), name: 'guia.pdf' },
      { path: writeTestFile(t.dir, 'recibo.pdf', '%PDF recibo mais longo'), name: 'recibo.pdf' },
    ]
    const input = { clientId: entry.clientId, title: 'Folha 11/2026', category: 'pessoal' as const, competence: '2026-11', files }
    const before = await t.db.selectFrom('access_log').select('id').execute()
    const document = await addDocument(t.db, storeOf(t), ACCOUNTANT, input)
    const rows = await t.db.selectFrom('access_log').selectAll().where('id', '>', before.length).execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ kind: 'document.published', document_id: document.id, client_id: entry.clientId, user_id: null })
    const details = JSON.parse(rows[0].details!) as { title: string; files: { attachment_id: number; name: string; size: number; sha256: string }[] }
    expect(details.title).toBe('Folha 11/2026')
    expect(details.files).toEqual(
      document.attachments.map((a) => ({ attachment_id: a.id, media_type: a.mediaType, name: a.fileName, size: a.size, sha256: a.sha256 })),
    )
    expect(details.files.map((f) => [f.name, f.size])).toEqual([['guia.pdf', 9], ['recibo.pdf', 22]])
    expect(details.files[1].sha256).toBe(createHash('sha256').update('%PDF recibo mais longo').digest('hex'))
    // A filing that fails after its rows (here: in the same transaction) leaves no document and no row.
    const documents = await t.db.selectFrom('documents').select('id').execute()
    const prepared = await prepareDocument(t.db, storeOf(t), ACCOUNTANT, input)
    await expect(
      t.db.transaction().execute(async (trx) => {
        await insertDocument(trx, ACCOUNTANT, prepared)
        throw new Error('the filing failed')
      }),
    ).rejects.toThrow(/filing failed/)
    expect(await t.db.selectFrom('documents').select('id').execute()).toEqual(documents)
    expect(await t.db.selectFrom('access_log').select('id').execute()).toHaveLength(before.length + 1)
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true, rows: before.length + 1 })
  })

  it('accesses read their personal values from beside the row; events are not accesses', async () => {
    await t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.published', entry.documentId))
    await recordAccess(t.db, { ...entry, action: 'view', attachmentId: null }, { format: 2 })
    await recordAccess(t.db, { ...entry, action: 'view', attachmentId: null }, { format: 1 })
    const { rows, total } = await listAccessesOf(t.db, { documentId: entry.documentId, clientId: entry.clientId, limit: 10 })
    expect(total).toBe(2)
    expect(rows.map((r) => [r.action, r.username, r.userName])).toEqual([
      ['view', 'bruno', 'Bruno Silva'],
      ['view', 'bruno', 'Bruno Silva'],
    ])
    const chain = await documentRowsOf(t.db, entry.documentId, { deliveryId: null, userId: null })
    expect(chain.map((r) => r.canonical.format ?? 1)).toEqual([2, 1])
    expect(chain[0].canonical).toMatchObject({ username: 'bruno', ip: '2001:db8::7', kind: 'view' })
    expect(accessLogHash(chain[0].canonical, chain[0].prevHash)).toBe(chain[0].hash)
    expect(commitmentMismatches(chain[0].canonical)).toEqual([])
  })
})

describe('docs/access-log.md on format 2', () => {
  it('its test vectors are what the code computes', () => {
    const rows = block('vectors', 'json').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(rows.map((r) => r.format ?? 1)).toEqual([1, 2, 2])
    let prev = GENESIS_HASH
    for (const row of rows) {
      expect(row.prev_hash).toBe(prev)
      expect(accessLogHash(row as unknown as CanonicalRow, prev)).toBe(row.hash)
      if (row.format === 2) expect(commitmentMismatches(row)).toEqual([])
      prev = row.hash as string
    }
    const details = JSON.parse(rows[1].details as string) as unknown
    expect(canonicalJson(details)).toBe(rows[1].details)
  })

  it('its independent verifier checks both formats in a real export, the test vectors, and each commitment', async () => {
    const script = block('verifier', 'js')
    expect(script.trim().split('\n').length).toBeLessThanOrEqual(20)
    const verifier = join(t.dir, 'verify-access-log.mjs')
    writeFileSync(verifier, script)
    const vectors = join(t.dir, 'vectors.ndjson')
    writeFileSync(vectors, block('vectors', 'json'))
    expect(execFileSync(process.execPath, [verifier, vectors, GENESIS_HASH], { encoding: 'utf8' })).toMatch(/^3 rows verified/)

    await recordAccess(t.db, entry, { format: 1 })
    await t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.published', entry.documentId))
    await recordAccess(t.db, entry, { format: 2 })
    await recordAccess(t.db, { ...entry, user: null, ip: null, port: null, userAgent: null }, { format: 2 })
    await t.db.updateTable('access_log_personal').set({ ip: null, ip_salt: null }).where('id', '=', 4).execute()
    const out = join(t.dir, 'acessos.ndjson')
    await exportAccessLog(t.open, { filters: {}, format: 'ndjson', target: { kind: 'file', path: out } })
    const text = readFileSync(out, 'utf8')
    // The filing's document.published row, then rows 2 to 5.
    expect(execFileSync(process.execPath, [verifier, out, GENESIS_HASH], { encoding: 'utf8' })).toMatch(/^5 rows verified; last hash [0-9a-f]{64}/)
    const lines = text.split('\n')
    const swapped = lines.map((line) => (line.includes('"id":4,') ? line.replace('"user_name":"Bruno Silva"', '"user_name":"Bruna Silva"') : line))
    writeFileSync(out, swapped.join('\n'))
    expect(() => execFileSync(process.execPath, [verifier, out], { stdio: 'pipe' })).toThrow(/row 4: user_name does not match its commitment/)
    const edited = lines.map((line) => (line.includes('"id":3,') ? line.replace('"kind":"document.published"', '"kind":"document.changed"') : line))
    writeFileSync(out, edited.join('\n'))
    expect(() => execFileSync(process.execPath, [verifier, out], { stdio: 'pipe' })).toThrow(/row 3: hash does not match/)
  })
})
