// The rules behind the client area's issue-10 features, straight in core on both backends
// (docs/decisions.md, "Client area: due soon, new, accesses, ZIP").
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { listDocumentAccesses } from '../../../src/core/documents/accesses.js'
import { listDocuments } from '../../../src/core/documents/documents.js'
import { listDueSoon } from '../../../src/core/documents/due-soon.js'
import { daysBetween, localDate } from '../../../src/core/time.js'
import { planDocumentZip, planListZip, zipFileName } from '../../../src/core/documents/zip.js'
import { CATEGORIES } from '../../../src/core/categories.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeDocument, writeTestFile } from '../../helpers/factories.js'
import { makeClient } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let clientId: number
beforeEach(async () => {
  clientId = (await makeClient(t.db, t.key)).id
})

describe('due dates', () => {
  it('takes the day in São Paulo and counts calendar days', () => {
    expect(localDate(new Date('2026-12-02T02:59:00Z'))).toBe('2026-12-01')
    expect(localDate(new Date('2026-12-02T03:00:00Z'))).toBe('2026-12-02')
    expect(daysBetween('2026-12-30', '2027-01-02')).toBe(3)
    expect(daysBetween('2026-03-01', '2026-02-27')).toBe(-2)
  })

  it('keeps overdue documents for 30 days, and drops one as soon as anyone downloads it, even by link', async () => {
    const scope = { clientIds: [clientId], categories: [...CATEGORIES] }
    await makeDocument(t, clientId, { title: 'Vencida há 30 dias', dueDate: '2026-11-01' })
    await makeDocument(t, clientId, { title: 'Vencida há 31 dias', dueDate: '2026-10-31' })
    await makeDocument(t, clientId, { title: 'Em 7 dias', dueDate: '2026-12-08' })
    await makeDocument(t, clientId, { title: 'Em 8 dias', dueDate: '2026-12-09' })
    const viewed = await makeDocument(t, clientId, { title: 'Só aberta', dueDate: '2026-12-02' })
    const fetched = await makeDocument(t, clientId, { title: 'Baixada por link', dueDate: '2026-12-02' })
    await recordAccess(t.db, { documentId: viewed.id, clientId, channel: 'portal', action: 'view' })
    await recordAccess(t.db, { documentId: fetched.id, attachmentId: fetched.attachments[0].id, clientId, channel: 'link', action: 'download' })
    const due = await listDueSoon(t.db, scope, '2026-12-01')
    expect(due.map((d) => [d.title, d.daysLeft])).toEqual([
      ['Vencida há 30 dias', -30],
      ['Só aberta', 1],
      ['Em 7 dias', 7],
    ])
    expect(await listDueSoon(t.db, { clientIds: [clientId], categories: [] }, '2026-12-01')).toEqual([])
  })
})

describe('sort by due date', () => {
  it('pages by keyset through equal dates and undated documents, and refuses a cursor of the other order', async () => {
    for (const [title, dueDate] of [['C', '2026-12-10'], ['sem 1', null], ['A', '2026-12-05'], ['B', '2026-12-05'], ['sem 2', null]] as const) {
      await makeDocument(t, clientId, { title, dueDate })
    }
    const titles: string[] = []
    let after: string | null = null
    do {
      const page: Awaited<ReturnType<typeof listDocuments>> = await listDocuments(t.db, { clientIds: [clientId], sort: 'due', limit: 2, after, today: '2026-12-01' })
      titles.push(...page.items.map((d) => d.title))
      after = page.nextCursor
    } while (after)
    expect(titles).toEqual(['A', 'B', 'C', 'sem 1', 'sem 2'])
    const first = await listDocuments(t.db, { clientIds: [clientId], sort: 'due', limit: 1 })
    await expect(listDocuments(t.db, { clientIds: [clientId], after: first.nextCursor })).rejects.toThrow(/cursor is not valid/)
  })
})

describe('ZIP plans', () => {
  it('names files uniquely ignoring case, one folder per document, companies when several', async () => {
    const first = await makeClient(t.db, t.key, { name: 'Matriz' })
    const second = await makeClient(t.db, t.key, { name: 'Filial' })
    const file = (name: string) => ({ path: writeTestFile(t.dir, `${name}-${Math.random()}`), name })
    const document = await makeDocument(t, first.id, { title: 'Folha', files: [file('a.pdf'), file('A.pdf'), file('a.pdf')] })
    const single = planDocumentZip(document)
    expect(single.ok && single.entries.map((e) => e.path)).toEqual(['a.pdf', 'A (2).pdf', 'a (3).pdf'])
    await makeDocument(t, first.id, { title: 'Folha', files: [file('b.pdf')] })
    await makeDocument(t, second.id, { title: '../Folha 11.2026', files: [file('c.pdf')] })
    const list = await planListZip(t.db, { clientIds: [first.id, second.id], sort: 'due' })
    expect(list.ok && list.entries.map((e) => e.path)).toEqual([
      'Matriz/Folha/a.pdf',
      'Matriz/Folha/A (2).pdf',
      'Matriz/Folha/a (3).pdf',
      'Matriz/Folha (2)/b.pdf',
      'Filial/_Folha 11.2026/c.pdf',
    ])
    expect(zipFileName('DAS 11/2026: "final"')).toBe('DAS 11_2026_ _final_.zip')
    expect(await planListZip(t.db, { clientIds: [] })).toMatchObject({ ok: false, reason: 'empty' })
  })
})

describe('who opened a document', () => {
  it('gives an admin every row and a collaborator their own', async () => {
    const document = await makeDocument(t, clientId)
    const ana = { id: 1, username: 'ana', name: 'Ana' }
    const bia = { id: 2, username: 'bia', name: 'Bia' }
    for (const [username, id] of [['ana', 1], ['bia', 2]] as const) {
      await t.db
        .insertInto('client_users')
        .values({ id, client_id: clientId, username, username_key: username, name: username, role: id === 1 ? 'admin' : 'collaborator', status: 'active', origin: 'cli', created_at: new Date().toISOString() })
        .execute()
    }
    await recordAccess(t.db, { documentId: document.id, clientId, channel: 'portal', action: 'view', user: ana })
    await recordAccess(t.db, { documentId: document.id, clientId, channel: 'email', action: 'view', user: bia })
    await recordAccess(t.db, { documentId: document.id, clientId, channel: 'link', action: 'view' })
    const admin = await listDocumentAccesses(t.db, { id: 1, role: 'admin' }, document)
    expect(admin).toMatchObject({ scope: 'company', total: 3 })
    expect(admin.items.map((a) => a.user?.username ?? null)).toEqual([null, 'bia', 'ana'])
    const own = await listDocumentAccesses(t.db, { id: 2, role: 'collaborator' }, document)
    expect(own).toMatchObject({ scope: 'own', total: 1, items: [{ channel: 'email', user: { username: 'bia' } }] })
  })
})
