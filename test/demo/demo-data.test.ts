// The demo is dated from the day it is made, so "A vencer" shows something on a fresh start.
import { describe, expect, it } from 'vitest'
import { CATEGORIES } from '../../src/core/categories.js'
import { inlineHasher } from '../../src/core/identity/passwords.js'
import { listDueSoon } from '../../src/core/documents/due-soon.js'
import { getPayment } from '../../src/core/documents/payments.js'
import { getUser } from '../../src/core/identity/users.js'
import { pendingRequestsFor } from '../../src/core/requests/index.js'
import { listInbox } from '../../src/core/uploads/index.js'
import { fillDemo } from '../../src/demo/demo-data.js'
import { addDays, localDate, setClock } from '../../src/core/time.js'
import { useTestDatabase } from '../helpers/db.js'
import { storeOf } from '../helpers/factories.js'

const t = useTestDatabase()

describe('the demo', () => {
  it('dates its guides from today: overdue, due today, in 2 days and next month', async () => {
    const restore = setClock(() => new Date('2027-01-30T15:00:00Z'))
    try {
      await fillDemo(t.db, t.key, storeOf(t), inlineHasher)
      const today = localDate()
      expect(today).toBe('2027-01-30')
      const dates = await t.db.selectFrom('documents').select(['due_date', 'competence']).where('due_date', 'is not', null).orderBy('due_date').execute()
      expect(dates.map((d) => d.due_date)).toEqual([addDays(today, -3), today, addDays(today, 2), '2027-02-20'])
      expect(new Set(dates.map((d) => d.competence))).toEqual(new Set(['2026-12']))
      const matriz = await t.db.selectFrom('clients').select('id').where('name', '=', 'Padaria Pão Quente Ltda').executeTakeFirstOrThrow()
      const due = await listDueSoon(t.db, { clientIds: [Number(matriz.id)], categories: [...CATEGORIES] })
      expect(due.map((d) => d.daysLeft)).toEqual([-3, 0])
    } finally {
      restore()
    }
  })

  it('asks for documents (one request overdue), has one answered with a file and a guide paid with its proof', async () => {
    await fillDemo(t.db, t.key, storeOf(t), inlineHasher)
    const today = localDate()
    const ana = await t.db.selectFrom('client_users').select('id').where('username', '=', 'ana.souza').executeTakeFirstOrThrow()
    const pending = await pendingRequestsFor(t.db, await getUser(t.db, Number(ana.id)))
    expect(pending.map((r) => [r.title, r.status, r.dueDate])).toEqual([
      ['Notas fiscais de entrada', 'open', addDays(today, -2)],
      ['Extrato bancário', 'open', addDays(today, 3)],
    ])
    const answered = await t.db.selectFrom('requests').select('status').where('title', '=', 'Relatório de vendas do mês').executeTakeFirstOrThrow()
    expect(answered.status).toBe('received')
    const inbox = await listInbox(t.db, {})
    expect(inbox.map((u) => [u.clientName, u.requestTitle, u.category, u.sender.username, u.files.map((f) => f.mediaType)])).toEqual([
      ['Pão Quente Filial Norte Ltda', null, 'fiscal', 'eduardo.norte', ['application/pdf']],
      ['Padaria Pão Quente Ltda', 'Relatório de vendas do mês', 'contabil', 'ana.souza', ['application/pdf']],
    ])
    const darf = await t.db.selectFrom('documents').select('id').where('title', '=', 'DARF — IRRF').executeTakeFirstOrThrow()
    expect(await getPayment(t.db, Number(darf.id))).toMatchObject({ paidOn: today, user: { username: 'eduardo.norte' }, proofUploadId: inbox[0].id })
  })
})
