// Guides laid out as the real ones, drawn by pdfkit (test/helpers/real-guides.ts): boxed fields,
// labels and values in separate runs, footnotes with amounts in them, addresses with "das".
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { listDocuments } from '../../src/core/documents/documents.js'
import { sameCompany } from '../../src/core/import/company-name.js'
import { importFiles } from '../../src/core/import/file.js'
import { layoutLines } from '../../src/core/import/layout.js'
import { readPdfPages } from '../../src/core/import/pdf-text.js'
import { listQueue } from '../../src/core/import/queue.js'
import { recognisePage, recogniseType } from '../../src/core/import/recognise.js'
import { useTestDatabase } from '../helpers/db.js'
import { ACCOUNTANT, makeClient, storeOf } from '../helpers/factories.js'
import { realGuidePdf, type RealGuide, type RealKind } from '../helpers/real-guides.js'

const A = '11.222.333/0001-81'
const B = '45.723.174/0001-10'
const guide: RealGuide = { cnpj: A, name: 'ALFA COMÉRCIO DE ALIMENTOS LTDA', competence: '10/2026', due: '20/11/2026', amount: '1.234,56' }

async function recognise(kind: RealKind, g: RealGuide = guide) {
  const read = await readPdfPages(await realGuidePdf([{ kind, guide: g }]))
  if (!read.ok) throw new Error(read.reason)
  return recognisePage(read.pages[0])
}

describe('recognising guides laid out as the real ones', () => {
  it.each([
    ['darf', { ...guide, competence: '31/10/2026' }, 'darf', 'DARF 10/2026'],
    ['gps', guide, 'gps', 'GPS 10/2026'],
    ['das', { ...guide, competence: 'Outubro/2026' }, 'das', 'DAS 10/2026'],
    ['fgts', guide, 'fgts', 'FGTS Digital 10/2026'],
  ] as const)('%s: every field from its own box', async (kind, g, type, title) => {
    expect(await recognise(kind, g)).toMatchObject({
      type,
      title,
      taxId: '11222333000181',
      companyName: 'ALFA COMERCIO DE ALIMENTOS LTDA',
      competence: '2026-10',
      dueDate: '2026-11-20',
      amountCents: 123456,
    })
  })

  it("never reads the DARF's threshold notice (R$ 10,00) as its amount, with field 10 or without", async () => {
    expect((await recognise('darf', { ...guide, amount: '98.765,43' })).amountCents).toBe(9876543)
    expect((await recognise('darf', { ...guide, amount: undefined })).amountCents).toBeNull()
  })

  it("takes the GPS's total from field 11, not the INSS share or the other entities'", async () => {
    expect((await recognise('gps', { ...guide, amount: '7,50' })).amountCents).toBe(750)
    expect((await recognise('gps', { ...guide, amount: undefined, due: undefined }))).toMatchObject({ amountCents: null, dueDate: null })
  })

  it("reads FGTS Digital's \"Pagar até\" as the due date, never the date of issue", async () => {
    expect((await recognise('fgts', { ...guide, due: '07/12/2026' })).dueDate).toBe('2026-12-07')
    expect((await recognise('fgts', { ...guide, due: undefined })).dueDate).toBeNull()
  })

  it('classifies by the title, not by "das" in an address or a company name', async () => {
    expect((await recognise('gps', { ...guide, name: 'DAS FLORES COMÉRCIO LTDA' })).type).toBe('gps')
    expect((await recognise('letter')).type).toBe('other')
    const type = (text: string) => recogniseType(layoutLines(text)).type
    expect(type('GPS TRANSPORTES LTDA\nRua das Flores, 12\nCNPJ 11.222.333/0001-81')).toBe('other')
    expect(type('DAS - Documento de Arrecadação')).toBe('das')
    expect(type('Empresa Rua das Flores\nDARF')).toBe('darf')
    expect(type('Guia do FGTS Digital (GFD)\nPagar até: 20/11/2026')).toBe('fgts')
    expect(type('RUA DAS ACÁCIAS, 1\nGUIA DA PREVIDÊNCIA SOCIAL')).toBe('gps')
  })

  it('reads labels and values whatever the case, accents and field numbers', () => {
    const page = recognisePage('guia da previdencia social\n4 - competencia\n10/2026\n11 - total\nr$ 1.234,56\nrazao social: alfa ltda')
    expect(page).toMatchObject({ type: 'gps', competence: '2026-10', amountCents: 123456, companyName: 'ALFA LTDA' })
  })
})

describe('company names', () => {
  it.each([
    ['ALFA COMERCIO DE ALIMENTOS LTDA', 'Alfa Comércio de Alimentos Ltda.', true],
    ['ALFA COM DE ALIMENTOS LTDA', 'Alfa Comércio de Alimentos Ltda', true],
    ['ALFA COMERCIO DE ALIMEN', 'Alfa Comércio de Alimentos Ltda', true],
    ['ALFA LTDA', 'Alfa Ltda - ME', true],
    ['OUTRA EMPRESA DE ALIMENTOS LTDA', 'Alfa Comércio de Alimentos Ltda', false],
    ['BETA ME', 'Alfa Ltda', false],
  ])('%s / %s → %s', (printed, registered, same) => {
    expect(sameCompany(printed, registered)).toBe(same)
  })
})

describe('importing them', () => {
  const t = useTestDatabase({ firm: true })
  let dir: string
  const ids: Record<string, number> = {}
  beforeEach(async () => {
    ids.a = (await makeClient(t.db, t.key, { taxId: A, name: 'Alfa Comércio de Alimentos Ltda' })).id
    ids.b = (await makeClient(t.db, t.key, { taxId: B, name: 'Beta Serviços ME' })).id
    dir = join(t.dir, 'guias')
    mkdirSync(dir, { recursive: true })
  })
  const run = (options = {}) => importFiles(t.db, storeOf(t), ACCOUNTANT, [dir], options)

  it('files each guide of a mixed PDF, and queues a name that is not the client\'s and a page that is no guide', async () => {
    const beta = { ...guide, cnpj: B, name: 'BETA SERVICOS ME' }
    const pdf = await realGuidePdf([
      { kind: 'darf', guide: { ...guide, competence: '31/10/2026' } },
      { kind: 'gps', guide: beta },
      { kind: 'das', guide: { ...guide, name: 'OUTRA EMPRESA DE ALIMENTOS LTDA' } },
      { kind: 'letter', guide: beta },
      { kind: 'fgts', guide: beta },
    ])
    writeFileSync(join(dir, 'lote.pdf'), pdf)
    const report = await run()
    expect(report.rows.map((r) => [r.pages, r.clientId, r.title, r.dueDate, r.amountCents, r.outcome, r.reason])).toEqual([
      ['1', ids.a, 'DARF 10/2026', '2026-11-20', 123456, 'added', null],
      ['2', ids.b, 'GPS 10/2026', '2026-11-20', 123456, 'added', null],
      ['3', null, 'DAS 10/2026', '2026-11-20', 123456, 'queued', `the company name on the page, "OUTRA EMPRESA DE ALIMENTOS LTDA", is not the client's with tax id ${A} (Alfa Comércio de Alimentos Ltda)`],
      ['4', null, 'Documento', null, null, 'queued', expect.stringMatching(/^unrecognised: nothing on the page says which guide it is/)],
      ['5', ids.b, 'FGTS Digital 10/2026', '2026-11-20', 123456, 'added', null],
    ])
    expect((await listQueue(t.db)).map((q) => [q.fileName, q.reason.slice(0, 24)])).toEqual([
      ['lote-p3.pdf', 'the company name on the '],
      ['lote-p4.pdf', 'unrecognised: nothing on'],
    ])
    const docs = (await listDocuments(t.db, { clientIds: 'all', limit: 50 })).items
    expect(docs.map((d) => d.amountCents)).toEqual([123456, 123456, 123456])
  })
})
