// The demo is dated from the day it is made, so "A vencer" shows something on a fresh start.
import { describe, expect, it } from 'vitest'
import { CATEGORIES } from '../../src/core/categories.js'
import { inlineHasher } from '../../src/core/identity/passwords.js'
import { listDueSoon } from '../../src/core/documents/due-soon.js'
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
})
