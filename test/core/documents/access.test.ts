import { describe, expect, it } from 'vitest'
import {
  decideAreaAccess,
  decideDeliveryAccess,
  deliverySessionScope,
  deliveryTakesLogins,
  findVisibleDocument,
  registerThroughDelivery,
  type AccessViewer,
} from '../../../src/core/documents/access.js'
import { editClient } from '../../../src/core/clients/clients.js'
import { NotFoundError } from '../../../src/core/errors.js'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { addGroupMembers } from '../../../src/core/clients/groups.js'
import { disableUser, type ClientUser } from '../../../src/core/identity/users.js'
import { setVisibility } from '../../../src/core/identity/visibility.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeDocument, ACCOUNTANT, makeClient, makeUser, memoHasher } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })

// Later users of a client (its first one is always an active admin).
const pendingUser = (clientId: number) => makeUser(t.db, { clientId, role: 'collaborator', active: false })
const disabledUser = async (clientId: number) =>
  disableUser(t.db, ACCOUNTANT, (await makeUser(t.db, { clientId, role: 'collaborator' })).id)

const area = (user: ClientUser): AccessViewer => ({ user, sessionScope: 'area' })
const delivery = (user: ClientUser): AccessViewer => ({ user, sessionScope: 'delivery' })

// A group (head + member), an outsider, their documents and users; the member requires login.
async function world() {
  const head = await makeClient(t.db, t.key, { name: 'Matriz', requireLogin: 'on' })
  const member = await makeClient(t.db, t.key, { name: 'Filial', requireLogin: 'on' })
  const outsider = await makeClient(t.db, t.key, { name: 'Outra', requireLogin: 'on' })
  await addGroupMembers(t.db, ACCOUNTANT, head.id, [member.id])
  const memberDoc = await makeDocument(t, member.id, { title: 'DAS Filial' })
  const headDoc = await makeDocument(t, head.id, { title: 'DAS Matriz' })
  const headAdmin = await makeUser(t.db, { clientId: head.id, role: 'admin' })
  const memberAdmin = await makeUser(t.db, { clientId: member.id, role: 'admin' })
  const stranger = await makeUser(t.db, { clientId: outsider.id, role: 'admin' })
  return { head, member, outsider, memberDoc, headDoc, headAdmin, memberAdmin, stranger }
}

describe('decideDeliveryAccess (docs/rules.md#document-links-and-login)', () => {
  it('opens a link whose client does not require login for anyone, also by the firm default', async () => {
    const client = await makeClient(t.db, t.key, { requireLogin: 'off' })
    const doc = await makeDocument(t, client.id)
    const stranger = await makeUser(t.db, { clientId: (await makeClient(t.db, t.key)).id })
    expect(await decideDeliveryAccess(t.db, null, doc)).toBe('open')
    expect(await decideDeliveryAccess(t.db, area(stranger), doc)).toBe('open')
    await editClient(t.db, ACCOUNTANT, client.id, { requireLogin: 'inherit' })
    expect(await decideDeliveryAccess(t.db, null, doc)).toBe('open')
    await setFirmOptions(t.db, ACCOUNTANT, { requireLogin: true })
    expect(await decideDeliveryAccess(t.db, null, doc)).toBe('login')
  })

  it('asks nobody and disabled users to log in; lets the client and its group head in, nobody else', async () => {
    const w = await world()
    const disabled = await disabledUser(w.member.id)
    expect(await decideDeliveryAccess(t.db, null, w.memberDoc)).toBe('login')
    expect(await decideDeliveryAccess(t.db, area(disabled), w.memberDoc)).toBe('login')
    expect(await decideDeliveryAccess(t.db, area(w.memberAdmin), w.memberDoc)).toBe('open')
    expect(await decideDeliveryAccess(t.db, area(w.headAdmin), w.memberDoc)).toBe('open')
    // Access never flows from a member up to its head, nor to another client.
    expect(await decideDeliveryAccess(t.db, area(w.memberAdmin), w.headDoc)).toBe('denied')
    expect(await decideDeliveryAccess(t.db, area(w.stranger), w.memberDoc)).toBe('denied')
  })

  it('limits a delivery-only session to its own client, and honours what an admin hid', async () => {
    const w = await world()
    const pending = await pendingUser(w.member.id)
    const pendingElsewhere = await pendingUser(w.outsider.id)
    expect(await decideDeliveryAccess(t.db, delivery(pending), w.memberDoc)).toBe('open')
    expect(await decideDeliveryAccess(t.db, delivery(pendingElsewhere), w.memberDoc)).toBe('denied')
    // An activated head user still holding a delivery session does not reach the group with it.
    expect(await decideDeliveryAccess(t.db, delivery(w.headAdmin), w.memberDoc)).toBe('denied')
    const colab = await makeUser(t.db, { clientId: w.head.id, role: 'collaborator' })
    await setVisibility(t.db, ACCOUNTANT, colab.id, { hiddenCategories: [], hiddenCompanyIds: [w.member.id] })
    expect(await decideDeliveryAccess(t.db, area(colab), w.memberDoc)).toBe('denied')
    expect(await decideDeliveryAccess(t.db, area(colab), w.headDoc)).toBe('open')
  })
})

describe('decideAreaAccess', () => {
  it('opens the area to active users with an area session only', async () => {
    const client = await makeClient(t.db, t.key)
    const active = await makeUser(t.db, { clientId: client.id })
    const pending = await pendingUser(client.id)
    const disabled = await disabledUser(client.id)
    expect(decideAreaAccess(area(active))).toBe('open')
    expect(decideAreaAccess(delivery(active))).toBe('reauthenticate')
    expect(decideAreaAccess(delivery(pending))).toBe('pending')
    expect(decideAreaAccess(area(pending))).toBe('pending')
    expect(decideAreaAccess(area(disabled))).toBe('denied')
  })
})

describe('findVisibleDocument (docs/rules.md#portal-security)', () => {
  it('returns what the user may see and null, alike, for another client’s and a missing document', async () => {
    const w = await world()
    expect((await findVisibleDocument(t.db, w.headAdmin, w.memberDoc.id))?.title).toBe('DAS Filial')
    expect((await findVisibleDocument(t.db, w.memberAdmin, w.memberDoc.id))?.id).toBe(w.memberDoc.id)
    expect(await findVisibleDocument(t.db, w.memberAdmin, w.headDoc.id)).toBeNull()
    expect(await findVisibleDocument(t.db, w.stranger, w.memberDoc.id)).toBeNull()
    expect(await findVisibleDocument(t.db, w.stranger, 999_999)).toBeNull()
  })
})

describe('login and registration through a delivery link', () => {
  it('are offered only where the client requires login', async () => {
    const open = await makeClient(t.db, t.key, { requireLogin: 'off' })
    const gated = await makeClient(t.db, t.key, { requireLogin: 'on' })
    expect(await deliveryTakesLogins(t.db, await makeDocument(t, open.id))).toBe(false)
    expect(await deliveryTakesLogins(t.db, await makeDocument(t, gated.id))).toBe(true)
  })

  it('refuses to register through a link without login, creating nobody', async () => {
    const client = await makeClient(t.db, t.key, { requireLogin: 'inherit' })
    const doc = await makeDocument(t, client.id)
    const input = { username: 'intruso', name: 'Intruso', password: 'senha-secreta-1', ip: null }
    await expect(registerThroughDelivery(t.db, doc, input, memoHasher)).rejects.toThrow(NotFoundError)
    expect(await t.db.selectFrom('client_users').select('id').execute()).toEqual([])
  })

  it('registers the first user of a gated link as its admin, with origin document_link', async () => {
    const client = await makeClient(t.db, t.key, { requireLogin: 'on' })
    const doc = await makeDocument(t, client.id)
    const first = await registerThroughDelivery(t.db, doc, { username: 'ana', name: 'Ana', password: 'senha-secreta-1', ip: null }, memoHasher)
    const second = await registerThroughDelivery(t.db, doc, { username: 'bia', name: 'Bia', password: 'senha-secreta-1', ip: null }, memoHasher)
    expect([first.clientId, first.role, first.status, first.origin]).toEqual([client.id, 'admin', 'active', 'document_link'])
    expect([second.role, second.status]).toEqual(['collaborator', 'pending'])
  })

  it('gives active users an area session and pending users a delivery one on their own links only', async () => {
    const w = await world()
    const pending = await pendingUser(w.member.id)
    const disabled = await disabledUser(w.member.id)
    expect(deliverySessionScope(w.stranger, w.memberDoc)).toBe('area')
    expect(deliverySessionScope(pending, w.memberDoc)).toBe('delivery')
    expect(deliverySessionScope(pending, w.headDoc)).toBeNull()
    expect(deliverySessionScope(disabled, w.memberDoc)).toBeNull()
  })
})
