import { describe, expect, it } from 'vitest'
import { addGroupMembers } from '../../../src/core/clients/groups.js'
import { NotFoundError } from '../../../src/core/errors.js'
import { disableUser, getUser } from '../../../src/core/identity/users.js'
import { setVisibility } from '../../../src/core/identity/visibility.js'
import {
  addRequest,
  answerersOf,
  answerNothingToSend,
  cancelRequest,
  pendingRequestsFor,
  requestForUser,
} from '../../../src/core/requests/index.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const ORIGIN = { ip: '198.51.100.1', port: 40000, userAgent: 'teste' }

async function world() {
  const head = await makeClient(t.db, t.key, { name: 'Holding' })
  const filial = await makeClient(t.db, t.key, { name: 'Filial' })
  const stranger = await makeClient(t.db, t.key, { name: 'Outra' })
  await addGroupMembers(t.db, ACCOUNTANT, head.id, [filial.id])
  const user = (clientId: number, username: string, role: 'admin' | 'collaborator', active = true) =>
    makeUser(t.db, { clientId, username, role, active, email: `${username}@exemplo.com.br` })
  const ana = await user(head.id, 'ana', 'admin')
  const caio = await user(head.id, 'caio', 'collaborator')
  const dora = await user(head.id, 'dora', 'collaborator')
  const edu = await user(filial.id, 'edu', 'admin')
  const pendente = await user(head.id, 'pendente', 'collaborator', false)
  const desativada = await disableUser(t.db, ACCOUNTANT, (await user(head.id, 'desativada', 'collaborator')).id)
  const outro = await user(stranger.id, 'outro', 'admin')
  // caio may not see payroll; dora may not see the filial.
  await setVisibility(t.db, ACCOUNTANT, caio.id, { hiddenCategories: ['pessoal'], hiddenCompanyIds: [] })
  await setVisibility(t.db, ACCOUNTANT, dora.id, { hiddenCategories: [], hiddenCompanyIds: [filial.id] })
  const ask = (clientId: number, title: string, category: string, dueDate: string) =>
    addRequest(t.db, ACCOUNTANT, { clientId, title, category, dueDate })
  const folha = await ask(filial.id, 'Folha da filial', 'pessoal', '2026-12-10')
  const notas = await ask(filial.id, 'Notas da filial', 'fiscal', '2026-12-05')
  const extrato = await ask(head.id, 'Extrato da holding', 'contabil', '2026-11-01')
  return { head, filial, ana, caio, dora, edu, pendente, desativada, outro, folha, notas, extrato }
}

const ids = (requests: { id: number }[]) => requests.map((r) => r.id)

describe('who may see and answer a request', () => {
  it('lets admins, collaborators who see its category and company, and the group head’s users answer', async () => {
    const w = await world()
    expect(ids(await pendingRequestsFor(t.db, w.ana))).toEqual([w.extrato.id, w.notas.id, w.folha.id])
    expect(ids(await pendingRequestsFor(t.db, w.caio))).toEqual([w.extrato.id, w.notas.id])
    expect(ids(await pendingRequestsFor(t.db, w.dora))).toEqual([w.extrato.id])
    // The filial's own admin sees the filial's requests, never the head's.
    expect(ids(await pendingRequestsFor(t.db, w.edu))).toEqual([w.notas.id, w.folha.id])
    expect((await requestForUser(t.db, w.ana, w.folha.id)).title).toBe('Folha da filial')
  })

  it('refuses each other viewer as "not found": pending, disabled, hidden category, hidden company, another client, member to head', async () => {
    const w = await world()
    const refusals: [string, number, number][] = [
      ['pending user', w.pendente.id, w.notas.id],
      ['disabled user', w.desativada.id, w.notas.id],
      ['collaborator without the category', w.caio.id, w.folha.id],
      ['collaborator without the company', w.dora.id, w.notas.id],
      ['user of another client', w.outro.id, w.extrato.id],
      ['member company user, head request', w.edu.id, w.extrato.id],
    ]
    for (const [who, userId, requestId] of refusals) {
      const user = await getUser(t.db, userId)
      await expect(requestForUser(t.db, user, requestId), who).rejects.toThrow(NotFoundError)
      await expect(answerNothingToSend(t.db, userId, requestId, { origin: ORIGIN }), who).rejects.toThrow(NotFoundError)
    }
    expect(await pendingRequestsFor(t.db, w.pendente)).toEqual([])
    expect(await pendingRequestsFor(t.db, w.desativada)).toEqual([])
    // An id that does not exist reads the same as one the viewer may not see.
    await expect(requestForUser(t.db, w.ana, 987654)).rejects.toThrow(NotFoundError)
    await expect(requestForUser(t.db, w.outro, w.extrato.id)).rejects.toThrow('not found')
    expect(await t.db.selectFrom('access_log').select('id').where('kind', '=', 'request.nothing_to_send').execute()).toEqual([])
  })

  it('keeps answered and cancelled requests out of the pending list', async () => {
    const w = await world()
    await answerNothingToSend(t.db, w.ana.id, w.notas.id, { origin: ORIGIN })
    await cancelRequest(t.db, ACCOUNTANT, w.extrato.id)
    expect(ids(await pendingRequestsFor(t.db, w.ana))).toEqual([w.folha.id])
  })

  it('e-mails only the active people who may answer, each address once', async () => {
    const w = await world()
    const to = async (request: { clientId: number; category: string }) => (await answerersOf(t.db, request)).map((a) => a.email).sort()
    expect(await to(w.folha)).toEqual(['ana@exemplo.com.br', 'edu@exemplo.com.br'])
    expect(await to(w.notas)).toEqual(['ana@exemplo.com.br', 'caio@exemplo.com.br', 'edu@exemplo.com.br'])
    expect(await to(w.extrato)).toEqual(['ana@exemplo.com.br', 'caio@exemplo.com.br', 'dora@exemplo.com.br'])
  })
})
