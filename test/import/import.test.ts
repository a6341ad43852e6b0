import { mkdirSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { listDocuments } from '../../src/core/documents/documents.js'
import { importFiles } from '../../src/core/import/file.js'
import { readPdfText } from '../../src/core/import/pdf-text.js'
import { assignQueueItem, dropQueueItem, listQueue } from '../../src/core/import/queue.js'
import { useTestDatabase } from '../helpers/db.js'
import { storeOf } from '../helpers/factories.js'
import { ACCOUNTANT, makeClient } from '../helpers/factories.js'
import { darf, das, encryptedPdf, fgts, guidePdf, writeGuide } from '../helpers/guides.js'

const A = '11.222.333/0001-81'
const B = '45.723.174/0001-10'
const ALNUM = '12.ABC.345/01DE-35'
const FIRM = '11.444.777/0001-61'

const t = useTestDatabase({ firm: true })
let dir: string
const ids: Record<string, number> = {}
beforeEach(async () => {
  ids.a = (await makeClient(t.db, t.key, { taxId: A, name: 'Alfa Ltda' })).id
  ids.b = (await makeClient(t.db, t.key, { taxId: B, name: 'Beta ME' })).id
  ids.c = (await makeClient(t.db, t.key, { taxId: ALNUM, name: 'Gama SA' })).id
  dir = join(t.dir, 'guias')
  mkdirSync(join(dir, 'sub'), { recursive: true })
})

const run = (paths: string[] = [dir], options = {}) => importFiles(t.db, storeOf(t), ACCOUNTANT, paths, options)
const documents = async () => (await listDocuments(t.db, { clientIds: 'all', limit: 500 })).items

describe('reading PDFs', () => {
  it('reads the text of each page, pieces in reading order', async () => {
    const text = await readPdfText(await guidePdf([{ ...das(A), split: true }, fgts(B)]))
    expect(text.ok).toBe(true)
    if (!text.ok) return
    expect(text.pages).toHaveLength(2)
    expect(text.pages[0]).toContain('Data de Vencimento')
    expect(text.pages[1]).toContain('GUIA DO FGTS DIGITAL')
  })

  it('names why a file cannot be read', async () => {
    const reasons = async (bytes: Uint8Array) => {
      const r = await readPdfText(bytes)
      return r.ok ? 'ok' : r.reason
    }
    const pdf = await guidePdf([das(A)])
    expect(await reasons(new Uint8Array())).toBe('empty file')
    expect(await reasons(Buffer.from('hello, not a pdf'))).toMatch(/^not a PDF/)
    expect(await reasons(await encryptedPdf([das(A)]))).toBe('encrypted PDF (password protected)')
    expect(await reasons(pdf.subarray(0, 200))).toMatch(/damaged|truncated/)
  })
})

describe('importFiles', () => {
  it('files each guide under its client with competência, due date and amount', async () => {
    await writeGuide(dir, 'das-alfa.pdf', [das(A)])
    await writeGuide(dir, 'sub/darf-gama.pdf', [darf(ALNUM, { firmCnpj: FIRM })])
    await writeGuide(dir, 'fgts-beta.pdf', [{ ...fgts(B), split: true }])
    const report = await run()
    expect(report.rows.map((r) => [r.file.slice(dir.length + 1), r.pages, r.clientName, r.title, r.competence, r.dueDate, r.amountCents, r.outcome])).toEqual([
      ['das-alfa.pdf', '1', 'Alfa Ltda', 'DAS 10/2026', '2026-10', '2026-11-20', 123456, 'added'],
      ['fgts-beta.pdf', '1', 'Beta ME', 'FGTS Digital 10/2026', '2026-10', '2026-11-20', 321000, 'added'],
      ['sub/darf-gama.pdf', '1', 'Gama SA', 'DARF 10/2026', '2026-10', '2026-11-25', 1234567, 'added'],
    ])
    const docs = await documents()
    expect(docs).toHaveLength(3)
    const das1 = docs.find((d) => d.clientId === ids.a)!
    expect(das1).toMatchObject({ title: 'DAS 10/2026', category: 'fiscal', competence: '2026-10', dueDate: '2026-11-20', amountCents: 123456 })
    expect(das1.attachments[0].fileName).toBe('das-alfa.pdf')
    expect(docs.find((d) => d.clientId === ids.b)!.category).toBe('pessoal')
  })

  it('adds nothing on a re-run: every row is a duplicate', async () => {
    await writeGuide(dir, 'das.pdf', [das(A)])
    await writeGuide(dir, 'tres.pdf', [das(A), das(B), das(ALNUM)])
    expect((await run()).rows.map((r) => r.outcome)).toEqual(['added', 'added', 'added', 'added'])
    expect((await run()).rows.map((r) => r.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate'])
    expect(await documents()).toHaveLength(4)
  })

  it('files two copies of one guide in the same run once', async () => {
    // The same bytes twice (pdf-lib writes the time into each PDF it makes).
    const known = await guidePdf([das(A)])
    const unknown = await guidePdf([das('06.990.590/0001-23')])
    for (const [name, bytes] of [['a.pdf', known], ['b.pdf', known], ['c.pdf', unknown], ['d.pdf', unknown]] as const) {
      writeFileSync(join(dir, name), bytes)
    }
    const rows = (await run()).rows
    expect(rows.map((r) => r.outcome).sort()).toEqual(['added', 'duplicate', 'queued', 'queued'])
    expect(await documents()).toHaveLength(1)
    expect(await listQueue(t.db)).toHaveLength(1)
  })

  it('keeps a two-page guide as one document and splits a three-company PDF by page', async () => {
    const continuation = { heading: ['Documento de Arrecadação do Simples Nacional - continuação'], lines: ['Composição do documento de arrecadação'] }
    await writeGuide(dir, 'duas.pdf', [das(A), continuation])
    await writeGuide(dir, 'tres.pdf', [das(A, { competence: '09/2026' }), fgts(B), darf(ALNUM)])
    const report = await run()
    expect(report.rows.map((r) => [r.file.slice(dir.length + 1), r.pages, r.clientId, r.outcome])).toEqual([
      ['duas.pdf', '1-2', ids.a, 'added'],
      ['tres.pdf', '1', ids.a, 'added'],
      ['tres.pdf', '2', ids.b, 'added'],
      ['tres.pdf', '3', ids.c, 'added'],
    ])
    const docs = await documents()
    const split = docs.filter((d) => d.attachments[0].fileName.startsWith('tres'))
    expect(split.map((d) => d.attachments[0].fileName).sort()).toEqual(['tres-p1.pdf', 'tres-p2.pdf', 'tres-p3.pdf'])
    // Each client's part holds only its own page.
    for (const doc of split) {
      const text = await readPdfText(await storeOf(t).read(doc.attachments[0].storageKey))
      expect(text.ok && text.pages.length).toBe(1)
    }
  })

  it('queues what it cannot file, with the reason and what it recognised', async () => {
    await writeGuide(dir, 'desconhecido.pdf', [das('06.990.590/0001-23')])
    await writeGuide(dir, 'escaneado.pdf', [{ heading: [], blank: true }])
    await writeGuide(dir, 'dois.pdf', [{ heading: ['DAS'], lines: [`${A} e ${B}`] }])
    await writeGuide(dir, 'sem-id.pdf', [{ heading: ['Documento de Arrecadação do Simples Nacional'], boxes: [['Competência', '10/2026']] }])
    const report = await run()
    expect(report.rows.map((r) => [r.file.slice(dir.length + 1), r.outcome, r.reason])).toEqual([
      ['desconhecido.pdf', 'queued', 'no client with tax id 06.990.590/0001-23'],
      ['dois.pdf', 'queued', `several tax ids, none labelled as the taxpayer's: ${A}, ${B}`],
      ['escaneado.pdf', 'queued', 'no text on the page (a scanned image?)'],
      ['sem-id.pdf', 'queued', 'no CNPJ or CPF found'],
    ])
    const queue = (await listQueue(t.db)).sort((x, y) => x.fileName.localeCompare(y.fileName))
    expect(queue.map((q) => q.fileName)).toEqual(['desconhecido.pdf', 'dois.pdf', 'escaneado.pdf', 'sem-id.pdf'])
    expect(queue[0].recognised).toMatchObject({ title: 'DAS 10/2026', taxId: '06990590000123', amountCents: 123456 })
    // A second run queues nothing twice.
    expect((await run()).rows.map((r) => r.queueItemId)).toEqual(queue.map((q) => q.id))
    expect(await listQueue(t.db)).toHaveLength(4)
    expect(await documents()).toHaveLength(0)
  })

  it('reports bad files as unreadable and goes on', async () => {
    writeFileSync(join(dir, 'texto.pdf'), 'isto não é um PDF')
    writeFileSync(join(dir, 'vazio.pdf'), '')
    writeFileSync(join(dir, 'protegido.pdf'), await encryptedPdf([das(A)]))
    writeFileSync(join(dir, 'cortado.pdf'), (await guidePdf([das(A)])).subarray(0, 300))
    writeFileSync(join(dir, 'notas.txt'), 'x')
    writeFileSync(join(dir, 'enorme.pdf'), '%PDF-1.7\n')
    truncateSync(join(dir, 'enorme.pdf'), 21 * 1024 * 1024)
    await writeGuide(dir, 'bom.pdf', [das(B)])
    const report = await run()
    expect(report.rows.map((r) => [r.file.slice(dir.length + 1), r.outcome, r.reason, r.queueItemId !== null])).toEqual([
      ['bom.pdf', 'added', null, false],
      ['cortado.pdf', 'unreadable', expect.stringMatching(/damaged|truncated/), true],
      ['enorme.pdf', 'unreadable', 'file of 21 MB is over the 20 MB limit', false],
      ['notas.txt', 'skipped', 'not a PDF file', false],
      ['protegido.pdf', 'unreadable', 'encrypted PDF (password protected)', true],
      ['texto.pdf', 'unreadable', 'not a PDF (no %PDF header)', false],
      ['vazio.pdf', 'unreadable', 'empty file', false],
    ])
    expect(report.readFiles).toBe(1)
    expect(await listQueue(t.db)).toHaveLength(2)
  })

  it('writes nothing with dryRun', async () => {
    await writeGuide(dir, 'das.pdf', [das(A)])
    await writeGuide(dir, 'x.pdf', [das('06.990.590/0001-23')])
    writeFileSync(join(dir, 'protegido.pdf'), await encryptedPdf([das(A)]))
    const report = await run([dir], { dryRun: true })
    expect(report.rows.map((r) => r.outcome)).toEqual(['added', 'unreadable', 'queued'])
    expect(await documents()).toHaveLength(0)
    expect(await listQueue(t.db)).toHaveLength(0)
  })

  it('files every file whole under a forced client, with title and category overrides', async () => {
    await writeGuide(dir, 'tres.pdf', [das(A), das(B), { heading: [], blank: true }])
    const report = await run([join(dir, 'tres.pdf')], { clientId: ids.b, title: 'Guias de outubro', category: 'contabil' })
    expect(report.rows.map((r) => [r.pages, r.clientId, r.outcome])).toEqual([['1-3', ids.b, 'added']])
    expect((await documents())[0]).toMatchObject({ clientId: ids.b, title: 'Guias de outubro', category: 'contabil' })
  })
})

it('refuses a bad --category or --title before reading anything', async () => {
  await writeGuide(dir, 'das.pdf', [das(A)])
  await expect(run([dir], { category: 'impostos' })).rejects.toThrow(/unknown category 'impostos'/)
  await expect(run([dir], { title: ' ' })).rejects.toThrow(/--title must have/)
  expect(await documents()).toHaveLength(0)
})

describe('queue', () => {
  it('assigns an item to a client (recognised fields fill the rest) and drops another', async () => {
    await writeGuide(dir, 'desconhecido.pdf', [das('06.990.590/0001-23')])
    await writeGuide(dir, 'escaneado.pdf', [{ heading: [], blank: true }])
    await run()
    const queue = await listQueue(t.db)
    const unknown = queue.find((q) => q.fileName === 'desconhecido.pdf')!
    const scanned = queue.find((q) => q.fileName === 'escaneado.pdf')!
    const { document } = await assignQueueItem(t.db, storeOf(t), ACCOUNTANT, String(unknown.id), { clientId: ids.a, title: 'DAS da filial' })
    expect(document).toMatchObject({ clientId: ids.a, title: 'DAS da filial', competence: '2026-10', dueDate: '2026-11-20', amountCents: 123456, category: 'fiscal' })
    await expect(assignQueueItem(t.db, storeOf(t), ACCOUNTANT, scanned.id, { clientId: ids.a })).rejects.toThrow(/give --title/)
    expect((await dropQueueItem(t.db, ACCOUNTANT, scanned.id)).fileName).toBe('escaneado.pdf')
    expect(await listQueue(t.db)).toEqual([])
    await expect(dropQueueItem(t.db, ACCOUNTANT, scanned.id)).rejects.toThrow(/no queue item/)
    await expect(dropQueueItem(t.db, ACCOUNTANT, 'x')).rejects.toThrow(/not a queue item/)
  })
})
