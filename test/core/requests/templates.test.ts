import { describe, expect, it } from 'vitest'
import { addGroupMembers } from '../../../src/core/clients/groups.js'
import { ConflictError, NotFoundError, ValidationError } from '../../../src/core/errors.js'
import {
  addTemplate,
  dueDateFor,
  generateRequests,
  listRequests,
  listTemplates,
  removeTemplate,
  requestHistory,
} from '../../../src/core/requests/index.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, eventActions, makeClient } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })

describe('request templates', () => {
  it('puts the due date on the day of the month after the competência, clamped to its last day', () => {
    expect(dueDateFor('2026-11', 5)).toBe('2026-12-05')
    expect(dueDateFor('2026-12', 5)).toBe('2027-01-05')
    expect(dueDateFor('2027-01', 31)).toBe('2027-02-28')
    expect(dueDateFor('2027-12', 31)).toBe('2028-01-31')
    expect(dueDateFor('2028-01', 30)).toBe('2028-02-29')
    expect(dueDateFor('2026-03', 31)).toBe('2026-04-30')
    expect(() => dueDateFor('2026-13', 5)).toThrow(ValidationError)
  })

  it('adds, lists and removes templates; refuses a bad day, category or client', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Padaria' })
    const one = await addTemplate(t.db, ACCOUNTANT, { clientId: client.id, title: 'Extrato bancário', dueDay: 5, category: 'contabil' })
    const all = await addTemplate(t.db, ACCOUNTANT, { clientId: null, title: 'Notas fiscais de entrada', dueDay: 10, category: 'fiscal', note: 'Todas as notas' })
    expect(one).toMatchObject({ clientId: client.id, clientName: 'Padaria', title: 'Extrato bancário', category: 'contabil', dueDay: 5, note: null })
    expect(all).toMatchObject({ clientId: null, clientName: null, dueDay: 10, note: 'Todas as notas' })
    expect((await listTemplates(t.db)).map((x) => x.id)).toEqual([one.id, all.id])
    await expect(addTemplate(t.db, ACCOUNTANT, { clientId: null, title: 'X', dueDay: 0, category: 'fiscal' })).rejects.toThrow(/due day 0 is out of range/)
    await expect(addTemplate(t.db, ACCOUNTANT, { clientId: null, title: 'X', dueDay: 32, category: 'fiscal' })).rejects.toThrow(ValidationError)
    await expect(addTemplate(t.db, ACCOUNTANT, { clientId: null, title: 'X', dueDay: 5, category: 'nada' })).rejects.toThrow(/unknown category/)
    await expect(addTemplate(t.db, ACCOUNTANT, { clientId: 9999, title: 'X', dueDay: 5, category: 'fiscal' })).rejects.toThrow(NotFoundError)
    await removeTemplate(t.db, ACCOUNTANT, one.id)
    expect((await listTemplates(t.db)).map((x) => x.id)).toEqual([all.id])
    await expect(removeTemplate(t.db, ACCOUNTANT, one.id)).rejects.toThrow(ConflictError)
    await expect(removeTemplate(t.db, ACCOUNTANT, 9999)).rejects.toThrow(NotFoundError)
    expect(await eventActions(t.db)).toEqual(expect.arrayContaining(['request_template.added', 'request_template.removed']))
  })

  it('generates one request per template and client, every client for an all-clients template (group members too), idempotently', async () => {
    const head = await makeClient(t.db, t.key, { name: 'Holding' })
    const filial = await makeClient(t.db, t.key, { name: 'Filial' })
    await addGroupMembers(t.db, ACCOUNTANT, head.id, [filial.id])
    const one = await addTemplate(t.db, ACCOUNTANT, { clientId: head.id, title: 'Extrato bancário', dueDay: 31, category: 'contabil' })
    const all = await addTemplate(t.db, ACCOUNTANT, { clientId: null, title: 'Notas fiscais', dueDay: 5, category: 'fiscal' })
    const first = await generateRequests(t.db, ACCOUNTANT, '2027-01')
    expect(first.existing).toBe(0)
    expect(first.created.map((c) => [c.templateId, c.clientId, c.dueDate])).toEqual([
      [one.id, head.id, '2027-02-28'],
      [all.id, head.id, '2027-02-05'],
      [all.id, filial.id, '2027-02-05'],
    ])
    const again = await generateRequests(t.db, ACCOUNTANT, '2027-01')
    expect([again.created, again.existing]).toEqual([[], 3])
    // A client added later is covered from the next generation on, even for the same month.
    const late = await makeClient(t.db, t.key, { name: 'Nova' })
    expect((await generateRequests(t.db, ACCOUNTANT, '2027-01')).created.map((c) => c.clientId)).toEqual([late.id])
    const requests = await listRequests(t.db, { competence: '2027-01' })
    expect(requests).toHaveLength(4)
    expect(requests.every((r) => r.status === 'open' && r.competence === '2027-01')).toBe(true)
    expect((await requestHistory(t.db, requests[0].id)).map((e) => e.action)).toEqual(['created'])
    // A removed template makes nothing more; its requests stay.
    await removeTemplate(t.db, ACCOUNTANT, all.id)
    expect((await generateRequests(t.db, ACCOUNTANT, '2027-02')).created.map((c) => c.templateId)).toEqual([one.id])
    expect(await listRequests(t.db, { competence: '2027-01' })).toHaveLength(4)
    await expect(generateRequests(t.db, ACCOUNTANT, '2027-1')).rejects.toThrow(/competence '2027-1' is not valid/)
  })

  // better-sqlite3 waits for a lock synchronously, so two SQLite connections of one process
  // cannot race: on SQLite the race is two processes (test/cli/requests.test.ts).
  it.runIf(process.env.CONFI_TEST_DATABASE_URL)('makes each request once when two runs race on two connections', async () => {
    for (let i = 0; i < 6; i++) await makeClient(t.db, t.key)
    await addTemplate(t.db, ACCOUNTANT, { clientId: null, title: 'Notas fiscais', dueDay: 5, category: 'fiscal' })
    await addTemplate(t.db, ACCOUNTANT, { clientId: null, title: 'Extrato', dueDay: 10, category: 'contabil' })
    const other = await t.connect()
    try {
      const runs = await Promise.all([generateRequests(t.db, ACCOUNTANT, '2026-11'), generateRequests(other.db, ACCOUNTANT, '2026-11')])
      expect(runs[0].created.length + runs[1].created.length).toBe(12)
      expect(runs[0].existing + runs[1].existing).toBe(12)
    } finally {
      await other.close()
    }
    expect(await t.db.selectFrom('requests').select('id').execute()).toHaveLength(12)
    expect(await t.db.selectFrom('request_events').select('id').execute()).toHaveLength(12)
  })
})
