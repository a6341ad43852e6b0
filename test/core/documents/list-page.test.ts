// Document list pages read in two steps (core/documents/list-page.ts): the page's ids from the
// company indexes, then the rows. Walked page by page at several sizes against the order computed
// here from every row, across companies, ties and undated documents, on both backends.
import { beforeEach, describe, expect, it } from 'vitest'
import { CATEGORIES, type Category } from '../../../src/core/categories.js'
import { listDocuments, type Document, type DocumentQuery } from '../../../src/core/documents/documents.js'
import type { DocumentSort } from '../../../src/core/documents/list-order.js'
import { setClock } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient, makeDocument } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let companies: number[]
let documents: Document[]

// Three companies: one with 12 documents, one with 2 (less than a page), one with 7. Documents are
// added three at a time on the same clock tick, one per company where it still has some, so
// created_at ties across companies; due dates repeat across companies and some are missing.
beforeEach(async () => {
  companies = []
  for (const name of ['Matriz', 'Filial pequena', 'Filial']) companies.push((await makeClient(t.db, t.key, { name })).id)
  const counts = [12, 2, 7]
  const dueDates = ['2026-12-10', null, '2026-12-05', '2026-12-10', null, '2026-11-30']
  const categories: Category[] = ['fiscal', 'pessoal', 'contabil']
  let tick = Date.UTC(2026, 10, 1)
  let n = 0
  const restore = setClock(() => new Date(tick))
  try {
    for (let round = 0; round < 12; round++) {
      tick += 60_000
      for (const [i, clientId] of companies.entries()) {
        if (round >= counts[i]) continue
        n++
        await makeDocument(t, clientId, { title: `Doc ${n}`, dueDate: dueDates[n % dueDates.length], category: categories[n % categories.length] })
      }
    }
  } finally {
    restore()
  }
  documents = (await listDocuments(t.db, { clientIds: 'all', limit: 500 })).items
})

// Between the due dates, so the due order has an upcoming and a past stretch.
const TODAY = '2026-12-05'

function expected(sort: DocumentSort, keep: (d: Document) => boolean): number[] {
  const order = (a: Document, b: Document): number => {
    if (sort === 'newest') return b.createdAt.localeCompare(a.createdAt) || b.id - a.id
    // Upcoming (from TODAY) soonest first, then past most recent first, then undated.
    const stretch = (d: Document) => (d.dueDate === null ? 2 : d.dueDate >= TODAY ? 0 : 1)
    if (stretch(a) !== stretch(b)) return stretch(a) - stretch(b)
    if (stretch(a) === 1) return b.dueDate!.localeCompare(a.dueDate!) || b.id - a.id
    return (a.dueDate ?? '').localeCompare(b.dueDate ?? '') || a.id - b.id
  }
  return documents.filter(keep).sort(order).map((d) => d.id)
}

async function walk(query: Omit<DocumentQuery, 'after'>): Promise<number[]> {
  const ids: number[] = []
  let after: string | null = null
  for (let pages = 0; pages < 100; pages++) {
    const page: Awaited<ReturnType<typeof listDocuments>> = await listDocuments(t.db, { ...query, after, today: TODAY })
    expect(page.items.length).toBeLessThanOrEqual(query.limit ?? 50)
    ids.push(...page.items.map((d) => d.id))
    after = page.nextCursor
    if (!after) return ids
  }
  throw new Error('the pages never ended')
}

describe('document list pages across companies', () => {
  it('has ties on created_at across companies and both dated and undated documents', () => {
    const ticks = new Set(documents.map((d) => d.createdAt))
    expect(ticks.size).toBeLessThan(documents.length)
    expect(documents.some((d) => d.dueDate === null) && documents.some((d) => d.dueDate !== null)).toBe(true)
  })

  for (const sort of ['newest', 'due'] as const) {
    it(`walks the ${sort} order page by page, every size, in the same order as a sort of all rows`, async () => {
      for (const limit of [1, 2, 4, 5, 25]) {
        expect(await walk({ clientIds: companies, sort, limit })).toEqual(expected(sort, () => true))
        expect(await walk({ clientIds: 'all', sort, limit })).toEqual(expected(sort, () => true))
      }
    })

    it(`keeps the ${sort} order inside a scope, a category and one company`, async () => {
      const two = [companies[1], companies[2]]
      const scoped: Category[] = ['fiscal', 'contabil']
      expect(await walk({ clientIds: two, sort, limit: 3 })).toEqual(expected(sort, (d) => two.includes(d.clientId)))
      expect(await walk({ clientIds: companies, categories: scoped, sort, limit: 4 })).toEqual(
        expected(sort, (d) => scoped.includes(d.category)),
      )
      expect(await walk({ clientIds: companies, categories: [...CATEGORIES], category: 'pessoal', sort, limit: 2 })).toEqual(
        expected(sort, (d) => d.category === 'pessoal'),
      )
      expect(await walk({ clientIds: [companies[1]], sort, limit: 1 })).toEqual(expected(sort, (d) => d.clientId === companies[1]))
      expect(await walk({ clientIds: companies, categories: [], sort, limit: 5 })).toEqual([])
    })
  }

  it('gives every document its own company name and files', async () => {
    const page = await listDocuments(t.db, { clientIds: companies, sort: 'due', limit: 25 })
    const names = new Map([[companies[0], 'Matriz'], [companies[1], 'Filial pequena'], [companies[2], 'Filial']])
    for (const d of page.items) {
      expect(d.clientName).toBe(names.get(d.clientId))
      expect(d.attachments.map((a) => a.documentId)).toEqual([d.id])
    }
  })
})
