// Guides drawn by a generator of our own (test/fixtures/raw-pdf.ts), doing what real generators do
// and pdfkit and pdf-lib do not; each page must be filed with every field right, or queued with its
// reason (test/fixtures/other-guides.ts holds the table). Then files built to hurt the reader.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { listDocuments } from '../../src/core/documents/documents.js'
import { importFiles } from '../../src/core/import/file.js'
import { parseAmountValue, parseCompetenceValue, parseDateValue } from '../../src/core/import/fields.js'
import { measureDecodedBytes } from '../../src/core/import/limits.js'
import { listQueue } from '../../src/core/import/queue.js'
import { recognisePage } from '../../src/core/import/recognise.js'
import { recogniseTaxId } from '../../src/core/import/tax-ids.js'
import { useTestDatabase } from '../helpers/db.js'
import { ACCOUNTANT, makeClient, storeOf } from '../helpers/factories.js'
import { ALFA, BETA, EXPECTED, otherGuides } from '../fixtures/other-guides.js'
import { buildPdf, Canvas } from '../fixtures/raw-pdf.js'

const t = useTestDatabase({ firm: true })
let dir: string
beforeEach(async () => {
  await makeClient(t.db, t.key, { taxId: ALFA.cnpj, name: ALFA.name })
  await makeClient(t.db, t.key, { taxId: BETA.cnpj, name: BETA.name })
  // The firm's accountant, whose CPF the guides print as the one responsible: never their owner.
  await makeClient(t.db, t.key, { taxId: '123.456.789-09', name: 'João da Silva' })
  dir = join(t.dir, 'guias')
  mkdirSync(dir, { recursive: true })
})
const run = (options = {}) => importFiles(t.db, storeOf(t), ACCOUNTANT, [dir], options)

describe('guides from another PDF generator', () => {
  it('files every page with its client, kind, competência, due date and total, or queues it with the reason', async () => {
    for (const fixture of otherGuides()) writeFileSync(join(dir, fixture.file), fixture.bytes)
    const report = await run()
    const rows = report.rows.map((r) => ({ ...r, file: r.file.slice(dir.length + 1) }))
    expect(rows.map((r) => `${r.file} p${r.pages}`)).toEqual(EXPECTED.map((e) => `${e.file} p${e.pages}`).sort())
    for (const expected of EXPECTED) {
      const row = rows.find((r) => r.file === expected.file && r.pages === expected.pages)!
      const where = `${expected.file} page ${expected.pages}`
      if ('queued' in expected) {
        expect(row.outcome, where).toBe('queued')
        expect(row.reason, where).toMatch(expected.queued)
      } else {
        expect({ outcome: row.outcome, reason: row.reason }, where).toEqual({ outcome: 'added', reason: null })
        const { taxId, ...fields } = expected.filed
        expect({ taxId: row.clientTaxId, type: row.type, competence: row.competence, dueDate: row.dueDate, amountCents: row.amountCents }, where).toEqual({
          taxId,
          ...fields,
        })
      }
    }
    const filed = (await listDocuments(t.db, { clientIds: 'all', limit: 50 })).items
    expect(filed).toHaveLength(EXPECTED.filter((e) => 'filed' in e).length)
    expect((await listQueue(t.db)).map((q) => `${q.fileName}`).sort()).toEqual(['dae.pdf', 'das-e-fgts.pdf', 'dois-clientes.pdf', 'iss.pdf', 'lote-p2.pdf', 'sem-cliente.pdf'])
  }, 30_000)

  it('reads a month written out ("janeiro de 2027") and a guide "emitida por" someone else', () => {
    expect(parseCompetenceValue('JANEIRO DE 2027')).toBe('2027-01')
    expect(parseCompetenceValue('MARCO DE 2027 PAGAR ATE 20/04/2027')).toBe('2027-03')
    const page = recognisePage('Documento de Arrecadação de Receitas Federais\nPeríodo de Apuração: março de 2027\nPagar este documento até 20/04/2027')
    expect(page.competence).toBe('2027-03')
    expect(recogniseTaxId('EMPREGADOR CNPJ 11.222.333/0001-81 GUIA EMITIDA POR 123.456.789-09').taxId).toBe('11222333000181')
  })

  it('reads dates and amounts however a generator writes them', () => {
    expect(['31/01/2027', '31.01.2027', '31-01-2027', '31/01/27', 'Após 31/01/2027.'].map(parseDateValue)).toEqual(Array(5).fill('2027-01-31'))
    // Separators mixed, a month 13, a document number: not dates.
    expect(['31/01-2027', '31/13/2027', '07.20.27047.1234567-8'].map(parseDateValue)).toEqual([null, null, null])
    expect(['R$1.234,56', 'R$ 1.234,56', '1 234,56', '1234,56', '1.234,56'].map(parseAmountValue)).toEqual(Array(5).fill(123456))
  })
})

describe('files built to hurt the reader', () => {
  const guide = () => {
    const c = new Canvas()
    c.text(40, 800, 'Documento de Arrecadação do Simples Nacional').text(40, 780, `CNPJ: ${ALFA.cnpj}`)
    return c
  }
  const rowsOf = async (file: string, bytes: Buffer) => {
    const path = join(dir, file)
    writeFileSync(path, bytes)
    const started = Date.now()
    const report = await importFiles(t.db, storeOf(t), ACCOUNTANT, [path])
    return { rows: report.rows.map((r) => [r.outcome, r.reason]), ms: Date.now() - started }
  }

  it('queues a malformed, an encrypted, a 2,000-page, a deeply nested and an over-claiming PDF, each quickly and with its reason', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['malformado.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R'), Buffer.alloc(3000, 0x28)]), /^(damaged|the PDF has no pages)/],
      ['cifrado.pdf', buildPdf([{ canvas: guide() }], { encrypted: true }), /^encrypted PDF \(password protected\)$/],
      ['duas-mil.pdf', buildPdf(Array.from({ length: 2000 }, () => ({ canvas: guide() }))), /^over a limit: it has 2000 pages, over the limit of 200 per file$/],
      ['aninhado.pdf', buildPdf([{ canvas: guide(), extra: `/Nested ${'['.repeat(200_000)}${']'.repeat(200_000)}` }]), /^damaged PDF/],
    ]
    for (const [file, bytes, reason] of cases) {
      const { rows, ms } = await rowsOf(file, bytes)
      expect(rows, file).toHaveLength(1)
      expect(['queued', 'unreadable'], file).toContain(rows[0][0])
      expect(rows[0][1], file).toMatch(reason)
      expect(ms, file).toBeLessThan(10_000)
    }
    expect(await listDocuments(t.db, { clientIds: 'all', limit: 5 }).then((l) => l.items)).toHaveLength(0)
    // A page tree claiming two billion pages over one: pdf.js counts the pages it really holds.
    const { rows, ms } = await rowsOf('contagem.pdf', buildPdf([{ canvas: guide() }], { claimedCount: 2_000_000_000 }))
    expect({ rows, fast: ms < 10_000 }).toEqual({ rows: [['added', null]], fast: true })
  }, 60_000)

  it('measures a file of stream keywords without matching dictionaries in linear time', () => {
    // Each "stream" once made the reader scan back to the start of the file: 256 KB took 13 s.
    const bytes = Buffer.from(`%PDF-1.4\n${'>>stream\nendstream\n'.repeat(110_000)}`)
    const started = Date.now()
    expect(measureDecodedBytes(bytes, 50 * 1024 * 1024)).toBe(0)
    expect(Date.now() - started).toBeLessThan(2000)
  })
})
