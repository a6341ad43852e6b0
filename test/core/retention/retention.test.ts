// Issue 21 part 3: retention. Expired documents become tombstones with a document.expired log row;
// their files leave the store unless a live row shares the bytes; holds keep documents; a dry run
// changes nothing; a second run does nothing; an interrupted run's garbage is collected next time.
import { readdirSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { verifyAccessLog } from '../../../src/core/access-log/chain/walk.js'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { parseLogRetention, parseRetentionPolicy } from '../../../src/core/clients/retention-policy.js'
import { listPending } from '../../../src/core/delivery/follow-up.js'
import { documentStatus } from '../../../src/core/delivery/timeline.js'
import { getDocument, listDocuments } from '../../../src/core/documents/documents.js'
import { holdDocument, releaseDocument } from '../../../src/core/documents/holds.js'
import { ConflictError, GoneError, ValidationError } from '../../../src/core/errors.js'
import { showRetention } from '../../../src/core/retention/policy.js'
import { runRetention } from '../../../src/core/retention/run.js'
import { storageKeyOf } from '../../../src/core/storage/file-store.js'
import { withReadCache } from '../../../src/core/storage/read-cache.js'
import { accessRowsOf } from '../../helpers/access-log.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, storeOf, writeTestFile } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const TODAY = '2026-06-10'

/** Every file in the store's folder, as keys (`ab/cdef…`). */
function storedKeys(): string[] {
  const dir = join(t.config.dataDir, 'files')
  return readdirSync(dir)
    .filter((name) => /^[0-9a-f]{2}$/.test(name))
    .flatMap((prefix) => readdirSync(join(dir, prefix)).map((name) => `${prefix}/${name}`))
    .sort()
}

/** Makes every stored file look old, so the run's grace for files stored moments ago does not apply. */
function ageStore(): void {
  const old = new Date('2020-01-01T00:00:00Z')
  for (const key of storedKeys()) utimesSync(join(t.config.dataDir, 'files', key), old, old)
}

async function world() {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const file = (name: string, content: string) => ({ path: writeTestFile(t.dir, name, content), name })
  // Tax records of 2019 (counted from 2020-01-01, 5 years: gone on 2025-01-01).
  const oldDas = await makeDocument(t, client.id, { title: 'DAS 03/2019', competence: '2019-03', dueDate: '2019-04-20', files: [file('das-2019.pdf', '%PDF das 2019')] })
  const held = await makeDocument(t, client.id, { title: 'DARF 05/2019', competence: '2019-05', files: [file('darf-2019.pdf', '%PDF darf 2019')] })
  // Same bytes as a document still kept: the file must stay.
  const sharedOld = await makeDocument(t, client.id, { title: 'Recibo 2018', competence: '2018-01', files: [file('recibo.pdf', '%PDF shared')] })
  const sharedLive = await makeDocument(t, client.id, { title: 'Recibo 2026', competence: '2026-01', files: [file('recibo-2026.pdf', '%PDF shared')] })
  // A due date in 2021 moves the start to 2022-01-01: kept until 2027.
  const lateDue = await makeDocument(t, client.id, { title: 'Parcelamento', competence: '2019-12', dueDate: '2021-02-20', files: [file('parc.pdf', '%PDF parcelamento')] })
  const contract = await makeDocument(t, client.id, { title: 'Contrato social', category: 'societario', competence: '2001-01', files: [file('contrato.pdf', '%PDF contrato')] })
  // Payroll of 2015 (10 years from 2016-01-01: gone on 2026-01-01); of 2016: kept until 2027.
  const payroll2015 = await makeDocument(t, client.id, { title: 'Folha 12/2015', category: 'pessoal', competence: '2015-12', files: [file('folha-2015.pdf', '%PDF folha 2015')] })
  const payroll2016 = await makeDocument(t, client.id, { title: 'Folha 01/2016', category: 'pessoal', competence: '2016-01', files: [file('folha-2016.pdf', '%PDF folha 2016')] })
  // Neither competência nor due date: counted from the filing date.
  const filedOld = await makeDocument(t, client.id, { title: 'Ofício', category: 'outros', files: [file('oficio.pdf', '%PDF oficio')] })
  await t.db.updateTable('documents').set({ created_at: '2019-08-01T12:00:00.000Z' }).where('id', '=', filedOld.id).execute()
  const filedNew = await makeDocument(t, client.id, { title: 'Ofício novo', category: 'outros', files: [file('oficio2.pdf', '%PDF oficio novo')] })
  await holdDocument(t.db, ACCOUNTANT, held.id, 'Fiscalização 2026')
  ageStore()
  return { client, oldDas, held, sharedOld, sharedLive, lateDue, contract, payroll2015, payroll2016, filedOld, filedNew }
}

const keyOf = (d: { attachments: { storageKey: string }[] }) => d.attachments[0].storageKey

describe('retention policy', () => {
  it('parses every category once, in y or m or forever, and writes it back in order', () => {
    expect(parseRetentionPolicy(' outros=18M, societario=forever,contabil=10y,pessoal=10y,fiscal=6y')).toEqual({
      fiscal: { years: 6 },
      pessoal: { years: 10 },
      contabil: { years: 10 },
      societario: 'forever',
      outros: { months: 18 },
    })
    expect(parseLogRetention('6m')).toEqual({ months: 6 })
  })

  it.each([
    ['', /is not valid/],
    ['fiscal=5y', /does not name pessoal, contabil, societario, outros/],
    ['fiscal=5y,fiscal=6y,pessoal=10y,contabil=10y,societario=forever,outros=5y', /names fiscal twice/],
    ['fiscal=5y,pessoal=10y,contabil=10y,societario=forever,outros=5y,lixo=1y', /'lixo=1y' is not valid/],
    ['fiscal=5m,pessoal=10y,contabil=10y,societario=forever,outros=5y', /retention of fiscal 5m is shorter than the law allows/],
    ['fiscal=4y,pessoal=10y,contabil=10y,societario=forever,outros=5y', /at least 5 years/],
    ['fiscal=0y,pessoal=10y,contabil=10y,societario=forever,outros=5y', /is not a period/],
    ['fiscal=-5y,pessoal=10y,contabil=10y,societario=forever,outros=5y', /is not a period/],
    ['fiscal=5.5y,pessoal=10y,contabil=10y,societario=forever,outros=5y', /is not a period/],
    ['fiscal=101y,pessoal=10y,contabil=10y,societario=forever,outros=5y', /is not a period/],
    ['fiscal=5y=6y,pessoal=10y,contabil=10y,societario=forever,outros=5y', /is not valid/],
    ['fiscal=5y\u001b[31m,pessoal=10y,contabil=10y,societario=forever,outros=5y', /\\u001b/],
    ['x'.repeat(1000), /too long/],
  ])('refuses %j', (text, message) => {
    expect(() => parseRetentionPolicy(text)).toThrow(ValidationError)
    expect(() => parseRetentionPolicy(text)).toThrow(message)
  })

  it('refuses a log retention under six months (Marco Civil art. 15) or forever', async () => {
    expect(() => parseLogRetention('5m')).toThrow(/Marco Civil da Internet \(Lei 12.965\/2014, art. 15\) requires keeping access records at least 6 months/)
    expect(() => parseLogRetention('forever')).toThrow(/cannot be 'forever'/)
    expect(() => parseLogRetention('1w')).toThrow(/is not a period/)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { logRetention: '3m' })).rejects.toThrow(/at least 6 months/)
    const set = await setFirmOptions(t.db, ACCOUNTANT, { retention: 'fiscal=6y,pessoal=10y,contabil=10y,societario=forever,outros=12m', logRetention: '6M' })
    expect([set.retention, set.logRetention]).toEqual(['fiscal=6y,pessoal=10y,contabil=10y,societario=forever,outros=12m', '6m'])
    const shown = await showRetention(t.db)
    expect(shown.categories.map((c) => [c.category, c.period, c.months])).toEqual([
      ['fiscal', '6y', 72],
      ['pessoal', '10y', 120],
      ['contabil', '10y', 120],
      ['societario', 'forever', null],
      ['outros', '12m', 12],
    ])
    expect(shown.categories[0].basis).toMatch(/CTN .*arts\. 173 e 174/)
    expect(shown.log).toMatchObject({ period: '6m', months: 6 })
  })
})

describe('retention run', () => {
  it('a dry run says what would go and changes nothing', async () => {
    const w = await world()
    const before = { keys: storedKeys(), log: await t.db.selectFrom('access_log').select('id').execute() }
    const result = await runRetention(t.db, storeOf(t), ACCOUNTANT, { dryRun: true, today: TODAY })
    expect(result.documents.map((d) => d.id).sort((a, b) => a - b)).toEqual([w.oldDas.id, w.sharedOld.id, w.payroll2015.id, w.filedOld.id])
    expect(result).toMatchObject({ dryRun: true, expired: 4, keptHeld: 1, files: { deleted: 3, stillUsed: 1 } })
    expect(result.documents.find((d) => d.id === w.oldDas.id)).toMatchObject({ period: '5y', countedFrom: '2020-01-01' })
    expect(storedKeys()).toEqual(before.keys)
    expect(await t.db.selectFrom('access_log').select('id').execute()).toEqual(before.log)
    expect(await t.db.selectFrom('documents').select('id').where('expired_at', 'is not', null).execute()).toEqual([])
  })

  it('deletes exactly the expired, unheld files, keeps shared bytes, writes document.expired rows, and a second run does nothing', async () => {
    const w = await world()
    const result = await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: TODAY })
    const gone = [w.oldDas, w.sharedOld, w.payroll2015, w.filedOld]
    expect(result.documents.map((d) => d.id).sort((a, b) => a - b)).toEqual(gone.map((d) => d.id))
    expect(result).toMatchObject({ dryRun: false, expired: 4, keptHeld: 1, files: { deleted: 3, stillUsed: 1, recent: 0 }, log: { rows: 0, format1Rows: 0 } })
    // The store holds exactly the files of what is kept: no garbage.
    const kept = [w.held, w.sharedLive, w.lateDue, w.contract, w.payroll2016, w.filedNew]
    expect(storedKeys()).toEqual([...new Set(kept.map(keyOf))].sort())
    expect(storedKeys()).toContain(keyOf(w.sharedOld))
    // Tombstones: the rows and their attachments stay, with why and when.
    const tomb = await t.db.selectFrom('documents').selectAll().where('id', '=', w.oldDas.id).executeTakeFirstOrThrow()
    expect(tomb.expired_reason).toBe('retention: fiscal 5y counted from 2020-01-01')
    expect(tomb.files_removed_at).not.toBeNull()
    expect(await t.db.selectFrom('attachments').select('sha256').where('document_id', '=', w.oldDas.id).execute()).toEqual([{ sha256: w.oldDas.attachments[0].sha256 }])
    const rows = await t.db.selectFrom('access_log').select(['kind', 'document_id', 'client_id', 'details']).where('kind', '=', 'document.expired').orderBy('id').execute()
    expect(rows.map((r) => Number(r.document_id))).toEqual(gone.map((d) => d.id))
    expect(JSON.parse(rows[0].details!)).toEqual({
      category: 'fiscal',
      counted_from: '2020-01-01',
      files: [{ attachment_id: w.oldDas.attachments[0].id, sha256: w.oldDas.attachments[0].sha256, size: w.oldDas.attachments[0].size }],
      period: '5y',
      reason: 'retention',
    })
    expect((await verifyAccessLog(t.db)).ok).toBe(true)
    // Gone from every list and read.
    await expect(getDocument(t.db, w.oldDas.id)).rejects.toThrow(GoneError)
    await expect(getDocument(t.db, w.oldDas.id)).rejects.toThrow(/document \d+ was removed by the retention policy on \d{4}-\d\d-\d\d \(retention: fiscal 5y/)
    const listed = await listDocuments(t.db, { clientIds: 'all', limit: 500 })
    expect(listed.items.map((d) => d.id).sort((a, b) => a - b)).toEqual(kept.map((d) => d.id).sort((a, b) => a - b))
    const second = await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: TODAY })
    expect(second).toMatchObject({ expired: 0, keptHeld: 1, files: { deleted: 0, stillUsed: 0, absent: 0 } })
    expect(storedKeys()).toEqual([...new Set(kept.map(keyOf))].sort())
  })

  it('a hold survives every run, refuses a second hold, and once released the document goes', async () => {
    const w = await world()
    await expect(holdDocument(t.db, ACCOUNTANT, w.held.id, 'outra')).rejects.toThrow(ConflictError)
    await expect(holdDocument(t.db, ACCOUNTANT, w.oldDas.id, '  ')).rejects.toThrow(/needs a reason/)
    await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: TODAY })
    await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: '2040-01-01' })
    expect((await documentStatus(t.db, w.held.id)).hold).toMatchObject({ reason: 'Fiscalização 2026', releasedAt: null })
    expect(storedKeys()).toContain(keyOf(w.held))
    await expect(holdDocument(t.db, ACCOUNTANT, w.oldDas.id, 'tarde demais')).rejects.toThrow(GoneError)
    await releaseDocument(t.db, ACCOUNTANT, w.held.id)
    await expect(releaseDocument(t.db, ACCOUNTANT, w.held.id)).rejects.toThrow(/is not held/)
    const after = await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: TODAY })
    expect(after.documents.map((d) => d.id)).toEqual([w.held.id])
    expect(storedKeys()).not.toContain(keyOf(w.held))
    const actions = (await t.db.selectFrom('events').select('action').orderBy('id').execute()).map((e) => e.action)
    expect(actions.filter((a) => a.startsWith('document.held') || a.startsWith('document.released') || a === 'retention.run')).toEqual([
      'document.held',
      'retention.run',
      'retention.run',
      'document.released',
      'retention.run',
    ])
  })

  it('keeps bytes an upload or the import queue still uses, and a file stored again moments ago until a later run', async () => {
    const w = await world()
    await t.db
      .insertInto('import_queue')
      .values({
        file_name: 'lote.pdf', source_path: '/tmp/lote.pdf', source_sha256: 'a'.repeat(64), pages: '1', reason: 'r', recognised: '{}',
        storage_key: keyOf(w.oldDas), size: w.oldDas.attachments[0].size, sha256: w.oldDas.attachments[0].sha256, created_at: '2026-01-01T00:00:00.000Z', created_by: 'cli:test',
      })
      .execute()
    // payroll2015's bytes were just stored again (a new upload's put found them).
    const fresh = new Date()
    utimesSync(join(t.config.dataDir, 'files', keyOf(w.payroll2015)), fresh, fresh)
    const result = await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: TODAY })
    expect(result.files).toMatchObject({ deleted: 1, stillUsed: 2, recent: 1 })
    expect(storedKeys()).toContain(keyOf(w.oldDas))
    expect(storedKeys()).toContain(keyOf(w.payroll2015))
    const pending = await t.db.selectFrom('documents').select('id').where('expired_at', 'is not', null).where('files_removed_at', 'is', null).execute()
    expect(pending.map((r) => Number(r.id))).toEqual([w.payroll2015.id])
    ageStore()
    const next = await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: TODAY })
    expect(next).toMatchObject({ expired: 0, files: { deleted: 1 } })
    expect(storedKeys()).not.toContain(keyOf(w.payroll2015))
  })

  it('collects the files of a run interrupted between its commit and its deletions', async () => {
    const w = await world()
    // What a crash after the commit leaves: the tombstone, its log row's absence aside, and the file.
    await t.db.updateTable('documents').set({ expired_at: '2026-06-10T03:00:00.000Z', expired_reason: 'retention: fiscal 5y counted from 2020-01-01' }).where('id', '=', w.oldDas.id).execute()
    expect(storedKeys()).toContain(keyOf(w.oldDas))
    const result = await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: TODAY })
    expect(result.expired).toBe(3)
    expect(storedKeys()).not.toContain(keyOf(w.oldDas))
    expect(await t.db.selectFrom('documents').select('id').where('expired_at', 'is not', null).where('files_removed_at', 'is', null).execute()).toEqual([])
  })

  it('expired documents leave docs pending', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Oficina Ltda' })
    const guide = await makeDocument(t, client.id, { title: 'DAS 2019', competence: '2019-03', dueDate: '2019-04-20' })
    expect((await listPending(t.db, { withinDays: 7, overdueDays: 3660, today: TODAY })).map((p) => p.documentId)).toContain(guide.id)
    ageStore()
    await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: TODAY })
    expect((await listPending(t.db, { withinDays: 7, overdueDays: 3660, today: TODAY })).map((p) => p.documentId)).not.toContain(guide.id)
  })
})

describe('the read cache after a deletion', () => {
  it('another process deleting a file makes every cache forget it', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Padaria Ltda' })
    const document = await makeDocument(t, client.id)
    const key = keyOf(document)
    const portal = withReadCache(storeOf(t), { markCheckMs: 0 })
    const other = withReadCache(storeOf(t), { markCheckMs: 0 })
    expect((await portal.read(key)).length).toBe(document.attachments[0].size)
    expect(await other.delete(key)).toBe('deleted')
    expect(await other.delete(key)).toBe('absent')
    await expect(portal.read(key)).rejects.toThrow(/ENOENT/)
    expect(storageKeyOf(document.attachments[0].sha256)).toBe(key)
  })
})

describe('retention run and the access log', () => {
  it("erases the personal fields of rows older than the log retention, names the format-1 rows it cannot reach, and the log still verifies", async () => {
    const client = await makeClient(t.db, t.key)
    const doc = await makeDocument(t, client.id, { title: 'DAS atual', competence: '2026-05' })
    const access = { documentId: doc.id, clientId: client.id, channel: 'portal' as const, action: 'view' as const, ip: '203.0.113.9', port: 443, userAgent: 'Agente/1.0' }
    await recordAccess(t.db, access, { format: 1 })
    await recordAccess(t.db, access)
    await setFirmOptions(t.db, ACCOUNTANT, { logRetention: '6m' })
    // Measured to a day a year ahead: every row is older than six months.
    const later = `${Number(TODAY.slice(0, 4)) + 1}${TODAY.slice(4)}`
    const dry = await runRetention(t.db, storeOf(t), ACCOUNTANT, { dryRun: true, today: later })
    expect(dry.log).toMatchObject({ rows: 1, format1Rows: 1 })
    expect((await accessRowsOf(t.db)).filter((r) => r.ip === '203.0.113.9')).toHaveLength(2)

    const run = await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: later })
    expect(run.log).toMatchObject({ rows: 1, format1Rows: 1, before: expect.stringMatching(/^\d{4}-\d\d-\d\dT00:00:00.000Z$/) })
    const rows = (await accessRowsOf(t.db)).filter((r) => r.kind === 'view' || r.action === 'view')
    expect(rows.map((r) => [Number(r.format), r.ip, r.user_agent])).toEqual([[1, '203.0.113.9', 'Agente/1.0'], [2, null, null]])
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true })
    expect((await runRetention(t.db, storeOf(t), ACCOUNTANT, { today: later })).log).toMatchObject({ rows: 0, format1Rows: 1 })
  })
})
