import { describe, expect, it } from 'vitest'
import { clientUser } from '../../../src/core/actors.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../../src/core/errors.js'
import {
  addRequest,
  answerNothingToSend,
  cancelRequest,
  closeRequest,
  getRequest,
  listRequests,
  markRequestReceived,
  reopenRequest,
  requestHistory,
} from '../../../src/core/requests/index.js'
import { addDays, localDate } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const ORIGIN = { ip: '203.0.113.7', port: 51000, userAgent: 'Mozilla/5.0 (teste)' }

async function world() {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const ana = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin', active: true })
  const request = await addRequest(t.db, ACCOUNTANT, { clientId: client.id, title: 'Contrato social atualizado', dueDate: '2026-12-10' })
  return { client, ana, request }
}

async function upload(clientId: number, userId: number, requestId: number | null = null): Promise<number> {
  const row = await t.db
    .insertInto('uploads')
    .values({ client_id: clientId, request_id: requestId, user_id: userId, status: 'received', created_at: new Date().toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

describe('requests', () => {
  it('adds a request by hand, open, in category outros by default, with its created step', async () => {
    const { client, request } = await world()
    expect(request).toMatchObject({
      clientId: client.id,
      clientName: 'Padaria Pão Quente Ltda',
      title: 'Contrato social atualizado',
      category: 'outros',
      competence: null,
      dueDate: '2026-12-10',
      note: null,
      status: 'open',
      rejection: null,
      templateId: null,
      createdBy: 'cli:test',
    })
    expect((await requestHistory(t.db, request.id)).map((e) => [e.action, e.actor])).toEqual([['created', 'cli:test']])
  })

  it('refuses bad input before writing anything', async () => {
    const client = await makeClient(t.db, t.key)
    const base = { clientId: client.id, title: 'Extrato', dueDate: '2026-12-10' }
    await expect(addRequest(t.db, ACCOUNTANT, { ...base, title: '  ' })).rejects.toThrow(/title must have 1 to 200/)
    await expect(addRequest(t.db, ACCOUNTANT, { ...base, title: 'Extrato\u202egpj.exe' })).rejects.toThrow(/control character/)
    await expect(addRequest(t.db, ACCOUNTANT, { ...base, dueDate: '2026-02-30' })).rejects.toThrow(/due date '2026-02-30' is not valid/)
    await expect(addRequest(t.db, ACCOUNTANT, { ...base, competence: '2026-13' })).rejects.toThrow(ValidationError)
    await expect(addRequest(t.db, ACCOUNTANT, { ...base, category: 'impostos' })).rejects.toThrow(/unknown category 'impostos'/)
    await expect(addRequest(t.db, ACCOUNTANT, { ...base, note: 'x'.repeat(1001) })).rejects.toThrow(/at most 1000/)
    await expect(addRequest(t.db, ACCOUNTANT, { ...base, clientId: 9999 })).rejects.toThrow(NotFoundError)
    await expect(addRequest(t.db, clientUser(1), base)).rejects.toThrow(ForbiddenError)
    expect(await t.db.selectFrom('requests').selectAll().execute()).toEqual([])
  })

  it('moves open → received → accepted, and refuses impossible moves with a conflict that names the status', async () => {
    const { client, ana, request } = await world()
    const uploadId = await upload(client.id, ana.id, request.id)
    await t.db.transaction().execute((trx) => markRequestReceived(trx, request.id, { uploadId, userId: ana.id, actor: clientUser(ana.id) }))
    expect((await getRequest(t.db, request.id)).status).toBe('received')
    const accepted = await closeRequest(t.db, ACCOUNTANT, request.id)
    expect(accepted.status).toBe('accepted')
    await expect(closeRequest(t.db, ACCOUNTANT, request.id)).rejects.toThrow(/request \d+ is accepted: it cannot be accepted/)
    await expect(cancelRequest(t.db, ACCOUNTANT, request.id)).rejects.toThrow(ConflictError)
    const later = await upload(client.id, ana.id, request.id)
    await expect(
      t.db.transaction().execute((trx) => markRequestReceived(trx, request.id, { uploadId: later, userId: ana.id, actor: clientUser(ana.id) })),
    ).rejects.toThrow(/is accepted: it cannot take files/)
    const history = await requestHistory(t.db, request.id)
    expect(history.map((e) => [e.action, e.actor, e.userName, e.uploadId])).toEqual([
      ['created', 'cli:test', null, null],
      ['received', 'user:ana', 'Pessoa ana', uploadId],
      ['accepted', 'cli:test', null, null],
    ])
  })

  it('reopens with the reason (status open, a rejected step) and lists it as rejected', async () => {
    const { client, ana, request } = await world()
    await expect(reopenRequest(t.db, ACCOUNTANT, request.id, { reason: 'x', mail: null })).rejects.toThrow(/is open \(waiting for the client\): it cannot be reopened/)
    const uploadId = await upload(client.id, ana.id, request.id)
    await t.db.transaction().execute((trx) => markRequestReceived(trx, request.id, { uploadId, userId: ana.id, actor: ACCOUNTANT }))
    const { request: reopened, mailedTo } = await reopenRequest(t.db, ACCOUNTANT, request.id, { reason: 'Extrato ilegível, envie o PDF do banco', mail: null })
    expect(mailedTo).toEqual([])
    expect(reopened.status).toBe('open')
    expect((await getRequest(t.db, request.id)).rejection).toMatchObject({ reason: 'Extrato ilegível, envie o PDF do banco' })
    expect((await listRequests(t.db, { status: 'rejected' })).map((r) => r.id)).toEqual([request.id])
    expect((await listRequests(t.db, { status: 'open' })).map((r) => r.id)).toEqual([request.id])
    expect(await listRequests(t.db, { status: 'received' })).toEqual([])
    // A new answer clears the rejection.
    await answerNothingToSend(t.db, ana.id, request.id, { note: null, origin: ORIGIN })
    expect((await getRequest(t.db, request.id)).rejection).toBeNull()
    expect(await listRequests(t.db, { status: 'rejected' })).toEqual([])
  })

  it('cancels an open request; a cancelled one takes no answer', async () => {
    const { ana, request } = await world()
    expect((await cancelRequest(t.db, ACCOUNTANT, request.id)).status).toBe('cancelled')
    await expect(answerNothingToSend(t.db, ana.id, request.id, { origin: ORIGIN })).rejects.toThrow(/is cancelled: it cannot be answered "nothing to send"/)
    await expect(closeRequest(t.db, ACCOUNTANT, request.id)).rejects.toThrow(ConflictError)
    await expect(closeRequest(t.db, ACCOUNTANT, 424242)).rejects.toThrow(NotFoundError)
  })

  it('answers "nothing to send": status, step with the note, and a request.nothing_to_send log row, together', async () => {
    const { client, ana } = await world()
    const request = await addRequest(t.db, ACCOUNTANT, {
      clientId: client.id,
      title: 'Notas fiscais de entrada',
      category: 'fiscal',
      competence: '2026-11',
      dueDate: '2026-12-05',
    })
    const answered = await answerNothingToSend(t.db, ana.id, request.id, { note: '  Sem compras em novembro ', origin: ORIGIN })
    expect(answered.status).toBe('nothing_to_send')
    const [step] = (await requestHistory(t.db, request.id)).slice(-1)
    expect([step.action, step.actor, step.userId, step.note]).toEqual(['nothing_to_send', 'user:ana', ana.id, 'Sem compras em novembro'])
    const rows = await t.db.selectFrom('access_log').selectAll().where('kind', '=', 'request.nothing_to_send').execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ format: 2, client_id: client.id, document_id: null, channel: 'portal' })
    expect(JSON.parse(rows[0].details!)).toEqual({ competence: '2026-11', request_id: request.id, title: 'Notas fiscais de entrada' })
    // The note is free text a person typed: never in the hashed row.
    expect(rows[0].details).not.toContain('Sem compras')
    expect(rows[0].username_commitment).toMatch(/^[0-9a-f]{64}$/)
    expect(rows[0].ip_commitment).toMatch(/^[0-9a-f]{64}$/)
    const personal = await t.db.selectFrom('access_log_personal').selectAll().where('id', '=', rows[0].id).executeTakeFirstOrThrow()
    expect([personal.username, personal.ip, personal.port, personal.user_agent]).toEqual(['ana', ORIGIN.ip, ORIGIN.port, ORIGIN.userAgent])
    await expect(answerNothingToSend(t.db, ana.id, request.id, { origin: ORIGIN })).rejects.toThrow(ConflictError)
    expect(await t.db.selectFrom('access_log').select('id').where('kind', '=', 'request.nothing_to_send').execute()).toHaveLength(1)
  })

  it('refuses files uploaded for another company', async () => {
    const { ana, request } = await world()
    const other = await makeClient(t.db, t.key)
    const bia = await makeUser(t.db, { clientId: other.id, username: 'bia', role: 'admin', active: true })
    const uploadId = await upload(other.id, bia.id)
    await expect(
      t.db.transaction().execute((trx) => markRequestReceived(trx, request.id, { uploadId, userId: ana.id, actor: ACCOUNTANT })),
    ).rejects.toThrow(/another company/)
    // A user of another client learns nothing about the request.
    await expect(
      t.db.transaction().execute((trx) => markRequestReceived(trx, request.id, { uploadId, userId: bia.id, actor: clientUser(bia.id) })),
    ).rejects.toThrow(NotFoundError)
    expect((await getRequest(t.db, request.id)).status).toBe('open')
  })

  it('lists by status, client, competence and due window (overdue included), soonest first', async () => {
    const a = await makeClient(t.db, t.key)
    const b = await makeClient(t.db, t.key)
    const today = localDate()
    const late = await addRequest(t.db, ACCOUNTANT, { clientId: a.id, title: 'Atrasado', dueDate: addDays(today, -2) })
    const soon = await addRequest(t.db, ACCOUNTANT, { clientId: b.id, title: 'Logo', dueDate: addDays(today, 3), competence: '2026-11' })
    const far = await addRequest(t.db, ACCOUNTANT, { clientId: a.id, title: 'Longe', dueDate: addDays(today, 10), competence: '2026-11' })
    await cancelRequest(t.db, ACCOUNTANT, far.id)
    expect((await listRequests(t.db)).map((r) => r.id)).toEqual([late.id, soon.id, far.id])
    expect((await listRequests(t.db, { dueWithin: '3d' })).map((r) => r.id)).toEqual([late.id, soon.id])
    expect((await listRequests(t.db, { dueWithin: '2d' })).map((r) => r.id)).toEqual([late.id])
    expect((await listRequests(t.db, { clientId: a.id })).map((r) => r.id)).toEqual([late.id, far.id])
    expect((await listRequests(t.db, { competence: '2026-11', status: 'open' })).map((r) => r.id)).toEqual([soon.id])
    await expect(listRequests(t.db, { dueWithin: 'soon' })).rejects.toThrow(ValidationError)
  })
})
